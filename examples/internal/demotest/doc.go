// Package demotest holds the test helpers of the example servers: the
// printed messages as a stream, a settable clock, and a run started until
// its banner is out.
package demotest

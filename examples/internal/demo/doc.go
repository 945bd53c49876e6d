// Package demo holds what the example servers (examples/server and
// examples/production) share: the DEMO routes and member resolution, the
// serve-until-signalled loop, the usage text and the -max-limits switch.
// What differs between them (stores, flags, environment, notifiers) stays
// in each example.
//
// Everything here is DEMO ONLY: members are whoever the X-User-ID header
// names, anyone can register, and flow cookies work over plain HTTP.
package demo

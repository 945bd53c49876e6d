package demo

import "time"

// RequestTimeout is the examples' default deadline per request, set with
// httpadapter.Timeout.
const RequestTimeout = 10 * time.Second

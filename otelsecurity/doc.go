// Package otelsecurity instruments an account-security Service
// (github.com/acctsec/security) and its HTTP adapter with OpenTelemetry:
// a span per flow with the Store calls and deliveries as its children,
// metrics of flows, hashing, deliveries, the SMS budget, sends,
// verifications, lockouts, throttles and store latency, and a server span
// per HTTP request.
//
// It lives in its own module so that the core stays free of OpenTelemetry:
// the core only exposes security.Observer, security.Service.Stats and its
// event stream (Config.OnEvent), and this package turns them into
// telemetry.
//
//	in, err := otelsecurity.New(otelsecurity.Options{}) // the global providers
//	svc, err := in.NewService(store, notifier, cfg)
//	handler := in.Handler(httpadapter.New(svc, opts), otelsecurity.HTTPOptions{})
//
// No attribute, span name or span event ever carries a phone, address,
// code, token, IP address or user ID, not even masked: only flow names,
// operations, channels, purposes, reasons and outcomes, each from a fixed
// set. Errors are recorded by kind (security.ErrorKind), never by text.
//
// The gauges of ObserveService describe one Service: use one
// Instrumentation per Service.
package otelsecurity

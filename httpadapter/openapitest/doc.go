// Package openapitest checks httpadapter against its OpenAPI description
// (httpadapter.OpenAPI) with a third-party validator, kin-openapi. It is a
// module of its own so that the root module never depends on kin-openapi;
// it holds only tests.
//
// `go test ./...` here validates the document, runs the tests of
// httpadapter with every exchange recorded (ACCTSEC_RECORD_EXCHANGES),
// validates each recorded request and response against the description,
// and checks the coverage both ways: every described route and error key
// was produced by some test (or is allow-listed as unreachable in tests),
// and every route the adapter serves is described.
package openapitest

// Package openapitest checks httpadapter against its OpenAPI description
// (httpadapter.OpenAPI) with a third-party validator, kin-openapi. It is a
// module of its own so that the root module never depends on kin-openapi;
// it holds only tests.
//
// `go test ./...` here validates the document, runs the tests of
// httpadapter with every exchange recorded (ACCTSEC_RECORD_EXCHANGES),
// validates each recorded request and response against the description,
// and checks the coverage both ways: every described route, error key and
// response (each status in each media type, the email link's HTML pages
// included) was produced by some test (or is allow-listed, with a reason,
// in unreachable_test.go), and every route the adapter serves is
// described. HEAD answers, which kin-openapi leaves alone, are validated
// as their GET's headers; parameters the handler ignores
// (Options.IgnoreParams) are dropped before a request is validated.
package openapitest

package httpadapter

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 description of the routes a Handler
// serves, as JSON: every documented route and addition (marked
// "x-acctsec-addition": true), their parameters in each accepted encoding,
// the envelope, every error key each route can answer, the headers and
// the flow cookie. Paths are relative to where the Handler is mounted
// (Options.PathPrefix). The caller owns the returned slice.
//
// A host can serve it to its clients or generate a client from it, e.g.
// npx openapi-typescript with the file httpadapter/openapi.json.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

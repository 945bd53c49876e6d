package openapitest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/acctsec/security/httpadapter"
)

// at returns the object at the slash-separated path of doc (path items
// contain slashes, so segments are given one by one).
func at(t *testing.T, doc map[string]any, path ...string) map[string]any {
	t.Helper()
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object at %q", path, p)
		}
		v = m[p]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v: not an object", path)
	}
	return m
}

// TestValidationCatchesDrift: the conformance test can fail. Each change
// below makes the description disagree with the adapter, and some recorded
// exchange must then fail validation.
func TestValidationCatchesDrift(t *testing.T) {
	rec := recording(t)
	const member = "/member/userservice/security"
	const verifyMail = "/web/userservice/security/verifyMail"
	const loginCode = "/web/userservice/security/loginCode"
	cases := []struct {
		name   string
		change func(t *testing.T, doc map[string]any)
		// want is a substring of some failure.
		want string
	}{
		{"a response header's value", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "headers", "CacheControl", "schema")["const"] = "no-cache"
		}, "Cache-Control"},
		{"an error key dropped from a route", func(t *testing.T, doc map[string]any) {
			data := at(t, doc, "paths", member, "get", "responses", "403", "content", "application/json", "schema", "properties", "data")
			var kept []any
			for _, alt := range data["oneOf"].([]any) {
				if !strings.HasSuffix(alt.(map[string]any)["$ref"].(string), ".no_account") {
					kept = append(kept, alt)
				}
			}
			data["oneOf"] = kept
		}, "no_account"},
		{"a body field renamed", func(t *testing.T, doc map[string]any) {
			props := at(t, doc, "paths", member+"/payPassword", "put", "requestBody", "content", "application/json", "schema", "properties")
			props["payPassword"] = props["payPasswordFirst"]
			delete(props, "payPasswordFirst")
		}, "payPasswordFirst"},
		{"a query parameter constrained", func(t *testing.T, doc map[string]any) {
			params := at(t, doc, "paths", member, "get")["parameters"].([]any)
			params[0].(map[string]any)["schema"].(map[string]any)["maxLength"] = 3
		}, "phone"},
		{"a status field dropped", func(t *testing.T, doc map[string]any) {
			delete(at(t, doc, "components", "schemas", "Status", "properties"), "passwordChangedAt")
		}, "passwordChangedAt"},
		{"Retry-After bounded", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "headers", "RetryAfter", "schema")["maximum"] = 1
		}, "Retry-After"},
		{"the flow handle's form", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "headers", "FlowHandle", "schema")["pattern"] = "^[0-9]+$"
		}, "X-Security-Flow"},
		{"Allow of an unknown method", func(t *testing.T, doc map[string]any) {
			delete(at(t, doc, "paths", member+"/status"), "get")
		}, "Allow"},
		{"a page header's value", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "headers", "XFrameOptions", "schema")["const"] = "SAMEORIGIN"
		}, "X-Frame-Options"},
		{"a page header claimed for the envelope", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "headers", "XFrameOptions")["x-acctsec-required-with"] = "application/json"
		}, "X-Frame-Options"},
		{"a page dropped from a response", func(t *testing.T, doc map[string]any) {
			delete(at(t, doc, "paths", verifyMail, "post", "responses", "401", "content"), "text/html")
		}, "text/html"},
		{"the page's form", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "schemas", "Page")["pattern"] = "^<html>"
		}, "<html>"},
		{"a HEAD answer's header", func(t *testing.T, doc map[string]any) {
			at(t, doc, "paths", verifyMail, "head", "responses", "200", "headers")["Referrer-Policy"] =
				map[string]any{"required": true, "schema": map[string]any{"const": "origin"}}
		}, "HEAD " + verifyMail},
		{"the token or the code", func(t *testing.T, doc map[string]any) {
			alts := at(t, doc, "paths", verifyMail, "post", "requestBody", "content", "application/json", "schema")["oneOf"].([]any)
			alts[0].(map[string]any)["required"] = []any{"token", "email"}
		}, "took a request the description refuses"},
		{"the SMS login's data", func(t *testing.T, doc map[string]any) {
			data := at(t, doc, "components", "schemas", "LoginCodeEnvelope", "properties", "data")
			data["required"] = []any{"userID"}
		}, "userID"},
		{"the SMS login mounted without OnLogin", func(t *testing.T, doc map[string]any) {
			delete(at(t, doc, "paths", loginCode, "get"), "x-acctsec-requires-option")
			delete(at(t, doc, "paths", loginCode, "post"), "x-acctsec-requires-option")
		}, "GET " + loginCode},
		{"the host's session cookie unannounced", func(t *testing.T, doc map[string]any) {
			delete(at(t, doc, "components", "headers", "SetHostCookie"), "x-acctsec-set-by")
		}, "Set-Cookie names \"session\""},
		{"a new error key dropped", func(t *testing.T, doc map[string]any) {
			at(t, doc, "paths", member+"/setPassword", "put", "responses", "409", "content", "application/json",
				"schema", "properties")["data"] = map[string]any{"$ref": "#/components/schemas/ErrorKey.pay_password_set"}
		}, "password_set"},
		{"the flow cookie's name", func(t *testing.T, doc map[string]any) {
			at(t, doc, "components", "parameters", "FlowCookie")["name"] = "acctsec_flow"
		}, "the description names \"acctsec_flow\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each case validates every recorded exchange: CPU-bound
			var raw map[string]any
			if err := json.Unmarshal(httpadapter.OpenAPI(), &raw); err != nil {
				t.Fatal(err)
			}
			c.change(t, raw)
			b, err := json.Marshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromData(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Validate(loader.Context); err != nil {
				t.Fatalf("the changed description is not valid: %v", err)
			}
			_, failures := validateAll(t, doc, rec.xs)
			if len(failures) == 0 {
				t.Fatal("every exchange still validates")
			}
			for _, f := range failures {
				if strings.Contains(f.Error(), c.want) {
					return
				}
			}
			t.Errorf("%d failures, none mentions %q; the first: %v", len(failures), c.want, failures[0])
		})
	}
}

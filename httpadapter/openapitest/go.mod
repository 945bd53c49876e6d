module github.com/acctsec/security/httpadapter/openapitest

go 1.26.0

require (
	github.com/acctsec/security v0.2.0
	github.com/getkin/kin-openapi v0.153.0
)

require (
	github.com/alexedwards/argon2id v1.0.0 // indirect
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

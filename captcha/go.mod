module github.com/acctsec/security/captcha

go 1.26.0

require (
	github.com/acctsec/security v0.2.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/alexedwards/argon2id v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

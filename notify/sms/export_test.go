package sms

import "github.com/acctsec/security/internal/cloudsign"

// The shared signer, under the names the signing test vectors in package
// sms_test use.
var (
	SignACS3  = cloudsign.SignACS3
	SignTC3   = cloudsign.SignTC3
	ACS3Query = cloudsign.ACS3Query
)

package sms

// Exported for the signing test vectors in package sms_test.
var (
	SignACS3  = signACS3
	SignTC3   = signTC3
	ACS3Query = acs3Query
)

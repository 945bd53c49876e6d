package httpadapter_test

import (
	"encoding/json"
	"fmt"

	"github.com/acctsec/security/httpadapter"
)

// Serve the description next to the routes, or read it: here, the
// operations of the forgotten-password path.
func ExampleOpenAPI() {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct{ OperationID string }
	}
	if err := json.Unmarshal(httpadapter.OpenAPI(), &doc); err != nil {
		panic(err)
	}
	fmt.Println(doc.OpenAPI)
	forgot := doc.Paths["/web/userservice/security"]
	for _, method := range []string{"get", "post", "put"} {
		fmt.Println(method, forgot[method].OperationID)
	}
	// Output:
	// 3.1.0
	// get startForgotPassword
	// post verifyForgotPassword
	// put completeForgotPassword
}

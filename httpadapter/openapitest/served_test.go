package openapitest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
)

// probeMethods are the methods tried on every path.
var probeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect,
}

// TestServedRoutesAreDescribed probes a Handler with every method on every
// described path, and on every path of the adapter's route table (as the
// recording lists it): a method that answers neither 404 nor 405 is served,
// and the served set must be exactly the described operations. It probes
// a Handler with every option that mounts routes (Options.OnLogin), and
// one without: that one must serve exactly the operations that do not
// name an option in x-acctsec-requires-option.
func TestServedRoutesAreDescribed(t *testing.T) {
	doc := loadDescription(t)
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	svc, err := security.New(store, security.NotifierFunc(func(context.Context, security.Message) error { return nil }),
		security.Config{Secret: []byte("Pn3m0Q7vXc2Lr8Ka5Zs1Yt4Wj9Hb6Ed0Gf3Nu7Ro2Ik="), LinkBaseURL: "https://app.example.com/verify"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })

	paths := map[string]bool{}
	for path := range doc.Paths.Map() {
		paths[path] = true
	}
	for _, route := range recording(t).served {
		_, path, _ := strings.Cut(route, " ")
		paths[path] = true
	}
	onLogin := func(http.ResponseWriter, *http.Request, string) error {
		t.Error("a probe without parameters signed someone in")
		return nil
	}
	for _, c := range []struct {
		name string
		opts httpadapter.Options
		// option is the option set, "" when none.
		option string
	}{
		{"every option", httpadapter.Options{OnLogin: onLogin}, "OnLogin"},
		{"no option", httpadapter.Options{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := httpadapter.New(svc, c.opts)
			var served []string
			for path := range paths {
				for _, method := range probeMethods {
					// No parameters and no user: every route refuses before
					// doing anything, with something other than 404 or 405.
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
					if w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
						served = append(served, method+" "+path)
					}
				}
			}
			sort.Strings(served)
			var described []string
			for name, op := range operations(doc) {
				requires, _ := op.Extensions["x-acctsec-requires-option"].(string)
				if requires == "" || requires == c.option {
					described = append(described, name)
				}
			}
			sort.Strings(described)
			if len(served) == 0 || !slices.Equal(served, described) {
				t.Errorf("routes served (probed):\n  %s\nroutes described:\n  %s",
					strings.Join(served, "\n  "), strings.Join(described, "\n  "))
			}
		})
	}
}

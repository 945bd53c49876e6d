package httpadapter

import "sort"

// ServedRoutes lists every endpoint of the route table as "METHOD path",
// sorted, for the tests of package httpadapter_test (and, through their
// recording, the OpenAPI conformance test).
func ServedRoutes() []string {
	var out []string
	for path, res := range routeTable() {
		for _, e := range res.endpoints {
			out = append(out, e.method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

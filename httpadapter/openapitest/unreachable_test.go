package openapitest

// unreachable lists, by route, the error keys the description declares
// that no test of httpadapter produces, each with the reason. An entry that
// a test starts producing, or that the description stops declaring, fails
// the conformance test, so the list cannot go stale.
var unreachable = map[string]map[string]string{}

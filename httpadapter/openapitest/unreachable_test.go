package openapitest

// unreachable lists, by route, the error keys the description declares
// that no test of httpadapter produces, each with the reason. An entry that
// a test starts producing, or that the description stops declaring, fails
// the conformance test, so the list cannot go stale.
var unreachable = map[string]map[string]string{}

// unanswered lists, by route, the responses ("status media-type", or
// "status *" for a HEAD response) the description declares that no test
// of httpadapter answers with that HTTP status, each with the reason. Like
// unreachable, an entry cannot go stale.
var unanswered = map[string]map[string]string{}

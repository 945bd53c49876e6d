// Package web holds the account-security page of the acctsec DEMO
// (examples/server): plain HTML, CSS and JavaScript, embedded, with no
// build step and no external assets. The page drives only the documented
// HTTP API and the demo's /demo routes, with same-origin fetches.
//
// DEVELOPMENT ONLY, like the rest of the demo: it shows a dev inbox with
// every code and link sent.
package web

import (
	"embed"
	"net/http"
)

//go:embed index.html app.js app.css
var files embed.FS

// contentSecurityPolicy allows the page's own script, style and fetches
// and nothing else: no inline script, no framing, no form posts elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets what every file of the page is served with.
func headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// Page serves index.html (mount it on "GET /{$}").
func Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		http.ServeFileFS(w, r, files, "index.html")
	})
}

// Assets serves app.js and app.css under /assets/ (mount it on
// "GET /assets/"); anything else there is 404.
func Assets() http.Handler {
	static := http.StripPrefix("/assets/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/assets/app.js", "/assets/app.css":
			headers(w)
			static.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

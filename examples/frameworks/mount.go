// Package frameworks mounts the httpadapter Handler in net/http, chi, gin
// and echo, the way the top-level README shows. Its tests drive a
// forgot-password flow (a cookie jar carrying the flow cookie) and a member
// route through each mount.
//
// Two facts decide how to mount. The adapter matches the full request path
// it is handed, minus Options.PathPrefix; and its flow cookie has Path=/,
// so the browser sends it back wherever the routes live. A router that
// leaves r.URL.Path alone (ServeMux, chi's Mount, gin, echo) needs
// PathPrefix set to its prefix; http.StripPrefix removes the prefix, so
// PathPrefix stays empty behind it.
package frameworks

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// ServeMux serves the routes at the root of a net/http ServeMux, beside
// the host's own.
func ServeMux(svc *security.Service, opts httpadapter.Options) http.Handler {
	h := httpadapter.New(svc, opts)
	mux := http.NewServeMux()
	mux.Handle("/member/userservice/security", h)
	mux.Handle("/member/userservice/security/", h)
	mux.Handle("/web/userservice/security", h)
	mux.Handle("/web/userservice/security/", h)
	return mux
}

// ServeMuxPrefix serves the routes under /api: the ServeMux hands the
// adapter the full path, so the adapter is told the prefix.
func ServeMuxPrefix(svc *security.Service, opts httpadapter.Options) http.Handler {
	opts.PathPrefix = "/api"
	mux := http.NewServeMux()
	mux.Handle("/api/", httpadapter.New(svc, opts))
	return mux
}

// StripPrefix serves the routes under /api behind http.StripPrefix, which
// removes the prefix before the adapter sees the path: no PathPrefix.
func StripPrefix(svc *security.Service, opts httpadapter.Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", httpadapter.New(svc, opts)))
	return mux
}

// Chi serves the routes under /api in chi. Mount leaves r.URL.Path alone,
// so the adapter is told the prefix.
func Chi(svc *security.Service, opts httpadapter.Options) http.Handler {
	opts.PathPrefix = "/api"
	r := chi.NewRouter()
	r.Mount("/api", httpadapter.New(svc, opts))
	return r
}

// Gin serves the routes at the root in gin: both trees, /member and /web,
// or gin answers the other with its plain-text 404.
func Gin(svc *security.Service, opts httpadapter.Options) http.Handler {
	h := gin.WrapH(httpadapter.New(svc, opts))
	r := gin.New()
	r.Any("/member/*path", h)
	r.Any("/web/*path", h)
	return r
}

// Echo serves the routes at the root in echo, both trees.
func Echo(svc *security.Service, opts httpadapter.Options) http.Handler {
	h := echo.WrapHandler(httpadapter.New(svc, opts))
	e := echo.New()
	e.Any("/member/*", h)
	e.Any("/web/*", h)
	return e
}

package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
)

// SessionCookie is the name of the demo session cookie.
const SessionCookie = "acctsec_demo_session"

// sessionTTL is how long a demo sign-in lasts.
const sessionTTL = 12 * time.Hour

// sessions is the DEMO sign-in: a cookie naming the user and its expiry,
// signed with HMAC-SHA-256 under a key drawn at each start (a restart signs
// everyone out). A real host has its own sessions; this one exists so the
// account-security page has a member to act for. It cannot be revoked
// before it expires, and a password change does not end it, as a real
// host's sessions should (Config.OnEvent).
type sessions struct {
	key []byte
	now func() time.Time
}

func newSessions(now func() time.Time) (*sessions, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &sessions{key: key, now: now}, nil
}

// mac signs the payload of a session cookie.
func (s *sessions) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("acctsec demo session\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// value is the cookie value for userID, valid until exp:
// base64url(userID) "." unix seconds "." base64url(MAC).
func (s *sessions) value(userID string, exp time.Time) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(userID)) + "." + strconv.FormatInt(exp.Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// parse returns the user a cookie value names, if its MAC is right and it
// has not expired.
func (s *sessions) parse(v string) (string, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return "", false
	}
	payload, sig := v[:i], v[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return "", false
	}
	id64, expStr, ok := strings.Cut(payload, ".")
	if !ok {
		return "", false
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	id, err := base64.RawURLEncoding.DecodeString(id64)
	if err != nil || len(id) == 0 {
		return "", false
	}
	return string(id), true
}

// userID is the adapter's Options.UserID: the X-User-ID header when
// present (curl), else the demo session cookie (the page).
func (s *sessions) userID(r *http.Request) (string, bool) {
	if id := r.Header.Get("X-User-ID"); id != "" {
		return id, true
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	return s.parse(c.Value)
}

// cookie is the session cookie carrying v for maxAge seconds (negative:
// delete it). HttpOnly keeps it from scripts; SameSite=Lax keeps it off
// cross-site subrequests and form posts. Not Secure: the demo serves plain
// HTTP.
func cookie(v string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: v, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}
}

// signIn serves POST /demo/signin (userId, password): the password is
// checked by the Service, as a host's login would, and the session cookie
// set. It answers "201", or the adapter's error (wrong_password also for
// an unknown user, locked after repeated failures).
func (s *sessions) signIn(svc *security.Service, ad *httpadapter.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowPost(w, r, ad) {
			return
		}
		p, err := ad.Params(r, "userId", "password")
		if err != nil {
			ad.WriteError(w, r, err)
			return
		}
		for _, name := range []string{"userId", "password"} {
			if p[name] == "" {
				ad.WriteError(w, r, httpadapter.MissingParam(name))
				return
			}
		}
		if err := svc.VerifyPassword(r.Context(), p["userId"], p["password"]); err != nil {
			ad.WriteError(w, r, err)
			return
		}
		http.SetCookie(w, cookie(s.value(p["userId"], s.now().Add(sessionTTL)), int(sessionTTL/time.Second)))
		ad.WriteSuccess(w, r, "201")
	})
}

// signOut serves POST /demo/signout: it deletes the session cookie.
func (s *sessions) signOut(ad *httpadapter.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowPost(w, r, ad) {
			return
		}
		http.SetCookie(w, cookie("", -1))
		ad.WriteSuccess(w, r, "200")
	})
}

// current serves GET /demo/session: {"userId": ...} of the signed-in
// member, or "401" unauthenticated.
func (s *sessions) current(ad *httpadapter.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			ad.WriteError(w, r, httpadapter.ErrMethodNotAllowed)
			return
		}
		id, ok := s.userID(r)
		if !ok {
			ad.WriteError(w, r, httpadapter.ErrUnauthenticated)
			return
		}
		writeData(w, r, struct {
			UserID string `json:"userId"`
		}{id})
	})
}

// allowPost answers "405" to anything but POST.
func allowPost(w http.ResponseWriter, r *http.Request, ad *httpadapter.Handler) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	ad.WriteError(w, r, httpadapter.ErrMethodNotAllowed)
	return false
}

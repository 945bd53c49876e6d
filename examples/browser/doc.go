// Package browser holds the browser tests of the account-security page
// that examples/server serves: each flow walked in headless Chromium
// (github.com/chromedp/chromedp) by clicking and typing, codes read from
// the page's dev inbox, plus a cross-origin form post that must be
// refused. It is a module of its own so that the root module never
// depends on chromedp.
//
// The tests skip when no Chromium is found, and with -short, unless
// ACCTSEC_REQUIRE_BROWSER=1.
// The binary is $ACCTSEC_CHROMIUM, else /usr/bin/chromium, else the first
// of chromium, chromium-browser, google-chrome or headless-shell on PATH
// (.ci/install-chromium.sh installs one).
//
// ACCTSEC_SCREENSHOT=1 also writes docs/account-security-page.png.
package browser

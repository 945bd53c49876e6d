#!/usr/bin/env bash
# Installs Chromium (the Debian package) for the browser tests of
# examples/browser, unless one is already there, and prints its path.
# Idempotent and quiet: apt's output goes to a log that is shown only if
# the installation fails. $ACCTSEC_CHROMIUM, when set, names the binary to
# use instead, and nothing is installed.
#
#	export ACCTSEC_CHROMIUM=$(bash .ci/install-chromium.sh)
#	ACCTSEC_REQUIRE_BROWSER=1 go test ./examples/browser/...
set -euo pipefail

found() {
	if [ -n "${ACCTSEC_CHROMIUM:-}" ]; then
		[ -x "$ACCTSEC_CHROMIUM" ] && echo "$ACCTSEC_CHROMIUM"
		return
	fi
	for p in /usr/bin/chromium chromium chromium-browser; do
		if command -v "$p" >/dev/null 2>&1; then
			command -v "$p"
			return
		fi
	done
	return 1
}

if path=$(found); then
	echo "$path"
	exit 0
fi
if [ -n "${ACCTSEC_CHROMIUM:-}" ]; then
	echo "install-chromium: ACCTSEC_CHROMIUM=$ACCTSEC_CHROMIUM is not an executable" >&2
	exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >"$log" 2>&1; then
	echo "install-chromium: apt-get failed:" >&2
	cat "$log" >&2
	exit 1
fi
if ! path=$(found); then
	echo "install-chromium: chromium was installed but is not on PATH" >&2
	exit 1
fi
echo "$path"

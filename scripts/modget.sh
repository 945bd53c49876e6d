#!/usr/bin/env bash
# Adds, updates or removes a dependency of one module of this repository
# without ever writing a replace: the go command runs on that module alone
# (GOWORK=off), and resolves our own modules, which are not published yet at
# the version the module requires, from a simulated proxy of the working
# tree (scripts/sim-env.sh).
#
#   bash scripts/modget.sh DIR [GO-GET-ARGS...]
#
# e.g.  bash scripts/modget.sh pgstore github.com/jackc/pgx/v5@v5.13.0
#       bash scripts/modget.sh notify/smtp -u ./...
#       bash scripts/modget.sh redisstore            (go mod tidy only)
#
# It runs `go get ARGS` (when given) and `go mod tidy` in DIR, then removes
# the go.sum lines of our own modules (they hash the simulated zips; the
# workspace needs none) and builds DIR in the workspace. Commit DIR/go.mod
# and DIR/go.sum (and go.work.sum if it changed). The simulated proxy needs
# the publishing rules to hold; scripts/release-sim.sh explains a refusal.
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: $0 DIR [GO-GET-ARGS...]" >&2
	exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "$1" && pwd)
shift
[ -f "$dir/go.mod" ] || { echo "$dir has no go.mod" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=sim-env.sh
. "$repo/scripts/sim-env.sh"
version=$(modproxy version)
sim_proxy "$version" >/dev/null

cd "$dir"
if [ $# -gt 0 ]; then
	user_go get "$@"
fi
user_go mod tidy
if [ -f go.sum ]; then
	awk -v p="$root_path" '$1 != p && index($1, p "/") != 1' go.sum >"$tmp/go.sum"
	cat "$tmp/go.sum" >go.sum
fi
if grep -q "^replace\|=>" go.mod; then
	echo "warning: $dir/go.mod has a replace; scripts/release-sim.sh will refuse ours" >&2
fi
# The workspace (go.work) must still build with the new requirements.
GOWORK= GOFLAGS=-buildvcs=false go build -o /dev/null ./...
echo "updated $dir/go.mod and go.sum (our modules resolved at $version from the working tree)"

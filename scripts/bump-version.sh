#!/usr/bin/env bash
# Moves the repository to a new release version in one go: every nested
# go.mod's requirement of our modules (github.com/acctsec/security and its
# nested modules) and every version-pinned replace of them in go.work.
#
#   bash scripts/bump-version.sh NEWVERSION [REPO]
#
# REPO defaults to this repository. It prints the files it rewrote; run it
# again with the same version and it rewrites nothing. Commit the result
# before tagging (see RELEASING.md). scripts/release-sim.sh tests it on a
# copy of the repository's go.mod and go.work files on every CI run.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 NEWVERSION [REPO]" >&2
	exit 2
fi
scripts=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${2:-$scripts/..}" && pwd)
GOWORK=off GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
	go -C "$scripts/modproxy" run . bump -version "$1" -repo "$repo"

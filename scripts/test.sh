#!/usr/bin/env bash
# Runs the tests of every module in the repository (the root module and each
# nested one: pgstore, redisstore, notify/..., captcha, otelsecurity, cmd/...,
# examples/...).
#
#   bash scripts/test.sh          the quick run, for a developer's loop: -short
#                                 (floods, million-draw statistics and other
#                                 long tests skip), no race detector
#   bash scripts/test.sh -full    the whole suite with the race detector: what
#                                 CI (.ci/run) runs
#
# Tests that need PostgreSQL, Redis or Chromium skip when it is unreachable,
# unless ACCTSEC_REQUIRE_SERVICES=1 (PostgreSQL, Redis) or
# ACCTSEC_REQUIRE_BROWSER=1 (Chromium); CI sets both.
set -euo pipefail
cd "$(dirname "$0")/.."

flags=(-count=1 -short)
mode=quick
case "${1:-}" in
"") ;;
-full) flags=(-count=1 -race) mode=full ;;
*) echo "usage: bash scripts/test.sh [-full]" >&2; exit 2 ;;
esac

start=$SECONDS
failed=()
for gomod in $(find . -name go.mod -not -path './.git/*' | sort); do
	dir=$(dirname "$gomod")
	echo "== go test ${flags[*]} $dir"
	if ! (cd "$dir" && go test "${flags[@]}" ./...); then
		failed+=("$dir")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED modules: ${failed[*]}"
	exit 1
fi
echo "all modules passed ($mode run, $((SECONDS - start)) s)"

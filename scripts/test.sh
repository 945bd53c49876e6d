#!/usr/bin/env bash
# Runs the tests of every module in the repository (the root module and each
# nested one: pgstore, redisstore, notify/smtp, notify/sms, examples/...)
# with the race detector. Tests that need PostgreSQL or Redis skip when the
# server is unreachable, unless ACCTSEC_REQUIRE_SERVICES=1.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
for gomod in $(find . -name go.mod -not -path './.git/*' | sort); do
	dir=$(dirname "$gomod")
	echo "== go test -race $dir"
	if ! (cd "$dir" && go test -race -count=1 ./...); then
		failed+=("$dir")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED modules: ${failed[*]}"
	exit 1
fi
echo "all modules passed"

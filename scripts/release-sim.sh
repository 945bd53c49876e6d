#!/usr/bin/env bash
# Release simulation: publishes every module of the repository at VERSION
# into a local, file-based Go module proxy and then uses the modules the way
# a user would, from a fresh module outside the repository with no go.work
# and no replace. It fails loudly if what we would tag cannot be consumed.
#
#   bash scripts/release-sim.sh [VERSION]
#
# VERSION defaults to the version at which our modules require each other
# (go.mod requirements and go.work's pinned replaces), i.e. the release
# being prepared. The modules are those the root go.work uses; every other
# go.mod must be declared unpublished in scripts/modproxy (its own directory
# is). So a helper who adds a nested module and runs `go work use` is covered
# with no change here.
#
# Steps:
#   1. publishing rules (no replace of our modules, our modules required only
#      at VERSION, go.work pins them, module paths match directories) and the
#      proxy: .info/.mod/.zip/list per module, zips from golang.org/x/mod/zip
#      (which leaves nested modules out and enforces the zip limits), and no
#      executables inside;
#   2. scripts/bump-version.sh on a copy: to a test version and back, which
#      must leave the files as they were;
#   3. the workspace: go build ./... in every module;
#   4. a fresh host module: go get of every module at VERSION, a main that
#      imports every importable library package, go build, go vet of our
#      packages (their tests compile against what was resolved), go list -m
#      all (each of ours exactly at VERSION) and go mod verify;
#   5. each module alone (GOWORK=off, its own go.mod and go.sum, go.sum lines
#      of ours from the proxy, -mod=readonly): go vet (which type-checks the
#      packages and their tests), which is what a contributor gets once the
#      tags are pushed; go mod tidy on a copy, which must not change go.mod;
#      and go list -m -u all (which needs the public proxy), listing the
#      available updates.
#
# The go command runs as a user's would (scripts/sim-env.sh): our modules
# from the simulated proxy only, in a module cache of the simulation's own;
# third-party modules from the public proxy, checked against the checksum
# database as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export GOTOOLCHAIN=local GOWORK=off

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=sim-env.sh
. "$repo/scripts/sim-env.sh"
version=${1:-$(modproxy version)}

# step prints a step's header with the seconds spent so far.
step() { echo "== release-sim [${SECONDS}s] $*"; }

step "$version: publishing rules and the module proxy"
sim_proxy "$version"
mapfile -t modules < <(modproxy list)
# The zips are made from the working tree; a tag holds only committed files.
if untracked=$(git -C "$repo" ls-files --others --exclude-standard 2>/dev/null) && [ -n "$untracked" ]; then
	echo "warning: untracked files are in the simulated zips but would not be in a tag:"
	sed 's/^/	/' <<<"$untracked"
fi

step "scripts/bump-version.sh on a copy"
copy=$tmp/bump
for f in go.work go.work.sum $(cd "$repo" && find . -name go.mod -o -name go.sum | grep -v '/\.' | sed 's#^\./##'); do
	[ -f "$repo/$f" ] || continue
	mkdir -p "$copy/$(dirname "$f")"
	cp "$repo/$f" "$copy/$f"
done
testversion=$version-bumptest
bash "$repo/scripts/bump-version.sh" "$testversion" "$copy" >/dev/null
modproxy -C "$copy" check -version "$testversion" 2>/dev/null ||
	{ echo "bump-version.sh $testversion left requirements or go.work replaces behind"; exit 1; }
# The workspace must still resolve, from the copy's files alone: a missed
# go.work replace would send the go command to fetch $testversion.
(cd "$copy" && GOWORK="$copy/go.work" GONOSUMDB=github.com/acctsec GOFLAGS=-mod=readonly go list -m all >/dev/null) ||
	{ echo "the workspace does not resolve after bump-version.sh $testversion"; exit 1; }
if [ -n "$(bash "$repo/scripts/bump-version.sh" "$testversion" "$copy")" ]; then
	echo "bump-version.sh is not idempotent"; exit 1
fi
bash "$repo/scripts/bump-version.sh" "$version" "$copy" >/dev/null
for f in go.work $(cd "$copy" && find . -name go.mod | sed 's#^\./##'); do
	cmp -s "$repo/$f" "$copy/$f" || { echo "bump-version.sh to $testversion and back changed $f:"; diff "$repo/$f" "$copy/$f"; exit 1; }
done
echo "ok: $testversion and back to $version"

step "the workspace builds (go build ./... in every module)"
for entry in "${modules[@]}"; do
	dir=${entry#*$'\t'}
	# -o /dev/null: with one main package, go build would leave the binary
	# in the tree (and then in the module zip).
	(cd "$repo/$dir" && GOWORK= GOFLAGS=-buildvcs=false go build -o /dev/null ./...) ||
		{ echo "go build ./... failed in $dir"; exit 1; }
done

step "a fresh module gets every module at $version"
host=$tmp/host
mkdir -p "$host"
cd "$host"
user_go mod init example.com/acctsec-release-sim >/dev/null 2>&1
targets=()
for entry in "${modules[@]}"; do
	targets+=("${entry%%$'\t'*}@$version")
done
user_go get "${targets[@]}"

# Every package of our modules; the importable library ones go into a main,
# the commands and examples are built as they are.
libs=() mains=()
while read -r pkg name; do
	case "$pkg" in */internal | */internal/*) continue ;; esac
	if [ "$name" = main ]; then mains+=("$pkg"); else libs+=("$pkg"); fi
done < <(user_go list -f '{{.ImportPath}} {{.Name}}' "$root_path/...")
[ ${#libs[@]} -gt 0 ] || { echo "no library package of $root_path resolved"; exit 1; }
{
	echo "// Command acctsec-release-sim imports every library package of the release."
	echo "package main"
	echo
	echo "import ("
	printf '\t_ "%s"\n' "${libs[@]}"
	echo ")"
	echo
	echo "func main() {}"
} >main.go
user_go build -o /dev/null .
[ ${#mains[@]} -eq 0 ] || user_go build -o /dev/null "${mains[@]}"
user_go vet "${libs[@]}" "${mains[@]}"
user_go mod verify >/dev/null
echo "built: ${#libs[@]} library packages, ${#mains[@]} commands"

step "go list -m all in the fresh module"
all=$(user_go list -m -f '{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}' all)
ours=$(grep -E "^$root_path(/| )" <<<"$all" || true)
echo "$ours"
echo "(and $(($(wc -l <<<"$all") - $(wc -l <<<"$ours") - 1)) third-party modules)"
for entry in "${modules[@]}"; do
	path=${entry%%$'\t'*}
	grep -qxF "$path $version" <<<"$ours" || { echo "$path is not at $version in the build list"; exit 1; }
done
bad=$(grep -vF " $version" <<<"$ours" || true)
[ -z "$bad" ] || { echo "our modules at other versions, or replaced: $bad"; exit 1; }
cd "$repo"

step "each module on its own (GOWORK=off): go vet, go mod tidy, go list -m -u all"
updates=0
for entry in "${modules[@]}"; do
	dir=${entry#*$'\t'}
	alone=$tmp/alone/${dir//\//_}
	mkdir -p "$alone"
	cp "$repo/$dir/go.mod" "$alone/go.mod"
	# The module's own go.sum, less any line of ours (a hash of a published
	# zip would not match the working tree's), plus the proxy's lines.
	{
		[ ! -f "$repo/$dir/go.sum" ] ||
			awk -v p="$root_path" '$1 != p && index($1, p "/") != 1' "$repo/$dir/go.sum"
		cat "$proxy/go.sum"
	} >"$alone/go.sum"
	(cd "$repo/$dir" &&
		user_go vet -mod=readonly -modfile="$alone/go.mod" ./...) ||
		{ echo "$dir does not build on its own with its go.mod and go.sum (bash scripts/modget.sh $dir tidies them)"; exit 1; }
	# go mod tidy, on a copy, must leave go.mod as it is: an untidy go.mod
	# publishes requirements the module does not have, or lacks some.
	tidy=$tmp/tidy/${dir//\//_}
	mkdir -p "$tidy"
	tar -C "$repo/$dir" --exclude=./.git -cf - . | tar -C "$tidy" -xf -
	cp "$alone/go.sum" "$tidy/go.sum"
	(cd "$tidy" && user_go mod tidy) || { echo "go mod tidy failed for $dir"; exit 1; }
	cmp -s "$repo/$dir/go.mod" "$tidy/go.mod" ||
		{ echo "$dir/go.mod is not tidy (bash scripts/modget.sh $dir tidies it):"; diff "$repo/$dir/go.mod" "$tidy/go.mod"; exit 1; }
	list=$(cd "$repo/$dir" && user_go list -mod=readonly -modfile="$alone/go.mod" -m -u \
		-f '{{if and .Update (not .Indirect)}}{{.Path}} {{.Version}} -> {{.Update.Version}}{{end}}{{if and .Update .Indirect}}{{.Path}} {{.Version}} -> {{.Update.Version}} (indirect){{end}}' all) ||
		{ echo "go list -m -u all failed in $dir"; exit 1; }
	# Only what the module's go.mod names: the rest of the graph (test
	# dependencies of dependencies) is pruned and never built.
	list=$(while read -r path rest; do
		[ -n "$path" ] || continue
		if awk -v p="$path" '($1 == "require" && $2 == p) || $1 == p { found = 1 } END { exit !found }' "$alone/go.mod"; then
			echo "$path $rest"
		fi
	done <<<"$list")
	if [ -n "$list" ]; then
		echo "$dir: updates available:"; sed 's/^/	/' <<<"$list"
		updates=$((updates + $(wc -l <<<"$list")))
	else
		echo "$dir: ok, dependencies current"
	fi
done
echo "($updates updates available; not an error)"
echo "release-sim $version: ok (${#modules[@]} modules, ${SECONDS}s)"

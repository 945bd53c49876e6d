# Sourced by release-sim.sh and modget.sh (not run on its own): the go
# command as a user of our published modules would run it, against a
# simulated module proxy built from the working tree.
#
# The caller sets: repo (repository root) and tmp (a scratch directory it
# removes). This file sets root_path, proxy, modcache and defines
# modproxy, sim_proxy and user_go.
#
# Our modules live only in a module cache of the simulation's own
# (ACCTSEC_SIM_MODCACHE, default ~/.cache/acctsec-release-sim/mod), purged of
# them before every use and held under a lock while in use: a simulated
# vX.Y.Z of github.com/acctsec/... must never reach the real module cache,
# where it would satisfy GOWORK=off builds later, and two runs must not see
# each other's. Third-party modules come from GOPROXY (the public proxy) and
# are checked against the checksum database as usual; only our modules are
# exempt (GONOSUMDB), since the database has never seen them.

root_path=$(awk '$1 == "module" { print $2; exit }' "$repo/go.mod")
proxy=$tmp/proxy
upstream=$(GOFLAGS= go env GOPROXY)
case "$upstream" in off | "") upstream=https://proxy.golang.org ;; esac
modcache=${ACCTSEC_SIM_MODCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acctsec-release-sim/mod}
mkdir -p "$modcache"
if command -v flock >/dev/null; then
	exec 9>"$modcache/.acctsec-sim.lock"
	flock 9
fi
for d in "$modcache/$root_path" "$modcache/$root_path@"* "$modcache/cache/download/$root_path"; do
	[ -e "$d" ] || continue
	chmod -R u+w "$d"
	rm -rf "$d"
done

# modproxy [-C DIR] SUBCOMMAND [FLAGS]: the release tool (scripts/modproxy),
# on this repository or on DIR.
modproxy() {
	local on=$repo
	if [ "$1" = -C ]; then on=$2; shift 2; fi
	GOWORK=off GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
		go -C "$repo/scripts/modproxy" run . "$@" -repo "$on"
}

# sim_proxy VERSION: every published module of the working tree at VERSION
# in $proxy; prints one line per module (path, dir, tag, size).
sim_proxy() {
	modproxy proxy -version "$1" -out "$proxy" \
		-time "$(git -C "$repo" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# user_go: the go command with no workspace, our proxy first and then the
# public one, and the simulation's module cache.
#
# GODEBUG=goindex=0: the go command indexes module-cache directories in
# GOCACHE by path, taking them as immutable; the simulation re-extracts a
# new zip of the same version at the same path on every run, so a stale
# index would hide packages added since (a nested module's import of a new
# root package then reads "cannot find module providing package").
user_go() {
	env GODEBUG=goindex=0 GOWORK=off GOFLAGS="-mod=mod -modcacherw -buildvcs=false" \
		GOPROXY="file://$proxy,$upstream" GONOSUMDB="$root_path" \
		GOPRIVATE= GONOPROXY= GOMODCACHE="$modcache" GOTOOLCHAIN=local \
		go "$@"
}

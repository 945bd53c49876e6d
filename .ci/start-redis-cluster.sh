#!/usr/bin/env bash
# Starts a throw-away 3-master Redis Cluster on loopback (ports 7101-7103,
# no persistence) for redisstore's cluster tests, unless it is already up.
# Safe to run twice: running nodes are left alone, missing ones are started
# with their saved cluster config, and the cluster is created only when no
# node has slots yet. It never touches anything on other ports (the
# standalone Redis on 6379 included).
#
# Then run the tests with
#
#	ACCTSEC_REDIS_CLUSTER_ADDRS=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
#
# Stop it with: for p in 7101 7102 7103; do redis-cli -p $p shutdown nosave; done
set -euo pipefail

ports=(7101 7102 7103)
dir="${ACCTSEC_REDIS_CLUSTER_DIR:-/tmp/acctsec-cluster}"

conf() { echo "/tmp/acctsec-cluster-$1.conf"; }
up() { redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1; }
info() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
all_ok() {
	local p
	for p in "${ports[@]}"; do
		[ "$(info "$p" cluster_state)" = ok ] || return 1
	done
}

if all_ok; then
	echo "redis cluster: already up on ${ports[*]}"
	exit 0
fi

mkdir -p "$dir"
any_up=0
for p in "${ports[@]}"; do
	if up "$p"; then any_up=1; fi
done
for p in "${ports[@]}"; do
	up "$p" && continue
	# With no node running, a saved config describes a cluster that no
	# longer exists (its data was never persisted): start from scratch.
	# Otherwise keep it, so the node rejoins the running ones.
	if [ "$any_up" = 0 ]; then rm -f "$(conf "$p")"; fi
	echo "redis cluster: starting node $p"
	redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
		--cluster-config-file "$(conf "$p")" --save "" --appendonly no \
		--daemonize yes --dir "$dir" --logfile "$dir/node-$p.log"
done
for p in "${ports[@]}"; do
	for _ in $(seq 1 50); do up "$p" && break; sleep 0.1; done
	up "$p" || { echo "redis cluster: node $p did not start (see $dir/node-$p.log)" >&2; exit 1; }
done

assigned=0
for p in "${ports[@]}"; do
	n=$(info "$p" cluster_slots_assigned || true)
	if [ "${n:-0}" != 0 ]; then assigned=1; fi
done
if [ "$assigned" = 0 ]; then
	echo "redis cluster: creating"
	redis-cli --cluster create 127.0.0.1:7101 127.0.0.1:7102 127.0.0.1:7103 \
		--cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
		{ cat "$dir/create.log" >&2; exit 1; }
fi

for _ in $(seq 1 300); do
	all_ok && { echo "redis cluster: ok on ${ports[*]}"; exit 0; }
	sleep 0.1
done
echo "redis cluster: cluster_state is not ok after 30s; to start over stop the nodes" >&2
echo "  (for p in ${ports[*]}; do redis-cli -p \$p shutdown nosave; done) and run this again" >&2
for p in "${ports[@]}"; do echo "  $p: $(info "$p" cluster_state)" >&2; done
exit 1

#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis the tests use, when they are installed but not running.
# Prints what it did; never fails on its own (the tests report an unreachable service).
set -u
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "services: starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
fi
if command -v redis-cli >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
# A local Redis Cluster for the cluster tests (AIRL_TEST_REDIS_CLUSTER_URL): three masters with
# one replica each on ports 7001-7006, data under /tmp. Started node by node if not running, and
# created once (a node that knows fewer than six nodes has never joined one).
CLUSTER_PORTS="7001 7002 7003 7004 7005 7006"
# Each node's view: its state, then the masters that serve slots with their slot ranges.
cluster_views() {
  for port in $CLUSTER_PORTS; do
    state=$(redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')
    nodes=$(redis-cli -h 127.0.0.1 -p "$port" cluster nodes 2>/dev/null)
    masters=$(printf '%s\n' "$nodes" \
      | awk '$3 ~ /master/ && NF >= 9 { split($2, a, "@"); r = a[1]; for (i = 9; i <= NF; i++) r = r " " $i; print r }' \
      | sort | tr '\n' ';')
    flagged=$(printf '%s\n' "$nodes" | grep -c fail)
    echo "$port state=${state:-down} flagged=$flagged masters=$masters"
  done
}
cluster_settled() {
  views=$(cluster_views)
  # Six nodes up and ok, nothing flagged, one view of the slots shared by all, three masters.
  [ "$(printf '%s\n' "$views" | grep -c 'state=ok flagged=0 ')" -eq 6 ] || return 1
  [ "$(printf '%s\n' "$views" | sed 's/^[0-9]* //' | sort -u | wc -l)" -eq 1 ] || return 1
  [ "$(printf '%s\n' "$views" | head -1 | tr ';' '\n' | grep -c ':')" -eq 3 ] || return 1
  for port in $CLUSTER_PORTS; do
    info=$(redis-cli -h 127.0.0.1 -p "$port" info replication 2>/dev/null | tr -d '\r')
    if printf '%s\n' "$info" | grep -q '^role:slave'; then
      printf '%s\n' "$info" | grep -q '^master_link_status:up' || return 1
      printf '%s\n' "$info" | grep -q '^master_sync_in_progress:0' || return 1
    fi
  done
}
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  # A node that stopped (a test killed a master) is started again: it rejoins as a replica.
  started=0
  for port in $CLUSTER_PORTS; do
    if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      [ "$started" = 0 ] && echo "services: starting Redis Cluster nodes (ports 7001-7006)"
      started=1
      dir="/tmp/airl-redis-cluster/$port"
      mkdir -p "$dir"
      redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
        --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 2000 --repl-diskless-sync-delay 0 --save "" \
        --appendonly no --dir "$dir" --logfile "$dir/redis.log" || true
    fi
  done
  if [ "$started" = 1 ] || ! cluster_settled; then
    for _ in $(seq 1 50); do
      redis-cli -h 127.0.0.1 -p 7006 ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    known=$(redis-cli -h 127.0.0.1 -p 7001 cluster info 2>/dev/null | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')
    if [ "${known:-0}" -lt 6 ]; then
      redis-cli --cluster create $(for p in $CLUSTER_PORTS; do printf '127.0.0.1:%s ' "$p"; done) \
        --cluster-replicas 1 --cluster-yes >/dev/null || true
    fi
    # Ready means settled, not only serving: every node reports the same three masters for
    # the same slots, none is flagged failing, and every replica has finished its sync. (A
    # restarted node's stale view or a replica still loading its master's data right after a
    # failover test once left a later test binary's calls for one master's slots timing out.)
    for _ in $(seq 1 600); do
      cluster_settled && break
      sleep 0.1
    done
    cluster_settled || { echo "services: the Redis Cluster has not settled:"; cluster_views; }
  fi
fi
exit 0

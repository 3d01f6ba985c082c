#!/usr/bin/env bash
# A throwaway 6-node Redis Cluster (3 masters, 3 replicas) on free ports, for the cluster tests and .ci/run.
#   redis-cluster.sh start DIR   starts it with its files under DIR; prints REDIS_CLUSTER_NODES (host:port,...)
#   redis-cluster.sh restart DIR PORT   starts a node again (after a kill: it rejoins as a replica)
#   redis-cluster.sh stop DIR    kills the nodes it started (by their pid files) and removes DIR
# No persistence (--save '' --appendonly no); cluster-node-timeout 1 s so a killed master fails over in ~2 s.
# Never touches a Redis it did not start (the machine's 6379 included).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR | restart DIR PORT" >&2; exit 2; }

start_node() {
  redis-server --port "$1" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$dir/$1/nodes.conf" --cluster-node-timeout 1000 \
    --dir "$dir/$1" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/$1/redis.pid" --logfile "$dir/$1/redis.log"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
start)
  mkdir -p "$dir"
  ports=()
  # Below the kernel's ephemeral range (32768+ by default), bus ports included: an outgoing connection's
  # local port would otherwise make a node's bind fail now and then.
  p=$((10000 + RANDOM % 12000))
  while [ ${#ports[@]} -lt 6 ]; do
    # The cluster bus listens on port + 10000: both must be free.
    if port_free "$p" && port_free $((p + 10000)); then ports+=("$p"); fi
    p=$((p + 1))
  done
  for port in "${ports[@]}"; do
    mkdir -p "$dir/$port"
    start_node "$port"
  done
  for port in "${ports[@]}"; do
    up=0
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && up=1 && break; sleep 0.1; done
    [ $up = 1 ] || { echo "redis cluster node $port did not start: $(tail -3 "$dir/$port/redis.log" 2>/dev/null)" >&2; exit 1; }
  done
  addrs=()
  for port in "${ports[@]}"; do addrs+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1
  for _ in $(seq 1 100); do
    ok=1
    for port in "${ports[@]}"; do
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
    done
    [ $ok = 1 ] && break
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "redis cluster in $dir did not reach cluster_state:ok" >&2; exit 1; }
  # ...and every replica has finished its first sync, or a write that waits for one (WAIT) times out.
  for _ in $(seq 1 300); do
    synced=1
    for port in "${ports[@]}"; do
      info=$(redis-cli -p "$port" info replication 2>/dev/null || true)
      if echo "$info" | grep -q 'role:slave'; then
        echo "$info" | grep -q 'master_link_status:up' || synced=0
        echo "$info" | grep -q 'master_sync_in_progress:1' && synced=0
      fi
    done
    [ $synced = 1 ] && break
    sleep 0.1
  done
  [ $synced = 1 ] || { echo "redis cluster in $dir: replicas did not sync" >&2; exit 1; }
  nodes=$(IFS=,; echo "${addrs[*]}")
  echo "$nodes" >"$dir/nodes"
  echo "$nodes"
  ;;
restart)
  # A node killed earlier comes back with its nodes.conf: it rejoins, as a replica if it lost its slots.
  port="${3:?usage: $0 restart DIR PORT}"
  [ -f "$dir/$port/nodes.conf" ] || { echo "no node $port under $dir" >&2; exit 2; }
  start_node "$port"
  for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  ;;
stop)
  [ -d "$dir" ] || exit 0
  for pidfile in "$dir"/*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only a redis-server we started: the pid file is ours, and the process must still be redis-server.
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "redis-server" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR | restart DIR PORT" >&2
  exit 2
  ;;
esac

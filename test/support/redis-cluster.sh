#!/usr/bin/env bash
# A throwaway 6-node Redis Cluster (3 masters, 3 replicas) on free ports, for the cluster tests and .ci/run.
#   redis-cluster.sh start DIR   starts it with its files under DIR; prints REDIS_CLUSTER_NODES (host:port,...)
#   redis-cluster.sh stop DIR    kills the nodes it started (by their pid files) and removes DIR
# No persistence (--save '' --appendonly no); cluster-node-timeout 1 s so a killed master fails over in ~2 s.
# Never touches a Redis it did not start (the machine's 6379 included).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
start)
  mkdir -p "$dir"
  ports=()
  p=$((20000 + RANDOM % 20000))
  while [ ${#ports[@]} -lt 6 ]; do
    # The cluster bus listens on port + 10000: both must be free.
    if port_free "$p" && port_free $((p + 10000)); then ports+=("$p"); fi
    p=$((p + 1))
  done
  for port in "${ports[@]}"; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 1000 \
      --dir "$dir/$port" --save '' --appendonly no --daemonize yes \
      --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
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
  nodes=$(IFS=,; echo "${addrs[*]}")
  echo "$nodes" >"$dir/nodes"
  echo "$nodes"
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
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac

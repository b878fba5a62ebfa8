#!/usr/bin/env bash
# fulcrum, HAProxy and nginx side by side on loopback (issue 7), and the backend hit directly.
# `make bench` runs it after scripts/install-deps.sh --bench. Not a test: it prints figures.
#
#   bench/compare.sh [BUILD_DIR]
#
# Environment (defaults):
#   ROUNDS=3         rounds; each round runs every contender once per configuration, in turn
#   DURATION=5       seconds per wrk run
#   CONFIGS="small:50 4k:200"   body:connections pairs; body is small (6 B), 4k or 64k
#   BACKEND=nginx    what serves the bodies: nginx (static, one worker), fulcrum (two
#                    fulcrum-backend processes), or "nginx fulcrum": one after the other, one table
#   CONTENDERS="direct haproxy nginx fulcrum"
#   WARMUP=2         seconds of load per contender before the first round
#   NGINX_KEEPALIVE=256   idle upstream connections nginx keeps (its default, 64, reconnects
#                    under 200 client connections)
#   OUT=/tmp/fulcrum-compare.XXXXXX   configurations, logs and results.tsv
# The defaults take about two and a half minutes.
#
# Every proxy does the same job: one worker (fulcrum --mode sp; HAProxy nbthread 1; nginx
# worker_processes 1), round-robin over the same two backend ports, keep-alive to the backends,
# no logging, no health checks. The proxy runs on CPU 0; wrk (one thread) and the backends share
# CPU 1, so the proxy's core is what is measured. Per run: req/s, p50 and p99 from wrk (exact, via
# wrk_stats.lua), and the proxy's CPU time (utime + stime from /proc, its processes summed) per
# request; for "direct", the backend's. The table gives medians over the rounds with min-max, and
# ratios to HAProxy and to direct taken within each round (the machine's load drifts between
# rounds, less within one), and how much of CPU 0 other processes used during the runs: a shared
# machine disturbs some runs, and the column says which.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-build}" && pwd)
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
configs=${CONFIGS:-"small:50 4k:200"}
backend_kind=${BACKEND:-nginx}
contenders=${CONTENDERS:-"direct haproxy nginx fulcrum"}
warmup=${WARMUP:-2}
nginx_keepalive=${NGINX_KEEPALIVE:-256}

die() { echo "compare.sh: $*" >&2; exit 1; }
say() { echo "[$(date +%T)] $*" >&2; }

for tool in wrk haproxy nginx curl python3 taskset pgrep; do
  command -v "$tool" >/dev/null || die "$tool is missing: scripts/install-deps.sh --bench installs it"
done
[[ -x $build/fulcrum && -x $build/fulcrum-backend ]] || die "no fulcrum in $build: build it first"
for b in $backend_kind; do
  case $b in nginx | fulcrum) ;; *) die "BACKEND must be nginx, fulcrum or both" ;; esac
done
for c in $contenders; do
  case $c in direct | haproxy | nginx | fulcrum) ;; *) die "unknown contender $c" ;; esac
done
for cfg in $configs; do
  [[ $cfg =~ ^(small|4k|64k):[0-9]+$ ]] || die "bad configuration $cfg (body:connections)"
done

out=${OUT:-$(mktemp -d /tmp/fulcrum-compare.XXXXXX)}
mkdir -p "$out"
chmod 755 "$out"  # nginx's workers run as nobody when started by root, and read the bodies here

if [[ $backend_kind == *" "* ]]; then  # each backend in a run of its own, then one table
  for b in $backend_kind; do
    OUT=$out/$b BACKEND=$b "${BASH_SOURCE[0]}" "$build" >/dev/null
  done
  { head -1 "$out/${backend_kind%% *}/results.tsv"
    for b in $backend_kind; do tail -n +2 "$out/$b/results.tsv"; done; } >"$out/results.tsv"
  { head -2 "$out/${backend_kind%% *}/table.md"; python3 "$here/compare_table.py" "$out/results.tsv"; } |
    sed "1s/backend ${backend_kind%% *}/backends ${backend_kind// / and }/" | tee "$out/table.md"
  exit 0
fi

proxy_cpus=0 load_cpus=1
if [[ $(nproc) -lt 2 ]]; then
  say "one CPU only: nothing is pinned, and the proxy shares its core with the load"
  proxy_cpus=0 load_cpus=0
fi

# ---- processes: every one started here is a background job, stopped on exit
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start NAME CPUS COMMAND...: runs the command in the foreground of a background job.
declare -A root
start() {
  local name=$1 cpus=$2
  shift 2
  taskset -c "$cpus" "$@" >"$out/$name.log" 2>&1 &
  pids+=("$!")
  root[$name]=$!
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on port $1 after 10 s (see $out/*.log)"
}
# A process and its children (nginx: master and worker).
tree() { echo "$1" $(pgrep -P "$1" || true); }
# utime + stime of processes, in clock ticks.
cpu_ticks() {
  local p sum=0 stat fields
  for p in "$@"; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -ra fields <<<"${stat##*) }"
    sum=$((sum + fields[11] + fields[12]))
  done
  echo "$sum"
}
# Busy ticks of CPU 0 outside interrupts (user, nice, system).
cpu0_busy() { awk '$1 == "cpu0" {print $2 + $3 + $4}' /proc/stat; }

read -r b1 b2 p_haproxy p_nginx p_fulcrum < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

# ---- backends
path_of() {  # body -> request path on the backend
  if [[ $backend_kind == nginx ]]; then echo "/$1"; else
    case $1 in small) echo /bytes/6 ;; 4k) echo /bytes/4096 ;; 64k) echo /bytes/65536 ;; esac
  fi
}
nginx_main() {  # prefix: what both nginx configurations share
  cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log error;
events { worker_connections $max_conns; }
EOF
}
nginx_http() {  # prefix
  cat <<EOF
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path $1/tmp; proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp;
    uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
EOF
}
# Room for a few thousand connections, within whatever limit this machine grants.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[[ $nofile == unlimited ]] && nofile=65536
max_conns=$(((nofile - 200) / 2))
[[ $max_conns -gt 16384 ]] && max_conns=16384
if [[ $backend_kind == nginx ]]; then
  mkdir -p "$out/backend/tmp"
  head -c 4096 /dev/zero | tr '\0' a >"$out/backend/4k"
  head -c 65536 /dev/zero | tr '\0' b >"$out/backend/64k"
  chmod -R a+rX "$out/backend"
  {
    nginx_main "$out/backend"
    echo "http {"
    nginx_http "$out/backend"
    cat <<EOF
    server {
        listen 127.0.0.1:$b1 backlog=4096;
        listen 127.0.0.1:$b2 backlog=4096;
        location = /small { return 200 "hello\n"; }
        location = /4k { alias $out/backend/4k; }
        location = /64k { alias $out/backend/64k; }
    }
}
EOF
  } >"$out/backend.conf"
  start backend "$load_cpus" nginx -p "$out/backend" -e "$out/backend/error.log" -c "$out/backend.conf"
  backend_pids() { tree "${root[backend]}"; }
else
  start backend1 "$load_cpus" "$build/fulcrum-backend" --host 127.0.0.1 --port "$b1"
  start backend2 "$load_cpus" "$build/fulcrum-backend" --host 127.0.0.1 --port "$b2"
  backend_pids() { echo "${root[backend1]}" "${root[backend2]}"; }
fi
wait_port "$b1"
wait_port "$b2"

# ---- the proxies, all idle while another one is measured
cat >"$out/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn $max_conns
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
frontend fe
    bind 127.0.0.1:$p_haproxy
    default_backend be
backend be
    balance roundrobin
    server b1 127.0.0.1:$b1
    server b2 127.0.0.1:$b2
EOF
mkdir -p "$out/nginx/tmp"
{
  nginx_main "$out/nginx"
  echo "http {"
  nginx_http "$out/nginx"
  cat <<EOF
    upstream backends {
        server 127.0.0.1:$b1;
        server 127.0.0.1:$b2;
        keepalive $nginx_keepalive;
        keepalive_requests 1000000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$p_nginx backlog=4096;
        location / {
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
} >"$out/nginx.conf"

port_of() {
  case $1 in direct) echo "$b1" ;; haproxy) echo "$p_haproxy" ;; nginx) echo "$p_nginx" ;;
    fulcrum) echo "$p_fulcrum" ;; esac
}
for c in $contenders; do
  case $c in
    haproxy) start haproxy "$proxy_cpus" haproxy -db -f "$out/haproxy.cfg" ;;
    nginx) start nginx "$proxy_cpus" nginx -p "$out/nginx" -e "$out/nginx/error.log" -c "$out/nginx.conf" ;;
    fulcrum)
      start fulcrum "$proxy_cpus" "$build/fulcrum" --mode sp --host 127.0.0.1 -p "$p_fulcrum" \
        -b "127.0.0.1:$b1" -b "127.0.0.1:$b2" -l err --no-health-checks
      ;;
    direct) continue ;;
  esac
  wait_port "$(port_of "$c")"
done

for c in $contenders; do
  for cfg in $configs; do
    path=$(path_of "${cfg%%:*}")
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(port_of "$c")$path")
    [[ $status == 200 ]] || die "$c answers $status to GET $path"
  done
done

# ---- measuring
measured_pids() {
  if [[ $1 == direct ]]; then backend_pids; else tree "${root[$1]}"; fi
}
results=$out/results.tsv
printf 'backend\tbody\tconns\tround\tcontender\trps\tp50_us\tp99_us\tcpu_us_per_req\terrors\tcpu0_others_pct\n' >"$results"
hz=$(getconf CLK_TCK)

# run CONTENDER BODY CONNS ROUND: one wrk run, appended to results.tsv.
run() {
  local c=$1 body=$2 conns=$3 r=$4 pids log t0 t1 busy0 busy1 stats
  pids=$(measured_pids "$c")
  log=$out/wrk.$body.$conns.$r.$c.log
  t0=$(cpu_ticks $pids)
  busy0=$(cpu0_busy)
  taskset -c "$load_cpus" wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$here/wrk_stats.lua" \
    "http://127.0.0.1:$(port_of "$c")$(path_of "$body")" >"$log" 2>&1 || true
  t1=$(cpu_ticks $pids)
  busy1=$(cpu0_busy)
  stats=$(grep '^STATS ' "$log" | head -1) || die "wrk gave no result (see $log)"
  awk -v stats="${stats#STATS }" -v c="$c" -v body="$body" -v conns="$conns" -v r="$r" \
    -v backend="$backend_kind" -v cpu=$((t1 - t0)) -v busy=$((busy1 - busy0)) -v hz="$hz" \
    -v proxy_on_cpu0=$([[ $c == direct ]] && echo 0 || echo 1) 'BEGIN {
      n = split(stats, kv, " ")
      for (i = 1; i <= n; i++) { split(kv[i], f, "="); s[f[1]] = f[2] }
      secs = s["duration_us"] / 1e6
      others = busy - (proxy_on_cpu0 ? cpu : 0)
      printf "%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t%d\t%.2f\t%d\t%.0f\n", backend, body, conns, r, c,
        s["requests"] / secs, s["p50_us"], s["p99_us"], cpu / hz * 1e6 / s["requests"],
        s["errors"] + s["non2xx"], others < 0 ? 0 : 100 * others / hz / secs
    }' >>"$results"
}

say "output in $out; warm-up ${warmup}s per contender"
for c in $contenders; do
  taskset -c "$load_cpus" wrk -t1 -c50 -d"${warmup}s" \
    "http://127.0.0.1:$(port_of "$c")$(path_of small)" >"$out/warmup.$c.log" 2>&1 || true
done
for cfg in $configs; do
  body=${cfg%%:*} conns=${cfg#*:}
  for r in $(seq "$rounds"); do
    say "$body body, $conns connections: round $r of $rounds"
    for c in $contenders; do run "$c" "$body" "$conns" "$r"; done
  done
done

{
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r);" \
    "$(haproxy -v 2>&1 | awk 'NR == 1 {print "HAProxy " $3}'), $(nginx -v 2>&1 | sed 's|.*nginx/|nginx |')," \
    "backend $backend_kind; ${duration}s per run, $rounds round(s) of every contender per configuration"
  echo
  python3 "$here/compare_table.py" "$results"
} | tee "$out/table.md"

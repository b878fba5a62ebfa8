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
#   BACKEND=nginx    what serves the bodies: nginx (static, one worker), fulcrum (one
#                    fulcrum-backend process per port), or "nginx fulcrum": one after the other,
#                    one table
#   BACKENDS=2       backend ports the proxies balance over, 1 or 2; "direct" uses the first.
#                    Issue 2's figure is BACKEND=fulcrum BACKENDS=1 CONFIGS=small:200
#                    CONTENDERS="direct fulcrum": one fulcrum-backend, directly and through fulcrum
#   CONTENDERS="direct direct-busy haproxy nginx fulcrum relay" (with WORKERS > 1 neither
#                    direct-busy nor relay); "relay" is build/relay_floor, a proxy with no HTTP at
#                    all (each client connection paired with a backend connection, bytes passed
#                    through): its CPU per request is the kernel's share of any proxy's, the floor
#                    under the others (one worker only). "direct-busy" is direct while a busy loop
#                    holds CPU 0, the proxy's core: where two CPUs share a physical core or a
#                    power budget (as virtual CPUs may), a busy CPU 0 slows CPU 1, so this, not
#                    direct, is the most a proxy that keeps CPU 0 busy can reach
#   WARMUP=2         seconds of load per contender before the first round
#   NGINX_KEEPALIVE=256   idle upstream connections nginx keeps (its default, 64, reconnects
#                    under 200 client connections)
#   WORKERS=1        workers of each proxy. 1: pinned, as below. N > 1: fulcrum --mode mp -w N
#                    --no-affinity, HAProxy nbthread N, nginx worker_processes N, wrk -tN, and
#                    nothing pinned: proxies, backends and wrk share all CPUs
#   OUT=/tmp/fulcrum-compare.XXXXXX   configurations, logs, results.tsv and cpu.tsv
# The defaults take about two and a half minutes.
#
# Every proxy does the same job: one worker (fulcrum --mode sp; HAProxy nbthread 1; nginx
# worker_processes 1), round-robin over the same two backend ports, keep-alive to the backends,
# no logging, no health checks. The proxy runs on CPU 0; wrk (one thread) and the backends share
# CPU 1, so the proxy's core is what is measured. Per run: req/s, p50 and p99 from wrk (exact, via
# wrk_stats.lua), and the proxy's CPU time (utime + stime from /proc, summed over its process and
# the processes it forked: nginx's and fulcrum mp's workers; HAProxy's threads are in its one
# process's figure) per request; for "direct", the backend's. cpu.tsv has each process's share.
# The table gives medians over the rounds with min-max, and ratios to HAProxy and to direct taken
# within each round (the machine's load drifts between rounds, less within one), and how much of
# CPU 0 other processes used during the runs: a shared machine disturbs some runs, and the column
# says which.
#
# WORKERS=2 (issue 7: two workers against HAProxy with two threads and nginx with two workers,
# unpinned) runs the same job with every proxy's workers free to use every CPU, as are the
# backends and wrk's threads; fulcrum's own pinning of its workers is turned off, as HAProxy and
# nginx do not pin theirs by default. Throughput is then bounded by the whole machine, wrk and the
# backends included, so req/s is the figure it is for; CPU per request still counts only the
# proxy. Its last column is what other processes used of all CPUs (in % of one CPU: busy time of
# all CPUs less that of the proxy, the backends and wrk).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-build}" && pwd)
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
configs=${CONFIGS:-"small:50 4k:200"}
backend_kind=${BACKEND:-nginx}
backend_count=${BACKENDS:-2}
warmup=${WARMUP:-2}
nginx_keepalive=${NGINX_KEEPALIVE:-256}
workers=${WORKERS:-1}
# The relay has one worker: it is left out of the default set when the proxies have more.
default_contenders="direct haproxy nginx fulcrum"
if [[ $workers == 1 ]]; then default_contenders="direct direct-busy haproxy nginx fulcrum relay"; fi
contenders=${CONTENDERS:-$default_contenders}

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
  case $c in direct | direct-busy | haproxy | nginx | fulcrum | relay) ;; *) die "unknown contender $c" ;; esac
  [[ $c != direct-busy || $workers == 1 ]] || die "direct-busy keeps the proxy's CPU busy: WORKERS=1 only"
  [[ $c != relay || $workers == 1 ]] || die "the relay has one worker: WORKERS=1 only"
  [[ $c != relay || -x $build/relay_floor ]] || die "no relay_floor in $build: build it first"
done
for cfg in $configs; do
  [[ $cfg =~ ^(small|4k|64k):[0-9]+$ ]] || die "bad configuration $cfg (body:connections)"
done
[[ $workers =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a number of workers, 1 or more"
[[ $backend_count == 1 || $backend_count == 2 ]] || die "BACKENDS must be 1 or 2"

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

# Where the proxies and the load (wrk, backends) run: CPU lists for taskset (unpinned: the ones
# this script may use, so taskset changes nothing; it still execs, so that $! is the command's pid).
# watched: the line of /proc/stat whose busy time, less ours, is what others used.
if [[ $workers -gt 1 ]]; then
  pinned=0 watched=cpu
  proxy_cpus=$(taskset -cp $$ | awk '{print $NF}') load_cpus=$proxy_cpus
  fulcrum_mode=(--mode mp -w "$workers" --no-affinity)
else
  pinned=1 proxy_cpus=0 load_cpus=1 watched=cpu0
  if [[ $(nproc) -lt 2 ]]; then
    say "one CPU only: nothing is pinned, and the proxy shares its core with the load"
    proxy_cpus=0 load_cpus=0
    if [[ " $contenders " == *" direct-busy "* ]]; then
      say "direct-busy left out: its busy loop needs a CPU of its own"
      contenders=$(tr ' ' '\n' <<<"$contenders" | grep -vx direct-busy | xargs)
    fi
  fi
  fulcrum_mode=(--mode sp)
fi
wrk_threads=$workers

# ---- processes: every one started here is a background job, stopped on exit
pids=()
spinner=  # direct-busy's busy loop, while it runs
stop_spinner() {
  [[ -n $spinner ]] || return 0
  kill "$spinner" 2>/dev/null || true
  wait "$spinner" 2>/dev/null || true
  spinner=
}
stop_all() {
  local p
  stop_spinner
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
# A process and its children (nginx: master and workers; fulcrum mp: master and workers).
tree() { echo "$1" $(pgrep -P "$1" || true); }
# "pid name ticks" for each process: utime + stime in clock ticks, all of its threads included.
ticks_each() {
  local p stat fields name
  for p in "$@"; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -ra fields <<<"${stat##*) }"
    name=${stat#*(} name=${name%%) *}
    echo "$p ${name// /_} $((fields[11] + fields[12]))"
  done
}
# utime + stime of processes, in clock ticks, summed.
cpu_ticks() { ticks_each "$@" | awk '{ sum += $3 } END { print sum + 0 }'; }
# Busy ticks outside interrupts (user, nice, system) of the /proc/stat line $watched.
busy_ticks() { awk -v line="$watched" '$1 == line {print $2 + $3 + $4}' /proc/stat; }
# children_ticks VAR: sets VAR to the CPU time of this shell's finished children (wrk, once it
# has been waited for), in ticks. `times` must run in this shell, not in a subshell or a pipe.
children_ticks() {
  times >"$out/times.txt"
  printf -v "$1" '%s' "$(awk -v hz="$hz" 'NR == 2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%d", ((u[1] + s[1]) * 60 + u[2] + s[2]) * hz }' "$out/times.txt")"
}

read -r b1 b2 p_haproxy p_nginx p_fulcrum p_relay < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
backend_ports=("$b1" "$b2")
backend_ports=("${backend_ports[@]:0:$backend_count}")
# each TEMPLATE: one line per backend port, the port in place of each @.
each() { local port; for port in "${backend_ports[@]}"; do echo "${1//@/$port}"; done; }

# ---- backends
path_of() {  # body -> request path on the backend
  if [[ $backend_kind == nginx ]]; then echo "/$1"; else
    case $1 in small) echo /bytes/6 ;; 4k) echo /bytes/4096 ;; 64k) echo /bytes/65536 ;; esac
  fi
}
nginx_main() {  # prefix workers: what both nginx configurations share
  cat <<EOF
daemon off;
master_process on;
worker_processes $2;
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
    nginx_main "$out/backend" 1
    echo "http {"
    nginx_http "$out/backend"
    cat <<EOF
    server {
$(each '        listen 127.0.0.1:@ backlog=4096;')
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
  for port in "${backend_ports[@]}"; do
    start "backend$port" "$load_cpus" "$build/fulcrum-backend" --host 127.0.0.1 --port "$port"
  done
  backend_pids() { local port; for port in "${backend_ports[@]}"; do echo "${root[backend$port]}"; done; }
fi
for port in "${backend_ports[@]}"; do wait_port "$port"; done

# ---- the proxies, all idle while another one is measured
cat >"$out/haproxy.cfg" <<EOF
global
    nbthread $workers
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
$(each '    server b@ 127.0.0.1:@')
EOF
mkdir -p "$out/nginx/tmp"
{
  nginx_main "$out/nginx" "$workers"
  echo "http {"
  nginx_http "$out/nginx"
  cat <<EOF
    upstream backends {
$(each '        server 127.0.0.1:@;')
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
  case $1 in direct | direct-busy) echo "$b1" ;; haproxy) echo "$p_haproxy" ;; nginx) echo "$p_nginx" ;;
    fulcrum) echo "$p_fulcrum" ;; relay) echo "$p_relay" ;; esac
}
for c in $contenders; do
  case $c in
    haproxy) start haproxy "$proxy_cpus" haproxy -db -f "$out/haproxy.cfg" ;;
    nginx) start nginx "$proxy_cpus" nginx -p "$out/nginx" -e "$out/nginx/error.log" -c "$out/nginx.conf" ;;
    fulcrum)
      start fulcrum "$proxy_cpus" "$build/fulcrum" "${fulcrum_mode[@]}" --host 127.0.0.1 -p "$p_fulcrum" \
        $(each '-b 127.0.0.1:@') -l err --no-health-checks
      ;;
    relay) start relay "$proxy_cpus" "$build/relay_floor" "$p_relay" $(each '@') ;;
    direct | direct-busy) continue ;;
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
is_direct() { [[ $1 == direct || $1 == direct-busy ]]; }
measured_pids() {
  if is_direct "$1"; then backend_pids; else tree "${root[$1]}"; fi
}
results=$out/results.tsv
printf 'backend\tworkers\tbody\tconns\tround\tcontender\trps\tp50_us\tp99_us\tcpu_us_per_req\terrors\tothers_pct\n' >"$results"
cpu_split=$out/cpu.tsv  # each measured process's share of the CPU time in results.tsv
printf 'backend\tbody\tconns\tround\tcontender\tpid\tname\tticks\n' >"$cpu_split"
hz=$(getconf CLK_TCK)

# run CONTENDER BODY CONNS ROUND: one wrk run, appended to results.tsv (and its processes' CPU
# times to cpu.tsv).
run() {
  local c=$1 body=$2 conns=$3 r=$4 pids backends log each0 each1 back0 back1 busy0 busy1 w0 w1 \
    stats deltas cpu ours spun=
  pids=$(measured_pids "$c")
  backends=$(is_direct "$c" || backend_pids)
  log=$out/wrk.$body.$conns.$r.$c.log
  each0=$(ticks_each $pids)
  back0=$(cpu_ticks $backends)
  busy0=$(busy_ticks)
  if [[ $c == direct-busy ]]; then
    # Bounded, should this script die without its exit trap.
    taskset -c "$proxy_cpus" timeout $((duration + 60)) bash -c 'while :; do :; done' &
    spinner=$!
  fi
  children_ticks w0
  taskset -c "$load_cpus" wrk -t"$wrk_threads" -c"$conns" -d"${duration}s" --latency \
    -s "$here/wrk_stats.lua" "http://127.0.0.1:$(port_of "$c")$(path_of "$body")" >"$log" 2>&1 || true
  children_ticks w1
  busy1=$(busy_ticks)
  if [[ -n $spinner ]]; then
    spun=$(cpu_ticks $(tree "$spinner"))
    stop_spinner
  fi
  back1=$(cpu_ticks $backends)
  each1=$(ticks_each $pids)
  stats=$(grep '^STATS ' "$log" | head -1) || die "wrk gave no result (see $log)"
  # Each process's ticks during the run (one that ended during it counts nothing), and their sum.
  deltas=$(awk 'NR == FNR { t0[$1] = $3; next } $1 in t0 { print $1 "\t" $2 "\t" $3 - t0[$1] }' \
    <(echo "$each0") <(echo "$each1"))
  sed "s/^/$backend_kind\t$body\t$conns\t$r\t$c\t/" <<<"$deltas" >>"$cpu_split"
  cpu=$(awk -F'\t' '{ sum += $3 } END { print sum + 0 }' <<<"$deltas")
  # What of the watched CPUs' busy time is ours: pinned, the proxy's on its own CPU; unpinned,
  # the proxy's, the backends' and wrk's.
  if [[ -n $spun ]]; then
    ours=$spun  # the busy loop's time on CPU 0 is the run's design, not a disturbance
  elif [[ $pinned == 1 ]]; then
    ours=$([[ $c == direct ]] && echo 0 || echo "$cpu")
  else
    ours=$((cpu + back1 - back0 + w1 - w0))
  fi
  awk -v stats="${stats#STATS }" -v c="$c" -v body="$body" -v conns="$conns" -v r="$r" \
    -v backend="$backend_kind" -v workers="$workers" -v cpu="$cpu" -v busy=$((busy1 - busy0)) \
    -v ours="$ours" -v hz="$hz" 'BEGIN {
      n = split(stats, kv, " ")
      for (i = 1; i <= n; i++) { split(kv[i], f, "="); s[f[1]] = f[2] }
      secs = s["duration_us"] / 1e6
      others = busy - ours
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t%d\t%.2f\t%d\t%.0f\n", backend, workers, body,
        conns, r, c, s["requests"] / secs, s["p50_us"], s["p99_us"], cpu / hz * 1e6 / s["requests"],
        s["errors"] + s["non2xx"], others < 0 ? 0 : 100 * others / hz / secs
    }' >>"$results"
}

say "output in $out; warm-up ${warmup}s per contender"
for c in $contenders; do
  [[ $c == direct-busy ]] && continue  # direct's warm-up is its own
  taskset -c "$load_cpus" wrk -t"$wrk_threads" -c50 -d"${warmup}s" \
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
    "backend $backend_kind ($backend_count port(s)); ${duration}s per run, $rounds round(s) of every contender per configuration;" \
    "$([[ $pinned == 0 ]] && echo "$workers workers each (fulcrum --mode mp), wrk $wrk_threads threads, nothing pinned" ||
      echo "one worker each on CPU $proxy_cpus, wrk and backends on CPU $load_cpus")"
  echo
  python3 "$here/compare_table.py" "$results"
} | tee "$out/table.md"

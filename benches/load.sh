#!/usr/bin/env bash
# HTTP load benchmark of tencent-webhook over loopback, one command from the repo root:
#
#     bash benches/load.sh
#
# For each framework (axum, actix-web, warp) it runs three servers, interleaved in one
# run: (a) `bare`, a handler that takes the body and returns the static OK envelope (the
# framework's limit here), (b) `hand`, the careful hand-written webhook handler
# (benches/lib.rs, `hand::handle`), (c) `core`, this middleware with token verification
# on. wrk sends the seed sample, signed as Tencent signs it, over keep-alive connections
# to 127.0.0.1 only. Reported: req/s, p50 and p99 latency, peak RSS (VmHWM) and CPU of the
# server, and the ratios c/a and c/b per framework.
#
# Fair by construction: every run gets a freshly signed request (the servers use the
# system clock and the default 60 s replay window; a run lasts ~WARMUP+DURATION s), the
# server is pinned to SERVER_CPUS with WORKERS runtime threads and wrk to CLIENT_CPUS, and
# the order of the 9 servers is reversed every other round so drift hits all alike, and
# every ratio is taken within a round (a, b, c of one framework run back to back), then
# the median over rounds is reported: on a shared VM the CPU share drifts. Every
# run first checks that one request is answered 200 with ActionStatus OK, and a run with
# any non-2xx answer or socket error is flagged.
#
# Two modes (MODES="bench examples" by default, each a full interleaved run of its own):
# `bench`, the servers of benches/servers with no tracing subscriber, and `examples`, as a
# new user runs the library: (c) is the example binary of that framework (examples/), with
# the INFO tracing subscriber it installs and one line printed per event (stdout to
# /dev/null), and (a), (b) are the bench servers with the same subscriber and one printed
# line per request (BENCH_LOG=1).
#
# Settings (environment): DURATION=4 (s measured per run), ROUNDS=3, WARMUP=1 (s),
# CONNECTIONS=32, FRAMEWORKS="axum actix warp", SERVER_CPUS=0, CLIENT_CPUS=1, WORKERS=1,
# PORT=18180 (first port; each run takes the next), NICE (-19 as root, else 0),
# OUT=<target dir>/load (raw outputs and summary.md). Needs root or sudo only to install
# wrk when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-4}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
FRAMEWORKS=${FRAMEWORKS:-"axum actix warp"}
MODES=${MODES:-"bench examples"}
VARIANTS="bare hand core"
SERVER_CPUS=${SERVER_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
WORKERS=${WORKERS:-1}
PORT=${PORT:-18180}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=${OUT:-$TARGET_DIR/load}

log() { printf '== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (Debian package)"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
# Priority: as root, server and wrk run at nice -19 so that other jobs on a shared machine
# (a compiler, an indexer) take as little of their CPU as possible.
if [ -z "${NICE+x}" ]; then
    if [ "$(id -u)" -eq 0 ]; then NICE=-19; else NICE=0; fi
fi
PIN_SERVER=(nice -n "$NICE")
PIN_CLIENT=(nice -n "$NICE")
if command -v taskset >/dev/null 2>&1 && [ -n "$SERVER_CPUS" ] && [ -n "$CLIENT_CPUS" ]; then
    PIN_SERVER+=(taskset -c "$SERVER_CPUS")
    PIN_CLIENT+=(taskset -c "$CLIENT_CPUS")
else
    log "taskset unavailable or pinning disabled: server and wrk share all CPUs"
fi

log "building the servers (release)"
cargo build --release --quiet -p tencent-webhook-benches --bins
case " $MODES " in *" examples "*) cargo build --release --quiet -p tencent-webhook-examples --examples ;; esac
BIN=$TARGET_DIR/release

# --- scratch space and cleanup -----------------------------------------------------------
mkdir -p "$OUT"
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
LUA
export BODY_FILE="$TMP/body.json"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

wait_for_port() {
    local port=$1 i
    for i in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# One request by hand (bash's /dev/tcp): must be 200 with the OK envelope.
check_once() {
    local port=$1 path_and_query=$2 body response
    body=$(cat "$BODY_FILE")
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$path_and_query" "${#body}" "$body" >&3
    response=$(timeout 5 cat <&3 || true)
    exec 3<&-
    case "$response" in
    "HTTP/1.1 200"*'"ActionStatus":"OK"'*) return 0 ;;
    *)
        printf '%s\n' "$response" | head -5 >&2
        return 1
        ;;
    esac
}

# wrk's latency figure (e.g. 310.12us, 1.02ms, 2.00s) in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") m = 1; else if (u == "ms") m = 1000; else if (u == "s") m = 1000000;
        else if (u == "m") m = 60000000; else m = 1
        printf "%.1f", n * m }'
}

run_mode() {
    MODE=$1
    SUFFIX=""
    [ "$MODE" = bench ] || SUFFIX="-$MODE"
RESULTS="$OUT/results$SUFFIX.tsv"
printf 'round\tframework\tvariant\treq_per_s\tp50_us\tp99_us\tpeak_rss_kib\tserver_cpu_pct\tnon_2xx\tsocket_errors\n' >"$RESULTS"

RUNS=()
for fw in $FRAMEWORKS; do for v in $VARIANTS; do RUNS+=("$fw:$v"); done; done

log "$(nproc) CPUs; server on CPU ${SERVER_CPUS:-any} with $WORKERS worker(s), wrk on CPU ${CLIENT_CPUS:-any}, nice $NICE; ${#RUNS[@]} servers x $ROUNDS rounds x ${DURATION}s (+${WARMUP}s warm-up), $CONNECTIONS connections"
for round in $(seq 1 "$ROUNDS"); do
    order=("${RUNS[@]}")
    if [ $((round % 2)) -eq 0 ]; then
        order=()
        for ((i = ${#RUNS[@]} - 1; i >= 0; i--)); do order+=("${RUNS[$i]}"); done
    fi
    for run in "${order[@]}"; do
        fw=${run%%:*}
        variant=${run##*:}
        port=$((port + 1))
        server_log="$OUT/server$SUFFIX-$fw-$variant.log"
        if [ "$MODE" = examples ] && [ "$variant" = core ]; then
            LISTEN_ADDR="127.0.0.1:$port" TENCENT_SDKAPPID=1400000000 TENCENT_CALLBACK_TOKEN=bench-callback-token \
                "${PIN_SERVER[@]}" "$BIN/examples/$fw" >/dev/null 2>"$server_log" &
        elif [ "$MODE" = examples ]; then
            BENCH_LOG=1 "${PIN_SERVER[@]}" "$BIN/bench-server-$fw" "$variant" "$port" "$WORKERS" >/dev/null 2>"$server_log" &
        else
            "${PIN_SERVER[@]}" "$BIN/bench-server-$fw" "$variant" "$port" "$WORKERS" >"$server_log" 2>&1 &
        fi
        SERVER_PID=$!
        if ! wait_for_port "$port"; then
            log "$MODE $fw $variant did not start; see $server_log"
            exit 1
        fi
        path_and_query=$("$BIN/bench-request" "$BODY_FILE")
        if ! check_once "$port" "$path_and_query"; then
            log "$fw $variant refused the signed sample"
            exit 1
        fi
        url="http://127.0.0.1:$port$path_and_query"
        "${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$TMP/post.lua" "$url" >/dev/null
        ticks0=$(cpu_ticks "$SERVER_PID")
        raw="$OUT/wrk$SUFFIX-r$round-$fw-$variant.txt"
        "${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$TMP/post.lua" "$url" >"$raw"
        ticks1=$(cpu_ticks "$SERVER_PID")
        rss=$(peak_rss_kib "$SERVER_PID")
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""

        rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
        p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$raw")")
        p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$raw")")
        non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$raw")
        errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$raw")
        cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$CLK_TCK" -v d="$DURATION" \
            'BEGIN {printf "%.0f", (b - a) / hz / d * 100}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$fw" "$variant" "$rps" "$p50" "$p99" \
            "$rss" "$cpu" "${non2xx:-0}" "${errors:-0}" >>"$RESULTS"
        log "$MODE round $round  $fw/$variant: $rps req/s  p50 ${p50}us  p99 ${p99}us  rss ${rss} KiB  cpu ${cpu}%  non-2xx ${non2xx:-0}  errors ${errors:-0}"
    done
done

# --- summary -----------------------------------------------------------------------------
SUMMARY="$OUT/summary$SUFFIX.md"
awk -F'\t' -v mode="$MODE" -v rounds="$ROUNDS" -v dur="$DURATION" -v conns="$CONNECTIONS" -v fws="$FRAMEWORKS" '
function median(list,    a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR == 1 { next }
{
    k = $2 SUBSEP $3; r = $1
    n[k]++; rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $8
    if ($7 > rss[k]) rss[k] = $7
    bad[k] += $9 + $10
    R[r, $2, $3] = $4; P[r, $2, $3] = $6
}
END {
    printf "Mode %s. Median of %d rounds x %d s, %d connections, wrk -t1 on loopback. Ratios: median of the\n", mode, rounds, dur, conns
    print "per-round ratios (a, b and c of one framework run back to back in every round)."
    print ""
    print "| framework | variant | req/s | p50 | p99 | peak RSS | server CPU | non-2xx + socket errors |"
    print "|---|---|---:|---:|---:|---:|---:|---:|"
    nf = split(fws, f, " ")
    split("bare hand core", v, " ")
    name["bare"] = "(a) bare"; name["hand"] = "(b) hand-written"; name["core"] = "(c) middleware"
    for (i = 1; i <= nf; i++) for (j = 1; j <= 3; j++) {
        k = f[i] SUBSEP v[j]
        if (!n[k]) continue
        printf "| %s | %s | %.0f | %.0f us | %.0f us | %.1f MiB | %.0f%% | %d |\n", f[i], name[v[j]],
            median(rps[k]), median(p50[k]), median(p99[k]), rss[k] / 1024, median(cpu[k]), bad[k]
    }
    print ""
    print "| framework | c/a req/s (target >= 0.80) | c/b req/s (target >= 1.25) | p99 c/a (target <= 1.30) | b/a req/s | per-round c/a | per-round c/b |"
    print "|---|---:|---:|---:|---:|---|---|"
    for (i = 1; i <= nf; i++) {
        ca = cb = pa = ba = ""
        for (r = 1; r <= rounds; r++) {
            if (!((r, f[i], "bare") in R) || !((r, f[i], "hand") in R) || !((r, f[i], "core") in R)) continue
            ca = ca " " R[r, f[i], "core"] / R[r, f[i], "bare"]
            cb = cb " " R[r, f[i], "core"] / R[r, f[i], "hand"]
            ba = ba " " R[r, f[i], "hand"] / R[r, f[i], "bare"]
            pa = pa " " P[r, f[i], "core"] / P[r, f[i], "bare"]
        }
        if (ca == "") continue
        mca = median(ca); mcb = median(cb); mpa = median(pa)
        lca = ""; lcb = ""
        nr = split(ca, x, " "); for (r = 1; r <= nr; r++) lca = lca sprintf("%s%.2f", r > 1 ? " " : "", x[r])
        nr = split(cb, x, " "); for (r = 1; r <= nr; r++) lcb = lcb sprintf("%s%.2f", r > 1 ? " " : "", x[r])
        printf "| %s | %.3f %s | %.3f %s | %.3f %s | %.3f | %s | %s |\n", f[i],
            mca, (mca >= 0.80 ? "met" : "MISSED"), mcb, (mcb >= 1.25 ? "met" : "MISSED"),
            mpa, (mpa <= 1.30 ? "met" : "MISSED"), median(ba), lca, lcb
    }
}' "$RESULTS" >"$SUMMARY"

    echo
    cat "$SUMMARY"
    echo
}

port=$PORT
for MODE in $MODES; do run_mode "$MODE"; done
log "raw wrk outputs and results*.tsv in $OUT"
bad_files=()
for MODE in $MODES; do
    if [ "$MODE" = bench ]; then bad_files+=("$OUT/results.tsv"); else bad_files+=("$OUT/results-$MODE.tsv"); fi
done
if cat "${bad_files[@]}" | awk -F'\t' '$1 != "round" && ($9 + $10) > 0 {bad = 1} END {exit !bad}'; then
    log "WARNING: some runs had non-2xx answers or socket errors (see the table)"
    exit 1
fi

#!/usr/bin/env bash
# Deterministic CPU cost per request: instructions counted by valgrind's callgrind, one
# command from the repo root:
#
#     bash benches/callgrind.sh
#
# Wall-clock req/s on a shared VM drifts by +-20 %; an instruction count does not (it
# differs by a fraction of a percent between runs). Two measures:
#
# - pipeline: `bench-count CONTENDER N` runs one contender of the criterion bench N times
#   in-process: (i) `value`, (ii) `hand`, the core `admit`, `staged` (admit + dispatch) and
#   `service` (the tower Service, with the body read).
# - servers: each load-test server (`bench-server-FW bare|hand|core`) answers N requests
#   from `bench-client`, one after another on one keep-alive connection; the instructions
#   of the whole server process are counted (every thread: the framework's HTTP work is
#   part of the cost).
#
# Every figure is (count with N2 requests - count with N1 requests) / (N2 - N1), so
# start-up, connection set-up, warm-up and shutdown cancel out. Needs valgrind (Debian
# package `valgrind`, 3.19 here); CI does not run this. Settings (environment): N1=200,
# N2=1200, FRAMEWORKS="axum actix warp", PIPELINE=1, SERVERS=1, EXAMPLES=0 (1: also the
# example binaries, with their INFO subscriber and one printed line per event, stdout to
# /dev/null, against (a) and (b) run in the same mode), PORT=18980,
# OUT=<target dir>/callgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

N1=${N1:-200}
N2=${N2:-1200}
FRAMEWORKS=${FRAMEWORKS:-"axum actix warp"}
PIPELINE=${PIPELINE:-1}
SERVERS=${SERVERS:-1}
EXAMPLES=${EXAMPLES:-0}
PORT=${PORT:-18980}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=${OUT:-$TARGET_DIR/callgrind}
BIN=$TARGET_DIR/release

log() { printf '== %s\n' "$*" >&2; }
command -v valgrind >/dev/null || { log "valgrind is needed (apt-get install valgrind)"; exit 1; }

log "building (release)"
cargo build --release --quiet -p tencent-webhook-benches --bins
if [ "$EXAMPLES" = 1 ]; then
    cargo build --release --quiet -p tencent-webhook-examples --examples
fi
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

CG=(valgrind --tool=callgrind --quiet)
total() { awk '/^(summary|totals):/ {t = $2} END {print t}' "$1"; }
per_request() { awk -v a="$1" -v b="$2" -v n1="$N1" -v n2="$N2" 'BEGIN {printf "%.0f", (b - a) / (n2 - n1)}'; }

RESULTS="$OUT/results.tsv"
printf 'what\tinstructions_per_request\n' >"$RESULTS"

if [ "$PIPELINE" = 1 ]; then
    for c in value hand admit staged service; do
        for n in "$N1" "$N2"; do
            "${CG[@]}" --callgrind-out-file="$OUT/pipeline-$c-$n.out" "$BIN/bench-count" "$c" "$n"
        done
        ipr=$(per_request "$(total "$OUT/pipeline-$c-$N1.out")" "$(total "$OUT/pipeline-$c-$N2.out")")
        printf 'pipeline/%s\t%s\n' "$c" "$ipr" >>"$RESULTS"
        log "pipeline $c: $ipr instructions/request"
    done
fi

wait_for_port() {
    local port=$1 i
    for i in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# One server under callgrind answering N requests: `count_server NAME N ENV CMD...`, where
# ENV is a space-separated list of VAR=value for the server (may be empty).
count_server() {
    local name=$1 n=$2 vars=$3 path_and_query
    shift 3
    PORT=$((PORT + 1))
    # shellcheck disable=SC2086
    env LISTEN_ADDR="127.0.0.1:$PORT" $vars "${CG[@]}" --callgrind-out-file="$OUT/$name-$n.out" "$@" "$PORT" \
        >/dev/null 2>"$OUT/$name-$n.log" &
    SERVER_PID=$!
    wait_for_port "$PORT" || { log "$name did not start: see $OUT/$name-$n.log"; exit 1; }
    path_and_query=$("$BIN/bench-request" "$TMP/body.json")
    "$BIN/bench-client" "$PORT" "$path_and_query" "$TMP/body.json" "$n" ||
        { log "$name refused a request"; exit 1; }
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# `server_env MODE VARIANT` and `server_cmd MODE FW VARIANT`: the environment and the
# command of one server (the port is appended; the examples read LISTEN_ADDR instead).
server_env() {
    case "$1:$2" in
    bench:*) echo "" ;;
    examples:core) echo "TENCENT_SDKAPPID=1400000000 TENCENT_CALLBACK_TOKEN=bench-callback-token" ;;
    examples:*) echo "BENCH_LOG=1" ;;
    esac
}
server_cmd() {
    case "$1:$3" in
    examples:core) echo "$BIN/examples/$2" ;;
    *) echo "$BIN/bench-server-$2 $3" ;;
    esac
}

MODES=""
[ "$SERVERS" = 1 ] && MODES="bench"
[ "$EXAMPLES" = 1 ] && MODES="$MODES examples"
for mode in $MODES; do
    for fw in $FRAMEWORKS; do
        for v in bare hand core; do
            name="$mode-$fw-$v"
            [ "$mode" = bench ] && name="server-$fw-$v"
            for n in "$N1" "$N2"; do
                # shellcheck disable=SC2046
                count_server "$name" "$n" "$(server_env "$mode" "$v")" $(server_cmd "$mode" "$fw" "$v")
            done
            ipr=$(per_request "$(total "$OUT/$name-$N1.out")" "$(total "$OUT/$name-$N2.out")")
            printf "%s\t%s\n" "${name//-//}" "$ipr" >>"$RESULTS"
            log "$mode $fw $v: $ipr instructions/request"
        done
    done
done

echo
column -t -s$'\t' "$RESULTS"
log "callgrind outputs in $OUT (callgrind_annotate FILE for the profile)"

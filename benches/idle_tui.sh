#!/usr/bin/env bash
# Idle cost of the devtop TUI, beside htop / btm / top when they are installed.
#
# Each tool runs in its own detached tmux session (own tmux server, 160x48) for WARMUP s, then
# its CPU time (utime+stime of /proc/<pid>/stat, whole process, in clock ticks) and its RSS
# (VmRSS sampled every second, VmHWM at the end) are measured over DURATION s. The tmux server
# that draws each tool's output is measured too ("tmux %": what the terminal side costs).
#
# Usage: benches/idle_tui.sh
#   DURATION=60     seconds measured per round
#   WARMUP=5        seconds between start and first sample
#   EXTRA=3000      after the round at the current population, spawn this many `sleep`
#                   processes and measure again (fresh tool instances)
#   TOTALS="300 3100"  instead of EXTRA: one round per total process count on the machine,
#                   topped up with `sleep` processes (never lowered)
#   TOOLS="devtop htop btm top"  tools to measure (missing ones are skipped)
#   REFRESH=1       refresh interval in seconds given to every tool (devtop's default is 1 s)
#   DEVTOP_BIN=path measure this devtop binary instead of building target/release/devtop
#   DB=1               devtop also probes three databases (PostgreSQL, MariaDB, SQLite)
#   DEV=36             start this many idle dev stand-ins (devtop's own stand-in mode, named
#                   node, argv of vite / tsx watch / prisma studio / next dev) in the work dir, and
#                   run devtop in project scope on it, so exactly these are its dev processes
#
# Everything started here (tmux sessions by name, sleepers by PID) is ended by the EXIT trap.
set -euo pipefail

DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
EXTRA=${EXTRA:-0}
TOTALS=${TOTALS:-}
TOOLS=${TOOLS:-devtop htop btm top}
REFRESH=${REFRESH:-1}

cd "$(dirname "$0")/.."
REPO=$PWD
HZ=$(getconf CLK_TCK)
TAG="devtop-idle-$$"
WORKDIR=$(mktemp -d)
SESSIONS=() # tmux sessions we created; each has its own server socket of the same name
SLEEPERS=() # PIDs of the sleep processes we spawned

stop_sessions() {
    local s
    for s in "${SESSIONS[@]}"; do
        tmux -L "$s" kill-session -t "$s" 2>/dev/null || true
    done
    SESSIONS=()
}

cleanup() {
    set +e
    stop_sessions
    if ((${#SLEEPERS[@]})); then
        kill -KILL -- "${SLEEPERS[@]}" 2>/dev/null
        wait "${SLEEPERS[@]}" 2>/dev/null
    fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

command -v tmux >/dev/null || {
    echo "tmux is missing (apt-get install -y tmux)" >&2
    exit 2
}

if [[ -n ${DEVTOP_BIN:-} ]]; then
    BIN=$(realpath "$DEVTOP_BIN")
else
    echo "building target/release/devtop ..." >&2
    cargo build --release --quiet --bin devtop
    BIN=$REPO/target/release/devtop
fi

count_procs() {
    local p=(/proc/[0-9]*)
    echo "${#p[@]}"
}

# Spawn sleepers until the machine has $1 more processes, within ulimit -u and pid_max.
spawn_sleepers() {
    local n=$1 now limit pid_max room i
    now=$(count_procs)
    limit=$(ulimit -u)
    pid_max=$(</proc/sys/kernel/pid_max)
    room=$((pid_max - now - 512))
    if [[ $limit != unlimited ]] && ((limit - now - 512 < room)); then
        room=$((limit - now - 512))
    fi
    if ((n > room)); then
        echo "only room for $room extra processes (ulimit -u $limit, pid_max $pid_max, $now running)" >&2
        n=$((room > 0 ? room : 0))
    fi
    echo "spawning $n sleepers ..." >&2
    for ((i = 0; i < n; i++)); do
        sleep 3600 </dev/null >/dev/null 2>&1 &
        SLEEPERS+=($!)
    done
}

# ticks PID: utime+stime of the whole process, in clock ticks.
ticks() {
    local s f
    s=$(<"/proc/$1/stat") || return 1
    s=${s##*) } # fields from 3 (state) on; comm may hold spaces
    read -r -a f <<<"$s"
    echo $((f[11] + f[12])) # fields 14 and 15
}

# status_kb PID KEY: a kB value of /proc/PID/status (VmRSS, VmHWM).
status_kb() {
    local k v _
    while read -r k v _; do
        if [[ $k == "$2:" ]]; then
            echo "$v"
            return 0
        fi
    done <"/proc/$1/status"
    return 1
}

# Idle dev stand-ins in $WORKDIR: the devtop binary run through a symlink named `node`.
spawn_dev() {
    local n=$1 i tool
    local tools=("vite --port 0" "tsx watch src/index.ts" "prisma studio --browser none" "next dev")
    mkdir -p "$WORKDIR/bin"
    ln -sf "$BIN" "$WORKDIR/bin/node"
    echo "starting $n dev stand-ins ..." >&2
    for ((i = 0; i < n; i++)); do
        tool=${tools[$((i % ${#tools[@]}))]}
        # shellcheck disable=SC2086 # split the tool's argv
        (cd "$WORKDIR" && DEVTOP_STANDIN=sleep DEVTOP_STANDIN_WATCH_PID=$$ \
            exec "$WORKDIR/bin/node" "$WORKDIR/node_modules/.bin/"$tool </dev/null >/dev/null 2>&1) &
        SLEEPERS+=($!)
    done
}

SCOPE=user
if ((${DEV:-0} > 0)); then
    SCOPE=project
fi

tool_cmd() {
    case $1 in
    devtop) echo "exec $BIN --scope $SCOPE --project $WORKDIR --config $WORKDIR/devtop.toml" ;;
    htop) echo "exec htop -d $((REFRESH * 10))" ;;
    btm) echo "exec btm --rate $((REFRESH * 1000))" ;;
    top) echo "exec top -d $REFRESH" ;;
    *) return 1 ;;
    esac
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
pct() { awk -v t="$1" -v hz="$HZ" -v d="$2" 'BEGIN { printf "%.3f", 100 * t / hz / d }'; }

# devtop takes its refresh interval from the config file.
printf 'refresh = "%ss"\n' "$REFRESH" >"$WORKDIR/devtop.toml"

# DB=1: also probe three databases every 5 s (db_interval default): local PostgreSQL, staging
# MariaDB, production SQLite — the servers of the dev machine (override with the URLs below).
if [[ ${DB:-0} == 1 ]]; then
    export DATABASE_URL=${BENCH_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
    export STAGING_DATABASE_URL=${BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
    mkdir -p "$WORKDIR/prisma"
    python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("create table if not exists t(x)")' "$WORKDIR/prisma/prod.db"
    export PRODUCTION_DATABASE_URL="file:./prod.db"
    printf '[[database]]\nname = "staging"\nurl_env = "STAGING_DATABASE_URL"\n[[database]]\nname = "production"\nurl_env = "PRODUCTION_DATABASE_URL"\n' >>"$WORKDIR/devtop.toml"
fi

ROWS=()
((${DEV:-0} > 0)) && spawn_dev "$DEV"

# One round: start every tool, wait, measure all of them over the same DURATION, stop them.
measure_round() {
    local label=$1 tools=() pids=() servers=() t0=() s0=() rss_sum=() rss_max=() i tool sess pid
    for tool in $TOOLS; do
        if [[ $tool != devtop ]] && ! command -v "$tool" >/dev/null; then
            echo "$tool not installed, skipped" >&2
            continue
        fi
        sess="$TAG-$tool"
        tmux -L "$sess" -f /dev/null new-session -d -s "$sess" -x 160 -y 48 -c "$WORKDIR" \
            "$(tool_cmd "$tool")"
        SESSIONS+=("$sess")
        tools+=("$tool")
    done
    sleep "$WARMUP"
    for i in "${!tools[@]}"; do
        sess="$TAG-${tools[$i]}"
        pids[i]=$(tmux -L "$sess" display-message -p -t "$sess" '#{pane_pid}' 2>/dev/null || echo 0)
        servers[i]=$(tmux -L "$sess" display-message -p -t "$sess" '#{pid}' 2>/dev/null || echo 0)
        if ((pids[i] == 0)) || [[ ! -e /proc/${pids[i]} ]]; then
            echo "${tools[$i]} did not stay up" >&2
            pids[i]=0
            continue
        fi
        t0[i]=$(ticks "${pids[i]}")
        s0[i]=$(ticks "${servers[i]}")
        rss_sum[i]=0
        rss_max[i]=0
    done
    local procs
    procs=$(count_procs)
    echo "round '$label': $procs processes on the machine, measuring ${tools[*]} for $DURATION s ..." >&2
    local n=0 sec kb
    for ((sec = 0; sec < DURATION; sec++)); do
        sleep 1
        n=$((n + 1))
        for i in "${!tools[@]}"; do
            ((pids[i])) || continue
            kb=$(status_kb "${pids[i]}" VmRSS || echo 0)
            rss_sum[i]=$((rss_sum[i] + kb))
            ((kb > rss_max[i])) && rss_max[i]=$kb
        done
    done
    for i in "${!tools[@]}"; do
        tool=${tools[$i]}
        if ((pids[i] == 0)) || [[ ! -e /proc/${pids[i]} ]]; then
            ROWS+=("| $label | $procs | $tool | - | exited | - | - | - | - |")
            continue
        fi
        local dt ds hwm last
        dt=$(($(ticks "${pids[i]}") - t0[i]))
        ds=$(($(ticks "${servers[i]}") - s0[i]))
        hwm=$(status_kb "${pids[i]}" VmHWM)
        last=$(status_kb "${pids[i]}" VmRSS)
        ROWS+=("| $label | $procs | $tool | $REFRESH s | $(pct "$dt" "$DURATION") | $(mb "$last") | $(mb $((rss_sum[i] / n))) | $(mb "$hwm") | $(pct "$ds" "$DURATION") |")
        if [[ $tool == devtop && -n ${SHOW:-} ]]; then
            tmux -L "$TAG-$tool" capture-pane -p -t "$TAG-$tool" | head -n 12 >&2
        fi
    done
    stop_sessions
}

if [[ -n $TOTALS ]]; then
    for total in $TOTALS; do
        need=$((total - $(count_procs)))
        ((need > 0)) && spawn_sleepers "$need"
        measure_round "~$total procs"
    done
else
    measure_round "current"
    if ((EXTRA > 0)); then
        spawn_sleepers "$EXTRA"
        measure_round "+$EXTRA sleepers"
    fi
fi

echo
echo "Idle cost over $DURATION s (after $WARMUP s warm-up), terminal 160x48, CLK_TCK=$HZ, $(nproc) CPUs:"
echo
echo "| round | processes | tool | refresh | CPU % of one core | RSS MB (end) | RSS MB (avg) | VmHWM MB | tmux server % |"
echo "|---|---:|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"

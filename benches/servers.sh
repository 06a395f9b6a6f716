#!/usr/bin/env bash
# Cost of devtop supervising chatty dev servers, and its readiness latency: the foreground
# `devtop up` (MODE=up, the default) or the dashboard (MODE=tui: `u` in a tmux, logs on screen).
#
# Starts SERVERS Python servers, each printing RATE lines a second (log lines with a token, so
# redaction works on every line) after opening its port at a random moment 0.5–1.5 s after its
# start. Then:
#  - devtop's CPU (utime+stime of /proc/<pid>/stat, % of one core) over DURATION s, and its
#    RSS (VmRSS sampled every second: the largest, and the series every 5 s; VmHWM at the end);
#  - readiness latency: each server writes the time it started listening and the time its
#    first connection (devtop's tcp probe) was accepted; the difference is how late devtop
#    saw the open port (probe every 50 ms: expected ≤ 50 ms + scheduling);
#  - the machine's load average before and after.
#
# MODE=up: `devtop up` in the foreground (it follows every log and prints it prefixed); its
# output goes to a file (as a terminal would consume it, without a terminal's cost).
#
# MODE=tui: the dashboard in a detached tmux (own server on socket devtop-bench-<pid>,
# COLS x ROWS) in the temp project, project scope. `u` starts the servers (the Servers screen,
# polled through capture-pane until all SERVERS rows say ready); then each view of VIEWS is
# shown for 2 s and measured over DURATION s, the tmux server's CPU too (what drawing the
# screen costs the terminal side):
#    servers  — screen 3: the Servers table and the Logs pane over all servers' output
#    one      — screen 3, `f`: the Logs pane over the first server's output only
#    popup    — screen 3, Enter: the first server's details popup with its log, following
#    processes — screen 1 (the Logs pane shows devtop's own messages; the logs still followed)
# The screen at the end of each view is checked for unredacted tokens. Then `d` (polled until
# all SERVERS rows say stopped) and `q`.
#
# Usage: benches/servers.sh
#   MODE=up      up | tui
#   DURATION=30  seconds measured (per view with MODE=tui)
#   SERVERS=5    servers
#   RATE=1000    lines per second per server
#   VIEWS="servers one popup processes"  (MODE=tui) views measured, in this order
#   COLS=120 ROWS=40   (MODE=tui) terminal size
#   SHOW=1       (MODE=tui) print the screen at the end of each view
#   LOG_LINES=n  `server_log_lines` of the config: lines kept per server (devtop's default 10,000)
#   DEVTOP_BIN=path   measure this binary instead of building target/release/devtop
#
# Everything started here is ended by the EXIT trap, by PID: MODE=up's devtop (SIGTERM: it
# stops the servers it started, in reverse order); MODE=tui's devtop (SIGTERM, same) and then
# the tmux server on this script's own socket; then `devtop down` for anything left.
#
# Recorded 2026-11-24, 5 servers x 1,000 lines/s, 2-core machine (tables in benches/results.md):
#   MODE=tui  release build of e0c10be, quiet (load average 0.5–1.3): 2.7–3.1 % of one core in
#             every view, RSS 17.8–18.3 MB (VmHWM the same; it grows only while each server's
#             10,000-line buffer fills), tmux 0.10–0.17 %, readiness 6–46 ms; b43e71e under
#             other builds (load 4.6–6.1): 2.3–3.3 %, 19.8–20.0 MB, readiness 5.7–51 ms
#   MODE=up   e0c10be, quiet: 3.8 % of one core, 8.3 MB, readiness 1.9–39 ms; b43e71e under
#             load: 2.5–2.8 %, 8.3 MB
set -euo pipefail

MODE=${MODE:-up}
DURATION=${DURATION:-30}
SERVERS=${SERVERS:-5}
RATE=${RATE:-1000}
VIEWS=${VIEWS:-servers one popup processes}
COLS=${COLS:-120}
ROWS=${ROWS:-40}
case $MODE in up | tui) ;; *)
    echo "MODE is up or tui" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/.."
if [[ -z "${DEVTOP_BIN:-}" ]]; then
    cargo build --release --quiet --bin devtop
    DEVTOP_BIN=$PWD/target/release/devtop
fi
DEVTOP_BIN=$(realpath "$DEVTOP_BIN")
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d)
DEVTOP_PID=   # devtop, once started (MODE=up: our child; MODE=tui: the tmux pane's process)
TMUX_SOCK=    # MODE=tui: our own tmux server's socket name, once started
TMUX_PID=     # and that server's PID
TMUX_PATH=    # and its socket file (left behind when the server exits)

# Waits up to $2 s for PID $1 to end (it need not be our child).
wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

cleanup() {
    set +e
    if [[ -n "$DEVTOP_PID" ]] && kill -0 "$DEVTOP_PID" 2>/dev/null; then
        kill -TERM "$DEVTOP_PID"
        if [[ $MODE == up ]]; then
            wait "$DEVTOP_PID" 2>/dev/null
        else
            wait_gone "$DEVTOP_PID" 35 # it stops its servers (at most 30 s) before it exits
        fi
    fi
    if [[ -n "$TMUX_SOCK" ]]; then
        tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
        if [[ -n "$TMUX_PID" ]] && ! wait_gone "$TMUX_PID" 5; then
            kill -TERM "$TMUX_PID"
            wait_gone "$TMUX_PID" 5
        fi
        [[ -S "$TMUX_PATH" ]] && rm -f "$TMUX_PATH"
    fi
    "$DEVTOP_BIN" --project "$WORK" down >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cat >"$WORK/chatty.py" <<'PY'
import os, random, socket, sys, threading, time
port, rate, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
time.sleep(random.uniform(0.5, 1.5))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
opened = time.time()
conn, _ = s.accept()
seen = time.time()
with open(f"latency-{name}.txt", "w") as f:
    f.write(f"{(seen - opened) * 1000:.2f}\n")
conn.close()
def serve():
    while True:
        c, _ = s.accept()
        c.close()
threading.Thread(target=serve, daemon=True).start()
batch = max(1, rate // 20)
n = 0
out = sys.stdout
while True:
    t = time.time()
    for _ in range(batch):
        n += 1
        out.write(f"{time.strftime('%H:%M:%S')} INFO GET /api/items/{n} 200 3ms "
                  f"auth=Bearer abc{n}def token=sk_live_{n:08d}\n")
    out.flush()
    time.sleep(max(0.0, 0.05 - (time.time() - t)))
PY

PY=$(command -v python3)
: >"$WORK/devtop.toml"
if [[ -n ${LOG_LINES:-} ]]; then
    echo "server_log_lines = $LOG_LINES" >>"$WORK/devtop.toml"
fi
base=$((20000 + RANDOM % 10000))
for i in $(seq 1 "$SERVERS"); do
    port=$((base + i))
    cat >>"$WORK/devtop.toml" <<EOF2
[[server]]
name = "chatty$i"
cmd = ["$PY", "-u", "chatty.py", "$port", "$RATE", "chatty$i"]
port = $port
ready = { tcp = $port }

EOF2
done


# ticks PID: utime+stime of the whole process, in clock ticks (its comm may hold spaces).
ticks() {
    local s f
    s=$(<"/proc/$1/stat")
    s=${s##*) }
    read -r -a f <<<"$s"
    echo $((f[11] + f[12])) # fields 14 and 15
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
pct() { awk -v d="$1" -v hz="$HZ" -v s="$DURATION" 'BEGIN {printf "%.2f", 100 * d / hz / s}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# measure PID: sleeps DURATION s sampling PID's VmRSS every second; sets MAX_RSS and
# RSS_SERIES (every 5 s, MB).
measure() {
    local sec r
    MAX_RSS=0
    RSS_SERIES=""
    for ((sec = 1; sec <= DURATION; sec++)); do
        sleep 1
        r=$(rss_kb "$1")
        ((r > MAX_RSS)) && MAX_RSS=$r
        if ((sec == 1 || sec % 5 == 0)); then
            RSS_SERIES+=" $(mb "$r")"
        fi
    done
}

latencies() {
    local f
    echo -n "readiness latency after the port opened, ms (target <= 100):"
    for f in "$WORK"/latency-*.txt; do echo -n " $(cat "$f")"; done
    echo
}

run_up() {
    "$DEVTOP_BIN" --project "$WORK" up >"$WORK/up.out" 2>"$WORK/up.err" &
    DEVTOP_PID=$!
    local i
    for i in $(seq 1 300); do
        grep -q "all $SERVERS ready" "$WORK/up.out" && break
        kill -0 "$DEVTOP_PID" 2>/dev/null || {
            cat "$WORK/up.out" "$WORK/up.err"
            exit 1
        }
        sleep 0.1
    done
    grep -q "all $SERVERS ready" "$WORK/up.out" || {
        echo "not ready"
        cat "$WORK/up.out"
        exit 1
    }
    sleep 2 # warm-up: every server printing

    local lines_before t0 t1 lines_after hwm printed leaked
    lines_before=$(wc -l <"$WORK/up.out")
    t0=$(ticks "$DEVTOP_PID")
    measure "$DEVTOP_PID"
    t1=$(ticks "$DEVTOP_PID")
    lines_after=$(wc -l <"$WORK/up.out")
    hwm=$(hwm_kb "$DEVTOP_PID")

    printed=$(((lines_after - lines_before) / DURATION))
    echo "servers: $SERVERS x $RATE lines/s for ${DURATION}s; devtop printed $printed lines/s"
    echo "devtop CPU: $(pct $((t1 - t0))) % of one core (target <= 5)"
    echo "devtop RSS: max $(mb "$MAX_RSS") MB sampled, VmHWM $(mb "$hwm") MB (target <= 40); every 5 s:$RSS_SERIES"
    latencies
    # Redacted, "auth=Bearer abc1def token=sk_live_…" reads "auth=*** *** token=***".
    leaked=$(grep -cE "abc[0-9]+def|sk_live_" "$WORK/up.out" || true)
    echo "lines with a token left in the output: $leaked (of $(grep -c "token=" "$WORK/up.out" || true) log lines)"
}

tmx() { tmux -L "$TMUX_SOCK" "$@"; }
screen() { tmx capture-pane -p -t bench; }
# rows STATE: how many server rows of the screen show STATE (their name, then its mark and word).
rows() { screen | grep -cE "chatty[0-9]+ +. $1" || true; }
# until SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s until it succeeds, or fails naming WHAT.
until_ok() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do
        if ((SECONDS >= deadline)) || ! kill -0 "$DEVTOP_PID" 2>/dev/null; then
            echo "timed out waiting for: $what; the screen:" >&2
            screen >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}
all_rows() { (($(rows "$1") == SERVERS)); }
shows() { screen | grep -qF -- "$1"; }
not_shows() { ! shows "$1"; }

# show VIEW: the keys that bring VIEW up from the Servers screen, checked on the screen.
show() {
    case $1 in
    servers) tmx send-keys -t bench 3 ;;
    one) tmx send-keys -t bench 3 f ;;
    popup) tmx send-keys -t bench 3 Enter ;;
    processes) tmx send-keys -t bench 1 ;;
    *)
        echo "unknown view $1 (servers, one, popup, processes)" >&2
        exit 2
        ;;
    esac
    case $1 in
    servers) until_ok 10 "the Logs pane over all servers" shows "Logs: all servers" ;;
    one) until_ok 10 "the Logs pane over chatty1" shows "Logs: chatty1" ;;
    popup) until_ok 10 "chatty1's details" shows "Esc Close" ;;
    processes) until_ok 10 "the process list" shows "F5 Tree" ;;
    esac
}

# back VIEW: from VIEW to the Servers screen with the Logs pane over all servers.
back() {
    local i
    if [[ $1 == popup ]]; then
        # Alone: an Escape followed at once by another key reads as Alt+that key.
        tmx send-keys -t bench Escape
        until_ok 10 "the popup closed" not_shows "Esc Close"
    fi
    tmx send-keys -t bench 3
    # From one server, `f` goes on through the other servers and devtop to all servers.
    for ((i = 0; i <= SERVERS + 1; i++)); do
        sleep 0.3
        shows "Logs: all servers" && return 0
        [[ $1 == one ]] && tmx send-keys -t bench f
    done
    until_ok 10 "the Servers screen" shows "Logs: all servers"
}

run_tui() {
    command -v tmux >/dev/null || {
        echo "tmux is missing (apt-get install -y tmux)" >&2
        exit 2
    }
    TMUX_SOCK="devtop-bench-$$"
    tmx -f /dev/null new-session -d -s bench -x "$COLS" -y "$ROWS" -c "$WORK" \
        "exec '$DEVTOP_BIN' --project '$WORK' --scope project"
    TMUX_PID=$(tmx display-message -p -t bench '#{pid}')
    TMUX_PATH=$(tmx display-message -p -t bench '#{socket_path}')
    DEVTOP_PID=$(tmx display-message -p -t bench '#{pane_pid}')
    until_ok 20 "the dashboard" shows "F10 Quit"
    tmx send-keys -t bench u
    until_ok 60 "all $SERVERS servers ready" all_rows "ready"
    sleep 2 # warm-up: every server printing

    local view t0 s0 t1 s1 hwm cap leaked with ROWS_OUT=()
    for view in $VIEWS; do
        show "$view"
        sleep 2 # the view settled, its first frames drawn
        t0=$(ticks "$DEVTOP_PID")
        s0=$(ticks "$TMUX_PID")
        measure "$DEVTOP_PID"
        t1=$(ticks "$DEVTOP_PID")
        s1=$(ticks "$TMUX_PID")
        hwm=$(hwm_kb "$DEVTOP_PID")
        cap=$(screen)
        leaked=$(grep -cE "abc[0-9]+def|sk_live_" <<<"$cap" || true) # see run_up
        with=$(grep -c "token=" <<<"$cap" || true)
        ROWS_OUT+=("| $view | $(pct $((t1 - t0))) | $(mb "$MAX_RSS") | $(mb "$hwm") |$RSS_SERIES | $(pct $((s1 - s0))) | $leaked of $with |")
        if [[ -n ${SHOW:-} ]]; then
            echo "--- screen at the end of view '$view':"
            echo "$cap"
        fi
        back "$view"
    done

    tmx send-keys -t bench d
    until_ok 60 "all $SERVERS servers stopped" all_rows "stopped"
    tmx send-keys -t bench q
    # Nothing this devtop started runs any more, so it quits without asking; if it asks, Enter
    # stops what is left.
    if ! wait_gone "$DEVTOP_PID" 5; then
        tmx send-keys -t bench Enter
        wait_gone "$DEVTOP_PID" 35 || {
            echo "devtop did not quit; the screen:" >&2
            screen >&2
            exit 1
        }
    fi
    DEVTOP_PID=

    echo "servers: $SERVERS x $RATE lines/s; dashboard ${COLS}x$ROWS in tmux, each view ${DURATION}s after 2 s"
    echo
    echo "| view | devtop CPU % of one core (target <= 5) | RSS max MB (target <= 40) | VmHWM MB | RSS every 5 s, MB | tmux server CPU % | screen lines with a token left (of log lines) |"
    echo "|---|---:|---:|---:|---|---:|---:|"
    printf '%s\n' "${ROWS_OUT[@]}"
    echo
    latencies
}

if [[ $MODE == up ]]; then
    run_up
else
    run_tui
fi
echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"

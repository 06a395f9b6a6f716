#!/usr/bin/env bash
# Cost of the foreground `devtop up` supervising chatty dev servers, and its readiness latency.
#
# Starts SERVERS Python servers, each printing RATE lines a second (log lines with a token, so
# redaction works on every line) after opening its port at a random moment 0.5–1.5 s after its
# start, under `devtop up` (foreground: it follows every log and prints it prefixed). Then:
#  - devtop's CPU (utime+stime of /proc/<pid>/stat, % of one core) over DURATION s, and its
#    RSS (VmRSS sampled every second: the largest; VmHWM at the end);
#  - readiness latency: each server writes the time it started listening and the time its
#    first connection (devtop's tcp probe) was accepted; the difference is how late devtop
#    saw the open port (probe every 50 ms: expected ≤ 50 ms + scheduling).
# devtop's output goes to a file (as a terminal would consume it, without a terminal's cost).
#
# Usage: benches/servers.sh
#   DURATION=30  seconds measured
#   SERVERS=5    servers
#   RATE=1000    lines per second per server
#   DEVTOP_BIN=path   measure this binary instead of building target/release/devtop
#
# Everything started here is ended by the EXIT trap: devtop by its PID (SIGTERM: it stops the
# servers it started, in reverse order), then `devtop down` for anything left.
set -euo pipefail

DURATION=${DURATION:-30}
SERVERS=${SERVERS:-5}
RATE=${RATE:-1000}

cd "$(dirname "$0")/.."
if [[ -z "${DEVTOP_BIN:-}" ]]; then
    cargo build --release --quiet
    DEVTOP_BIN=$PWD/target/release/devtop
fi
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d)
DEVTOP_PID=

cleanup() {
    set +e
    if [[ -n "$DEVTOP_PID" ]] && kill -0 "$DEVTOP_PID" 2>/dev/null; then
        kill -TERM "$DEVTOP_PID"
        wait "$DEVTOP_PID" 2>/dev/null
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

"$DEVTOP_BIN" --project "$WORK" up >"$WORK/up.out" 2>"$WORK/up.err" &
DEVTOP_PID=$!
for _ in $(seq 1 300); do
    grep -q "all $SERVERS ready" "$WORK/up.out" && break
    kill -0 "$DEVTOP_PID" 2>/dev/null || { cat "$WORK/up.out" "$WORK/up.err"; exit 1; }
    sleep 0.1
done
grep -q "all $SERVERS ready" "$WORK/up.out" || { echo "not ready"; cat "$WORK/up.out"; exit 1; }
sleep 2 # warm-up: every server printing

ticks() { awk '{print $14 + $15}' "/proc/$DEVTOP_PID/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$DEVTOP_PID/status"; }
lines_before=$(wc -l <"$WORK/up.out")
t0=$(ticks)
max_rss=0
for _ in $(seq 1 "$DURATION"); do
    sleep 1
    r=$(rss_kb)
    ((r > max_rss)) && max_rss=$r
done
t1=$(ticks)
lines_after=$(wc -l <"$WORK/up.out")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$DEVTOP_PID/status")

cpu=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$DURATION" 'BEGIN {printf "%.2f", 100 * d / hz / s}')
printed=$(((lines_after - lines_before) / DURATION))
echo "servers: $SERVERS x $RATE lines/s for ${DURATION}s; devtop printed $printed lines/s"
echo "devtop CPU: $cpu % of one core (target <= 5)"
echo "devtop RSS: max $((max_rss / 1024)) MB sampled, VmHWM $((hwm / 1024)) MB (target <= 40)"
echo -n "readiness latency after the port opened, ms (target <= 100):"
for f in "$WORK"/latency-*.txt; do echo -n " $(cat "$f")"; done
echo
leaked=$(grep -c "Bearer abc" "$WORK/up.out" || true)
echo "unredacted bearer tokens in the output: $leaked (of $(grep -c "Bearer" "$WORK/up.out" || true) lines with one)"

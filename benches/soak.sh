#!/usr/bin/env bash
# Soak: devtop's collectors at 20 Hz for CYCLES passes while processes start and die all the
# time and three database environments are probed (local PostgreSQL, local MariaDB, and
# PostgreSQL behind a listener that flaps: forwarding / refused / black hole). Prints RSS,
# open fds, threads and buffer sizes every REPORT passes, then whether RSS and fds stayed flat
# (±10 % of the first figure after warm-up). See benches/soak.rs for what each column is.
#
# Usage: benches/soak.sh            (86,400 passes at 20 Hz: 72 min when the machine keeps up)
#   CYCLES=86400   passes            HZ=20        passes per second asked
#   REPORT=1200    passes per line   WARMUP=2     lines before the reference figure
#   CHURN=8        children/s        FLAP_S=30    seconds per flap phase
#   DEVTOP_SOAK_PG / DEVTOP_SOAK_MYSQL   URLs of the steady environments
#   OUT=file       also write the report there
#
# Exit status: 0 flat, 1 not flat, 2 bad input. The soak binary runs under `nice -n 19`.
# Everything started here ends with it: the EXIT trap sends SIGTERM to the soak's PID (it
# kills and reaps its churn children by PID); each child also asked the kernel for SIGKILL
# when the soak dies (PR_SET_PDEATHSIG), so none outlives a SIGKILL of the soak either.
set -euo pipefail

cd "$(dirname "$0")/.."
cargo bench --bench soak --no-run --quiet 2>/dev/null || cargo bench --bench soak --no-run
BIN=$(ls -t target/release/deps/soak-* | grep -v '\.d$' | head -n 1)

export DEVTOP_SOAK_CYCLES=${CYCLES:-86400}
export DEVTOP_SOAK_HZ=${HZ:-20}
export DEVTOP_SOAK_REPORT=${REPORT:-1200}
export DEVTOP_SOAK_WARMUP=${WARMUP:-2}
export DEVTOP_SOAK_CHURN=${CHURN:-8}
export DEVTOP_SOAK_FLAP_S=${FLAP_S:-30}
OUT=${OUT:-/dev/null}

SOAK_PID=
cleanup() {
    set +e
    if [[ -n "$SOAK_PID" ]] && kill -0 "$SOAK_PID" 2>/dev/null; then
        kill -TERM "$SOAK_PID"
        wait "$SOAK_PID"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nice -n 19 "$BIN" --bench > >(tee "$OUT") 2>&1 &
SOAK_PID=$!
set +e
wait "$SOAK_PID"
status=$?
SOAK_PID=
exit "$status"

#!/usr/bin/env bash
# Soak: devtop's collectors at 20 Hz for CYCLES passes while processes start and die all the
# time and three database environments are probed (local PostgreSQL, local MariaDB, and
# PostgreSQL behind a listener that flaps: forwarding / refused / black hole). Prints RSS,
# open fds, threads and buffer sizes every REPORT passes, then whether RSS stayed flat (±10 % of
# the first figure after warm-up) and fds did not grow (last third vs first third). See
# benches/soak.rs for what each column is.
#
# Usage: benches/soak.sh            (86,400 passes at 20 Hz: 72 min when the machine keeps up)
#   CYCLES=86400   passes            HZ=20        passes per second asked
#   REPORT=1200    passes per line   WARMUP=2     lines before the reference figure
#   CHURN=8        children/s        FLAP_S=30    seconds per flap phase
#   DEVTOP_SOAK_PG / DEVTOP_SOAK_MYSQL   URLs of the steady environments
#   OUT=file       also write the report there
#   PRIVATE_MARIADB=1  probe a MariaDB this script starts for the soak (mariadb-install-db into a
#                  temp dir, mariadbd on port MARIADB_PORT=3407 as user mysql) instead of the
#                  machine's shared one; it is stopped (SIGTERM to its PID) and removed at exit
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
MARIA_PID=
MARIA_DIR=
cleanup() {
    set +e
    if [[ -n "$SOAK_PID" ]] && kill -0 "$SOAK_PID" 2>/dev/null; then
        kill -TERM "$SOAK_PID"
        wait "$SOAK_PID"
    fi
    if [[ -n "$MARIA_PID" ]] && kill -0 "$MARIA_PID" 2>/dev/null; then
        kill -TERM "$MARIA_PID"
        wait "$MARIA_PID"
    fi
    [[ -n "$MARIA_DIR" ]] && rm -rf "$MARIA_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${PRIVATE_MARIADB:-0}" == 1 ]]; then
    port=${MARIADB_PORT:-3407}
    MARIA_DIR=$(mktemp -d /tmp/devtop-soak-mariadb.XXXXXX)
    user_args=()
    if [[ $(id -u) == 0 ]]; then
        chown mysql:mysql "$MARIA_DIR"
        user_args=(--user=mysql)
    fi
    mariadb-install-db --no-defaults --datadir="$MARIA_DIR/data" "${user_args[@]}" \
        --auth-root-authentication-method=normal --skip-test-db >"$MARIA_DIR/install.log" 2>&1 \
        || { echo "mariadb-install-db failed: see $MARIA_DIR/install.log" >&2; exit 2; }
    /usr/sbin/mariadbd --no-defaults --datadir="$MARIA_DIR/data" --socket="$MARIA_DIR/sock" \
        --pid-file="$MARIA_DIR/pid" --port="$port" --bind-address=127.0.0.1 --skip-log-bin \
        "${user_args[@]}" 2>"$MARIA_DIR/server.log" &
    MARIA_PID=$!
    for _ in $(seq 1 120); do
        mariadb -uroot -h127.0.0.1 -P"$port" -e 'create database if not exists test' 2>/dev/null && break
        kill -0 "$MARIA_PID" 2>/dev/null || { echo "mariadbd exited: see $MARIA_DIR/server.log" >&2; exit 2; }
        sleep 0.5
    done
    export DEVTOP_SOAK_MYSQL="mysql://root@127.0.0.1:$port/test"
    echo "private MariaDB (PID $MARIA_PID) on port $port"
fi

nice -n 19 "$BIN" --bench > >(tee "$OUT") 2>&1 &
SOAK_PID=$!
set +e
wait "$SOAK_PID"
status=$?
SOAK_PID=
exit "$status"

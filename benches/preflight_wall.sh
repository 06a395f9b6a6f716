#!/usr/bin/env bash
# Wall time of `devtop preflight` (all checks, concurrently), the README's "Performance" row.
#
# Cases (each RUNS times, median and max printed):
#   sqlite        an SQLite database with Prisma's _prisma_migrations (one migration applied,
#                 one pending), no Prisma CLI: the everyday figure
#   refused       a PostgreSQL URL on a closed port (refused at once), no CLI
#   black-hole    a PostgreSQL URL on a listener that accepts and never answers, and a Prisma
#                 CLI that hangs (`prisma validate` never returns): the bound (design < 10 s)
#
# Usage: benches/preflight_wall.sh    (RUNS=5, DEVTOP_BIN=path to skip the release build)
# Needs python3 (the SQLite fixture and the black hole). Everything it starts ends with it:
# the black hole is ended by its PID, the CLI with devtop's process group; the work dir is
# removed.
set -euo pipefail

RUNS=${RUNS:-5}
cd "$(dirname "$0")/.."
REPO=$PWD
if [[ -n ${DEVTOP_BIN:-} ]]; then
    BIN=$(realpath "$DEVTOP_BIN")
else
    cargo build --release --quiet --bin devtop
    BIN=$REPO/target/release/devtop
fi
WORK=$(mktemp -d)
HOLE_PID=
cleanup() {
    [[ -n $HOLE_PID ]] && kill "$HOLE_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

project() { # project DIR PROVIDER URL
    mkdir -p "$1/prisma/migrations/20250101000000_init" "$1/prisma/migrations/20250201000000_add_name"
    printf 'datasource db {\n  provider = "%s"\n  url = env("DATABASE_URL")\n}\nmodel User {\n  id Int @id\n  name String?\n}\n' "$2" >"$1/prisma/schema.prisma"
    printf 'provider = "%s"\n' "$2" >"$1/prisma/migrations/migration_lock.toml"
    printf 'CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY);\n' >"$1/prisma/migrations/20250101000000_init/migration.sql"
    printf 'ALTER TABLE "User" ADD COLUMN "name" TEXT;\n' >"$1/prisma/migrations/20250201000000_add_name/migration.sql"
    printf 'DATABASE_URL=%s\n' "$3" >"$1/.env"
    printf '{"name": "bench", "private": true}\n' >"$1/package.json"
}

run_case() { # run_case NAME DIR
    local name=$1 dir=$2 i t0 t1 times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s.%N)
        "$BIN" preflight --json --scope project --project "$dir" >/dev/null || true
        t1=$(date +%s.%N)
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{ v[NR] = $1 } END { printf "| %s | %.2f s | %.2f s |\n", n, v[int((NR + 1) / 2)], v[NR] }'
}

echo "| case | median | max |"
echo "|---|---:|---:|"

project "$WORK/sqlite" sqlite "file:./dev.db"
python3 - "$WORK/sqlite/prisma/dev.db" "$WORK/sqlite/prisma/migrations/20250101000000_init/migration.sql" <<'PY'
import hashlib, sqlite3, sys, time
db, sql = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
c.executescript('''CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL,
 "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
 "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0);''')
body = open(sql, 'rb').read()
c.executescript(body.decode())
now = int(time.time() * 1000)
c.execute('INSERT INTO _prisma_migrations VALUES (?,?,?,?,NULL,NULL,?,1)',
          ('b1', hashlib.sha256(body).hexdigest(), now, '20250101000000_init', now))
c.commit()
PY
run_case sqlite "$WORK/sqlite"

project "$WORK/refused" postgresql "postgresql://devtop@127.0.0.1:1/devtop_bench"
run_case refused "$WORK/refused"

PORT_FILE=$WORK/hole.port
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    held.append(s.accept())
' "$PORT_FILE" &
HOLE_PID=$!
for _ in $(seq 50); do [[ -s $PORT_FILE ]] && break; sleep 0.1; done
project "$WORK/hole" postgresql "postgresql://devtop@127.0.0.1:$(cat "$PORT_FILE")/devtop_bench"
mkdir -p "$WORK/hole/node_modules/.bin"
printf '#!/bin/sh\nexec sleep 300\n' >"$WORK/hole/node_modules/.bin/prisma"
chmod +x "$WORK/hole/node_modules/.bin/prisma"
run_case black-hole "$WORK/hole"

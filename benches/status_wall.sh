#!/usr/bin/env bash
# Wall time of `devtop status` with and without a Prisma CLI in the project.
#
# Cases (each RUNS times, median and max printed):
#   no-cli       no node_modules/.bin/prisma: no drift check through the CLI
#   cli-quick    a CLI that answers at once ("in sync"): the diff's own cost
#   cli-hangs    the real Prisma 7 CLI from target/js-fixture (tests/integration/real_stack.rs installs it)
#                whose schema engine never answers (PRISMA_SCHEMA_ENGINE_BINARY = an idle
#                devtop stand-in): status must still answer within ~6 s
# The database URL points at a closed port, so the probe fails at once in every case.
#
# Usage: benches/status_wall.sh    (RUNS=5, DEVTOP_BIN=path to skip the release build)
# Everything it starts is a child of `devtop status` and ends with it; the work dir is removed.
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
trap 'rm -rf "$WORK"' EXIT

project() { # project DIR: schema, .env with an unreachable database
    mkdir -p "$1/prisma" "$1/bin"
    printf 'datasource db {\n  provider = "postgresql"\n}\nmodel User {\n  id Int @id\n}\n' >"$1/prisma/schema.prisma"
    printf 'DATABASE_URL=postgresql://devtop@127.0.0.1:1/devtop_bench\n' >"$1/.env"
    printf '{"name": "bench", "private": true}\n' >"$1/package.json"
}

run_case() { # run_case NAME DIR: RUNS timed runs of devtop status
    local name=$1 dir=$2 i t0 t1 times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s.%N)
        "$BIN" status --json --scope project --project "$dir" >/dev/null
        t1=$(date +%s.%N)
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{ v[NR] = $1 } END { printf "| %s | %.2f s | %.2f s |\n", n, v[int((NR + 1) / 2)], v[NR] }'
}

echo "| case | median | max |"
echo "|---|---:|---:|"

project "$WORK/no-cli"
run_case no-cli "$WORK/no-cli"

project "$WORK/quick"
mkdir -p "$WORK/quick/node_modules/.bin"
printf '#!/bin/sh\nexit 0\n' >"$WORK/quick/node_modules/.bin/prisma"
chmod +x "$WORK/quick/node_modules/.bin/prisma"
run_case cli-quick "$WORK/quick"

FIXTURE=$REPO/target/js-fixture/node_modules
if [[ -x $FIXTURE/.bin/prisma ]]; then
    project "$WORK/hangs"
    ln -s "$FIXTURE" "$WORK/hangs/node_modules"
    printf 'import { defineConfig } from "prisma/config";\nexport default defineConfig({ schema: "prisma/schema.prisma", datasource: { url: process.env.DATABASE_URL } });\n' >"$WORK/hangs/prisma.config.ts"
    ln -s "$BIN" "$WORK/hangs/bin/schema-engine"
    printf '#!/bin/sh\nDEVTOP_STANDIN=sleep exec %s "$@"\n' "$WORK/hangs/bin/schema-engine" >"$WORK/hangs/bin/engine.sh"
    chmod +x "$WORK/hangs/bin/engine.sh"
    PRISMA_SCHEMA_ENGINE_BINARY=$WORK/hangs/bin/engine.sh CHECKPOINT_DISABLE=1 run_case cli-hangs "$WORK/hangs"
else
    echo "| cli-hangs | skipped: no $FIXTURE (run cargo test --test integration real_stack first) | |"
fi

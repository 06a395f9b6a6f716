#!/usr/bin/env bash
# Text captures of devtop's main screens, as a person sees them in a 100x30 terminal: the
# README's screen and the files beside this script. Runs `devtop demo` in a private tmux server,
# waits (polling the screen against a deadline) for each state, and writes:
#   processes.txt  screen 1 with the demo's suspects
#   kill-confirm.txt  the confirmation after `K`
#   databases.txt  screen 2: environments, migrations matrix, drift
#   help.txt       the help popup
#   servers.txt    screen 3 after `u`: the demo's api and web ready, their logs
#   preflight.txt  screen 4 after `p`: the checklist with its verdict
# Usage: assets/screens/capture.sh [path/to/devtop]   (default: target/release/devtop)
# Needs tmux. Ends the demo (and its tmux server) on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-target/release/devtop}"
out="assets/screens"
sock="devtop-shots-$$"
t() { tmux -L "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true' EXIT

t new-session -d -s shots -x 100 -y 30 "$bin demo"
# Polls the screen every 100 ms until it contains every word given; fails after 60 s.
wait_for() {
  local deadline=$((SECONDS + 60)) screen
  while :; do
    screen="$(t capture-pane -p -t shots)"
    local all=1
    for w in "$@"; do [[ "$screen" == *"$w"* ]] || all=0; done
    if [ "$all" = 1 ]; then printf '%s\n' "$screen"; return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out waiting for: $*" >&2
      printf '%s\n' "$screen" >&2
      return 1
    fi
    sleep 0.1
  done
}
wait_for "3 suspects" "2 warn" "hung-migrate" > "$out/processes.txt"
t send-keys -t shots K
wait_for "y/Enter" > "$out/kill-confirm.txt"
t send-keys -t shots n
wait_for "F1 Help" > /dev/null
t send-keys -t shots 2
wait_for MIGRATION "drift" "last applied" > "$out/databases.txt"
t send-keys -t shots "?"
wait_for "Help · Esc closes" > "$out/help.txt"
t send-keys -t shots Escape
wait_for "F1 Help" > /dev/null
t send-keys -t shots u
wait_for "all ready" "api" "web" > "$out/servers.txt"
t send-keys -t shots p
wait_for "Preflight · local ·" " pass " " fail " > "$out/preflight.txt"
t send-keys -t shots q
wait_for "y/Enter stop them" > /dev/null
t send-keys -t shots Enter
echo "wrote $out/{processes,kill-confirm,databases,help,servers,preflight}.txt"

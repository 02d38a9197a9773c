#!/usr/bin/env bash
# Runs the end-to-end tests (all, or those named in E2E_TESTS, e.g. "./library.test.mjs") against the built app (target/debug/mission-studio) under Xvfb.
# Each run gets a fresh data folder and config folder, so tests never touch the operator's data.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

export E2E_APP="${E2E_APP:-$root/target/debug/mission-studio}"
# The `mission` CLI, for tests that start its workers beside the app.
export E2E_MISSION="${E2E_MISSION:-$root/target/debug/mission}"
export E2E_OUT="$root/target/e2e"
[ -x "$E2E_APP" ] || { echo "error: $E2E_APP is missing; build it with 'make app'" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "error: xvfb-run is missing; run .ci/setup-debian.sh --test" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "error: tauri-driver is missing; run .ci/setup-debian.sh --test" >&2; exit 1; }
# Debian installs nats-server (the squad tests' broker) in /usr/sbin, not on a user's PATH.
export PATH="$PATH:/usr/sbin"
command -v nats-server >/dev/null || { echo "error: nats-server is missing; run .ci/setup-debian.sh --test" >&2; exit 1; }

tmp=$(mktemp -d)
mkdir -p "$E2E_OUT"
export MISSION_STUDIO_DATA_DIR="$tmp/data"
export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# Quiet the accessibility bus warning of GTK under a bare X server.
export NO_AT_BRIDGE=1

# The processes this run started and left behind (an app whose WebDriver session broke would
# otherwise keep running, holding the output of whoever called this script): every process
# whose environment names this run's data folder.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "MISSION_STUDIO_DATA_DIR=$tmp/data"; then
      echo "${p#/proc/}"
    fi
  done
}

# Stops the leftovers (TERM, then KILL after 5 s), unmounts whatever is still mounted in the
# temporary folder, and removes it without crossing into another file system: a cleanup that
# cannot hang on a mount whose server is gone.
clean_up() {
  local pids i m
  pids=$(leftovers)
  if [ -n "$pids" ]; then
    kill $pids 2>/dev/null || true
    for i in $(seq 50); do
      pids=$(leftovers)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  fi
  for m in $(awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts); do
    umount -l "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$tmp" || echo "warning: could not remove $tmp" >&2
}
trap clean_up EXIT

# A private session bus that starts no service on demand (the single-instance lock lives on it),
# and a virtual screen. The whole run is bounded, so a hang fails the tests instead of stalling
# whoever runs them.
timeout -k 10 "${E2E_TIMEOUT_S:-1200}" \
  dbus-run-session --config-file=session-bus.conf -- xvfb-run -a -s "-screen 0 1440x900x24" \
  node --test --test-concurrency=1 --test-reporter=spec ${E2E_TESTS:-./*.test.mjs}

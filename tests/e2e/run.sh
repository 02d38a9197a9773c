#!/usr/bin/env bash
# Runs the end-to-end tests (all, or those named in E2E_TESTS, e.g. "./library.test.mjs") against the built app (target/debug/mission-studio) under Xvfb.
# Each run gets a fresh data folder and config folder, so tests never touch the operator's data.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

export E2E_APP="${E2E_APP:-$root/target/debug/mission-studio}"
export E2E_OUT="$root/target/e2e"
[ -x "$E2E_APP" ] || { echo "error: $E2E_APP is missing; build it with 'make app'" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "error: xvfb-run is missing; run .ci/setup-debian.sh --test" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "error: tauri-driver is missing; run .ci/setup-debian.sh --test" >&2; exit 1; }

tmp=$(mktemp -d)
mkdir -p "$E2E_OUT"
export MISSION_STUDIO_DATA_DIR="$tmp/data"
export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# Quiet the accessibility bus warning of GTK under a bare X server.
export NO_AT_BRIDGE=1

# Stops what this run started and left behind (an app whose WebDriver session broke would
# otherwise keep running, holding the output of whoever called this script): every process
# whose environment names this run's data folder.
stop_leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "MISSION_STUDIO_DATA_DIR=$tmp/data"; then
      kill "${p#/proc/}" 2>/dev/null || true
    fi
  done
}
trap 'stop_leftovers; rm -rf "$tmp"' EXIT

# A private session bus (the single-instance lock lives on it) and a virtual screen.
dbus-run-session -- xvfb-run -a -s "-screen 0 1440x900x24" \
  node --test --test-concurrency=1 --test-reporter=spec ${E2E_TESTS:-./*.test.mjs}

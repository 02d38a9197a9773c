#!/usr/bin/env bash
# The core crates (everything under src-tauri/crates/) must build without WebKit/GTK: none of them
# may depend, even indirectly, on tauri, wry, webkit2gtk, gtk or gdk.
set -euo pipefail
cd "$(dirname "$0")/.."
names=() crates=()
for dir in src-tauri/crates/*/; do
  names+=("$(basename "$dir")")
  crates+=(-p "$(basename "$dir")")
done
bad=$(cargo tree "${crates[@]}" -e normal,build --prefix none --locked 2>/dev/null |
  grep -E '^(tauri|wry|webkit2gtk|javascriptcore|gtk|gdk|gdkx11)(-[a-z0-9-]+)? v' | sort -u || true)
if [ -n "$bad" ]; then
  echo "error: the core crates depend on desktop libraries:" >&2
  echo "$bad" >&2
  echo "Move the code that needs them into the app shell (src-tauri/src)." >&2
  exit 1
fi
echo "core crates: no tauri/WebKit/GTK in their dependency tree (checked: ${names[*]})"

# The CLI reaches the engine, the history and the evidence only through studio-api: among the
# workspace's crates, its (non-dev) dependencies name studio-api alone.
direct=$(cargo tree -p studio-cli -e normal --depth 1 --prefix none --locked 2>/dev/null |
  grep -E '^studio-' | grep -vE '^studio-(cli|api) ' | sort -u || true)
if [ -n "$direct" ]; then
  echo "error: studio-cli depends directly on:" >&2
  echo "$direct" >&2
  echo "Reach them through studio-api (it re-exports what its callers need)." >&2
  exit 1
fi
echo "studio-cli: reaches the core crates only through studio-api"

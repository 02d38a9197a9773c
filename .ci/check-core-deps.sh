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

#!/usr/bin/env bash
# The house rule: no source or documentation file over 800 lines unless it says why near its top
# (a "long on purpose" or "Over 800 lines" note in its first 60 lines). Generated files, lock
# files and data (JSON, CSV, fixtures) are not written by hand and are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=800
bad=()
while IFS= read -r file; do
  [ -f "$file" ] || continue
  lines=$(wc -l < "$file")
  [ "$lines" -gt "$limit" ] || continue
  if head -n 60 "$file" | grep -qiE 'long on purpose|longer than 800 lines on purpose|over 800 lines only'; then
    continue
  fi
  bad+=("$file ($lines lines)")
done < <(git ls-files -- '*.rs' '*.ts' '*.tsx' '*.mjs' '*.js' '*.css' '*.py' '*.sh' '*.md' '*.yaml' '*.toml' |
  grep -vE '(^|/)(gen|generated|fixtures|corpus|fuzz_corpus)/|\.generated\.|(^|/)Cargo\.lock$|package-lock\.json$|^missions/templates/|^missions/examples/')
if [ "${#bad[@]}" -gt 0 ]; then
  echo "error: files over $limit lines without a reason stated near their top:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "Split them by role, or say in their first lines why they are long on purpose." >&2
  exit 1
fi
echo "file sizes: every file over $limit lines says why"

#!/usr/bin/env bash
# Formats every tracked C++ file with clang-format (style: .clang-format).
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; list the files that differ and fail (CI runs this)
# Needs clang-format 14 (Debian's `clang-format`, which scripts/install-deps.sh installs);
# other versions break some lines differently, so the check uses only that one.
set -euo pipefail
cd "$(dirname "$0")/.."
CF=${CLANG_FORMAT:-}
if [ -z "$CF" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null && "$c" --version | grep -q "version 14\."; then CF=$c; break; fi
  done
fi
if [ -z "$CF" ]; then
  echo "format.sh: clang-format 14 not found (apt-get install clang-format, or set CLANG_FORMAT)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cpp')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    "$CF" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format.sh: ${#bad[@]} file(s) differ from .clang-format; run scripts/format.sh:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted"
else
  "$CF" -i "${files[@]}"
fi

#!/bin/bash
# What each public header costs: compiles a translation unit that is one
# #include of it (g++ -std=c++20 -O0 -c, best of 3) and counts the cereal
# headers it opens. Given a second tree (an older checkout), prints both
# side by side. Usage: bash bench/header_cost.sh [OLD_TREE]
set -euo pipefail
new_tree=$(cd "$(dirname "$0")/.." && pwd)
old_tree=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cost TREE HEADER: "<seconds> <cereal headers>", or "- -" if absent.
cost() {
  local tree=$1 header=$2
  if [[ ! -f $tree/include/$header ]]; then
    echo "- -"
    return
  fi
  echo "#include <$header>" >"$work/tu.cpp"
  local best=""
  for _ in 1 2 3; do
    local start end took
    start=$(date +%s%N)
    g++ -std=c++20 -O0 -c -I"$tree/include" "$work/tu.cpp" -o "$work/tu.o"
    end=$(date +%s%N)
    took=$(((end - start) / 1000000))
    if [[ -z $best || $took -lt $best ]]; then best=$took; fi
  done
  local cereal
  cereal=$(g++ -std=c++20 -M -I"$tree/include" "$work/tu.cpp" | tr ' ' '\n' | grep -c 'cereal/' || true)
  printf '%d.%02d %d' $((best / 1000)) $((best % 1000 / 10)) "$cereal"
}

headers=$( (cd "$new_tree/include" && ls concur/*.hpp
  [[ -n $old_tree ]] && (cd "$old_tree/include" && ls concur/*.hpp)) | sort -u)
if [[ -n $old_tree ]]; then
  echo "| header | before: s | before: cereal headers | now: s | now: cereal headers |"
  echo "|---|---|---|---|---|"
else
  echo "| header | s | cereal headers |"
  echo "|---|---|---|"
fi
for header in $headers; do
  read -r new_s new_c <<<"$(cost "$new_tree" "$header")"
  if [[ -n $old_tree ]]; then
    read -r old_s old_c <<<"$(cost "$old_tree" "$header")"
    echo "| \`$header\` | $old_s | $old_c | $new_s | $new_c |"
  else
    echo "| \`$header\` | $new_s | $new_c |"
  fi
done

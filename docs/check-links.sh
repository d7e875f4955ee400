#!/usr/bin/env bash
# Checks every relative link in README.md and docs/*.md: the file must exist and, for FILE#anchor
# or #anchor, a heading of that file must have the anchor (GitHub's rule: lower case, punctuation
# dropped, spaces to hyphens). Links inside fenced code blocks are ignored. Prints each broken link
# and exits 1 if there is any. Run from anywhere: docs/check-links.sh
set -euo pipefail
cd "$(dirname "$0")/.."

slug() { tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'; }
anchors() { awk '/^```/{c=!c; next} !c && /^#+ /' "$1" | sed -E 's/^#+ +//' | slug; }
links() {   # the targets of [text](target) and src="target" outside fenced code
  awk '/^```/{c=!c; next} !c' "$1" \
    | grep -oE '\]\([^)]+\)|src="[^"]+"' \
    | sed -E 's/^\]\((.*)\)$/\1/; s/^src="(.*)"$/\1/; s/ +"[^"]*"$//'
}

bad=0
for f in README.md docs/*.md; do
  dir=$(dirname "$f")
  while IFS= read -r target; do
    case "$target" in http://*|https://*|mailto:*) continue ;; esac
    path=${target%%#*}
    anchor=""
    [[ "$target" == *#* ]] && anchor=${target#*#}
    file=$f
    if [ -n "$path" ]; then
      file=$dir/$path
      if [ ! -e "$file" ]; then echo "$f: missing file: $target"; bad=1; continue; fi
    fi
    if [ -n "$anchor" ]; then
      if [[ "$file" != *.md ]] || ! anchors "$file" | grep -qxF -- "$anchor"; then
        echo "$f: missing anchor: $target"; bad=1
      fi
    fi
  done < <(links "$f")
done
[ "$bad" = 0 ] && echo "all relative links resolve"
exit "$bad"

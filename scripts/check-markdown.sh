#!/usr/bin/env bash
# Every Markdown file of the repository (tracked, or new and not ignored): markdownlint-cli2
# with .markdownlint-cli2.jsonc, then the render check (scripts/markdown/check-rendered.mjs:
# fences that never close, relative links to missing files, README's headings and code blocks).
# The npm packages (pinned in scripts/markdown/package-lock.json) are installed by scripts/setup.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LIGHTBOX_ROOT"

tools=scripts/markdown/node_modules
[[ -x $tools/.bin/markdownlint-cli2 ]] || die "markdownlint-cli2 is missing: run scripts/setup.sh"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.md')
((${#files[@]})) || die "no Markdown files found: is this a git checkout?"
# The file list, not globs: exactly what git has, never node_modules or build outputs.
"$tools/.bin/markdownlint-cli2" --no-globs "${files[@]/#/:}"
node scripts/markdown/check-rendered.mjs "${files[@]}"

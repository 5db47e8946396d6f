#!/usr/bin/env bash
# Chat-template conformance: every template in $FITCHAT_TESTDATA/templates (54 real ones) and in
# tests/data/templates/constructs (small ones that exercise each supported construct) rendered over the
# conversations of tests/data/templates/cases.json by fitchat's Jinja interpreter
# (build/tests/tools/render_template) and by Python's jinja2 set up as Hugging Face
# transformers does (tests/reference/render_templates.py, from the venv); the texts must be
# byte-identical, and where jinja2 raises, fitchat must fail too (for raise_exception with
# the template's own message). Prints "@@ passed failed skipped" last (tests/run.sh).
#   bash tests/templates.test.sh [BUILD] [NAME-FILTER]
set -u
build=${1:-build}
filter=${2:-}
data=${FITCHAT_TESTDATA:-tests/data/external}/templates
cases=tests/data/templates/cases.json
tool=$build/tests/tools/render_template
py=${FITCHAT_PYTHON:-.venv/bin/python}
pass=0; fail=0; skip=0
# The reference includes transformers' {% generation %} tag (LFM2.5-8B-A1B uses it).
# Known differences, each with its reason (KNOWN["template-basename:case"]="why"): none.
declare -A KNOWN=()
if [ ! -x "$tool" ]; then echo "skip: $tool not built"; echo "@@ 0 0 1"; exit 0; fi
if ! "$py" -c 'import jinja2' 2>/dev/null; then echo "skip: $py has no jinja2 (tests/reference/requirements.txt)"; echo "@@ 0 0 1"; exit 0; fi
if [ ! -d "$data" ]; then echo "skip: no templates in $data"; echo "@@ 0 0 1"; exit 0; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n_tmpl=0; n_same=0
while IFS= read -r -d '' f; do
  name=${f#"$data"/}; name=${name#tests/data/templates/}
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  n_tmpl=$((n_tmpl + 1))
  d=$tmp/$n_tmpl; mkdir -p "$d/py" "$d/c"
  "$py" tests/reference/render_templates.py "$f" "$cases" "$d/py" || { echo "FAIL $name: reference crashed"; fail=$((fail + 1)); continue; }
  "$tool" "$f" "$cases" "$d/c" || { echo "FAIL $name: render_template exit $?"; fail=$((fail + 1)); continue; }
  bad=0; nc=0
  for p in "$d"/py/*; do
    base=$(basename "$p"); case_name=${base%.*}; nc=$((nc + 1))
    key="$(basename "$f" .jinja):$case_name"
    if [[ "$base" == *.out ]]; then
      if [ -f "$d/c/$base" ] && cmp -s "$p" "$d/c/$base"; then continue; fi
      why="text differs"; [ -f "$d/c/$case_name.err" ] && why="fitchat failed: $(head -c 300 "$d/c/$case_name.err")"
    else
      cls=$(cut -f1 "$p"); msg=$(cut -f2- "$p")
      if [ -f "$d/c/$case_name.err" ]; then
        # raise_exception: fitchat's message must contain the template's own
        if [ "$cls" != TemplateError ] || grep -qF -- "$msg" "$d/c/$case_name.err"; then continue; fi
        why="different error: jinja2 [$msg], fitchat [$(head -c 300 "$d/c/$case_name.err")]"
      else
        why="jinja2 raised $cls [$msg], fitchat rendered"
      fi
    fi
    if [ -n "${KNOWN[$key]:-}" ]; then echo "known $key: ${KNOWN[$key]}"; continue; fi
    echo "FAIL $name [$case_name]: $why"
    if [ -n "${VERBOSE:-}" ] && [ -f "$d/c/$base" ]; then diff <(cat "$p") <(cat "$d/c/$base") | head -20; fi
    bad=$((bad + 1))
  done
  if [ $bad -eq 0 ]; then echo "ok   $name ($nc cases)"; pass=$((pass + 1)); n_same=$((n_same + 1));
  else fail=$((fail + 1)); fi
done < <(find "$data" tests/data/templates/constructs -name '*.jinja' -print0 | sort -z)
echo "templates identical on every case: $n_same of $n_tmpl ($("$py" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$cases") cases each)"
echo "@@ $pass $fail $skip"

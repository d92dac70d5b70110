#!/usr/bin/env bash
# The drift report of one stack, from drift-check.sh's preview.json and preview.exit: the Markdown
# of `arbiter-infra drift-report` in the job summary and in the step outputs `report` and
# `drifted` (read by the alert job); the step fails when the stack drifted or the preview failed.
#
# Usage: drift-report.sh STACK RUN_URL
set -uo pipefail

stack=${1:?usage: drift-report.sh STACK RUN_URL}
run_url=${2:-}
preview_exit=$(cat preview.exit 2> /dev/null || echo missing)

./dev drift-report "$PWD/preview.json" --stack "$stack" --run-url "$run_url" --output "$PWD/drift.md" 2> report.err
code=$?
if [ "$code" -gt 1 ]; then
  # The preview wrote no usable JSON (it failed before planning): say so, with the parser's line.
  printf '<!-- arbiter-drift:%s -->\nThe drift check of **%s** could not read the preview (pulumi exit %s: %s): [run](%s)\n' \
    "$stack" "$stack" "$preview_exit" "$(head -c 300 report.err)" "$run_url" > drift.md
fi

drifted=false
if [ "$code" -ne 0 ] || [ "$preview_exit" != "0" ]; then
  drifted=true
fi
cat drift.md >> "$GITHUB_STEP_SUMMARY"
delimiter="ARBITER_DRIFT_$(openssl rand -hex 16)"
{
  echo "drifted=$drifted"
  echo "report<<$delimiter"
  cat drift.md
  echo "$delimiter"
} >> "$GITHUB_OUTPUT"

if [ "$drifted" = true ]; then
  echo "::error title=Drift in $stack::pulumi preview --refresh --expect-no-changes exit $preview_exit, drift-report exit $code: see the job summary and the drift issue"
  exit 1
fi
echo "no drift in $stack"

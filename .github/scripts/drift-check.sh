#!/usr/bin/env bash
# The drift check of one stack: `pulumi preview --refresh --expect-no-changes`, JSON to
# preview.json and its exit code to preview.exit. It always succeeds itself, so that the report
# step runs; that step fails the job when the preview failed or found changes.
#
# Usage: drift-check.sh STACK   (PULUMI_BACKEND_URL and the drift role's credentials in the env)
set -uo pipefail

stack=${1:?usage: drift-check.sh STACK}
pulumi preview --stack "$stack" --refresh --expect-no-changes --json --non-interactive \
  --suppress-progress > preview.json
code=$?
echo "$code" > preview.exit
echo "pulumi preview --refresh --expect-no-changes --stack $stack: exit $code"

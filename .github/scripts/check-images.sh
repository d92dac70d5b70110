#!/usr/bin/env bash
# The images stage: application repositories build and push images; this pipeline deploys the
# tags pinned in Pulumi.<stack>.yaml. Fail before `pulumi up` if a pinned image is not in ECR,
# instead of leaving ECS services unable to pull.
#
# Usage: check-images.sh STACK
set -euo pipefail

stack=${1:?usage: check-images.sh STACK}
.venv/bin/python - "$stack" <<'PY' | while read -r repo tag; do
import sys

import yaml

config = yaml.safe_load(open(f"Pulumi.{sys.argv[1]}.yaml"))["config"]["arbiter:services"]
for key in ("tradingCore", "telegramBot", "webApi"):
    repo, _, tag = config[key]["image"].split("/", 1)[1].rpartition(":")
    print(repo, tag)
PY
  aws ecr describe-images --repository-name "$repo" --image-ids "imageTag=$tag" --output text \
    --query 'imageDetails[0].imageDigest' >/dev/null
  printf 'image %s:%s is in ECR\n' "$repo" "$tag"
done

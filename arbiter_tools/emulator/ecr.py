"""ECR repositories and lifecycle policies."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles
from policies import resource_types as rt


@handles(rt.ECR_REPOSITORY)
def _ecr_repository(req: Request) -> Result:
    i = req.inputs
    enc = (i.get("encryptionConfigurations") or [{}])[0]
    repo = req.client("ecr").create_repository(
        **clean(
            {
                "repositoryName": req.physical_name(),
                "imageTagMutability": i.get("imageTagMutability"),
                "imageScanningConfiguration": i.get("imageScanningConfiguration"),
                "encryptionConfiguration": clean(
                    {"encryptionType": enc.get("encryptionType"), "kmsKey": enc.get("kmsKey")}
                )
                or None,
                "tags": req.tag_list(),
            }
        )
    )["repository"]
    return repo["repositoryName"], {
        "arn": repo["repositoryArn"],
        "name": repo["repositoryName"],
        "registryId": repo["registryId"],
        "repositoryUrl": repo["repositoryUri"],
    }


@handles(rt.ECR_LIFECYCLE_POLICY)
def _ecr_lifecycle(req: Request) -> Result:
    repo = req.inputs["repository"]
    resp = req.client("ecr").put_lifecycle_policy(
        repositoryName=repo, lifecyclePolicyText=as_json(req.inputs["policy"])
    )
    return repo, {"registryId": resp["registryId"]}

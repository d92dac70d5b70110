"""Application Auto Scaling targets and policies."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles, pascal
from policies import resource_types as rt


@handles(rt.SCALING_TARGET)
def _scaling_target(req: Request) -> Result:
    i = req.inputs
    client = req.client("application-autoscaling")
    client.register_scalable_target(
        ServiceNamespace=i["serviceNamespace"],
        ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"],
        MinCapacity=int(i["minCapacity"]),
        MaxCapacity=int(i["maxCapacity"]),
    )
    found = client.describe_scalable_targets(
        ServiceNamespace=i["serviceNamespace"], ResourceIds=[i["resourceId"]]
    )
    arn = next((t.get("ScalableTargetARN") for t in found["ScalableTargets"]), None)
    return str(i["resourceId"]), clean({"arn": arn})


@handles(rt.SCALING_POLICY)
def _scaling_policy(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name()
    tracking = i.get("targetTrackingScalingPolicyConfiguration")
    step = i.get("stepScalingPolicyConfiguration")
    resp = req.client("application-autoscaling").put_scaling_policy(
        **clean(
            {
                "PolicyName": name,
                "ServiceNamespace": i["serviceNamespace"],
                "ResourceId": i["resourceId"],
                "ScalableDimension": i["scalableDimension"],
                "PolicyType": i.get("policyType", "StepScaling"),
                "TargetTrackingScalingPolicyConfiguration": pascal(tracking) if tracking else None,
                "StepScalingPolicyConfiguration": pascal(step) if step else None,
            }
        )
    )
    return name, {"arn": resp["PolicyARN"], "name": name}

"""ECS: clusters, capacity providers, task definitions, services."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.ECS_CLUSTER)
def _ecs_cluster(req: Request) -> Result:
    i = req.inputs
    cluster = req.client("ecs").create_cluster(
        **clean(
            {
                "clusterName": req.physical_name(),
                "settings": i.get("settings"),
                "configuration": i.get("configuration"),
                "serviceConnectDefaults": i.get("serviceConnectDefaults"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["cluster"]
    return cluster["clusterArn"], {"arn": cluster["clusterArn"], "name": cluster["clusterName"]}


@handles(rt.ECS_CAPACITY_PROVIDERS)
def _ecs_capacity(req: Request) -> Result:
    i = req.inputs
    req.client("ecs").put_cluster_capacity_providers(
        cluster=i["clusterName"],
        capacityProviders=list(i.get("capacityProviders") or []),
        defaultCapacityProviderStrategy=[
            {
                "capacityProvider": s["capacityProvider"],
                "weight": int(s.get("weight", 0)),
                "base": int(s.get("base", 0)),
            }
            for s in i.get("defaultCapacityProviderStrategies") or []
        ],
    )
    return str(i["clusterName"]), {}


@handles(rt.TASK_DEFINITION)
def _ecs_task_definition(req: Request) -> Result:
    i = req.inputs
    containers = (
        json.loads(i["containerDefinitions"])
        if isinstance(i["containerDefinitions"], str)
        else i["containerDefinitions"]
    )
    td = req.client("ecs").register_task_definition(
        **clean(
            {
                "family": i["family"],
                "containerDefinitions": containers,
                "cpu": i.get("cpu"),
                "memory": i.get("memory"),
                "networkMode": i.get("networkMode"),
                "requiresCompatibilities": i.get("requiresCompatibilities"),
                "executionRoleArn": i.get("executionRoleArn"),
                "taskRoleArn": i.get("taskRoleArn"),
                "volumes": [{"name": v["name"]} for v in i.get("volumes") or []],
                "runtimePlatform": i.get("runtimePlatform"),
                "ephemeralStorage": i.get("ephemeralStorage"),
                "pidMode": i.get("pidMode"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["taskDefinition"]
    arn = td["taskDefinitionArn"]
    return td["family"], {"arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0], "revision": td["revision"]}


def _refuse_missing_alarms(req: Request, names: list[str]) -> None:
    """ECS watches a service's deployment alarms from its first deployment: each must exist first.

    AWS takes the names as given; the emulator refuses a service created before its alarms, so a
    lost dependency (alarms created after the service, a typo'd name) fails the run.
    """
    found = {
        a["AlarmName"] for a in req.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    }
    missing = sorted(set(names) - found)
    if missing:
        raise ClientError(
            {
                "Error": {
                    "Code": "InvalidParameterException",
                    "Message": f"deployment alarms {missing} do not exist",
                }
            },
            "CreateService",
        )


def _strategy(config: dict[str, Any]) -> dict[str, Any]:
    """The deployment strategy: ECS's API takes integer minutes where the provider sends text."""
    canary, linear = config.get("canaryConfiguration"), config.get("linearConfiguration")
    return clean(
        {
            "strategy": config.get("strategy"),
            "bakeTimeInMinutes": opt_int(config.get("bakeTimeInMinutes")),
            "canaryConfiguration": clean(
                {
                    "canaryPercent": float(canary["canaryPercent"]),
                    "canaryBakeTimeInMinutes": opt_int(canary.get("canaryBakeTimeInMinutes")),
                }
            )
            if canary
            else None,
            "linearConfiguration": clean(
                {
                    "stepPercent": float(linear["stepPercent"]),
                    "stepBakeTimeInMinutes": opt_int(linear.get("stepBakeTimeInMinutes")),
                }
            )
            if linear
            else None,
        }
    )


def _advanced(req: Request, advanced: dict[str, Any] | None) -> dict[str, Any] | None:
    """A traffic-shift route; its role must exist (ECS assumes it to change the listener rules)."""
    if not advanced:
        return None
    req.client("iam").get_role(RoleName=str(advanced["roleArn"]).rsplit("/", 1)[-1])
    return clean(
        {
            "alternateTargetGroupArn": advanced["alternateTargetGroupArn"],
            "productionListenerRule": advanced["productionListenerRule"],
            "testListenerRule": advanced.get("testListenerRule"),
            "roleArn": advanced["roleArn"],
        }
    )


@handles(rt.ECS_SERVICE)
def _ecs_service(req: Request) -> Result:
    i = req.inputs
    net = i.get("networkConfiguration") or {}
    registries = i.get("serviceRegistries")
    if isinstance(registries, dict):
        registries = [registries]
    breaker = i.get("deploymentCircuitBreaker")
    alarms = i.get("alarms")
    if alarms:
        _refuse_missing_alarms(req, list(alarms.get("alarmNames") or []))
    deployment = clean(
        {
            "deploymentCircuitBreaker": breaker,
            "minimumHealthyPercent": opt_int(i.get("deploymentMinimumHealthyPercent")),
            "maximumPercent": opt_int(i.get("deploymentMaximumPercent")),
            "alarms": alarms,
            **_strategy(i.get("deploymentConfiguration") or {}),
        }
    )
    service = req.client("ecs").create_service(
        **clean(
            {
                "cluster": i.get("cluster"),
                "serviceName": req.physical_name(),
                "taskDefinition": i.get("taskDefinition"),
                "desiredCount": opt_int(i.get("desiredCount")),
                "launchType": i.get("launchType"),
                "capacityProviderStrategy": [
                    {
                        "capacityProvider": s["capacityProvider"],
                        "weight": int(s.get("weight", 0)),
                        "base": int(s.get("base", 0)),
                    }
                    for s in i.get("capacityProviderStrategies") or []
                ],
                "platformVersion": i.get("platformVersion"),
                "networkConfiguration": (
                    {
                        "awsvpcConfiguration": clean(
                            {
                                "subnets": list(net.get("subnets") or []),
                                "securityGroups": list(net.get("securityGroups") or []),
                                "assignPublicIp": "ENABLED" if net.get("assignPublicIp") else "DISABLED",
                            }
                        )
                    }
                    if net
                    else None
                ),
                "loadBalancers": [
                    clean(
                        {
                            "targetGroupArn": lb["targetGroupArn"],
                            "containerName": lb["containerName"],
                            "containerPort": int(lb["containerPort"]),
                            "advancedConfiguration": _advanced(req, lb.get("advancedConfiguration")),
                        }
                    )
                    for lb in i.get("loadBalancers") or []
                ],
                "healthCheckGracePeriodSeconds": opt_int(i.get("healthCheckGracePeriodSeconds")),
                "serviceRegistries": registries,
                "deploymentConfiguration": deployment,
                "enableExecuteCommand": i.get("enableExecuteCommand"),
                "enableECSManagedTags": i.get("enableEcsManagedTags"),
                "propagateTags": i.get("propagateTags"),
                "schedulingStrategy": i.get("schedulingStrategy"),
                "tags": req.tag_list("key", "value"),
            }
        )
    )["service"]
    return service["serviceArn"], {"name": service["serviceName"], "cluster": service["clusterArn"]}

"""ECS in the emulator: the services, their task definitions, and the rotation redeploy that targets them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from tests.tooling.emulator.support import Emulated

pytestmark = pytest.mark.moto


class TestDeployedServices:
    """The ECS services of each deployed stack and what redeploys them."""

    def test_three_ecs_services_on_the_cluster_with_their_task_definitions(self, emulated: Emulated) -> None:
        ecs = emulated.client("ecs")
        cluster = f"arbiter-{emulated.stack}"
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
        services = ecs.describe_services(cluster=cluster, services=arns)["services"]
        assert sorted(s["serviceName"] for s in services) == ["telegram-bot", "trading-core", "web-api"]
        for s in services:
            td = ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
            assert td["family"] == f"arbiter-{emulated.stack}-{s['serviceName']}"
            assert td["networkMode"] == "awsvpc"
            assert s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
            assert set(s["networkConfiguration"]["awsvpcConfiguration"]["subnets"]) == set(
                emulated.deployment.outputs["privateSubnetIds"]
            )
        web = next(s for s in services if s["serviceName"] == "web-api")
        assert len(web["loadBalancers"]) == 2

    def test_rotation_of_the_master_secret_redeploys_its_consumers(self, emulated: Emulated) -> None:
        """The rule matches AWS's rotation event for the master secret only, and starts the machine,
        which force-deploys exactly the ECS services whose tasks inject that secret."""
        events, sfn, ecs = emulated.client("events"), emulated.client("stepfunctions"), emulated.client("ecs")
        outputs = emulated.deployment.outputs
        master = outputs["databaseMasterSecretArn"]
        [rule] = events.list_rules(NamePrefix=f"arbiter-{emulated.stack}-db-rotated")["Rules"]

        def event(secret: str, name: str = "RotationSucceeded") -> dict[str, Any]:
            return {
                "source": "aws.secretsmanager",
                "detail-type": "AWS Service Event via CloudTrail",
                "detail": {
                    "eventSource": "secretsmanager.amazonaws.com",
                    "eventName": name,
                    "additionalEventData": {"SecretId": secret},
                },
            }

        # moto has no TestEventPattern API; its own EventBridge matcher (what its rules use) decides.
        pattern = EventPattern.load(rule["EventPattern"])
        assert pattern.matches_event(event(master))
        assert not pattern.matches_event(event(master, "RotationFailed"))
        assert not pattern.matches_event(event(outputs["redisUserSecretArns"]["web-api"]))
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        machine = sfn.describe_state_machine(stateMachineArn=target["Arn"])
        assert target["Arn"] == outputs["rotationRedeployStateMachineArn"]
        assert machine["type"] == "STANDARD"
        assert machine["loggingConfiguration"]["level"] == "ALL"
        [parallel] = json.loads(machine["definition"])["States"].values()
        redeployed = {
            b["States"][next(iter(b["States"]))]["Parameters"]["Service"] for b in parallel["Branches"]
        }
        cluster = outputs["clusterName"]
        services = ecs.describe_services(cluster=cluster, services=outputs["serviceNames"])["services"]
        injecting = set()
        for svc in services:
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            refs = [s["valueFrom"] for c in td["containerDefinitions"] for s in c.get("secrets", [])]
            if any(r.startswith(f"{master}:") for r in refs):
                injecting.add(svc["serviceArn"])
        assert redeployed == injecting and len(injecting) == 2

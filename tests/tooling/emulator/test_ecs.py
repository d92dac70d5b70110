"""ECS in the emulator: the services, their task definitions, and the rotation redeploy that targets them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.events.models import EventPattern

from arbiter_tools.emulator import EmulatorMocks
from policies import resource_types as rt
from tests.tooling.emulator.support import Emulated, one_line_error, resource_args

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
        assert not pattern.matches_event(event(outputs["redisAuthSecretArn"]))
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

    def test_prod_web_api_shifts_through_real_alternate_groups_and_rules(self, emulated: Emulated) -> None:
        """In moto: each route of the canary names an existing alternate group of the same protocol,
        a production rule forwarding to both groups (all weight on the primary), and ECS's role."""
        ecs, elb, iam = emulated.client("ecs"), emulated.client("elbv2"), emulated.client("iam")
        cluster = f"arbiter-{emulated.stack}"
        [web] = ecs.describe_services(cluster=cluster, services=["web-api"])["services"]
        advanced = [lb.get("advancedConfiguration") for lb in web["loadBalancers"]]
        if emulated.stack == "staging":
            assert advanced == [None, None]
            return
        role = iam.get_role(RoleName=f"arbiter-{emulated.stack}-ecs-traffic-shift")["Role"]
        for lb, route in zip(web["loadBalancers"], advanced, strict=True):
            assert route is not None and route["roleArn"] == role["Arn"]
            primary, alternate = elb.describe_target_groups(
                TargetGroupArns=[lb["targetGroupArn"], route["alternateTargetGroupArn"]]
            )["TargetGroups"]
            assert primary["ProtocolVersion"] == alternate["ProtocolVersion"]
            [rule] = elb.describe_rules(RuleArns=[route["productionListenerRule"]])["Rules"]
            [action] = rule["Actions"]
            weights = {t["TargetGroupArn"]: t["Weight"] for t in action["ForwardConfig"]["TargetGroups"]}
            assert weights == {lb["targetGroupArn"]: 100, route["alternateTargetGroupArn"]: 0}


def test_a_service_created_before_its_deployment_alarms_is_refused(aws: boto3.Session) -> None:
    """ECS watches the alarms from the first deployment: the emulator refuses a lost dependency."""
    mocks = EmulatorMocks(session=aws)
    args = resource_args(
        rt.ECS_SERVICE,
        "svc",
        name="svc",
        cluster="arbiter-unit",
        desiredCount=1,
        alarms={"alarmNames": ["arbiter-unit-ecs-memory-svc"], "enable": True, "rollback": True},
    )
    assert "deployment alarms ['arbiter-unit-ecs-memory-svc'] do not exist" in one_line_error(mocks, args)

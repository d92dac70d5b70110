"""ECS in the emulator: the services and their task definitions (none holds the master secret)."""

from __future__ import annotations

import json

import boto3
import pytest

from arbiter_tools.emulator import EmulatorMocks
from policies import resource_types as rt
from tests.tooling.emulator.support import Emulated, one_line_error, resource_args

pytestmark = pytest.mark.moto


class TestDeployedServices:
    """The ECS services of each deployed stack and what they may read."""

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

    def test_no_task_definition_holds_the_master_secret(self, emulated: Emulated) -> None:
        """A rotation of the master password concerns no service: none injects it, none may read it."""
        ecs, iam = emulated.client("ecs"), emulated.client("iam")
        outputs = emulated.deployment.outputs
        master = outputs["databaseMasterSecretArn"]
        services = ecs.describe_services(cluster=outputs["clusterName"], services=outputs["serviceNames"])
        for svc in services["services"]:
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            refs = [s["valueFrom"] for c in td["containerDefinitions"] for s in c.get("secrets", [])]
            assert not [r for r in refs if r.startswith(master)], svc["serviceName"]
            exec_role = td["executionRoleArn"].rsplit("/", 1)[1]
            for name in iam.list_role_policies(RoleName=exec_role)["PolicyNames"]:
                document = json.dumps(
                    iam.get_role_policy(RoleName=exec_role, PolicyName=name)["PolicyDocument"]
                )
                assert master not in document, exec_role

    def test_the_database_users_function_runs_in_the_private_subnets(self, emulated: Emulated) -> None:
        outputs = emulated.deployment.outputs
        function = emulated.client("lambda").get_function(FunctionName=outputs["databaseUsersFunctionName"])
        config = function["Configuration"]
        assert config["Runtime"] == "python3.12"
        assert set(config["VpcConfig"]["SubnetIds"]) == set(outputs["privateSubnetIds"])
        assert config["Role"].endswith(f"arbiter-{emulated.stack}-database-users-exec")

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

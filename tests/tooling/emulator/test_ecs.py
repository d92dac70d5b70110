"""ECS in the emulator: the services and their task definitions (none holds the master secret)."""

from __future__ import annotations

import json

import pytest

from tests.tooling.emulator.support import Emulated

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

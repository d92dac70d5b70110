"""The database users in both stacks: one per database-using service, from the stack file, made by
the bootstrap function before any task logs in, reached only through its own security group."""

from __future__ import annotations

import json

from arbiter_infra.database_access import access_sql, users_from
from arbiter_tools.runtime import Deployment
from tests.conftest import stack_sections

FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _event(d: Deployment) -> dict:
    return json.loads(d.one(INVOCATION).inputs["input"])


def test_the_sql_is_the_stack_files_access(deployment: Deployment) -> None:
    services = stack_sections(deployment.stack)["services"]
    access = {
        "trading_core": services["tradingCore"]["databaseAccess"],
        "web_api": services["webApi"]["databaseAccess"],
    }
    database = stack_sections(deployment.stack)["database"]
    event = _event(deployment)
    assert event["statements"] == access_sql(
        database["databaseName"], database["masterUsername"], users_from(access)
    )
    assert event["users"] == ["trading_core", "web_api"]
    assert deployment.outputs["databaseUsers"] == {"trading-core": "trading_core", "web-api": "web_api"}


def test_the_function_reads_the_clusters_master_secret_and_runs_in_the_private_subnets(
    deployment: Deployment,
) -> None:
    event = _event(deployment)
    cluster = deployment.one("aws:rds/cluster:Cluster")
    assert event["masterSecretArn"] == cluster.outputs["masterUserSecrets"][0]["secretArn"]
    assert event["host"] == cluster.outputs["endpoint"]
    fn = deployment.one(FUNCTION)
    assert sorted(fn.inputs["vpcConfig"]["subnetIds"]) == sorted(deployment.outputs["privateSubnetIds"])


def test_only_the_functions_group_and_the_services_reach_5432(deployment: Deployment) -> None:
    groups = {g.id: g.inputs["name"] for g in deployment.of_type("aws:ec2/securityGroup:SecurityGroup")}
    fn_group = deployment.one(FUNCTION).inputs["vpcConfig"]["securityGroupIds"]
    assert [groups[g] for g in fn_group] == [f"arbiter-{deployment.stack}-database-users"]
    database = next(i for i, n in groups.items() if n == f"arbiter-{deployment.stack}-database")
    sources = {
        groups[r.inputs["referencedSecurityGroupId"]]
        for r in deployment.of_type(INGRESS)
        if r.inputs["securityGroupId"] == database
    }
    p = f"arbiter-{deployment.stack}"
    assert sources == {f"{p}-trading-core", f"{p}-web-api", f"{p}-database-users"}


def test_it_runs_after_a_writer_exists_and_before_any_service(deployment: Deployment) -> None:
    invocation = deployment.one(INVOCATION)
    instances = {i.urn for i in deployment.of_type("aws:rds/clusterInstance:ClusterInstance")}
    assert instances <= set(invocation.dependencies)
    tier = deployment.one("arbiter:services:ServiceTier")
    assert invocation.urn in tier.dependencies

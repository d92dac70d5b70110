"""Both stacks: every deployment rolls back on its alarms, prod's web-api shifts traffic, staging rolls,
trading-core never surges past its desired count."""

from __future__ import annotations

import json

import pytest

from arbiter_infra.application import SERVICES
from arbiter_tools.runtime import Deployment
from tests.program.monitoring_helpers import ALARM, ECS_SERVICE, alarms_of

LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ROLE = "aws:iam/role:Role"

#: What each service's deployment rolls back on, written out (not read from the table).
DEPLOYMENT_ALARMS = {
    "trading-core": {"ecs-memory-trading-core"},
    "telegram-bot": {"ecs-memory-telegram-bot", "ecs-running-tasks-telegram-bot"},
    "web-api": {
        "ecs-memory-web-api",
        "ecs-running-tasks-web-api",
        "alb-target-5xx",
        "alb-elb-5xx",
        "alb-response-time",
    },
}


def test_every_service_rolls_back_on_its_own_alarms_created_before_it(deployment: Deployment) -> None:
    p = f"arbiter-{deployment.stack}-"
    alarms = alarms_of(deployment)
    for svc in SERVICES:
        [ecs] = [s for s in deployment.of_type(ECS_SERVICE) if s.inputs["name"] == svc]
        config = ecs.inputs["alarms"]
        assert config["enable"] is True and config["rollback"] is True, svc
        assert {n.removeprefix(p) for n in config["alarmNames"]} == DEPLOYMENT_ALARMS[svc], svc
        # ECS reads the alarms from the first deployment: each must exist before the service.
        for name in config["alarmNames"]:
            assert alarms[name].urn in ecs.dependencies, (svc, name)
            # AWS limits alarm names to 255 characters.
            assert len(name) <= 255
        assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_the_alarms_of_a_service_watch_that_service(deployment: Deployment) -> None:
    p = f"arbiter-{deployment.stack}-"
    lb = deployment.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    for svc, names in DEPLOYMENT_ALARMS.items():
        for name in names:
            dims = alarms_of(deployment)[p + name].inputs["dimensions"]
            assert dims.get("ServiceName", svc) == svc and dims.get("LoadBalancer", lb) == lb, name


def test_prod_web_api_shifts_traffic_gradually_with_a_bake_time(prod: Deployment) -> None:
    [web] = [s for s in prod.of_type(ECS_SERVICE) if s.inputs["name"] == "web-api"]
    strategy = web.inputs["deploymentConfiguration"]
    assert strategy["strategy"] in ("CANARY", "LINEAR")
    assert int(strategy["bakeTimeInMinutes"]) >= 5
    assert strategy["canaryConfiguration"] == {"canaryPercent": 10, "canaryBakeTimeInMinutes": "10"}
    groups = {tg.outputs["arn"]: tg for tg in prod.of_type(TARGET_GROUP)}
    rules = {r.outputs["arn"]: r for r in prod.of_type(LISTENER_RULE)}
    [role] = [r for r in prod.of_type(ROLE) if r.inputs["name"] == "arbiter-prod-ecs-traffic-shift"]
    versions = set()
    for lb in web.inputs["loadBalancers"]:
        advanced = lb["advancedConfiguration"]
        primary, alternate = groups[lb["targetGroupArn"]], groups[advanced["alternateTargetGroupArn"]]
        assert primary.inputs["protocolVersion"] == alternate.inputs["protocolVersion"]
        versions.add(primary.inputs["protocolVersion"])
        rule = rules[advanced["productionListenerRule"]]
        [action] = rule.inputs["actions"]
        assert {t["arn"] for t in action["forward"]["targetGroups"]} == {
            primary.outputs["arn"],
            alternate.outputs["arn"],
        }
        assert advanced["roleArn"] == role.outputs["arn"]
        assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
            "Service": "ecs.amazonaws.com"
        }
    # REST and gRPC both shift.
    assert versions == {"HTTP1", "GRPC"}


def test_staging_rolls_and_needs_no_alternate_groups(staging: Deployment) -> None:
    for ecs in staging.of_type(ECS_SERVICE):
        assert ecs.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
        assert all("advancedConfiguration" not in lb for lb in ecs.inputs.get("loadBalancers") or [])
    assert len(staging.of_type(TARGET_GROUP)) == 2
    assert not [r for r in staging.of_type(ROLE) if r.inputs["name"].endswith("ecs-traffic-shift")]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_trading_core_never_runs_more_tasks_than_desired(
    stack: str, staging: Deployment, prod: Deployment
) -> None:
    """The infrastructure half of "never two trading revisions": no surge past the desired count
    (ECS rounds maximumPercent down) and every old task may stop before a new one starts."""
    d = {"staging": staging, "prod": prod}[stack]
    [core] = [s for s in d.of_type(ECS_SERVICE) if s.inputs["name"] == "trading-core"]
    desired = core.inputs["desiredCount"]
    assert desired * core.inputs["deploymentMaximumPercent"] // 100 <= desired
    assert core.inputs["deploymentMinimumHealthyPercent"] == 0
    assert core.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert not core.inputs.get("loadBalancers")
    # Never autoscaled: more replicas would be more traders.
    assert "desiredCount" not in core.ignore_changes


def test_deployment_alarm_count_matches_the_table(deployment: Deployment) -> None:
    marked = sum(len(names) for names in DEPLOYMENT_ALARMS.values())
    declared = sum(len(s.inputs["alarms"]["alarmNames"]) for s in deployment.of_type(ECS_SERVICE))
    assert declared == marked == 8
    assert len(deployment.of_type(ALARM)) >= declared

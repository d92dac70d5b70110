"""RotationRedeploy alone: the services it is given, and only those, are redeployed after a rotation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.naming import Naming
from components import rotation_redeploy
from components.rotation_redeploy import RotationRedeploy, RotationRedeployArgs
from tests.components.conftest import Build

SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!cluster-unit"
CLUSTER = "arn:aws:ecs:us-east-1:111122223333:cluster/arbiter-unit"


def _redeployed(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Service ARN -> its task state, from the parallel branches."""
    [parallel] = definition["States"].values()
    assert parallel["Type"] == "Parallel"
    out = {}
    for branch in parallel["Branches"]:
        [task] = branch["States"].values()
        out[task["Parameters"]["Service"]] = task
    return out


def _args(naming: Naming, services: dict[str, str]) -> RotationRedeployArgs:
    return RotationRedeployArgs(
        naming=naming,
        account_id="111122223333",
        kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/unit",
        secret_arn=SECRET,
        cluster_arn=CLUSTER,
        services=services,
    )


def test_definition_builder_needs_no_aws() -> None:
    definition = rotation_redeploy.redeploy_definition("cluster", {"b": "arn-b", "a": "arn-a"})
    assert list(_redeployed(definition)) == ["arn-a", "arn-b"]


@pytest.mark.parametrize("services", [{}])
def test_no_consumers_is_a_programming_error(services: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="at least one service"):
        RotationRedeploy("x", _args(Naming("staging"), services))


def test_exactly_the_given_services_are_redeployed_and_may_be_updated(build: Build, naming: Naming) -> None:
    services = {"one": "arn:svc/one", "two": "arn:svc/two"}
    d = build(lambda: RotationRedeploy("unit-rotation", _args(naming, services)))
    machine = d.one("aws:sfn/stateMachine:StateMachine")
    tasks = _redeployed(json.loads(machine.inputs["definition"]))
    assert set(tasks) == set(services.values())
    assert all(t["Parameters"]["Cluster"] == CLUSTER for t in tasks.values())
    [sfn_policy] = [
        p for p in d.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "unit-rotation-role-policy"
    ]
    statements = {s["Sid"]: s for s in json.loads(sfn_policy.inputs["policy"])["Statement"]}
    assert statements["RedeployConsumers"]["Resource"] == ["arn:svc/one", "arn:svc/two"]
    rule = d.one("aws:cloudwatch/eventRule:EventRule")
    assert json.loads(rule.inputs["eventPattern"]) == rotation_redeploy.rotation_event_pattern(SECRET)

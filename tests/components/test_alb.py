"""LoadBalancer alone: HTTPS always, gRPC routed to its own group, a self-signed certificate without one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.naming import Naming
from components.alb import (
    ECS_LB_READ_ACTIONS,
    ECS_LB_ROUTING_ACTIONS,
    ECS_LB_TARGET_ACTIONS,
    LoadBalancer,
    LoadBalancerArgs,
)
from tests.components.conftest import Build
from tests.components.service_fixtures import ACCOUNT, REGION, service_config, services_config, statements

CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
CONFIGS = {name: service_config() for name in ("a", "b", "c")}


def _lb(naming: Naming, region: str = REGION, traffic_shift: bool = False, **config: Any) -> LoadBalancer:
    return LoadBalancer(
        "unit-lb",
        LoadBalancerArgs(
            config=services_config(CONFIGS, **config),
            naming=naming,
            region=region,
            account_id=ACCOUNT,
            vpc_id="vpc-unit",
            subnet_ids=["subnet-a", "subnet-b"],
            security_group_id="sg-alb",
            target_port=8443,
            target_label="api",
            traffic_shift=traffic_shift,
            permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/arbiter-unit-boundary",
        ),
    )


def test_rolling_needs_no_alternate_groups_rules_or_role(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming))
    assert len(d.of_type("aws:lb/targetGroup:TargetGroup")) == 2
    assert len(d.of_type("aws:lb/listenerRule:ListenerRule")) == 1
    assert d.of_type("aws:iam/role:Role") == []


def test_a_traffic_shift_has_an_alternate_group_and_a_production_rule_per_protocol(
    build: Build, naming: Naming
) -> None:
    """ECS shifts listener RULES (not default actions) between two groups for REST and for gRPC."""
    d = build(lambda: _lb(naming, traffic_shift=True))
    groups = {tg.inputs["name"]: tg for tg in d.of_type("aws:lb/targetGroup:TargetGroup")}
    short = naming.short
    assert set(groups) == {f"{short}-api-{k}" for k in ("rest", "grpc", "rest-alt", "grpc-alt")}
    for key in ("rest", "grpc"):
        primary, alternate = groups[f"{short}-api-{key}"], groups[f"{short}-api-{key}-alt"]
        for field in ("protocolVersion", "port", "healthCheck", "targetType"):
            assert primary.inputs[field] == alternate.inputs[field], (key, field)
    rules = {r.inputs["priority"]: r for r in d.of_type("aws:lb/listenerRule:ListenerRule")}
    assert set(rules) == {10, 20}  # gRPC by content-type first, then the REST catch-all
    assert rules[10].inputs["conditions"][0]["httpHeader"]["values"] == ["application/grpc*"]
    assert rules[20].inputs["conditions"][0]["pathPattern"]["values"] == ["/*"]
    for priority, key in ((10, "grpc"), (20, "rest")):
        [action] = rules[priority].inputs["actions"]
        weights = {t["arn"]: t["weight"] for t in action["forward"]["targetGroups"]}
        assert weights == {
            groups[f"{short}-api-{key}"].outputs["arn"]: 100,
            groups[f"{short}-api-{key}-alt"].outputs["arn"]: 0,
        }
        # ECS moves the weights; they are not the program's to put back.
        assert "actions" in rules[priority].ignore_changes


def test_the_traffic_shift_role_is_ecs_s_and_reaches_only_this_alb(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming, traffic_shift=True))
    role = d.one("aws:iam/role:Role")
    assert role.inputs["name"] == "arbiter-unit-ecs-traffic-shift"
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/arbiter-unit-boundary"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs.amazonaws.com"}]
    stmts = statements(d.one("aws:iam/rolePolicy:RolePolicy"))
    group_arns = sorted(tg.outputs["arn"] for tg in d.of_type("aws:lb/targetGroup:TargetGroup"))
    assert sorted(stmts["RegisterRevisions"]["Resource"]) == group_arns
    rule_arns = {r.outputs["arn"] for r in d.of_type("aws:lb/listenerRule:ListenerRule")}
    [https] = [lst for lst in d.of_type("aws:lb/listener:Listener") if lst.inputs["port"] == 443]
    assert set(stmts["ShiftProductionRules"]["Resource"]) == rule_arns
    assert stmts["ShiftProductionListener"]["Resource"] == [https.outputs["arn"]]
    # The actions of AWS's managed policy for this role, nothing more.
    granted = {a for s in stmts.values() for a in s["Action"]}
    assert granted == set(ECS_LB_READ_ACTIONS + ECS_LB_TARGET_ACTIONS + ECS_LB_ROUTING_ACTIONS)


def test_target_groups_carry_the_label_and_port(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming))
    groups = {tg.inputs["protocolVersion"]: tg for tg in d.of_type("aws:lb/targetGroup:TargetGroup")}
    assert {v: g.inputs["name"] for v, g in groups.items()} == {
        "HTTP1": f"{naming.short}-api-rest",
        "GRPC": f"{naming.short}-api-grpc",
    }
    assert all(g.inputs["port"] == 8443 for g in groups.values())
    rule = d.one("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["actions"][0]["targetGroupArn"] == groups["GRPC"].outputs["arn"]


def test_a_configured_certificate_is_used_and_none_generated(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming, certificateArn=CERT))
    https = [lst for lst in d.of_type("aws:lb/listener:Listener") if lst.inputs["port"] == 443]
    assert [lst.inputs["certificateArn"] for lst in https] == [CERT]
    assert d.of_type("aws:acm/certificate:Certificate") == []
    assert d.warnings == []


def test_without_a_certificate_a_self_signed_one_is_imported(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming))
    acm = d.one("aws:acm/certificate:Certificate")
    [https] = [lst for lst in d.of_type("aws:lb/listener:Listener") if lst.inputs["port"] == 443]
    assert https.inputs["certificateArn"] == acm.outputs["arn"]
    assert "privateKey" in acm.secret_inputs
    assert any("self-signed" in w for w in d.warnings)


def test_deletion_protection_also_protects_the_access_logs(build: Build, naming: Naming) -> None:
    d = build(lambda: _lb(naming, albDeletionProtection=True))
    assert d.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True
    bucket = d.one("aws:s3/bucket:Bucket")
    assert bucket.protect is True and bucket.inputs["forceDestroy"] is False


def test_a_region_without_a_known_log_account_is_refused(build: Build, naming: Naming) -> None:
    with pytest.raises(ValueError, match="no ELB log-delivery account"):
        build(lambda: _lb(naming, region="eu-central-1"))

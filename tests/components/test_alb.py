"""LoadBalancer alone: HTTPS always, gRPC routed to its own group, a self-signed certificate without one."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_infra.naming import Naming
from components.alb import LoadBalancer, LoadBalancerArgs
from tests.components.conftest import Build
from tests.components.service_fixtures import ACCOUNT, REGION, service_config, services_config

CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
CONFIGS = {name: service_config() for name in ("a", "b", "c")}


def _lb(naming: Naming, region: str = REGION, **config: Any) -> LoadBalancer:
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
        ),
    )


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

"""The cost estimate: what it prices, from which dated source, and the targets both stacks meet."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import pytest

from arbiter_infra import catalog
from arbiter_tools.pricing import CostEstimate, endpoint_break_even_gb, estimate, price_table
from arbiter_tools.runtime import DeclaredResource, Deployment

HOURS = 730
#: On-demand us-east-1, usage excluded, with WAF and backups: prod at the application's documented
#: sizing cost, staging at a price that does not need a discussion.
TARGETS = {"prod": 1342.0, "staging": 200.0}
WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def resource(
    type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None
) -> DeclaredResource:
    return DeclaredResource(
        urn=f"urn:pulumi:t::arbiter::{type_}::{name}",
        type=type_,
        name=name,
        parent=None,
        custom=True,
        id=f"{name}-id",
        inputs=inputs,
        outputs=outputs or {},
        secret_inputs=frozenset(),
        provider=None,
        protect=False,
        dependencies=(),
    )


def deployment(*resources: DeclaredResource) -> Deployment:
    return Deployment(stack="t", resources=list(resources), outputs={}, secret_outputs=frozenset())


def lines(cost: CostEstimate) -> dict[str, tuple[float, float]]:
    return {i.item: (i.quantity, i.monthly_usd) for i in cost.items}


def managed(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "priority": 1,
        "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": name}},
        "overrideAction": {"none": {}},
        "visibilityConfig": {},
    }


#: The hardening's web ACL: three AWS managed rule groups and a rate-based rule per client IP.
HARDENING_ACL_RULES = [
    managed("AWSManagedRulesCommonRuleSet"),
    managed("AWSManagedRulesKnownBadInputsRuleSet"),
    managed("AWSManagedRulesAmazonIpReputationList"),
    {
        "name": "rate",
        "priority": 4,
        "action": {"block": {}},
        "statement": {"rateBasedStatement": {"limit": 2000}},
    },
]


# --- the table ----------------------------------------------------------------------------------


def _price_keys(table: dict[str, Any]) -> set[tuple[str, str]]:
    """(price table, its entry): `hourly.aurora_instance` with `db.r6g.large`, `monthly.secret` with ''."""
    keys = set()
    for section in ("hourly", "monthly", "per_gb", "free_per_account"):
        for key, value in table[section].items():
            if isinstance(value, dict):
                keys |= {(f"{section}.{key}", sub) for sub in value}
            else:
                keys.add((f"{section}.{key}", ""))
    return keys


def test_every_price_has_a_dated_source() -> None:
    table = price_table()
    covered: dict[str, str] = {}
    for source in table["sources"]:
        read = datetime.date.fromisoformat(source["read"])
        assert source["page"].startswith("https://aws.amazon.com/") and source["note"]
        for key in source["covers"]:
            covered[key] = str(read)
    missing = []
    for group, entry in _price_keys(table):
        # A source covering a whole class table (hourly.aurora_instance) covers each class in it.
        if group not in covered and f"{group}.{entry}" not in covered:
            missing.append(f"{group} {entry}")
    assert missing == []
    # The header's date is the oldest reading: no price in the table is older than it says.
    assert table["as_of"] == min(s["read"] for s in table["sources"])


def test_table_prices_every_supported_class_and_both_architectures() -> None:
    hourly = price_table()["hourly"]
    assert set(catalog.AURORA_INSTANCE_MEMORY_GIB) <= set(hourly["aurora_instance"])
    assert set(catalog.CACHE_NODE_MEMORY_GIB) <= set(hourly["cache_node"])
    assert set(catalog.CACHE_NODE_MEMORY_GIB) <= set(hourly["cache_node_valkey"])
    for kind in ("fargate_vcpu", "fargate_gb"):
        assert set(hourly[kind]) == {"X86_64", "ARM64"}
        assert hourly[kind]["ARM64"] < hourly[kind]["X86_64"]  # Graviton is the cheaper one


def test_backup_and_waf_usage_are_listed_as_excluded() -> None:
    excluded = " ".join(price_table()["excluded_usage_based"])
    assert "AWS Backup storage" in excluded and "WAF requests" in excluded


# --- lines --------------------------------------------------------------------------------------


def test_graviton_tasks_are_priced_at_the_arm_rate() -> None:
    td = {"cpu": "4096", "memory": "8192"}
    arm = resource(
        "aws:ecs/taskDefinition:TaskDefinition",
        "td",
        {**td, "runtimePlatform": {"cpuArchitecture": "ARM64"}},
        {"arn": "arn:td:1"},
    )
    x86 = resource("aws:ecs/taskDefinition:TaskDefinition", "td", td, {"arn": "arn:td:1"})
    svc = resource(
        "aws:ecs/service:Service",
        "svc",
        {"name": "trading-core", "taskDefinition": "arn:td:1", "desiredCount": 2},
    )
    arm_cost = lines(estimate(deployment(arm, svc)))["Fargate trading-core (4 vCPU / 8 GB, ARM64)"]
    x86_cost = lines(estimate(deployment(x86, svc)))["Fargate trading-core (4 vCPU / 8 GB, X86_64)"]
    assert arm_cost == (2, round(2 * (4 * 0.03238 + 8 * 0.00356) * HOURS, 2))
    assert x86_cost == (2, round(2 * (4 * 0.04048 + 8 * 0.004445) * HOURS, 2))


def test_valkey_nodes_cost_a_fifth_less_than_redis_oss_nodes() -> None:
    hourly = price_table()["hourly"]
    for node, redis in hourly["cache_node"].items():
        assert hourly["cache_node_valkey"][node] == round(redis * 0.8, 4), node
    group = {"nodeType": "cache.r6g.large", "numCacheClusters": 3}
    redis = resource("aws:elasticache/replicationGroup:ReplicationGroup", "r", {**group, "engine": "redis"})
    valkey = resource("aws:elasticache/replicationGroup:ReplicationGroup", "v", {**group, "engine": "valkey"})
    assert lines(estimate(deployment(redis)))["ElastiCache Redis OSS cache.r6g.large"] == (3, 451.14)
    assert lines(estimate(deployment(valkey)))["ElastiCache Valkey cache.r6g.large"] == (3, 360.91)


def test_both_stacks_price_their_configured_engine(staging: Deployment, prod: Deployment) -> None:
    for d in (staging, prod):
        [group] = d.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
        engine = {"redis": "Redis OSS", "valkey": "Valkey"}[group.inputs["engine"]]
        assert f"ElastiCache {engine} {group.inputs['nodeType']}" in lines(estimate(d))


def test_internet_facing_alb_pays_one_public_ipv4_per_subnet() -> None:
    alb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False, "subnets": ["a", "b", "c"]})
    internal = resource("aws:lb/loadBalancer:LoadBalancer", "int", {"internal": True, "subnets": ["a", "b"]})
    got = lines(estimate(deployment(alb, internal)))
    assert got["Public IPv4 address (ALB, one per AZ)"] == (3, round(3 * 0.005 * HOURS, 2))
    assert got["Application Load Balancer (fixed hourly)"][0] == 2


def test_alb_addresses_in_both_stacks(staging: Deployment, prod: Deployment) -> None:
    for d in (staging, prod):
        subnets = len(d.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"])
        assert subnets == 3
        assert lines(estimate(d))["Public IPv4 address (ALB, one per AZ)"] == (3, 10.95)


@pytest.mark.parametrize(("count", "usd"), [(1, 0.0), (3, 0.0), (5, 6.0)])
def test_first_three_dashboards_are_free(count: int, usd: float) -> None:
    boards = [resource("aws:cloudwatch/dashboard:Dashboard", f"b{i}", {}) for i in range(count)]
    assert lines(estimate(deployment(*boards)))["CloudWatch dashboards (first 3 per account free)"] == (
        count,
        usd,
    )


def test_web_acl_priced_by_its_rules() -> None:
    acl = resource(WEB_ACL, "acl", {"scope": "REGIONAL", "rules": HARDENING_ACL_RULES})
    got = lines(estimate(deployment(acl)))
    assert got["WAF web ACLs"] == (1, 5.0)
    assert got["WAF rules (managed rule groups count one each)"] == (4, 4.0)
    # The same rules as JSON (the provider's `ruleJson` input) are counted the same way.
    as_json = resource(
        WEB_ACL, "acl2", {"scope": "REGIONAL", "ruleJson": json.dumps(HARDENING_ACL_RULES[:2])}
    )
    got = lines(estimate(deployment(acl, as_json)))
    assert got["WAF web ACLs"] == (2, 10.0)
    assert got["WAF rules (managed rule groups count one each)"] == (6, 6.0)


def test_only_paying_interface_endpoints_in_prod(staging: Deployment, prod: Deployment) -> None:
    assert lines(estimate(prod))["VPC interface endpoints"] == (
        3,
        round(3 * 0.01 * HOURS, 2),
    )  # secretsmanager x 3 AZs
    assert "VPC interface endpoints" not in lines(estimate(staging))


def test_endpoint_break_even() -> None:
    # 3 AZs x $0.01 x 730 h = $21.90 a month, paid back at $0.045 - $0.01 per GB kept off the NAT.
    assert endpoint_break_even_gb(3) == round(21.9 / 0.035, 1) == 625.7
    assert endpoint_break_even_gb(1) == pytest.approx(endpoint_break_even_gb(3) / 3, abs=0.1)


# --- targets ------------------------------------------------------------------------------------


def _with_hardening(d: Deployment) -> Deployment:
    """The stack as planned, plus the hardening's web ACL where this branch does not declare it yet."""
    if d.of_type(WEB_ACL):
        return d
    acl = resource(WEB_ACL, "waf", {"scope": "REGIONAL", "rules": HARDENING_ACL_RULES})
    backup_key = resource("aws:kms/key:Key", "backup-key-replica-region", {})  # the copy vault's key
    return dataclasses.replace(d, resources=[*d.resources, acl, backup_key])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_targets_met_with_waf_and_backups(stack: str, staging: Deployment, prod: Deployment) -> None:
    d = {"staging": staging, "prod": prod}[stack]
    total = estimate(_with_hardening(d)).total
    assert total <= TARGETS[stack], f"{stack}: ${total:,.2f} > ${TARGETS[stack]:,.2f}"


def test_prod_keeps_the_documented_capacity_and_ha(prod: Deployment) -> None:
    got = lines(estimate(prod))
    assert got["Aurora PostgreSQL db.r6g.large"][0] == 2
    assert got["ElastiCache Valkey cache.r6g.large"][0] == 3
    assert got["NAT gateway"][0] == 3
    assert got["Fargate trading-core (4 vCPU / 8 GB, ARM64)"][0] == 2
    assert got["Fargate web-api (1 vCPU / 2 GB, ARM64)"][0] == 2
    assert got["Fargate telegram-bot (0.5 vCPU / 1 GB, ARM64)"][0] == 1

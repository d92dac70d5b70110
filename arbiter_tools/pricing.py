"""Estimated monthly cost of what a stack declares, from the price table in `data/prices.json`.

The estimate reads the declared resources (not the config), so it prices exactly what `pulumi up`
would create. Only hourly and flat monthly charges are priced; usage-based ones are listed as
excluded, because guessing traffic would make the number look more precise than it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from arbiter_tools.runtime import Deployment

#: ElastiCache engine -> its node-price table in prices.json and its name on the line.
CACHE_NODE_PRICES: Final = {"redis": "cache_node", "valkey": "cache_node_valkey"}
CACHE_ENGINE_NAMES: Final = {"redis": "Redis OSS", "valkey": "Valkey"}


@dataclass(frozen=True)
class LineItem:
    item: str
    quantity: float
    unit: str
    monthly_usd: float


@dataclass(frozen=True)
class CostEstimate:
    items: list[LineItem]
    as_of: str
    region: str
    sources: list[str]
    excluded: list[str]

    @property
    def total(self) -> float:
        return round(sum(i.monthly_usd for i in self.items), 2)


@cache
def price_table() -> dict[str, Any]:
    text = (Path(__file__).parent / "data" / "prices.json").read_text()
    table: dict[str, Any] = json.loads(text)
    return table


def _source_line(source: dict[str, Any]) -> str:
    return f"{source['page']} ({source['note']}; read {source['read']})"


def endpoint_break_even_gb(azs: int) -> float:
    """GB a month through one interface endpoint (in `azs` AZs) at which it costs what the NAT would.

    Both charge per GB processed, the NAT more: the endpoint's hours are paid back only by the
    difference. Below this volume an endpoint is kept for its security value, or not at all.
    """
    table = price_table()
    fixed = azs * float(table["hourly"]["interface_endpoint_az"]) * float(table["hours_per_month"])
    per_gb = table["per_gb"]
    saved = float(per_gb["nat_processing"]) - float(per_gb["interface_endpoint_processing"])
    return round(fixed / saved, 1)


def _waf_rule_count(acl_inputs: dict[str, Any]) -> int:
    """Rules a web ACL is billed for: each item of `rules` (a managed rule group is one rule)."""
    rules = acl_inputs.get("rules")
    if rules is None and isinstance(acl_inputs.get("ruleJson"), str):
        rules = json.loads(acl_inputs["ruleJson"])
    return len(rules) if isinstance(rules, list) else 0


def _price(table: dict[str, Any], kind: str, key: str) -> float:
    try:
        return float(table["hourly"][kind][key])
    except KeyError:
        raise KeyError(f"prices.json has no {kind} price for {key!r}: add it with its source") from None


def estimate(deployment: Deployment) -> CostEstimate:
    """Line items for the stack, grouped by what drives the cost."""
    table = price_table()
    hours = float(table["hours_per_month"])
    items: list[LineItem] = []

    def hourly(item: str, qty: float, rate: float, unit: str = "instance") -> None:
        if qty:
            items.append(LineItem(item, qty, unit, round(qty * rate * hours, 2)))

    def monthly(item: str, qty: float, rate: float, unit: str) -> None:
        if qty:
            items.append(LineItem(item, qty, unit, round(qty * rate, 2)))

    by_class: dict[str, int] = {}
    for inst in deployment.of_type("aws:rds/clusterInstance:ClusterInstance"):
        cls = str(inst.inputs["instanceClass"])
        by_class[cls] = by_class.get(cls, 0) + 1
    for cls, n in sorted(by_class.items()):
        hourly(f"Aurora PostgreSQL {cls}", n, _price(table, "aurora_instance", cls))

    for rg in deployment.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        node = str(rg.inputs["nodeType"])
        engine = str(rg.inputs.get("engine") or "redis")
        hourly(
            f"ElastiCache {CACHE_ENGINE_NAMES.get(engine, engine)} {node}",
            int(rg.inputs.get("numCacheClusters", 1)),
            _price(table, CACHE_NODE_PRICES.get(engine, f"cache_node_{engine}"), node),
            "node",
        )

    task_defs = {
        str(td.outputs.get("arn")): td for td in deployment.of_type("aws:ecs/taskDefinition:TaskDefinition")
    }
    for svc in deployment.of_type("aws:ecs/service:Service"):
        td = task_defs.get(str(svc.inputs.get("taskDefinition")))
        if td is None:
            continue
        arch = str((td.inputs.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64"))
        count = int(svc.inputs.get("desiredCount", 1))
        vcpu = int(td.inputs["cpu"]) / 1024
        gb = int(td.inputs["memory"]) / 1024
        rate = vcpu * _price(table, "fargate_vcpu", arch) + gb * _price(table, "fargate_gb", arch)
        hourly(
            f"Fargate {svc.inputs.get('name', svc.name)} ({vcpu:g} vCPU / {gb:g} GB, {arch})",
            count,
            rate,
            "task",
        )

    hourly(
        "NAT gateway",
        len(deployment.of_type("aws:ec2/natGateway:NatGateway")),
        table["hourly"]["nat_gateway"],
        "gateway",
    )
    hourly(
        "Public IPv4 address (NAT EIP)",
        len(deployment.of_type("aws:ec2/eip:Eip")),
        table["hourly"]["public_ipv4"],
        "address",
    )
    # An internet-facing ALB holds one public IPv4 address per subnet (AZ) it is placed in.
    alb_addresses = sum(
        len(lb.inputs.get("subnets") or lb.inputs.get("subnetMappings") or [])
        for lb in deployment.of_type("aws:lb/loadBalancer:LoadBalancer")
        if not lb.inputs.get("internal", False)
    )
    hourly("Public IPv4 address (ALB, one per AZ)", alb_addresses, table["hourly"]["public_ipv4"], "address")
    endpoint_azs = sum(
        len(e.inputs.get("subnetIds") or [])
        for e in deployment.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs.get("vpcEndpointType") == "Interface"
    )
    hourly("VPC interface endpoints", endpoint_azs, table["hourly"]["interface_endpoint_az"], "endpoint-AZ")
    hourly(
        "Application Load Balancer (fixed hourly)",
        len(deployment.of_type("aws:lb/loadBalancer:LoadBalancer")),
        table["hourly"]["alb"],
        "ALB",
    )
    flat = table["monthly"]
    monthly("KMS customer-managed keys", len(deployment.of_type("aws:kms/key:Key")), flat["kms_key"], "key")
    monthly(
        "Secrets Manager secrets",
        len(deployment.of_type("aws:secretsmanager/secret:Secret")),
        flat["secret"],
        "secret",
    )
    monthly(
        "CloudWatch alarms",
        len(deployment.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")),
        flat["alarm"],
        "alarm",
    )
    dashboards = len(deployment.of_type("aws:cloudwatch/dashboard:Dashboard"))
    free = int(table["free_per_account"]["dashboard"])
    if dashboards:
        # The free ones are per account: another stack's dashboards in it may use them up first.
        items.append(
            LineItem(
                f"CloudWatch dashboards (first {free} per account free)",
                dashboards,
                "dashboard",
                round(max(0, dashboards - free) * float(flat["dashboard"]), 2),
            )
        )
    acls = deployment.of_type("aws:wafv2/webAcl:WebAcl")
    monthly("WAF web ACLs", len(acls), flat["waf_web_acl"], "web ACL")
    monthly(
        "WAF rules (managed rule groups count one each)",
        sum(_waf_rule_count(a.inputs) for a in acls),
        flat["waf_rule"],
        "rule",
    )
    return CostEstimate(
        items=items,
        as_of=str(table["as_of"]),
        region=str(table["region"]),
        sources=[_source_line(s) for s in table["sources"]],
        excluded=list(table["excluded_usage_based"]),
    )

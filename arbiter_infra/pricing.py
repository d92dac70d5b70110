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
from typing import Any

from arbiter_infra.runtime import Deployment


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
        hourly(
            f"ElastiCache Redis {node}",
            int(rg.inputs.get("numCacheClusters", 1)),
            _price(table, "cache_node", node),
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
    monthly(
        "CloudWatch dashboards",
        len(deployment.of_type("aws:cloudwatch/dashboard:Dashboard")),
        flat["dashboard"],
        "dashboard",
    )
    return CostEstimate(
        items=items,
        as_of=str(table["as_of"]),
        region=str(table["region"]),
        sources=list(table["sources"]),
        excluded=list(table["excluded_usage_based"]),
    )

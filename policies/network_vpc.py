"""Each VPC's baseline: its default security group adopted and emptied, its traffic in flow logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import UNKNOWN, ArbiterPolicy, StackView, as_list, index_by
from policies.resource_types import DEFAULT_SG, FLOW_LOG, VPC


def _default_security_group_closed(view: StackView) -> Iterator[tuple[str, str | None]]:
    defaults = view.of_type(DEFAULT_SG)
    for sg in defaults:
        # An unknown list may be empty; a list with an item (even an unknown one) holds a rule.
        if any(rules is not UNKNOWN and as_list(rules) for rules in (sg.get("ingress"), sg.get("egress"))):
            yield "the VPC's default security group has rules: it must allow no traffic", sg.urn
    by_vpc, unknown = index_by(defaults, "vpcId")
    if unknown:
        return
    for vpc in view.of_type(VPC):
        vid = vpc.get("id")
        if isinstance(vid, str) and vid not in by_vpc:
            yield "VPC has no DefaultSecurityGroup resource stripping its default security group", vpc.urn


def _vpc_flow_logs(view: StackView) -> Iterator[tuple[str, str | None]]:
    logs, unknown = index_by(view.of_type(FLOW_LOG), "vpcId")
    if unknown:
        return
    for vpc in view.of_type(VPC):
        vid = vpc.get("id")
        if isinstance(vid, str) and vid not in logs:
            yield "VPC has no flow log", vpc.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="default-security-group-closed",
        description="Each VPC's default security group is adopted and stripped of all rules.",
        severity=Severity.MEDIUM,
        controls=("EC2.2",),
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) with no ingress and no egress.",
        resource_types=(VPC, DEFAULT_SG),
        stack_check=_default_security_group_closed,
    ),
    ArbiterPolicy(
        name="vpc-flow-logs-enabled",
        description="Each VPC records flow logs, for incident investigation.",
        severity=Severity.MEDIUM,
        controls=("EC2.6", "VPC7"),
        remediation="Declare aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL') to a retained, encrypted log group.",
        resource_types=(VPC, FLOW_LOG),
        stack_check=_vpc_flow_logs,
    ),
]

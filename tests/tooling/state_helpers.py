"""What the state-diff tests share: type tokens, exports written to disk, and diffs of them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from arbiter_tools.runtime import Deployment
from arbiter_tools.state_diff import StatePlan, diff_state
from arbiter_tools.state_export import load_export

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"


def write_state(tmp_path: Path, doc: dict[str, Any], name: str = "state.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def diff_plan(tmp_path: Path, deployment: Deployment, doc: dict[str, Any]) -> StatePlan:
    return diff_state(deployment, load_export(write_state(tmp_path, doc), stack=deployment.stack))


def ops_of(plan: StatePlan) -> dict[str, str]:
    return {c.urn: c.op for c in plan.changes}


def state_entry(doc: dict[str, Any], urn: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in doc["deployment"]["resources"] if r["urn"] == urn)
    return found


def with_inputs(deployment: Deployment, type_: str, **inputs: Any) -> Deployment:
    """A copy of `deployment` whose resources of `type_` declare `inputs` instead."""
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.type == type_ else r
        for r in deployment.resources
    ]
    return dataclasses.replace(deployment, resources=resources)

"""Bad data-tier input (database, cache, secrets sections) is refused before anything is registered."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from arbiter_infra.config import ConfigError
from arbiter_tools.runtime import PROJECT_DIR, run_program
from tests.program.data_tier_helpers import CLUSTER, CountingMocks


def _section(stack: str, section: str) -> dict[str, Any]:
    doc = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(doc["config"][f"arbiter:{section}"])


BAD: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "staging",
        "database",
        {"engineVersion": "16.8"},
        ['arbiter:database.engineVersion = "16.8"', 'major version only ("16")', "AWS upgrades the minor"],
    ),
    ("staging", "database", {"engineVersion": "14"}, ['arbiter:database.engineVersion = "14"', "15, 16, 17"]),
    (
        "staging",
        "database",
        {"engineVersion": "17", "instanceClass": "db.t3.medium"},
        ["database.instanceClass", "db.t3.medium", "Aurora PostgreSQL 17", "db.t4g.medium"],
    ),
    (
        "staging",
        "database",
        {"instanceClass": "db.m5.large"},
        ["database.instanceClass", "db.m5.large", "db.r6g.large"],
    ),
    ("prod", "database", {"instanceCount": 1}, ["arbiter:database.instanceCount = 1", ">= 2 in prod"]),
    (
        "staging",
        "database",
        {"instanceCount": 17},
        ["database.instanceCount = 17", "less than or equal to 16"],
    ),
    (
        "staging",
        "database",
        {"backupRetentionDays": 1},
        ["database.backupRetentionDays = 1", "greater than or equal to 7"],
    ),
    (
        "staging",
        "database",
        {"backupRetentionDays": 36},
        ["database.backupRetentionDays = 36", "less than or equal to 35"],
    ),
    (
        "staging",
        "database",
        {"performanceInsightsRetentionDays": 30},
        ["performanceInsightsRetentionDays = 30", "731"],
    ),
    (
        "staging",
        "database",
        {"logRetentionDays": 10},
        ["database.logRetentionDays = 10", "CloudWatch Logs retention"],
    ),
    (
        "staging",
        "database",
        {"monitoringIntervalSeconds": 0},
        ["database.monitoringIntervalSeconds = 0", "60"],
    ),
    ("staging", "database", {"backupWindow": "3am"}, ["database.backupWindow", "hh:mm-hh:mm"]),
    ("staging", "database", {"slowQueryThresholdMs": 10}, ["database.slowQueryThresholdMs = 10", "50"]),
    (
        "staging",
        "cache",
        {"engineVersion": "6.2"},
        ['arbiter:cache.engineVersion = "6.2"', "valkey major version (7, 8)"],
    ),
    (
        "staging",
        "cache",
        {"engineVersion": "7.1"},
        ['arbiter:cache.engineVersion = "7.1"', 'major version only ("7")'],
    ),
    (
        "staging",
        "cache",
        {"nodeType": "cache.m5.large"},
        ["cache.nodeType", "cache.m5.large", "cache.r6g.large"],
    ),
    (
        "prod",
        "cache",
        {"numNodes": 1},
        ["arbiter:cache.automaticFailover = true", "false when numNodes is 1"],
    ),
    (
        "prod",
        "cache",
        {"numNodes": 1, "automaticFailover": False, "multiAz": False},
        ["arbiter:cache.numNodes = 1", ">= 2 with automaticFailover and multiAz true in prod"],
    ),
    ("prod", "cache", {"multiAz": False, "automaticFailover": False}, ["cache.numNodes = 3", "in prod"]),
    ("staging", "cache", {"numNodes": 7}, ["cache.numNodes = 7", "less than or equal to 6"]),
    (
        "staging",
        "cache",
        {"snapshotRetentionDays": 0},
        ["cache.snapshotRetentionDays = 0", "greater than or equal to 1"],
    ),
    ("prod", "cache", {"snapshotRetentionDays": 1}, ["cache.snapshotRetentionDays = 1", ">= 7 in prod"]),
    ("staging", "cache", {"multiAz": True}, ["cache.multiAz = true", "unless automaticFailover"]),
    (
        "staging",
        "secrets",
        {"recoveryWindowDays": 3},
        ["secrets.recoveryWindowDays = 3", "greater than or equal to 7"],
    ),
    (
        "staging",
        "secrets",
        {"recoveryWindowDays": 31},
        ["secrets.recoveryWindowDays = 31", "less than or equal to 30"],
    ),
    ("prod", "secrets", {"recoveryWindowDays": 7}, ["secrets.recoveryWindowDays = 7", "30 in prod"]),
]


@pytest.mark.parametrize(
    ("stack", "section", "change", "expected"),
    BAD,
    ids=[f"{s}-{sec}-{'-'.join(map(str, c.items()))}" for s, sec, c, _ in BAD],
)
def test_bad_input_is_refused_before_anything_is_registered(
    stack: str, section: str, change: dict[str, Any], expected: list[str]
) -> None:
    values = _section(stack, section)
    values.update(change)
    mocks = CountingMocks(stack)
    with pytest.raises(ConfigError) as err:
        run_program(stack, mocks=mocks, config_overrides={section: values})
    msg = str(err.value)
    assert "\n" not in msg
    for part in expected:
        assert part in msg, (part, msg)
    assert mocks.created == 0


def test_unchanged_sections_are_accepted() -> None:
    """The bad-input harness itself: the stack files' own sections pass, so failures above are the change."""
    overrides = {s: _section("prod", s) for s in ("secrets", "database", "cache")}
    mocks = CountingMocks("prod")
    d = run_program("prod", mocks=mocks, config_overrides=overrides)
    assert mocks.created > 0
    assert d.one(CLUSTER).inputs["engineVersion"] == "16"

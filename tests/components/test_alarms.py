"""The alarm table itself: rules that page on outages and not on blips, thresholds, the docs copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbiter_infra import catalog
from arbiter_tools.runtime import PROJECT_DIR
from components.alarms import ALARMS, alarm_table_markdown

#: max_connections = LEAST(memory / 9531392, 5000), worked out by hand per memory size.
EXPECTED_MAX_CONNECTIONS = {
    "db.t3.medium": 450,  # 4 GiB: 4294967296 / 9531392 = 450.6
    "db.t4g.medium": 450,
    "db.t4g.large": 901,  # 8 GiB: 901.2
    "db.r6g.large": 1802,  # 16 GiB: 1802.5
    "db.r7g.large": 1802,
    "db.r6g.xlarge": 3604,  # 32 GiB: 3604.9
    "db.r7g.xlarge": 3604,
    "db.r6g.2xlarge": 5000,  # 64 GiB: 7209.9, capped
    "db.r7g.2xlarge": 5000,
}


def test_a_blip_never_pages_and_an_outage_always_does() -> None:
    """Each rule needs >= 2 bad one-minute datapoints and decides within 5 minutes.

    A failed backup job is an event, not a sample of a level: one pages. AWS Backup publishes its
    job metrics every 5 minutes, so its period is 300 s.
    """
    events = ("backup-vault",)
    for spec in ALARMS:
        assert spec.period == (300 if spec.namespace == "AWS/Backup" else 60), spec.key
        floor = 1 if spec.target in events else 2
        assert floor <= spec.datapoints_to_alarm <= spec.evaluation_periods <= 5, spec.key
        # An absent metric means "down" only for liveness signals; error counts report nothing when fine.
        if spec.metric in ("RunningTaskCount",):
            assert spec.treat_missing_data == "breaching"
        if spec.metric.endswith(("_Count", "Failed")) or spec.metric == "Evictions":
            assert spec.treat_missing_data == "notBreaching"


@pytest.mark.parametrize(("klass", "expected"), sorted(EXPECTED_MAX_CONNECTIONS.items()))
def test_max_connections_for_every_supported_class(klass: str, expected: int) -> None:
    gib = catalog.AURORA_INSTANCE_MEMORY_GIB[klass]
    assert catalog.aurora_max_connections(klass) == expected
    assert expected == min(gib * 1024**3 // 9_531_392, 5000)


def test_every_catalog_class_has_a_worked_max_connections() -> None:
    assert set(EXPECTED_MAX_CONNECTIONS) == set(catalog.AURORA_INSTANCE_MEMORY_GIB)
    with pytest.raises(ValueError, match="unknown Aurora instance class"):
        catalog.aurora_max_connections("db.m5.large")


def test_docs_table_is_the_alarm_table() -> None:
    doc = Path(PROJECT_DIR / "docs" / "monitoring.md").read_text()
    assert alarm_table_markdown() in doc
    assert len(alarm_table_markdown().splitlines()) == len(ALARMS) + 2

"""The stack dashboard: one graph per alarmed metric, built from the alarms' metric lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dashboard_body(widgets: Mapping[tuple[str, str], list[list[Any]]], region: str) -> dict[str, Any]:
    """One time-series widget per alarmed metric, two per row, in the order of `ALARMS`."""
    body: list[dict[str, Any]] = []
    for i, ((namespace, metric), metrics) in enumerate(widgets.items()):
        body.append(
            {
                "type": "metric",
                "x": (i % 2) * 12,
                "y": (i // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": f"{metric} ({namespace})",
                    "view": "timeSeries",
                    "region": region,
                    "period": 60,
                    "metrics": metrics,
                },
            }
        )
    return {"widgets": body}

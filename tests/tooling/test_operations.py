"""What the runbook commands do, without AWS: waiting with an injected describe function and clock
(no sleeping), the stability rule, durations.
"""

from typing import Any

import pytest

from arbiter_tools import cli, command_support, operations
from tests.tooling.cli_support import Capture


def _service(running: int, desired: int, deployments: list[tuple[str, str]], rev: int = 7) -> dict[str, Any]:
    arn = f"arn:aws:ecs:us-east-1:123456789012:task-definition/arbiter-staging-web-api:{rev}"
    return {
        "serviceName": "web-api",
        "taskDefinition": arn,
        "runningCount": running,
        "desiredCount": desired,
        "deployments": [
            {
                "status": s,
                "rolloutState": r,
                "taskDefinition": arn,
                "runningCount": running,
                "desiredCount": desired,
            }
            for s, r in deployments
        ],
    }


def test_wait_polls_until_stable_without_sleeping() -> None:
    states = iter(
        [
            [_service(0, 2, [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")])],
            [_service(2, 2, [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")])],
            [_service(2, 2, [("PRIMARY", "COMPLETED")])],
        ]
    )
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    out = Capture()
    operations.wait_stable(
        lambda: next(states), timeout=60, out=out, clock=lambda: now[0], sleep=sleep, interval=5
    )
    assert slept == [5, 5]
    assert out.text.count("web-api rev 7") == 3
    assert "stable: web-api" in out.text


def test_wait_times_out_with_one_line() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    stuck = [_service(1, 2, [("PRIMARY", "IN_PROGRESS")])]
    with pytest.raises(cli.UserError, match=r"timed out after 30s waiting for web-api .*running 1/2") as info:
        operations.wait_stable(
            lambda: stuck, timeout=30, out=Capture(), clock=lambda: now[0], sleep=sleep, interval=10
        )
    assert "\n" not in str(info.value)
    assert now[0] == 30


@pytest.mark.parametrize(
    ("service", "stable"),
    [
        (_service(2, 2, [("PRIMARY", "COMPLETED")]), True),
        (_service(1, 2, [("PRIMARY", "COMPLETED")]), False),
        (_service(2, 2, [("PRIMARY", "IN_PROGRESS")]), False),
        (_service(2, 2, [("PRIMARY", "COMPLETED"), ("ACTIVE", "COMPLETED")]), False),
        (_service(2, 2, [("PRIMARY", "FAILED")]), False),
    ],
)
def test_stability_rule(service: dict[str, Any], stable: bool) -> None:
    assert operations.is_stable(service) is stable


def test_parse_duration() -> None:
    assert [command_support.parse_duration(s) for s in ("30s", "15m", "2h", "1d")] == [30, 900, 7200, 86400]

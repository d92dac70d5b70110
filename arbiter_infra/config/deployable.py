"""Whether a valid stack can be deployed as written, and what every plan should say about it.

The shipped stack files carry example values (the example account, an all-zero certificate):
they must plan, so a preview only warns, and `pulumi up` refuses them before creating anything.
"""

from __future__ import annotations

import re

import pulumi

from arbiter_infra.config.base import EXAMPLE_ACCOUNT_ID, MOVING_TAGS, ConfigError
from arbiter_infra.config.stack import StackConfig

ZERO_CERTIFICATE = re.compile(r":certificate/0{8}-0{4}-0{4}-0{4}-0{12}$")


def deployability_problems(config: StackConfig) -> list[str]:
    """What makes a valid stack file undeployable as written: example values a real account lacks.

    The offline plan and `pulumi preview` show them as warnings (the example files must plan);
    `pulumi up` refuses them before creating anything.
    """
    problems = example_account_problem(config.account_id)
    cert = config.services.certificate_arn
    if cert is not None and ZERO_CERTIFICATE.search(cert):
        problems.append(
            "not deployable as written: set arbiter:services.certificateArn (the all-zero ARN is an example), "
            "or remove it to use a self-signed certificate"
        )
    return problems


def advisories(config: StackConfig) -> list[str]:
    """Deployable, but worth a line in every plan and preview."""
    notes: list[str] = []
    if config.services.paused:
        notes.append(
            "arbiter:services.paused is true: every service runs 0 tasks (set it to false to start them)"
        )
    if config.is_prod and config.services.paper_trade:
        notes.append(
            "arbiter:services.paperTrade is true in prod: trading is simulated, no real orders are placed"
        )
    for key, svc in config.services.by_key().items():
        if not config.is_prod and svc.image_parts[2].lower() in MOVING_TAGS:
            notes.append(
                f"arbiter:services.{key}.image uses the moving tag {svc.image_parts[2]!r}: ECR tags are immutable "
                "here, so it can be pushed only once; use a version tag"
            )
    return notes


def example_account_problem(account_id: str) -> list[str]:
    """The example account cannot be deployed to: the one problem an account stack can have."""
    if account_id != EXAMPLE_ACCOUNT_ID:
        return []
    return [
        f"not deployable as written: set aws:allowedAccountIds ({EXAMPLE_ACCOUNT_ID} is the example account)"
        " and every value naming that account (image URIs, certificate ARN)"
    ]


def check_deployable(problems: list[str], notes: list[str]) -> None:
    """Warn in a preview; refuse in an update, before any resource is registered."""
    for note in notes:
        pulumi.log.warn(note)
    if problems and not pulumi.runtime.is_dry_run():
        raise ConfigError(problems[0])
    for problem in problems:
        pulumi.log.warn(problem)

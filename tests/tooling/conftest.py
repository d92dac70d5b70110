"""Fixtures of the tooling tests: the exports `pulumi up` of each stack would leave."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_tools.runtime import Deployment
from arbiter_tools.state_export import export_deployment


@pytest.fixture(scope="module")
def staging_state(staging: Deployment) -> dict[str, Any]:
    return export_deployment(staging)


@pytest.fixture(scope="module")
def prod_state(prod: Deployment) -> dict[str, Any]:
    return export_deployment(prod)

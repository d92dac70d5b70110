"""Naming alone: the stack prefixes, and AWS's name limits checked at plan time."""

from __future__ import annotations

import pytest

from arbiter_infra.config import ConfigError
from arbiter_infra.naming import Naming, check_name


def test_check_name_refuses_too_long_and_bad_characters() -> None:
    with pytest.raises(ConfigError, match=r"is 33 characters: alb names must be at most 32"):
        check_name("a" * 33, "alb")
    with pytest.raises(ConfigError, match="lowercase letters, digits and hyphens"):
        check_name("Arbiter_Prod", "elasticache")
    with pytest.raises(ConfigError, match="at most 24"):
        check_name("x" * 25, "alb", autonamed=True)


def test_naming_prefixes() -> None:
    assert Naming("staging")("web-api", "exec") == "arbiter-staging-web-api-exec"
    assert Naming("prod").compact("web", "grpc", kind="target-group") == "arb-prd-web-grpc"

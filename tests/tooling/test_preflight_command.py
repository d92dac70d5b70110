"""`arbiter-infra preflight` against in-process moto, and stubbed clients where moto has no answer.

moto-tested: the account (STS), the state bucket and key, the certificate (ACM), image existence
and multi-platform architectures (ECR describe_images / batch_get_image), secrets
(describe_secret), existing service-linked roles (IAM list_roles).
Stub-tested (botocore Stubber), because moto does not implement the call: IAM
SimulatePrincipalPolicy (may the caller create a missing service-linked role), Service Quotas for
`fargate` (moto knows no Fargate quota and has no GetAWSDefaultServiceQuota), and ECR
GetDownloadUrlForLayer (a single-platform image's architecture lives in its config blob).

Here: the whole command, its report and exit code, and which other stack shares the account.
"""

from __future__ import annotations

import json

import boto3
import pytest

from arbiter_tools import (
    preflight,
)
from arbiter_tools.stacks import LoadedStack, load_stack
from tests.tooling.cli_support import run_cli
from tests.tooling.preflight_support import (
    ACCOUNT,
    IDENTITY,
    SINGLE,
    SessionWith,
    applied,
    factory,
    make_ready,
    push,
    quota_client,
    report_lines,
    stubbed_iam,
    with_services,
)

pytestmark = pytest.mark.moto


# --- the whole command ------------------------------------------------------------------------


def test_green_after_the_bootstrap_steps(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_ready(aws, load_stack("staging"))
    monkeypatch.setattr(
        preflight, "session_for", lambda region: SessionWith(aws, service_quotas=quota_client(applied(40)))
    )
    code, out, err = run_cli(capsys, "preflight", "--stack", "staging")
    assert (code, err) == (0, ""), out
    lines = report_lines(out)
    # account, state x2, cert, redis auth, cache engine, images, secrets, roles, quota
    assert len(lines) == 1 + 2 + 1 + 1 + 1 + 3 + 3 + 4 + 1
    assert "does not exist yet" in lines["redis auth"]
    assert lines["certificate"].startswith("skip") and "self-signed certificate" in lines["certificate"]
    assert all(line.startswith("ok") for name, line in lines.items() if name != "certificate"), out
    assert "linux/arm64 (from the image index)" in lines["image web-api"]
    assert "needs 19 vCPU (staging deploy peak 4.5 + prod running 14.5 (same account)) of 40" in out
    assert out.rstrip().endswith("ready for `pulumi up`")

    monkeypatch.setattr(
        preflight, "session_for", lambda region: SessionWith(aws, service_quotas=quota_client(applied(40)))
    )
    code, out, _ = run_cli(capsys, "preflight", "--stack", "staging", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["passed"] is True and doc["stack"] == "staging" and doc["account"] == ACCOUNT
    assert {c["status"] for c in doc["checks"]} == {"ok", "skip"}


def test_an_empty_account_fails_each_check_in_one_line_with_its_fix(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing bootstrapped, pushed or set: exit 1, every failing check one line naming its fix."""
    # moto's caller is `arn:aws:sts::<account>:user/moto`: simulated as the IAM user.
    iam = stubbed_iam(simulate="implicitDeny", count=4, source=f"arn:aws:iam::{ACCOUNT}:user/moto")
    monkeypatch.setattr(
        preflight,
        "session_for",
        lambda region: SessionWith(aws, iam=iam, service_quotas=quota_client(applied(6))),
    )
    code, out, err = run_cli(capsys, "preflight", "--stack", "staging")
    assert (code, err) == (1, "")
    lines = report_lines(out)
    assert lines["account"].startswith("ok")
    failed = [line for line in lines.values() if line.startswith("FAIL")]
    assert len(failed) == 2 + 3 + 3 + 4 + 1
    assert all(" -> fix: " in line for line in failed), failed
    assert lines[f"state bucket arbiter-pulumi-state-{ACCOUNT}"].endswith(
        "-> fix: ./dev bootstrap --stack staging"
    )
    assert lines["state key alias/arbiter-pulumi-state-staging"].endswith(
        "-> fix: ./dev bootstrap --stack staging"
    )
    assert "repository arbiter-engine does not exist" in lines["image trading-core"]
    assert lines["secret telegram"].endswith(
        "-> fix: set arbiter:services.paused: true for the first `pulumi up`, then "
        "arbiter-infra secrets set --stack staging --secret telegram"
    )
    assert (
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
        in lines["service-linked role AWSServiceRoleForECS"]
    )
    assert "--desired-value 19" in lines["Fargate vCPU quota"]
    assert out.rstrip().endswith("fix the FAIL lines before `pulumi up`")


def test_plain_moto_without_stubs(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a drill sees it: single-platform images, no Fargate quota in moto -> the documented default."""
    stack = load_stack("staging")
    make_ready(aws, stack)
    for cfg in stack.config.services.by_name().values():
        image = cfg.image.replace(":v1.3.0-rc.1", ":single")
        push(aws, image, json.dumps(SINGLE))
    config = with_services(
        stack.config,
        **{
            key: getattr(stack.config.services, key).model_copy(
                update={"image": getattr(stack.config.services, key).image.replace(":v1.3.0-rc.1", ":single")}
            )
            for key in ("trading_core", "telegram_bot", "web_api")
        },
    )
    checks = preflight.run_checks(factory(aws), IDENTITY, LoadedStack("staging", config))
    assert [c.check for c in checks if c.status == "FAIL"] == []
    # Staging's deploy peak (4.5 vCPU) fits even a new account's documented default.
    quota = next(c for c in checks if c.check == "Fargate vCPU quota")
    assert "of 6 (documented AWS default: no applied value, default lookup gave no answer)" in quota.detail
    web = next(c for c in checks if c.check == "image web-api")
    assert web.status == "ok" and "architecture not verified (the ECR API here cannot serve" in web.detail


def test_wrong_account_skips_everything_else(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    code, out, err = run_cli(capsys, "preflight", "--stack", "prod", "--json")
    doc = json.loads(out)
    assert (code, err) == (1, "")
    assert [c["status"] for c in doc["checks"]] == ["FAIL", "skip"]
    assert "are for account 111122223333" in doc["checks"][0]["detail"]
    assert f"deploys to {ACCOUNT}" in doc["checks"][0]["detail"]


def test_other_stack_counts_only_in_the_same_account() -> None:
    staging = load_stack("staging")
    other, note = preflight.other_stack_in_account(staging)
    assert other is not None and other.environment == "prod" and note == ""

    def elsewhere(name: str) -> LoadedStack:
        loaded = load_stack(name)
        return LoadedStack(name, loaded.config.model_copy(update={"account_id": "111122223333"}))

    assert preflight.other_stack_in_account(staging, elsewhere) == (None, "")


def test_unreadable_other_stack_is_noted() -> None:
    from arbiter_infra.config import ConfigError

    def broken(name: str) -> LoadedStack:
        raise ConfigError(f"--stack {name!r}: no Pulumi.{name}.yaml")

    other, note = preflight.other_stack_in_account(load_stack("staging"), broken)
    assert other is None and note.startswith("Pulumi.prod.yaml not counted (--stack 'prod'")

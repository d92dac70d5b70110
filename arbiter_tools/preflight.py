"""`arbiter-infra preflight --stack S`: what AWS would refuse on `pulumi up`, checked in seconds.

Read-only calls against the live account (standard credential chain, `AWS_ENDPOINT_URL` honoured),
one line per check: `ok`, `FAIL` (with its fix) or `skip`. Exit 0 only when nothing failed, 1 when
a check failed, 2 for bad arguments, config or credentials (one line, from the CLI).

Every check is a function of boto3 clients, so tests drive them against moto and, where moto has no
answer (IAM policy simulation, Service Quotas, ECR layer downloads), against stubbed clients.
Secret values are never read: `describe_secret` says whether a current version exists, so the
person running preflight need not be able to read the trading keys.

The checks live by area in `preflight_checks` (account, state backend, certificate, secrets),
`preflight_images` (ECR tags and architectures) and `preflight_account` (service-linked roles,
Fargate quota); this module runs them in order and reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TextIO

from botocore.exceptions import ClientError

from arbiter_infra.config import SECRET_SETS, ConfigError, ServiceConfig, StackConfig
from arbiter_tools.command_support import aws_errors, stack_name
from arbiter_tools.preflight_account import (
    check_fargate_quota,
    check_service_linked_role,
    required_service_linked_roles,
)
from arbiter_tools.preflight_checks import (
    UNANSWERED,
    Check,
    ClientFactory,
    Fetch,
    api_error,
    check_account,
    check_cache_engine,
    check_certificate,
    check_redis_auth,
    check_secret,
    check_state_bucket,
    check_state_key,
)
from arbiter_tools.preflight_images import check_image, fetch_url
from arbiter_tools.runtime import read_stack_file, stack_names
from arbiter_tools.stacks import LoadedStack, caller_identity, load_stack, session_for

# --- all of it --------------------------------------------------------------------------------


def _is_account_stack(name: str) -> bool:
    values, _ = read_stack_file(name)
    return "arbiter:account" in values


def other_stack_in_account(
    stack: LoadedStack, load: Callable[[str], LoadedStack] = load_stack
) -> tuple[StackConfig | None, str]:
    """The other environment's config when it deploys into the same account (its Fargate usage counts)."""
    others = [name for name in stack_names() if name != stack.name and not _is_account_stack(name)]
    for other in others:
        try:
            loaded = load(other)
        except ConfigError as err:
            return None, f"Pulumi.{other}.yaml not counted ({err})"
        if loaded.config.account_id == stack.config.account_id:
            return loaded.config, ""
    return None, ""


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    """One check's unexpected API answer is that check's FAIL line, not the end of the run."""
    try:
        return run()
    except ClientError as err:
        code, message = api_error(err)
        return Check(name, "FAIL", f"the API refused a call: {code}: {message}")
    except UNANSWERED:
        return Check(name, "FAIL", "the API did not answer the call (an emulator without it?)")


def run_checks(
    client: ClientFactory,
    identity: dict[str, str],
    stack: LoadedStack,
    *,
    other: StackConfig | None = None,
    other_note: str = "",
    fetch: Fetch = fetch_url,
) -> list[Check]:
    """Every check, in the order an operator fixes them; all skipped when the account is wrong."""
    config = stack.config
    checks = [check_account(identity, config)]
    if checks[0].status == "FAIL":
        return [*checks, Check("others", "skip", "not checked: the credentials are for another account")]
    planned: list[tuple[str, Callable[[], Check]]] = [
        ("state bucket", lambda: check_state_bucket(client("s3"), config)),
        ("state key", lambda: check_state_key(client("kms"), config)),
        ("certificate", lambda: check_certificate(client("acm"), config)),
        ("redis auth", lambda: check_redis_auth(client("elasticache"), config)),
        ("cache engine", lambda: check_cache_engine(client("elasticache"), config)),
    ]
    keys = {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}
    arch = config.services.cpu_architecture

    def image(service: str, cfg: ServiceConfig) -> Callable[[], Check]:
        ecr_region = cfg.image_parts[0].split(".")[3]  # the registry's region
        return lambda: check_image(
            client("ecr", region_name=ecr_region),
            service,
            keys[service],
            cfg,
            cpu_architecture=arch,
            fetch=fetch,
        )

    def secret(name: str) -> Callable[[], Check]:
        return lambda: check_secret(
            client("secretsmanager"), stack.name, config.prefix, name, paused=config.services.paused
        )

    def role(label: str, principal: str, name: str) -> Callable[[], Check]:
        return lambda: check_service_linked_role(client("iam"), identity, label, principal, name)

    planned += [(f"image {s}", image(s, c)) for s, c in config.services.by_name().items()]
    planned += [(f"secret {n}", secret(n)) for n in SECRET_SETS]
    planned += [(f"service-linked role {r[2]}", role(*r)) for r in required_service_linked_roles(config)]
    planned.append(
        (
            "Fargate vCPU quota",
            lambda: check_fargate_quota(client("service-quotas"), config, other, other_note),
        )
    )
    return [*checks, *(_guarded(name, run) for name, run in planned)]


def print_report(
    stack: LoadedStack, identity: dict[str, str], checks: list[Check], out: TextIO, *, as_json: bool
) -> None:
    config = stack.config
    failed = sum(c.status == "FAIL" for c in checks)
    if as_json:
        doc = {
            "stack": config.name,
            "account": config.account_id,
            "region": config.region,
            "caller": identity["Arn"],
            "passed": failed == 0,
            "checks": [asdict(c) for c in checks],
        }
        print(json.dumps(doc, indent=2), file=out)
        return
    print(
        f"Preflight of stack '{config.name}' (account {config.account_id}, {config.region}) "
        f"as {identity['Arn']}:",
        file=out,
    )
    for c in checks:
        print(c.line(), file=out)
    counts = {s: sum(c.status == s for c in checks) for s in ("ok", "FAIL", "skip")}
    verdict = "ready for `pulumi up`" if failed == 0 else "fix the FAIL lines before `pulumi up`"
    print(f"{counts['ok']} ok, {counts['FAIL']} failed, {counts['skip']} skipped: {verdict}", file=out)


def cmd_preflight(args: argparse.Namespace) -> int:
    stack = load_stack(args.stack)
    other, note = other_stack_in_account(stack)
    session = session_for(stack.config.region)
    identity = caller_identity(session)

    def client(service: str, region_name: str | None = None) -> Any:
        return session.client(service, region_name=region_name or stack.config.region)

    with aws_errors("preflight"):
        checks = run_checks(client, identity, stack, other=other, other_note=note)
    print_report(stack, identity, checks, sys.stdout, as_json=args.json)
    return 1 if any(c.status == "FAIL" for c in checks) else 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "preflight", help="read-only checks against the live account before `pulumi up` (exit 1 on a failure)"
    )
    p.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_preflight)

"""`arbiter-infra redis rotate` and `redis finish-rotation`: a service's Redis password, rotated to the end.

An ElastiCache user may hold two passwords, and ECS reads a secret only when a task starts. So a
rotation is three steps, and the last one is what an AUTH-token `ROTATE` never had:

1. `rotate`: a new password is added next to the current one (ModifyUser with both), written as
   the service's secret's new AWSCURRENT version, and the service starts a new deployment. Running
   tasks keep the old password, which still works; new tasks read the new one.
2. the deployment completes (`./dev wait`).
3. `finish-rotation`: once the service runs only tasks started after the new version, the user is
   left with the new password alone. It refuses while older tasks may still run (`--force` to skip).

Passwords are letters and digits (ElastiCache refuses `,` `"` `/` `@`), never printed or passed in
argv. The program generated only the first password (pulumi-random); after the first rotation the
one in the Pulumi state is no longer valid anywhere.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import string
import sys
from typing import Any, Final

from arbiter_infra.config import PROJECT, SERVICE_NAMES
from arbiter_tools.command_support import aws_errors, stack_name, stack_region
from arbiter_tools.errors import UserError
from arbiter_tools.operations import describe_services, is_stable

PASSWORD_LENGTH: Final = 64
_ALPHABET: Final = string.ascii_letters + string.digits
EXIT_NOT_READY: Final = 1


def _user_error(message: str) -> Exception:
    return UserError(message)


def secret_id(stack: str, service: str) -> str:
    return f"{PROJECT}-{stack}/redis-{service}"


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))


def current_credentials(sm: Any, stack: str, service: str) -> tuple[str, str, str, datetime.datetime]:
    """(user id, password, version id, version created) of the secret's AWSCURRENT version."""
    sid = secret_id(stack, service)
    with aws_errors(f"secret {sid}"):
        try:
            value = sm.get_secret_value(SecretId=sid, VersionStage="AWSCURRENT")
        except sm.exceptions.ResourceNotFoundException:
            raise _user_error(
                f"secret {sid} does not exist: is {service} a Redis user of this stack?"
            ) from None
    try:
        doc = json.loads(value["SecretString"])
        username, password = str(doc["username"]), str(doc["password"])
    except (KeyError, TypeError, ValueError):
        raise _user_error(
            f"secret {sid}: AWSCURRENT is not a JSON object with username and password"
        ) from None
    return username, password, str(value["VersionId"]), value["CreatedDate"]


def password_count(elasticache: Any, user_id: str) -> int:
    with aws_errors(f"ElastiCache user {user_id}"):
        [user] = elasticache.describe_users(UserId=user_id)["Users"]
    return int(user.get("Authentication", {}).get("PasswordCount") or 0)


def set_passwords(elasticache: Any, user_id: str, passwords: list[str]) -> None:
    """The user's passwords become exactly `passwords` (existing connections stay, per AWS)."""
    with aws_errors(f"ElastiCache user {user_id}"):
        elasticache.modify_user(
            UserId=user_id, AuthenticationMode={"Type": "password", "Passwords": passwords}
        )


def start_rotation(
    sm: Any, elasticache: Any, ecs: Any, stack: str, service: str, *, roll: bool = True
) -> str:
    """Step 1: add a new password, publish it as AWSCURRENT, roll the service. Returns the version id."""
    user_id, old, _, _ = current_credentials(sm, stack, service)
    if password_count(elasticache, user_id) > 1:
        raise _user_error(
            f"ElastiCache user {user_id} already has two passwords: a rotation is unfinished; run "
            f"`arbiter-infra redis finish-rotation --stack {stack} --service {service}` first"
        )
    new = new_password()
    # Both valid before any task can read the new one: running tasks keep working.
    set_passwords(elasticache, user_id, [old, new])
    sid = secret_id(stack, service)
    with aws_errors(f"secret {sid}"):
        version = str(
            sm.put_secret_value(
                SecretId=sid, SecretString=json.dumps({"username": user_id, "password": new})
            )["VersionId"]
        )
    if roll:
        cluster = f"{PROJECT}-{stack}"
        with aws_errors(f"service {service} in cluster {cluster}"):
            ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
    return version


def rolled_since(ecs: Any, stack: str, service: str, since: datetime.datetime) -> str | None:
    """None when every task of `service` started after `since`; else why not (one line)."""
    cluster = f"{PROJECT}-{stack}"
    [svc] = describe_services(ecs, cluster, [service])
    if svc.get("desiredCount") == 0 and svc.get("runningCount") == 0:
        return None
    if not is_stable(svc):
        return f"{service} is still deploying (wait for it: `arbiter-infra wait --stack {stack}`)"
    created = svc["deployments"][0].get("createdAt")
    if not isinstance(created, datetime.datetime) or created < since:
        return (
            f"{service}'s deployment started {created} (before the new password of {since}): its tasks may "
            "hold the old one; `redis rotate` rolls it, or `aws ecs update-service --force-new-deployment`"
        )
    return None


def finish_rotation(
    sm: Any, elasticache: Any, ecs: Any, stack: str, service: str, *, force: bool = False
) -> str:
    """Step 3: leave the user with the AWSCURRENT password only. Returns the user id."""
    user_id, current, _, created = current_credentials(sm, stack, service)
    if not force:
        reason = rolled_since(ecs, stack, service, created)
        if reason is not None:
            raise NotReadyError(reason)
    set_passwords(elasticache, user_id, [current])
    return user_id


class NotReadyError(Exception):
    """The service may still run tasks with the old password: finishing now would cut them off."""


def _clients(stack: str) -> tuple[Any, Any, Any]:
    """Secrets Manager, ElastiCache and ECS clients of one session (a session each costs ~0.5 s)."""
    import boto3  # only when the command runs: `plan` imports the CLI and never needs boto3

    with aws_errors("AWS configuration"):
        session = boto3.Session(region_name=os.environ.get("AWS_REGION") or stack_region(stack))
        return session.client("secretsmanager"), session.client("elasticache"), session.client("ecs")


def cmd_rotate(args: argparse.Namespace) -> int:
    sm, elasticache, ecs = _clients(args.stack)
    version = start_rotation(sm, elasticache, ecs, args.stack, args.service, roll=not args.no_roll)
    rolling = "" if args.no_roll else f"; {args.service} is starting new tasks"
    print(
        f"{secret_id(args.stack, args.service)}: new password added (the old one still works), version "
        f"{version} is AWSCURRENT{rolling} (values not shown). When `arbiter-infra wait --stack {args.stack}` "
        f"says it is stable: `arbiter-infra redis finish-rotation --stack {args.stack} --service {args.service}`"
    )
    return 0


def cmd_finish(args: argparse.Namespace) -> int:
    sm, elasticache, ecs = _clients(args.stack)
    try:
        user_id = finish_rotation(sm, elasticache, ecs, args.stack, args.service, force=args.force)
    except NotReadyError as err:
        print(f"arbiter-infra: not finished: {err}", file=sys.stderr)
        return EXIT_NOT_READY
    print(f"ElastiCache user {user_id}: the old password is removed; only AWSCURRENT's works now")
    return 0


def register(sub: Any) -> None:
    """Add `redis rotate` and `redis finish-rotation` to the CLI's subparsers."""
    p = sub.add_parser("redis", help="rotate a service's Redis (ElastiCache RBAC) password, to the end")
    inner = p.add_subparsers(dest="redis_command", required=True, parser_class=type(p))
    for name, help_text, func in (
        ("rotate", "add a new password, make it AWSCURRENT, roll the service (old one kept)", cmd_rotate),
        ("finish-rotation", "after the service rolled: remove the old password", cmd_finish),
    ):
        s = inner.add_parser(name, help=help_text)
        s.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")
        s.add_argument("--service", required=True, choices=SERVICE_NAMES, help="whose Redis user")
        if name == "rotate":
            s.add_argument("--no-roll", action="store_true", help="do not start the service's new deployment")
        else:
            s.add_argument(
                "--force", action="store_true", help="remove the old password without the roll check"
            )
        s.set_defaults(func=func)

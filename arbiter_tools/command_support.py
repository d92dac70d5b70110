"""What every operator command shares: argument types, the stack's region and AWS client, and the
AWS failures a user can cause turned into one line (`UserError`).

Clients use the standard credential chain (AWS_PROFILE, SSO, environment, instance role) and honour
`AWS_ENDPOINT_URL`; nothing here ever invents credentials.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from arbiter_tools.errors import UserError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _user_error(message: str) -> Exception:
    return UserError(message)


# --- argument types -------------------------------------------------------------------------


def seconds(text: str) -> float:
    """argparse type for `--timeout`: checked before anything is changed (0 = do not wait)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return value


def stack_name(text: str) -> str:
    """argparse type for `--stack`: any stack of the project (its Pulumi.<stack>.yaml exists)."""
    from arbiter_tools.runtime import stack_names

    known = stack_names()
    if text not in known:
        raise argparse.ArgumentTypeError(
            f"{text!r}: no Pulumi.{text}.yaml (known stacks: {', '.join(known)})"
        )
    return text


def parse_duration(text: str) -> int:
    """`30s`, `15m`, `2h`, `1d` -> seconds (argparse type: bad input is a one-line usage error)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30s, 15m, 2h or 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


# --- the stack's AWS ------------------------------------------------------------------------


def stack_region(stack: str) -> str:
    """`aws:region` from the stack file (the program's region), default us-east-1."""
    from arbiter_tools.runtime import REGION, read_stack_file

    values, _ = read_stack_file(stack)
    return values.get("aws:region", REGION)


def client_for(stack: str, service: str) -> Any:
    """A client with the standard credential chain and the stack's region (never dummy credentials)."""
    import boto3  # here, not at module level: `plan` imports the CLI and never needs boto3

    with aws_errors("AWS configuration"):
        session = boto3.Session(region_name=os.environ.get("AWS_REGION") or stack_region(stack))
        return session.client(service)


# --- AWS errors -> one line -----------------------------------------------------------------


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn the AWS failures a user can cause into one-line `UserError`s."""
    try:
        yield
    except NoCredentialsError:
        raise _user_error(
            "no AWS credentials found: configure them (`aws configure`, `aws sso login` with AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from None
    except EndpointConnectionError as err:
        raise _user_error(f"{what}: cannot reach the AWS API at {err.kwargs.get('endpoint_url')}") from None
    except ClientError as err:
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), " ".join(str(error.get("Message", "")).split())
        if code == "ClusterNotFoundException":
            raise _user_error(f"{what}: {message or 'cluster not found'}: nothing deployed?") from None
        raise _user_error(f"{what}: {code}: {message}") from None
    except BotoCoreError as err:
        raise _user_error(f"{what}: {' '.join(str(err).split())}") from None

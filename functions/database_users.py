"""The database-users bootstrap: a Lambda function in the private subnets, invoked by `pulumi up`.

Nothing outside the VPC reaches Aurora, so the program ships this handler (with pg8000, a
pure-Python driver, vendored beside it: components/database_users.py) and invokes it through
`aws.lambda_.Invocation` whenever the SQL changes. It reads the RDS-managed master secret itself
(only it and an operator's break-glass path may), connects over TLS verified against the RDS CA
bundle, and runs the statements (arbiter_infra/database_access.py) in ONE transaction: all or
nothing, so a failure leaves every existing user, grant and table as it was. No credential is
ever printed, returned or put in an error: errors are rebuilt from the server's code and message
alone, with the password scrubbed, and raised without their cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import ssl
import urllib.request
from typing import Any

import pg8000.native

#: The server's error fields kept in a report: severity, SQLSTATE code, message, detail, hint.
_REPORTED_FIELDS = ("S", "C", "M", "D", "H")
_CONNECT_TIMEOUT_SECONDS = 30
_CA_CACHE = "/tmp/rds-ca-bundle.pem"


class BootstrapError(Exception):
    """A failure, worded without any credential (Lambda reports its message as `errorMessage`)."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's entry point: the master secret from Secrets Manager, TLS from the RDS CA bundle."""
    credentials = master_credentials(event["masterSecretArn"])
    return run(event, credentials=credentials, ssl_context=rds_tls(event["caBundleUrl"]))


def master_credentials(secret_arn: str) -> dict[str, str]:
    import boto3  # in Lambda's Python runtime; only this entry point needs it

    try:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
        secret = json.loads(value)
        return {"username": str(secret["username"]), "password": str(secret["password"])}
    except Exception as err:  # the SDK's message names the secret, never its value
        raise BootstrapError(f"cannot read the master secret {secret_arn}: {type(err).__name__}") from None


def rds_tls(bundle_url: str) -> ssl.SSLContext:
    """Verify the server (hostname and chain) against AWS's RDS CA bundle, fetched over HTTPS."""
    if not os.path.exists(_CA_CACHE):
        try:
            with urllib.request.urlopen(bundle_url, timeout=_CONNECT_TIMEOUT_SECONDS) as response:
                pem = response.read().decode()
        except Exception as err:
            raise BootstrapError(f"cannot fetch the RDS CA bundle {bundle_url}: {err}") from None
        with open(_CA_CACHE, "w", encoding="ascii") as f:
            f.write(pem)
    context = ssl.create_default_context(cafile=_CA_CACHE)
    context.check_hostname = True
    return context


def _scrub(text: str, credentials: dict[str, str]) -> str:
    password = credentials.get("password", "")
    return text.replace(password, "<redacted>") if password else text


def _describe(err: Exception, credentials: dict[str, str]) -> str:
    fields = err.args[0] if err.args and isinstance(err.args[0], dict) else None
    if fields is not None:
        text = " ".join(str(fields[k]) for k in _REPORTED_FIELDS if fields.get(k))
    else:
        text = f"{type(err).__name__}: {err}"
    return _scrub(text, credentials)


def digest(statements: list[str]) -> str:
    """The same digest as arbiter_infra.database_access.sql_digest."""
    return hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()


def run(
    event: dict[str, Any], *, credentials: dict[str, str], ssl_context: ssl.SSLContext | None
) -> dict[str, Any]:
    """Run the event's statements as the master in one transaction; the result names no credential."""
    statements = list(event["statements"])
    if digest(statements) != event["sqlSha256"]:
        raise BootstrapError("the statements do not match their digest: refusing to run them")
    where = f"{event['host']}:{event['port']}/{event['database']}"
    try:
        con = pg8000.native.Connection(
            user=credentials["username"],
            password=credentials["password"],
            host=event["host"],
            port=int(event["port"]),
            database=event["database"],
            ssl_context=ssl_context,
            timeout=_CONNECT_TIMEOUT_SECONDS,
            application_name="arbiter-database-users",
        )
    except Exception as err:
        raise BootstrapError(
            f"cannot connect to {where} as the master user: {_describe(err, credentials)}"
        ) from None
    failure: str | None = None
    try:
        con.run("START TRANSACTION")
        for number, statement in enumerate(statements, start=1):
            try:
                con.run(statement)
            except Exception as err:
                failure = (
                    f"statement {number} of {len(statements)} failed, nothing was changed "
                    f"(rolled back): {_describe(err, credentials)}"
                )
                break
        if failure is None:
            con.run("COMMIT")
    except Exception as err:  # the connection broke: the server rolls the transaction back
        failure = f"the connection to {where} failed, nothing was changed: {_describe(err, credentials)}"
    finally:
        if failure is not None:
            with contextlib.suppress(Exception):
                con.run("ROLLBACK")
        with contextlib.suppress(Exception):
            con.close()
    if failure is not None:
        raise BootstrapError(failure)
    result = {"database": where, "statements": len(statements), "sqlSha256": event["sqlSha256"]}
    print(json.dumps({"applied": result, "users": event.get("users", [])}))
    return result

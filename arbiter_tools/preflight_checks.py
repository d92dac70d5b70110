"""Preflight's checks of what a stack relies on before `pulumi up`: the account, the state backend,
the certificate and the secrets; and the `Check` line every check returns.

Each check is a function of boto3 clients and the stack config, so tests drive them against moto
(and stubbed clients where moto has no answer). Secret values are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from arbiter_infra import catalog
from arbiter_infra.config import StackConfig
from arbiter_tools.bootstrap import describe_alias_key
from arbiter_tools.stacks import account_mismatch

Status = Literal["ok", "FAIL", "skip"]
#: What an emulator gives for an API it does not implement: moto_server an HTML error page
#: (unparseable), in-process moto NotImplementedError. AWS itself answers every call used here.
UNANSWERED: tuple[type[Exception], ...] = (ResponseParserError, NotImplementedError)
#: (service) -> boto3 client in the stack's region; the ECR check may ask for another region.
ClientFactory = Callable[..., Any]
#: Downloads a URL (an ECR layer's pre-signed URL); tests pass a stub.
Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, its status, what was found, and the fix."""

    check: str
    status: Status
    detail: str
    fix: str | None = None

    def line(self) -> str:
        return f"{self.status:<4}  {self.check}: {self.detail}" + (f" -> fix: {self.fix}" if self.fix else "")


def api_error(err: ClientError) -> tuple[str, str]:
    """(code, message) on one line; a server error's HTML page is not a message."""
    error = err.response.get("Error", {})
    code, message = str(error.get("Code", "Error")), " ".join(str(error.get("Message", "")).split())
    if code.isdigit() or message.startswith("<"):
        return (
            code,
            f"HTTP {err.response.get('ResponseMetadata', {}).get('HTTPStatusCode', code)} from the API",
        )
    return code, message[:200]


def denied(check: str, call: str, err: ClientError) -> Check:
    """A call the check needs failed: say which, so the fix is a permission or the message's cause."""
    code, message = api_error(err)
    return Check(
        check,
        "FAIL",
        f"{call} failed: {code}: {message}",
        f"let the caller run {call}" if "Denied" in code or "Unauthorized" in code else None,
    )


# --- account ----------------------------------------------------------------------------------


def check_account(identity: dict[str, str], config: StackConfig) -> Check:
    """The credentials are the stack's account's: every other check is meaningless otherwise."""
    mismatch = account_mismatch(identity, config.name, config.account_id)
    if mismatch:
        return Check("account", "FAIL", mismatch.split(": use", 1)[0], "use that account's credentials")
    return Check("account", "ok", f"{identity['Account']} as {identity['Arn']}")


# --- certificate ------------------------------------------------------------------------------


def _misplaced_certificate(arn: str, config: StackConfig) -> Check | None:
    """An ALB can use only a certificate of its own account and region; no API call needed."""
    _, _, _, region, account, _ = arn.split(":", 5)
    if region != config.region:
        return Check(
            "certificate",
            "FAIL",
            f"{arn} is in {region}, the ALB in {config.region}: ACM certificates are regional",
            f"request or import the certificate in {config.region} and set services.certificateArn to it",
        )
    if account != config.account_id:
        return Check(
            "certificate",
            "FAIL",
            f"{arn} belongs to account {account}, the stack deploys to {config.account_id}",
            f"request or import the certificate in account {config.account_id}",
        )
    return None


def check_certificate(acm: Any, config: StackConfig) -> Check:
    """The ALB's certificate: in this account and region (ACM is regional), and ISSUED."""
    arn = config.services.certificate_arn
    if arn is None:
        return Check(
            "certificate",
            "skip",
            "services.certificateArn is not set: the stack uses a self-signed certificate "
            "(clients must trust it explicitly; set an ACM certificate for real users)",
        )
    misplaced = _misplaced_certificate(arn, config)
    if misplaced is not None:
        return misplaced
    try:
        cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as err:
        if api_error(err)[0] == "ResourceNotFoundException":
            return Check(
                "certificate",
                "FAIL",
                f"{arn} does not exist",
                f"request one (aws acm request-certificate --region {config.region}) and set "
                "services.certificateArn",
            )
        return denied("certificate", "acm:DescribeCertificate", err)
    status = cert.get("Status")
    if status != "ISSUED":
        fixes = {
            "PENDING_VALIDATION": "create the DNS validation records it lists "
            f"(aws acm describe-certificate --certificate-arn {arn}) and wait for ISSUED",
            "EXPIRED": "renew or re-import it, or point services.certificateArn at a current one",
        }
        return Check(
            "certificate",
            "FAIL",
            f"{arn} is {status}, not ISSUED: the HTTPS listener cannot use it",
            fixes.get(str(status), "request a new certificate and set services.certificateArn"),
        )
    return Check("certificate", "ok", f"{cert.get('DomainName', arn)} ISSUED in {config.region}")


# --- secrets ----------------------------------------------------------------------------------


def check_secret(sm: Any, stack: str, prefix: str, secret: str, *, paused: bool) -> Check:
    """A current value exists (values are set by an operator, never by `pulumi up`).

    `describe_secret` only (its VersionIdsToStages), never GetSecretValue. Before the first `up`
    the secret does not exist yet: that is fine only while the stack is paused (no task needs it).
    """
    name, check = f"{prefix}/{secret}", f"secret {secret}"
    set_cmd = f"arbiter-infra secrets set --stack {stack} --secret {secret}"
    try:
        described: dict[str, Any] | None = sm.describe_secret(SecretId=name)
    except ClientError as err:
        if api_error(err)[0] != "ResourceNotFoundException":
            return denied(check, "secretsmanager:DescribeSecret", err)
        described = None
    if described is not None and described.get("DeletedDate"):
        return Check(
            check,
            "FAIL",
            f"{name} is scheduled for deletion: `pulumi up` cannot use or recreate it",
            f"aws secretsmanager restore-secret --secret-id {name}",
        )
    stages = (described or {}).get("VersionIdsToStages") or {}
    if any("AWSCURRENT" in s for s in stages.values()):
        return Check(check, "ok", f"{name} has a current value")
    state = (
        "does not exist yet (the first, paused `pulumi up` creates it)"
        if described is None
        else "has no value"
    )
    if paused:
        return Check(check, "skip", f"{name} {state}; set it before unpausing: {set_cmd}")
    if described is None:
        return Check(
            check,
            "FAIL",
            f"{name} does not exist yet and the services are not paused: their tasks cannot start",
            f"set arbiter:services.paused: true for the first `pulumi up`, then {set_cmd}",
        )
    return Check(check, "FAIL", f"{name} has no current value: tasks that need it cannot start", set_cmd)


# --- Redis authentication ------------------------------------------------------------------


def check_redis_auth(elasticache: Any, config: StackConfig) -> Check:
    """A group that still has its AUTH token must go through the migration's middle step first.

    Deploying the end state (default user off) onto such a group is AWS's one-call migration: the
    token is deleted while the running tasks still send it, and they lose Redis until replaced.
    """
    group_id, check = f"{config.prefix}-redis", "redis auth"
    try:
        groups = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    except ClientError as err:
        if api_error(err)[0] == "ReplicationGroupNotFoundFault":
            return Check(check, "ok", f"{group_id} does not exist yet: it is created with RBAC users")
        return denied(check, "elasticache:DescribeReplicationGroups", err)
    token = bool(groups[0].get("AuthTokenEnabled"))
    if token and not config.cache.legacy_auth_token:
        return Check(
            check,
            "FAIL",
            f"{group_id} still has its AUTH token and cache.legacyAuthToken is false: this `pulumi up` "
            "would delete the token under the running tasks",
            "first deploy with arbiter:cache.legacyAuthToken: true (docs/redis-access.md, step 1)",
        )
    users = groups[0].get("UserGroupIds") or []
    detail = "AUTH token still on (the migration's step 1 removes it)" if token else f"user group {users}"
    return Check(check, "ok", f"{group_id}: {detail}")


# --- state backend ----------------------------------------------------------------------------


def check_state_bucket(s3: Any, config: StackConfig) -> Check:
    bucket = config.delivery.state_bucket
    name = f"state bucket {bucket}"
    bootstrap = f"./dev bootstrap --stack {config.name}"
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=config.account_id)
        versioning = s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=config.account_id).get(
            "Status"
        )
    except ClientError as err:
        code = api_error(err)[0]
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchBucket") or status == 404:
            return Check(name, "FAIL", "does not exist", bootstrap)
        if code in ("403", "AccessDenied") or status == 403:
            return Check(
                name,
                "FAIL",
                f"exists but is not account {config.account_id}'s, or you may not list it",
                "check who owns the bucket; the caller needs s3:ListBucket on it",
            )
        return denied(name, "s3:HeadBucket", err)
    if versioning != "Enabled":
        return Check(
            name, "FAIL", f"versioning is {versioning or 'off'}: a bad write could not be undone", bootstrap
        )
    return Check(name, "ok", "exists, versioned")


def check_state_key(kms: Any, config: StackConfig) -> Check:
    alias = config.delivery.secrets_kms_alias
    name = f"state key {alias}"
    try:
        key = describe_alias_key(kms, alias)
    except ClientError as err:
        return denied(name, "kms:DescribeKey", err)
    if key is None:
        return Check(name, "FAIL", "does not exist", f"./dev bootstrap --stack {config.name}")
    if key.get("KeyState") != "Enabled":
        return Check(
            name,
            "FAIL",
            f"key {key['KeyId']} is {key.get('KeyState')}: Pulumi cannot decrypt the stack's secrets",
            f"aws kms cancel-key-deletion / enable-key --key-id {key['KeyId']}",
        )
    return Check(name, "ok", f"{key['Arn']} enabled")


# --- cache engine -------------------------------------------------------------------------------


def check_cache_engine(elasticache: Any, config: StackConfig) -> Check:
    """The live replication group's engine against `cache.engine`: redis -> valkey is done in AWS
    first (the group ignores engineVersion, so `pulumi up` would send valkey without a version),
    and valkey -> redis would replace the group with an empty one (docs/cache-engine.md)."""
    group_id = f"{config.prefix}-redis"
    want = config.cache.engine
    name = f"cache engine of {group_id}"
    try:
        groups = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    except ClientError as err:
        if api_error(err)[0] == "ReplicationGroupNotFoundFault":
            return Check(name, "ok", f"not created yet: pulumi up creates it with {want}")
        return denied(name, "elasticache:DescribeReplicationGroups", err)
    running = str(groups[0].get("Engine") or "redis")
    if running == want:
        return Check(name, "ok", f"runs {running}, as cache.engine says")
    if (running, want) == ("redis", "valkey"):
        version = catalog.VALKEY_CREATE_VERSION[config.cache.engine_version]
        return Check(
            name,
            "FAIL",
            "runs redis and cache.engine is valkey: pulumi up cannot change the engine of this group",
            f"aws elasticache modify-replication-group --replication-group-id {group_id} --engine valkey "
            f"--engine-version {version} --cache-parameter-group-name default.valkey"
            f"{config.cache.engine_version} --apply-immediately, then pulumi refresh (docs/cache-engine.md)",
        )
    return Check(
        name,
        "FAIL",
        f"runs {running} and cache.engine is {want}: pulumi up would replace the group with an empty one",
        f"set arbiter:cache.engine: {running} (AWS has no in-place change back; docs/cache-engine.md)",
    )

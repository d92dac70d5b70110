"""`arbiter-infra bootstrap --stack S`: the Pulumi state backend, before any stack exists.

Pulumi keeps state in `arbiter-pulumi-state-<account>` (one bucket per account: bucket names are
global) and encrypts each stack's secrets with the KMS key behind `alias/arbiter-pulumi-state-<env>`.
Neither can be a resource of the stacks whose state they hold, so this command creates them with
boto3, idempotently: every item is inspected first and reported as `exists`, `created` or
`updated`. It refuses credentials of any account but the stack's (`aws:allowedAccountIds`) and
checks everything it can before creating anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from botocore.exceptions import ClientError

from arbiter_infra.config import PROJECT
from arbiter_tools.command_support import aws_errors
from arbiter_tools.errors import UserError
from arbiter_tools.stacks import Backend, account_mismatch, caller_identity, load_backend, session_for

#: Old state versions are kept this long, so a bad `pulumi up` or a hand edit can be undone.
NONCURRENT_VERSION_DAYS = 90
ABORT_MULTIPART_DAYS = 7
TLS_STATEMENT_SID = "DenyInsecureTransport"
LIFECYCLE_RULE_ID = "expire-noncurrent-state-versions"

Report = Callable[[str, str, str], None]


def _user_error(message: str) -> Exception:
    return UserError(message)


# --- the state key --------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def describe_alias_key(kms: Any, alias: str) -> dict[str, Any] | None:
    """The key behind `alias`, or None when the alias does not exist."""
    try:
        return dict(kms.describe_key(KeyId=alias)["KeyMetadata"])
    except ClientError as err:
        if _code(err) == "NotFoundException":
            return None
        raise


def _usable_key(alias: str, key: dict[str, Any]) -> None:
    if key.get("KeyState") != "Enabled":
        state = key.get("KeyState")
        fix = (
            f"aws kms cancel-key-deletion --key-id {key['KeyId']} and enable it"
            if state == "PendingDeletion"
            else f"aws kms enable-key --key-id {key['KeyId']}"
        )
        raise _user_error(f"KMS key {alias} ({key['KeyId']}) is {state}, not Enabled: {fix}")
    if key.get("KeyManager") == "AWS" or key.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        raise _user_error(
            f"KMS key {alias} ({key['KeyId']}) is not a customer-managed symmetric key: "
            "point the alias at one (aws kms update-alias) or delete the alias"
        )


def ensure_state_key(kms: Any, alias: str, environment: str, report: Report) -> str:
    """The stack's secrets-provider key: customer managed, rotation on. Returns its ARN."""
    key = describe_alias_key(kms, alias)
    if key is None:
        key = kms.create_key(
            Description=f"Pulumi secrets provider for the {PROJECT} {environment} stack state",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[
                {"TagKey": "Project", "TagValue": PROJECT},
                {"TagKey": "Environment", "TagValue": environment},
                {"TagKey": "ManagedBy", "TagValue": "arbiter-infra bootstrap"},
            ],
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        kms.enable_key_rotation(KeyId=key["KeyId"])
        report("created", f"KMS key {alias}", f"{key['Arn']}, rotation on")
        return str(key["Arn"])
    report("exists", f"KMS key {alias}", str(key["Arn"]))
    if kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"):
        report("exists", f"KMS key {alias}: rotation", "on")
    else:
        kms.enable_key_rotation(KeyId=key["KeyId"])
        report("updated", f"KMS key {alias}: rotation", "turned on")
    return str(key["Arn"])


# --- the state bucket -----------------------------------------------------------------------


def bucket_region(s3: Any, bucket: str, account_id: str) -> str | None:
    """The region the bucket is in, None when it does not exist; refuses one owned elsewhere."""
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
    except ClientError as err:
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if _code(err) in ("404", "NoSuchBucket") or status == 404:
            return None
        if _code(err) in ("403", "AccessDenied") or status == 403:
            raise _user_error(
                f"S3 bucket {bucket} exists but is not this account's ({account_id}) or you may not "
                "list it: bucket names are global; check who owns it (s3:ListBucket needed)"
            ) from None
        raise
    location = s3.get_bucket_location(Bucket=bucket, ExpectedBucketOwner=account_id).get("LocationConstraint")
    return str(location or "us-east-1")


def tls_statement(bucket: str) -> dict[str, Any]:
    return {
        "Sid": TLS_STATEMENT_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def lifecycle_rule() -> dict[str, Any]:
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
    }


PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _get_or_none(call: Callable[[], Any], *absent: str) -> Any:
    try:
        return call()
    except ClientError as err:
        if _code(err) in absent:
            return None
        raise


def ensure_state_bucket(
    s3: Any, bucket: str, region: str, account_id: str, *, key_arn: str, report: Report, exists: bool
) -> None:
    """Create or converge the state bucket; each setting is compared first and reported."""
    owner = {"ExpectedBucketOwner": account_id}
    if exists:
        report("exists", f"S3 bucket {bucket}", region)
    else:
        create: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if region != "us-east-1":  # us-east-1 refuses its own name as a LocationConstraint
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**create)
        report("created", f"S3 bucket {bucket}", region)
    item = "created" if not exists else None

    def done(name: str, same: bool, detail: str) -> None:
        report(item or ("exists" if same else "updated"), f"S3 bucket {bucket}: {name}", detail)

    versioning = s3.get_bucket_versioning(Bucket=bucket, **owner).get("Status")
    if versioning != "Enabled":
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}, **owner)
    done("versioning", versioning == "Enabled", "enabled")

    encryption = _get_or_none(
        lambda: s3.get_bucket_encryption(Bucket=bucket, **owner),
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    rules = (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    current = rules[0] if rules else {}
    default = current.get("ApplyServerSideEncryptionByDefault", {})
    if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
        # Another stack of this account may have set its own key first: keep it (no flip-flop).
        use_key = str(default["KMSMasterKeyID"])
        same = bool(current.get("BucketKeyEnabled"))
    else:
        use_key, same = key_arn, False
    if not same:
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": use_key,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            **owner,
        )
    done("default encryption", same, f"SSE-KMS with {use_key}, bucket key enabled")

    pab = _get_or_none(
        lambda: s3.get_public_access_block(Bucket=bucket, **owner), "NoSuchPublicAccessBlockConfiguration"
    )
    same = (pab or {}).get("PublicAccessBlockConfiguration") == PUBLIC_ACCESS_BLOCK
    if not same:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK, **owner)
    done("public access block", same, "all four settings on")

    ownership = _get_or_none(
        lambda: s3.get_bucket_ownership_controls(Bucket=bucket, **owner), "OwnershipControlsNotFoundError"
    )
    wanted_ownership = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    same = (ownership or {}).get("OwnershipControls") == wanted_ownership
    if not same:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=wanted_ownership, **owner)
    done("object ownership", same, "BucketOwnerEnforced (ACLs disabled)")

    policy_text = _get_or_none(lambda: s3.get_bucket_policy(Bucket=bucket, **owner), "NoSuchBucketPolicy")
    policy: dict[str, Any] = (
        json.loads(policy_text["Policy"]) if policy_text else {"Version": "2012-10-17", "Statement": []}
    )
    raw_statements = policy.get("Statement", [])
    statements: list[dict[str, Any]] = (
        [raw_statements] if isinstance(raw_statements, dict) else list(raw_statements)
    )
    wanted = tls_statement(bucket)
    same = wanted in statements
    if not same:
        # Keep every other statement (cross-account access, for one): replace only ours.
        policy["Statement"] = [s for s in statements if s.get("Sid") != TLS_STATEMENT_SID] + [wanted]
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy), **owner)
    done("bucket policy", same, "denies requests without TLS (aws:SecureTransport false)")

    lifecycle = _get_or_none(
        lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket, **owner), "NoSuchLifecycleConfiguration"
    )
    existing = list((lifecycle or {}).get("Rules", []))
    rule = lifecycle_rule()
    ours = next((r for r in existing if r.get("ID") == LIFECYCLE_RULE_ID), None)
    keys = ("Status", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")
    same = ours is not None and all(ours.get(k) == rule[k] for k in keys)
    if not same:
        rules_out = [r for r in existing if r.get("ID") != LIFECYCLE_RULE_ID] + [rule]
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules_out}, **owner
        )
    done("lifecycle", same, f"noncurrent versions expire after {NONCURRENT_VERSION_DAYS} days")


# --- the command ----------------------------------------------------------------------------


def next_commands(backend: Backend) -> list[str]:
    """What the operator runs next; quoted so zsh does not glob the `?` of the URLs."""
    return [
        f"pulumi login 's3://{backend.bucket}?region={backend.region}'",
        f"pulumi stack init {backend.name} --secrets-provider 'awskms://{backend.alias}?region={backend.region}'",
    ]


def bootstrap(session: Any, backend: Backend, out: TextIO) -> None:
    """Check account and existing items first, then create or converge key and bucket."""
    identity = caller_identity(session)
    mismatch = account_mismatch(identity, backend.name, backend.account_id)
    if mismatch:
        raise _user_error(f"bootstrap refused: {mismatch}")
    bucket, alias, region = backend.bucket, backend.alias, backend.region
    kms, s3 = session.client("kms", region_name=region), session.client("s3", region_name=region)

    def report(status: str, item: str, detail: str) -> None:
        print(f"{status:<8} {item}: {detail}", file=out, flush=True)

    # Inspect first: a refusal here leaves nothing half-created.
    with aws_errors(f"inspect KMS alias {alias}"):
        key = describe_alias_key(kms, alias)
    if key is not None:
        _usable_key(alias, key)
    with aws_errors(f"inspect S3 bucket {bucket}"):
        found = bucket_region(s3, bucket, backend.account_id)
    if found is not None and found != region:
        raise _user_error(
            f"S3 bucket {bucket} exists in {found}, but stack '{backend.name}' is in {region}: "
            "the state bucket must be in the stack's region"
        )
    print(
        f"Bootstrapping the Pulumi state backend of stack '{backend.name}' in account "
        f"{backend.account_id} ({region}):",
        file=out,
    )
    with aws_errors(f"KMS key {alias}"):
        key_arn = ensure_state_key(kms, alias, backend.name, report)
    with aws_errors(f"S3 bucket {bucket}"):
        ensure_state_bucket(
            s3, bucket, region, backend.account_id, key_arn=key_arn, report=report, exists=found is not None
        )
    print("Next (once per stack; the stack's own state then lives in the bucket):", file=out)
    for line in next_commands(backend):
        print(f"  {line}", file=out)


def cmd_bootstrap(args: argparse.Namespace) -> int:
    backend = load_backend(args.stack)
    bootstrap(session_for(backend.region), backend, sys.stdout)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "bootstrap",
        help="create (idempotently) the account's Pulumi state bucket and the stack's state KMS key",
    )
    p.add_argument(
        "--stack", required=True, help="stack: an environment (staging, prod) or the account stack"
    )
    p.set_defaults(func=cmd_bootstrap)

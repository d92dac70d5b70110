"""Keys, secrets, logs, topics and buckets: encrypted with customer-managed keys and not public."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import Severity

from policies.base import (
    UNKNOWN,
    ArbiterPolicy,
    Res,
    ResourceCheck,
    StackView,
    as_list,
    dig,
    index_by,
    is_blank,
    is_false_or_absent,
    is_true,
    json_value,
    number,
)
from policies.identity import statements, unknown_statements
from policies.resource_types import (
    BUCKET_PAB,
    BUCKET_SSE,
    BUCKETS,
    KMS_KEY,
    LOG_GROUP,
    SECRET,
    SECRET_ROTATION,
    TOPIC,
    TOPIC_POLICY,
)

PAB_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
AWS_MANAGED_KEY_ALIASES: Final = ("alias/aws/",)


def _is_aws_managed(key: Any) -> bool:
    return isinstance(key, str) and any(alias in key for alias in AWS_MANAGED_KEY_ALIASES)


def _kms_rotation(res: Res) -> Iterator[str]:
    spec = res.get("customerMasterKeySpec") or res.get("keySpec")
    if spec is UNKNOWN or spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # AWS rotates only symmetric encryption keys (an unknown spec may be another)
    if is_false_or_absent(res.get("enableKeyRotation")):
        yield "enableKeyRotation is not true: the key material never rotates"


def _cmk(prop: str, what: str) -> ResourceCheck:
    def check(res: Res) -> Iterator[str]:
        key = res.get(prop)
        if is_blank(key):
            yield f"{prop} is not set: {what} is not encrypted with a customer-managed KMS key"
        elif _is_aws_managed(key):
            yield f"{prop} is the AWS-managed key {key}: use the project's customer-managed key"

    return check


def _log_retention(res: Res) -> Iterator[str]:
    days = res.get("retentionInDays")
    if days is not UNKNOWN and (number(days) or 0) <= 0:
        yield "retentionInDays is not set: logs are kept (and billed) forever"


def _secrets_rotation(view: StackView) -> Iterator[tuple[str, str | None]]:
    rotations, unknown = index_by(view.of_type(SECRET_ROTATION), "secretId")
    if unknown:
        return
    for secret in view.of_type(SECRET):
        refs = {secret.get("id"), secret.get("arn")}
        if UNKNOWN in refs or refs & set(rotations):
            continue
        rotation, reason = secret.get("tags", "Rotation"), secret.get("tags", "RotationReason")
        if rotation is UNKNOWN or (rotation == "external" and not is_blank(reason)):
            continue
        yield (
            (
                "secret has no SecretRotation; credentials issued by a third party must be tagged "
                "Rotation=external with a RotationReason"
            ),
            secret.urn,
        )


def _public_statement(stmt: dict[str, Any]) -> bool:
    principal = stmt.get("Principal")
    public = principal == "*" or "*" in as_list(dig(principal, "AWS"))
    return stmt.get("Effect") == "Allow" and public and not stmt.get("Condition")


def _may_deny_insecure_transport(stmt: dict[str, Any]) -> bool:
    """The TLS deny statement, or one whose unknown parts may make it that statement."""
    secure = dig(stmt.get("Condition"), "Bool", "aws:SecureTransport")
    return stmt.get("Effect") in ("Deny", UNKNOWN) and secure in (False, "false", UNKNOWN)


def _topic_policies(view: StackView) -> Iterator[tuple[str, str | None]]:
    attached, unknown = index_by(view.of_type(TOPIC_POLICY), "arn")
    for topic in view.of_type(TOPIC):
        docs: list[Any] = [json_value(topic.get("policy"))]
        arn = topic.get("arn")
        if isinstance(arn, str) and arn in attached:
            docs.append(json_value(attached[arn].get("policy")))
        if any(d is UNKNOWN for d in docs):
            continue
        stmts = [s for d in docs for s in statements(d)]
        if any(_public_statement(s) for s in stmts):
            yield "topic policy allows any principal ('*') without a condition", topic.urn
        if arn is UNKNOWN or unknown or any(unknown_statements(d) for d in docs):
            continue
        if not any(_may_deny_insecure_transport(s) for s in stmts):
            yield "no topic policy denies publishing without TLS (aws:SecureTransport=false)", topic.urn


def _bucket_protection(view: StackView) -> Iterator[tuple[str, str | None]]:
    sse, sse_unknown = index_by(view.of_type(*BUCKET_SSE), "bucket")
    pab, pab_unknown = index_by(view.of_type(BUCKET_PAB), "bucket")
    for bucket in view.of_type(*BUCKETS):
        refs = {bucket.get("id"), bucket.get("bucket")} - {None}
        if UNKNOWN in refs:
            continue
        inline = bucket.get("serverSideEncryptionConfiguration")
        if not sse_unknown and is_blank(inline) and not refs & set(sse):
            yield "bucket has no server-side encryption configuration", bucket.urn
        if pab_unknown:
            continue
        block = next((pab[r] for r in refs if r in pab), None)
        if block is None:
            yield "bucket has no public access block", bucket.urn
            continue
        off = [flag for flag in PAB_FLAGS if block.get(flag) is not UNKNOWN and not is_true(block.get(flag))]
        if off:
            yield f"bucket public access block leaves {', '.join(off)} off", block.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="kms-key-rotation",
        description="Customer-managed KMS keys rotate their key material yearly.",
        severity=Severity.MEDIUM,
        controls=("KMS.4", "KMS5"),
        remediation="Set enable_key_rotation=True on every symmetric aws.kms.Key.",
        resource_types=(KMS_KEY,),
        check=_kms_rotation,
    ),
    ArbiterPolicy(
        name="secrets-encrypted-with-cmk",
        description="Secrets Manager secrets are encrypted with the project's customer-managed key.",
        severity=Severity.HIGH,
        controls=("NIST.800.53.R5-SecretsManagerUsingKMSKey", "SECRETSMANAGER_USING_CMK"),
        remediation="Set kms_key_id on every aws.secretsmanager.Secret to the project's KMS key ARN.",
        resource_types=(SECRET,),
        check=_cmk("kmsKeyId", "the secret"),
    ),
    ArbiterPolicy(
        name="secrets-rotated",
        description=(
            "Secrets rotate automatically, or are explicitly marked as issued and rotated by a third party "
            "(tags Rotation=external and RotationReason)."
        ),
        severity=Severity.MEDIUM,
        controls=("SecretsManager.1", "SMG4"),
        remediation=(
            "Add an aws.secretsmanager.SecretRotation, or tag exchange/bot credentials Rotation=external with "
            "a RotationReason naming who rotates them."
        ),
        resource_types=(SECRET, SECRET_ROTATION),
        stack_check=_secrets_rotation,
    ),
    ArbiterPolicy(
        name="log-groups-encrypted",
        description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=("NIST.800.53.R5-CloudWatchLogGroupEncrypted", "CLOUDWATCH_LOG_GROUP_ENCRYPTED"),
        remediation="Set kms_key_id on the log group; the key policy must allow logs.<region>.amazonaws.com.",
        resource_types=(LOG_GROUP,),
        check=_cmk("kmsKeyId", "the log group"),
    ),
    ArbiterPolicy(
        name="log-groups-retention",
        description="CloudWatch log groups have a retention period.",
        severity=Severity.LOW,
        controls=("CloudWatch.16", "CW_LOGGROUP_RETENTION_PERIOD_CHECK"),
        remediation="Set retention_in_days (a value from arbiter_infra.catalog.LOG_RETENTION_DAYS).",
        resource_types=(LOG_GROUP,),
        check=_log_retention,
    ),
    ArbiterPolicy(
        name="sns-topics-encrypted",
        description="SNS topics are encrypted with a customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=("SNS.1", "SNS2"),
        remediation="Set kms_master_key_id on the topic; the key policy must allow the publishing services.",
        resource_types=(TOPIC,),
        check=_cmk("kmsMasterKeyId", "the topic"),
    ),
    ArbiterPolicy(
        name="sns-topic-policy-secure",
        description="SNS topic policies are not public and deny publishing without TLS.",
        severity=Severity.MEDIUM,
        controls=("SNS.4", "SNS3"),
        remediation=(
            "Attach an aws.sns.TopicPolicy with a Deny statement on Condition Bool aws:SecureTransport=false "
            "and no unconditioned Principal '*'."
        ),
        resource_types=(TOPIC, TOPIC_POLICY),
        stack_check=_topic_policies,
    ),
    ArbiterPolicy(
        name="s3-buckets-encrypted-and-private",
        description="S3 buckets have a server-side encryption configuration and a full public access block.",
        severity=Severity.HIGH,
        controls=("S3.8", "S2", "S3.4"),
        remediation=(
            "Declare BucketServerSideEncryptionConfiguration (aws:kms) and BucketPublicAccessBlock with all four "
            "flags true for every bucket."
        ),
        resource_types=(*BUCKETS, *BUCKET_SSE, BUCKET_PAB),
        stack_check=_bucket_protection,
    ),
]

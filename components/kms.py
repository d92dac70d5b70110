"""A stack's customer-managed KMS key: an environment's logs, secrets, Aurora, Redis and SNS; the account's ECR."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.naming import Naming

#: Key-administration and key-use actions for the account root. Spelled out rather than `kms:*`
#: so the policy reads as a list of what the account may do; granting them to the root lets IAM
#: policies (deploy role, task execution roles) decide who actually may use the key.
ACCOUNT_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
#: What AWS services that encrypt on our behalf (Logs, CloudWatch alarms -> SNS) need.
SERVICE_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


@dataclass(frozen=True)
class StackKeyArgs:
    #: Names the key's alias (`alias/<prefix>`) and description.
    naming: Naming
    #: Region of the CloudWatch Logs service principal allowed to use the key.
    region: str
    #: The account whose IAM decides who may use the key (its root is the key policy's principal).
    account_id: pulumi.Input[str]
    #: What the key encrypts, for its description; default the environment stack's uses.
    purpose: str = "logs, secrets, Aurora, Redis, SNS"
    #: Protected, with the longest deletion window (30 days instead of 7); default off.
    protect: bool = False


class StackKey(pulumi.ComponentResource):
    """One CMK per stack with rotation on and a policy naming who may use it."""

    key: aws.kms.Key
    alias: aws.kms.Alias
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: StackKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:security:StackKey", name, None, opts)
        region = args.region
        account = args.account_id
        root = pulumi.Output.concat("arn:aws:iam::", account, ":root")
        policy = iam.document(
            iam.statement(
                "AccountAdministersKeyAndDelegatesUseToIam", ACCOUNT_ACTIONS, ["*"], principal={"AWS": root}
            ),
            iam.statement(
                "CloudWatchLogsEncryptsThisAccountsLogGroups",
                SERVICE_USE_ACTIONS,
                ["*"],
                principal={"Service": f"logs.{region}.amazonaws.com"},
                condition={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            "arn:aws:logs:", region, ":", account, ":log-group:*"
                        )
                    }
                },
            ),
            # RDS event notifications to the encrypted alert topic (RDS user guide, "Granting
            # permissions to publish notifications to an Amazon SNS topic" / SNS encrypted topics).
            iam.statement(
                "RdsEventsPublishToEncryptedTopic",
                ("kms:Decrypt", "kms:GenerateDataKey"),
                ["*"],
                principal={"Service": "events.rds.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": account}},
            ),
            iam.statement(
                "CloudWatchAlarmsPublishToEncryptedTopic",
                ("kms:Decrypt", "kms:GenerateDataKey"),
                ["*"],
                principal={"Service": "cloudwatch.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": account}},
            ),
        )
        child = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.naming.prefix}: {args.purpose}",
            enable_key_rotation=True,
            deletion_window_in_days=30 if args.protect else 7,
            policy=policy,
            opts=child,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.naming.prefix}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn, "keyId": self.key.key_id, "aliasName": self.alias.name})

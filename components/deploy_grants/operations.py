"""The deploy role's grants for operations (areas `automation`, `observability`, `state`): the
staging ALB's imported certificate and the database-users function; log groups, alarms, dashboards, SNS;
the Pulumi state, its secrets provider, the OIDC provider and ECR.

A data table (one `Grant` per statement, in policy order); `components.deploy_grants` joins the
areas into the deploy role's policies.
"""

from __future__ import annotations

from typing import Final

from arbiter_infra import iam
from components.deploy_grants.model import (
    _KMS,
    _LOGS,
    _REPOS,
    _STATE_OBJECTS,
    Grant,
)

#: This region's certificates (their ids are generated: tags decide).
_CERTIFICATES = "arn:aws:acm:{region}:{account}:certificate/*"

#: Statements of this area, in the order the policy lists them.
GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "automation",
        "AcmImportTaggedForThisStack",
        "without a configured certificate, the stack imports its self-signed one into ACM, tagged "
        "on import, so the request tags confine it to this stack's",
        ("acm:AddTagsToCertificate", "acm:ImportCertificate"),
        "request-tag",
        (_CERTIFICATES,),
    ),
    Grant(
        "automation",
        "AcmOwnCertificates",
        "read, re-import (renewal) and delete only certificates tagged as this stack's",
        (
            "acm:AddTagsToCertificate",
            "acm:DeleteCertificate",
            "acm:DescribeCertificate",
            "acm:GetCertificate",
            "acm:ImportCertificate",
            "acm:ListTagsForCertificate",
            "acm:RemoveTagsFromCertificate",
        ),
        "resource-tag",
        (_CERTIFICATES,),
    ),
    Grant(
        "automation",
        "LambdaOwnFunctions",
        "the database-users bootstrap function: created, updated and invoked by each `pulumi up` "
        "whose SQL changed (aws.lambda_.Invocation)",
        (
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:GetFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:InvokeFunction",
            "lambda:ListTags",
            "lambda:ListVersionsByFunction",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
        ),
        "arns",
        ("arn:aws:lambda:{region}:{account}:function:{p}-*",),
    ),
    # ---- observability: log groups, alarms, dashboards, SNS
    Grant(
        "observability",
        "LogsReads",
        "log-group listing, and Redis slow-log delivery (log deliveries and the Logs resource "
        "policy that lets ElastiCache write), cannot be scoped",
        iam.LOG_DELIVERY_ACTIONS,
        "unscopable",
    ),
    Grant(
        "observability",
        "LogsOwnGroups",
        "the stack's log groups (/ecs/arbiter-<env>-*, /aws/vpc/arbiter-<env>/..., RDS and Redis "
        "log groups) and reading their streams to diagnose a rollout",
        (
            "logs:AssociateKmsKey",
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DescribeLogStreams",
            "logs:DisassociateKmsKey",
            "logs:FilterLogEvents",
            "logs:GetLogEvents",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
            "logs:PutRetentionPolicy",
            "logs:TagLogGroup",
            "logs:TagResource",
            "logs:UntagLogGroup",
            "logs:UntagResource",
        ),
        "arns",
        (f"{_LOGS}:log-group:*{{p}}-*", f"{_LOGS}:log-group:*{{p}}/*"),
    ),
    Grant(
        "observability",
        "CloudWatchReads",
        "dashboard listing, and the metric reads of a scaling policy's create (AWS's "
        "CloudFormation handler), cannot be scoped",
        ("cloudwatch:GetMetricData", "cloudwatch:ListDashboards"),
        "unscopable",
    ),
    Grant(
        "observability",
        "CloudWatchDescribeAlarms",
        "refresh of the alarms, and target tracking's check of its own: the SAR authorizes "
        "DescribeAlarms on alarms, and a listing is on all of this region's",
        ("cloudwatch:DescribeAlarms",),
        "arns",
        ("arn:aws:cloudwatch:{region}:{account}:alarm:*",),
    ),
    Grant(
        "observability",
        "CloudWatchOwnAlarmsAndDashboards",
        "alarms named arbiter-<env>-* and the stack's dashboard (arbiter-<env>)",
        (
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:GetDashboard",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:PutDashboard",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ),
        "arns",
        (
            "arn:aws:cloudwatch:{region}:{account}:alarm:{p}-*",
            "arn:aws:cloudwatch::{account}:dashboard/{p}",
            "arn:aws:cloudwatch::{account}:dashboard/{p}-*",
        ),
    ),
    Grant(
        "observability",
        "CloudWatchTargetTrackingAlarms",
        "an autoscaled service's target-tracking policy makes Application Auto Scaling create and delete its "
        "alarms (TargetTracking-service/<cluster>/<service>-*) with the caller's permissions",
        ("cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"),
        "arns",
        ("arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-service/{p}/*",),
    ),
    Grant(
        "observability",
        "SnsReads",
        "topic listing cannot be scoped",
        ("sns:ListTopics",),
        "unscopable",
    ),
    Grant(
        "observability",
        "SnsOwnAlertTopics",
        "alert topics arbiter-<env>-* and their e-mail subscriptions",
        (
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:UntagResource",
        ),
        "arns",
        ("arn:aws:sns:{region}:{account}:{p}-*",),
    ),
    Grant(
        "observability",
        "SnsSubscriptionsUnscopable",
        "the e-mail subscriptions' refresh, update and delete: these actions have no resource "
        "type (a subscription ARN is not an IAM resource), so Resource must be *",
        ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
        "unscopable",
    ),
    # ---- state and delivery: Pulumi state, secrets provider, OIDC provider, ECR
    Grant(
        "state",
        "CallerIdentity",
        "the program reads the account id (get_caller_identity)",
        ("sts:GetCallerIdentity",),
        "unscopable",
    ),
    Grant(
        "state",
        "StateBucketList",
        "the S3 backend lists stacks, locks and history; listing reveals key names only",
        ("s3:ListBucket",),
        "arns",
        ("arn:aws:s3:::{bucket}",),
    ),
    Grant(
        "state",
        "StateReadBackendMeta",
        "the backend's format marker, written once by the admin's pulumi login",
        ("s3:GetObject",),
        "arns",
        ("arn:aws:s3:::{bucket}/.pulumi/meta.yaml",),
    ),
    Grant(
        "state",
        "StateThisStackOnly",
        "checkpoint, history, backups and locks of this stack only: the staging role cannot read "
        "or overwrite prod's state",
        ("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
        "arns",
        _STATE_OBJECTS,
    ),
    Grant(
        "state",
        "SecretsProviderKey",
        "the awskms:// secrets provider encrypts and decrypts the stack's data key; the key is "
        "named by its alias, so the condition is on the alias rather than a key id",
        ("kms:Decrypt", "kms:Encrypt"),
        "arns",
        (f"{_KMS}:key/*",),
        condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "{alias}"}},
    ),
    Grant(
        "state",
        "EcrReadRepositories",
        "the deploy checks that the pinned image tags exist before pulumi up; the repositories "
        "themselves belong to the account stack",
        ("ecr:DescribeImages", "ecr:DescribeRepositories"),
        "arns",
        _REPOS,
    ),
)

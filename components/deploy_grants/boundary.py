"""The permissions boundary's grants: the most any role the program creates can ever do.

A data table (one `Grant` per statement, in policy order), filled per stack like the deploy role's.
"""

from __future__ import annotations

from typing import Final

from components.deploy_grants.model import (
    _BACKUP_VAULTS,
    _ELB,
    _EXEC_ROLES,
    _IAM,
    _KMS_KEYS,
    _LOGS,
    _RDS,
    _REPOS,
    _SM,
    Grant,
)

#: The permissions boundary every role the program creates carries (and CI must set): the most
#: any such role can ever do, whatever its own policies say.
BOUNDARY_GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "boundary",
        "EcrLogin",
        "execution roles log in to ECR to pull images; the token has no resource type",
        ("ecr:GetAuthorizationToken",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "PullServiceImages",
        "execution roles pull the services' images, from these repositories only",
        ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
        "arns",
        _REPOS,
    ),
    Grant(
        "boundary",
        "WriteLogs",
        "container logs, VPC flow logs, RDS enhanced monitoring (RDSOSMetrics) and ECS Exec "
        "session logs go to this account's log groups",
        (
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy",
        ),
        "arns",
        (f"{_LOGS}:log-group:*",),
    ),
    Grant(
        "boundary",
        "FindLogGroups",
        "ECS Exec looks up its session log group; listing has no resource type",
        ("logs:DescribeLogGroups",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "OnlyExecutionRolesReadSecrets",
        "the trading credentials and the Redis AUTH token may be read only by an execution role "
        "(arbiter-<env>-*-exec), which CI can neither create nor re-trust: a role CI makes for "
        "itself gets nothing here",
        ("secretsmanager:GetSecretValue",),
        "arns",
        (f"{_SM}:secret:{{p}}/*",),
        condition={"ArnLike": {"aws:PrincipalArn": _EXEC_ROLES}},
    ),
    Grant(
        "boundary",
        "OnlyTheDatabaseUsersFunctionReadsTheMasterSecret",
        "the RDS master secret: only the database-users bootstrap function's execution role "
        "(no service; operators break glass as administrators, outside any boundary)",
        ("secretsmanager:GetSecretValue",),
        "arns",
        (f"{_SM}:secret:rds!cluster-*",),
        condition={"ArnLike": {"aws:PrincipalArn": f"{_IAM}:role/{{p}}-database-users-exec"}},
    ),
    Grant(
        "boundary",
        "LambdaVpcNetworkInterfaces",
        "Lambda creates the bootstrap function's network interfaces in the private subnets with "
        "its execution role (AWS's AWSLambdaVPCAccessExecutionRole, without logs:*)",
        (
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:UnassignPrivateIpAddresses",
        ),
        "arns",
        (
            "arn:aws:ec2:{region}:{account}:network-interface/*",
            "arn:aws:ec2:{region}:{account}:subnet/*",
            "arn:aws:ec2:{region}:{account}:security-group/*",
        ),
    ),
    Grant(
        "boundary",
        "LambdaVpcDescribe",
        "the same, its reads: EC2 Describe calls have no resource type",
        ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"),
        "unscopable",
    ),
    Grant(
        "boundary",
        "DecryptWithTheStackKey",
        "secrets (via Secrets Manager) and ECS Exec sessions are encrypted with the stack CMK; "
        "no other key (e.g. the state key) can be used",
        ("kms:Decrypt",),
        "resource-tag",
        _KMS_KEYS,
    ),
    Grant(
        "boundary",
        "IamDatabaseAuth",
        "services connect to Aurora with IAM authentication, each as its own database user: never "
        "as the master user, nor as any user",
        ("rds-db:connect",),
        "arns",
        ("arn:aws:rds-db:{region}:{account}:dbuser:*/{database_user}",),
    ),
    Grant(
        "boundary",
        "BackupSnapshotsOwnCluster",
        "AWS Backup (role arbiter-<env>-backup) snapshots this stack's Aurora cluster and copies "
        "the snapshot to the copy region; recovery points are cluster snapshots awsbackup:*",
        (
            "rds:AddTagsToResource",
            "rds:CopyDBClusterSnapshot",
            "rds:CreateDBClusterSnapshot",
            "rds:DeleteDBClusterSnapshot",
            "rds:DescribeDBClusterSnapshots",
            "rds:DescribeDBClusters",
            "rds:ListTagsForResource",
            "rds:ModifyDBClusterSnapshotAttribute",
        ),
        "arns",
        (
            f"{_RDS}:cluster:{{p}}-*",
            f"{_RDS}:cluster-snapshot:awsbackup:*",
            "arn:aws:rds:{copy_region}:{account}:cluster-snapshot:awsbackup:*",
        ),
    ),
    Grant(
        "boundary",
        "BackupCopiesAndTagsOwnRecoveryPoints",
        "a cross-region copy is authorized on the source recovery point (an Aurora recovery point "
        "is its cluster snapshot awsbackup:*) and the copy is tagged there: "
        "AWSBackupServiceRolePolicyForBackup grants both on any recovery point",
        ("backup:CopyFromBackupVault", "backup:TagResource"),
        "arns",
        (
            f"{_RDS}:cluster-snapshot:awsbackup:*",
            "arn:aws:rds:{copy_region}:{account}:cluster-snapshot:awsbackup:*",
        ),
    ),
    Grant(
        "boundary",
        "BackupDescribesOwnInstances",
        "AWS Backup describes the cluster's instances (AWSBackupServiceRolePolicyForBackup)",
        ("rds:DescribeDBInstances",),
        "arns",
        (f"{_RDS}:db:{{p}}-*",),
    ),
    Grant(
        "boundary",
        "BackupCopyIntoOwnVaults",
        "AWS Backup writes recovery points and copies only into this stack's vaults",
        ("backup:CopyIntoBackupVault", "backup:DescribeBackupVault"),
        "arns",
        _BACKUP_VAULTS,
    ),
    Grant(
        "boundary",
        "BackupUsesStackKeys",
        "the snapshot is encrypted with the stack CMK and re-encrypted with the copy-region key; "
        "both carry this stack's tags",
        (
            "kms:CreateGrant",
            "kms:DescribeKey",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
        ),
        "resource-tag",
        _KMS_KEYS,
    ),
    Grant(
        "boundary",
        "BackupFindsResources",
        "AWS Backup resolves its selection through the tagging API (no resource type)",
        ("tag:GetResources",),
        "unscopable",
    ),
    Grant(
        "boundary",
        "EcsExecChannels",
        "ECS Exec's SSM session channels have no resource type",
        (
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ),
        "unscopable",
    ),
    Grant(
        "boundary",
        "EcsTrafficShiftReads",
        "ECS's traffic-shift role (canary, linear) reads listeners, rules and target health; "
        "describes have no resource type",
        (
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ),
        "unscopable",
    ),
    Grant(
        "boundary",
        "EcsShiftsOwnAlbTraffic",
        "only ECS's traffic-shift role (arbiter-<env>-ecs-traffic-shift) registers revisions in "
        "this stack's target groups and moves its listener rules' weights (ALB names use arb-<stg|prd>)",
        (
            "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:RegisterTargets",
        ),
        "arns",
        (
            f"{_ELB}:targetgroup/{{s}}-*/*",
            f"{_ELB}:listener/app/{{s}}-*/*/*",
            f"{_ELB}:listener-rule/app/{{s}}-*/*/*/*",
        ),
        condition={"ArnLike": {"aws:PrincipalArn": f"{_IAM}:role/{{p}}-ecs-traffic-shift"}},
    ),
)

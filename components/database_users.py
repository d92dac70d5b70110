"""The services' database users, made to exist on every `pulumi up`: a Lambda function inside the VPC.

Aurora is reachable only from inside the VPC, so the program declares a small function in the
private subnets (its own security group, admitted by the database's on 5432) and invokes it with
`aws.lambda_.Invocation` whenever the SQL (arbiter_infra/database_access.py) changes. The function
(functions/database_users.py, with pg8000 and its pure-Python dependencies vendored from the
installed distributions) reads the RDS-managed master secret itself and applies the SQL in one
transaction. Its execution role is the only role that may read that secret
(`arbiter-<env>-database-users-exec`: the boundary lets only it, and CI cannot create it).
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.database_access import DatabaseUser, access_sql, sql_digest
from arbiter_infra.naming import Naming

#: The handler, shipped as the archive's `index.py`.
HANDLER_PATH: Final = Path(__file__).resolve().parent.parent / "functions" / "database_users.py"
#: Distributions vendored beside it (pg8000 and what it imports); pinned in pyproject.toml.
VENDORED: Final = ("pg8000", "scramp", "asn1crypto", "python-dateutil", "six")
#: Lambda's Python runtime (Amazon Linux 2023); the vendored code is pure Python.
RUNTIME: Final = "python3.12"
TIMEOUT_SECONDS: Final = 120
MEMORY_MB: Final = 256
#: ENIs in the VPC: what AWS's managed AWSLambdaVPCAccessExecutionRole grants (without its
#: logs:*), the writes scoped to this account's and region's ENIs, subnets and groups.
VPC_ENI_WRITES: Final = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)
#: Describe calls have no resource type.
VPC_ENI_READS: Final = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")


def rds_ca_bundle_url(region: str) -> str:
    """AWS's published CA bundle of the region's RDS certificates (what verify-full checks against)."""
    return f"https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"


def _vendored_files(distribution: str) -> dict[str, pulumi.Asset]:
    """The installed files of a distribution (its code, licence and METADATA, which
    `importlib.metadata.version` reads), without caches or installer records."""
    dist = importlib.metadata.distribution(distribution)
    out: dict[str, pulumi.Asset] = {}
    for file in dist.files or ():
        path = PurePosixPath(str(file))
        if "__pycache__" in path.parts or path.suffix == ".pyc" or path.parts[0].startswith(".."):
            continue
        if (
            path.parts[0].endswith(".dist-info")
            and path.name not in ("METADATA",)
            and "licenses" not in path.parts
        ):
            continue
        out[str(path)] = pulumi.FileAsset(str(dist.locate_file(file)))
    if not out:
        raise ValueError(f"{distribution} is installed without a file list: cannot vendor it")
    return out


def function_archive() -> pulumi.AssetArchive:
    """The function's code: the handler as index.py, and the vendored driver."""
    assets: dict[str, pulumi.Asset] = {"index.py": pulumi.FileAsset(str(HANDLER_PATH))}
    for distribution in VENDORED:
        assets |= _vendored_files(distribution)
    return pulumi.AssetArchive(dict(sorted(assets.items())))


@dataclass(frozen=True, kw_only=True)
class DatabaseUsersArgs:
    #: Names the function, its role and log group `arbiter-<env>-database-users*`.
    naming: Naming
    #: The stack's region: the RDS CA bundle, the KMS via-service condition.
    region: str
    #: This AWS account: the role's trust.
    account_id: pulumi.Input[str]
    #: The users to create or update (from the stack file's `databaseAccess`).
    users: Sequence[DatabaseUser]
    #: The database the services use, and the master user the function logs in as.
    database_name: str
    master_username: str
    #: The writer endpoint and port.
    endpoint: pulumi.Input[str]
    port: pulumi.Input[int]
    #: The RDS-managed master secret: the function alone reads it.
    master_secret_arn: pulumi.Input[str]
    #: The private subnets (NAT or endpoints: Secrets Manager, the CA bundle).
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The function's own security group (admitted by the database's on 5432).
    security_group_id: pulumi.Input[str]
    #: The stack key: the log group, and the master secret's encryption.
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    #: What must exist before the first invocation: the cluster's instances (no writer, no
    #: connection) and the security-group rules.
    invoke_after: Sequence[pulumi.Resource] = ()
    #: Permissions boundary (arbiter-<env>-boundary) every role created here carries.
    permissions_boundary: pulumi.Input[str] | None = None


class DatabaseUsers(pulumi.ComponentResource):
    """The bootstrap function, its role and log group, and its invocation on each change of the SQL."""

    statements: list[str]
    digest: str
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    function: aws.lambda_.Function
    invocation: aws.lambda_.Invocation

    def __init__(
        self, name: str, args: DatabaseUsersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("arbiter:database:DatabaseUsers", name, None, opts)
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        function_name = naming("database-users")
        self.statements = access_sql(args.database_name, args.master_username, args.users)
        self.digest = sql_digest(self.statements)

        # Before the function, or Lambda creates its group without retention or key.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            # `-exec`: the boundary lets only execution roles read secrets, and only this one the master's.
            name=naming("database-users", "exec", kind="iam-role"),
            description="The database-users bootstrap function: read the master secret, reach Aurora",
            assume_role_policy=iam.assume_role_policy("lambda.amazonaws.com", source_account=args.account_id),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        statements: list[Any] = [
            iam.statement(
                "WriteOwnLogs",
                ("logs:CreateLogStream", "logs:PutLogEvents"),
                [pulumi.Output.concat(self.log_group.arn, ":*")],
            ),
            # Lambda creates the function's ENIs in the private subnets with this role.
            iam.statement(
                "VpcNetworkInterfaces",
                VPC_ENI_WRITES,
                [
                    pulumi.Output.concat("arn:aws:ec2:", args.region, ":", args.account_id, f":{kind}/*")
                    for kind in ("network-interface", "subnet", "security-group")
                ],
            ),
            iam.statement("VpcDescribe", VPC_ENI_READS, ["*"]),
            iam.statement("ReadMasterSecret", ("secretsmanager:GetSecretValue",), [args.master_secret_arn]),
            iam.statement(
                "DecryptMasterSecret",
                ("kms:Decrypt",),
                [args.kms_key_arn],
                condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}},
            ),
        ]
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id, policy=iam.document(*statements), opts=child
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Creates and updates the services' database users (arbiter_infra/database_access.py)",
            runtime=RUNTIME,
            handler="index.handler",
            architectures=["arm64"],
            code=function_archive(),
            role=self.role.arn,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            vpc_config={"subnet_ids": list(args.subnet_ids), "security_group_ids": [args.security_group_id]},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            # AWS checks the role's ENI permissions when it creates a function in a VPC.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy, self.log_group]),
        )
        event = pulumi.Output.all(args.endpoint, args.port, args.master_secret_arn).apply(
            lambda v: json.dumps(
                {
                    "host": v[0],
                    "port": int(v[1]),
                    "database": args.database_name,
                    "masterSecretArn": v[2],
                    "caBundleUrl": rds_ca_bundle_url(args.region),
                    "users": [u.name for u in args.users],
                    "statements": self.statements,
                    "sqlSha256": self.digest,
                },
                sort_keys=True,
            )
        )
        self.invocation = aws.lambda_.Invocation(
            f"{name}-invocation",
            function_name=self.function.name,
            input=event,
            # A new function version (code) re-runs it too: the SQL is idempotent.
            triggers={"sql": self.digest, "code": self.function.source_code_hash},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.function, *args.invoke_after]),
        )
        self.register_outputs(
            {
                "functionName": self.function.name,
                "roleArn": self.role.arn,
                "sqlSha256": self.digest,
                "users": [u.name for u in args.users],
            }
        )

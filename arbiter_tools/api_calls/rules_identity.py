"""IAM rules for KMS, IAM, CloudWatch Logs and Secrets Manager calls."""

from __future__ import annotations

from arbiter_tools.api_calls.core import CallContext, key_arn, rule


@rule("kms", "CreateKey")
def _kms_create(c: CallContext) -> None:
    c.need("kms:CreateKey", "*", tags=c.tags)
    if c.tags:  # "the permission must cover all KMS keys in the account and Region"
        c.need("kms:TagResource", c.arn("kms", "key/*"), tags=c.tags, why="tags on CreateKey")
    meta = c.r["KeyMetadata"]
    c.a.keys[meta["KeyId"]] = meta["Arn"]
    c.created(meta["Arn"])


@rule("kms", "EnableKeyRotation", "DescribeKey")
def _kms_key(c: CallContext) -> None:
    c.need(f"kms:{c.call.operation}", key_arn(c, str(c.p["KeyId"])))


@rule("kms", "CreateAlias")
def _kms_alias(c: CallContext) -> None:
    c.need("kms:CreateAlias", c.arn("kms", str(c.p["AliasName"])))
    c.need("kms:CreateAlias", key_arn(c, str(c.p["TargetKeyId"])), why="the key side of the alias")


def _role_arn(c: CallContext, name: str) -> str:
    return c.arn("iam", f"role/{name}", regional=False)


def _boundary(c: CallContext, role: str) -> dict[str, str]:
    boundary = c.a.boundaries.get(role)
    return {"iam:PermissionsBoundary": boundary} if boundary else {}


@rule("iam", "CreateRole")
def _iam_create_role(c: CallContext) -> None:
    name = str(c.p["RoleName"])
    if c.p.get("PermissionsBoundary"):
        c.a.boundaries[name] = str(c.p["PermissionsBoundary"])
    arn = _role_arn(c, name)
    c.need("iam:CreateRole", arn, tags=c.tags, extra=_boundary(c, name))
    if c.tags:
        c.need("iam:TagRole", arn, tags=c.tags, why="tags on CreateRole")
    c.created(arn)


@rule("iam", "PutRolePolicy", "AttachRolePolicy")
def _iam_role_policy(c: CallContext) -> None:
    name = str(c.p["RoleName"])
    extra: dict[str, str] = _boundary(c, name)
    if c.p.get("PolicyArn"):
        extra["iam:PolicyARN"] = str(c.p["PolicyArn"])
    c.need(f"iam:{c.call.operation}", _role_arn(c, name), extra=extra)


@rule("iam", "CreatePolicy")
def _iam_create_policy(c: CallContext) -> None:
    arn = c.arn("iam", f"policy{c.p.get('Path', '/')}{c.p['PolicyName']}", regional=False)
    c.need("iam:CreatePolicy", arn, tags=c.tags)
    if c.tags:
        c.need("iam:TagPolicy", arn, tags=c.tags, why="tags on CreatePolicy")
    c.created(arn)


def _log_group(c: CallContext) -> str:
    return c.arn("logs", f"log-group:{c.p['logGroupName']}")


@rule("logs", "CreateLogGroup")
def _logs_create(c: CallContext) -> None:
    arn = _log_group(c)
    c.need("logs:CreateLogGroup", arn, tags=c.tags)
    if c.tags:
        c.need("logs:TagResource", arn, tags=c.tags, why="tags on CreateLogGroup")
    c.created(arn)


@rule("logs", "PutRetentionPolicy")
def _logs_retention(c: CallContext) -> None:
    c.need("logs:PutRetentionPolicy", _log_group(c))


@rule("secretsmanager", "CreateSecret")
def _sm_create(c: CallContext) -> None:
    arn = str(c.r["ARN"])
    c.need("secretsmanager:CreateSecret", arn, tags=c.tags)
    if c.tags:
        c.need("secretsmanager:TagResource", arn, tags=c.tags, why="tags on CreateSecret")
    if c.p.get("KmsKeyId"):
        c.a.secret_keys[arn] = key_arn(c, str(c.p["KmsKeyId"]))
    c.created(arn)


@rule("secretsmanager", "PutSecretValue")
def _sm_put(c: CallContext) -> None:
    arn = str(c.r["ARN"])
    c.need("secretsmanager:PutSecretValue", arn)
    if arn in c.a.secret_keys:
        why = "Secrets Manager encrypts the value with the secret's key"
        c.need("kms:GenerateDataKey", c.a.secret_keys[arn], extra=c.via("secretsmanager"), why=why)

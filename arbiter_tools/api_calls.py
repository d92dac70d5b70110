"""The IAM authorizations behind each AWS API call of a deploy (tooling; not the program's).

`CallRecorder` hooks the botocore clients the emulator creates and records every call (service,
operation, parameters, response, and the declared resource it was made for). `authorize` turns
each call into what IAM checks for it: one action on one resource ARN per authorization, with
the request context the evaluator (`arbiter_tools.iam_eval`) needs: request tags on the resource
being created only (EC2, RDS, ... evaluate `aws:RequestTag` against the new resource, not against
the VPC or subnet it goes into), resource tags of what the deploy tagged earlier, and the keys IAM
derives from the call: `iam:PermissionsBoundary`, `iam:PolicyARN`, `iam:PassedToService` for the
implied `iam:PassRole`, `ec2:CreateAction` for tag-on-create, `kms:ViaService` when a service
uses the stack key on the caller's behalf.

The rules follow the Service Authorization Reference and the services' "required permissions"
pages; one small function per API operation in `RULES`. A call without a rule is reported, never
assumed harmless. `PROVIDER_CALLS` lists what the Terraform AWS provider calls besides the create
the emulator makes: its Read (refresh, and describe-after-create) and its tag/policy writes on
update.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from arbiter_tools.iam_eval import context_for
from arbiter_tools.runtime import DeclaredResource

#: Placeholder for ids AWS generates inside a call (the target-tracking alarms' suffix).
GENERATED: Final = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, eq=False)
class ApiCall:
    """One AWS API call the emulator made for a declared resource."""

    service: str  # botocore service name: "ec2", "elbv2", "application-autoscaling", ...
    operation: str  # API operation: "CreateVpc"
    params: Mapping[str, Any]
    response: Mapping[str, Any]
    #: `<pulumi type> <name>` of the resource being created ("" for invokes).
    resource: str = ""
    #: Tags the resource is declared with (explicit and the provider's default tags).
    resource_tags: Mapping[str, str] = field(default_factory=dict)
    failed: bool = False
    #: The client's region ("": the stack's); the backup copy region for the copy vault and its key.
    region: str = ""

    @property
    def type(self) -> str:
        return self.resource.split(" ", 1)[0]

    def __str__(self) -> str:
        return f"{self.service}:{self.operation} ({self.resource or 'invoke'})"


@dataclass(frozen=True)
class Authorization:
    """One action on one resource that IAM checks for a call, with the request context."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]]
    call: ApiCall
    #: Why this authorization exists besides the call itself ("tag on create", "implied PassRole").
    why: str = ""

    def __str__(self) -> str:
        extra = f" [{self.why}]" if self.why else ""
        return f"{self.action} on {self.resource}{extra} <- {self.call}"


class CallRecorder:
    """A botocore event hook: records each call made through the clients it is attached to."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._resource = ""
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def begin(self, resource: str, tags: Mapping[str, str]) -> None:
        """The calls that follow are made for `resource` (declared with `tags`)."""
        self._resource, self._tags = resource, dict(tags)

    def end(self) -> None:
        self._resource, self._tags = "", {}

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("provide-client-params", self._params, unique_id="arbiter-recorder-params")
        events.register("after-call", self._after, unique_id="arbiter-recorder-after")

    @staticmethod
    def _params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["arbiter_params"] = copy.deepcopy(params)

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        call = ApiCall(
            service=model.service_model.service_name,
            operation=model.name,
            params=context.get("arbiter_params", {}),
            response=parsed,
            resource=self._resource,
            resource_tags=dict(self._tags),
            failed=getattr(http_response, "status_code", 200) >= 300,
            region=str(context.get("client_region") or ""),
        )
        with self._lock:
            self.calls.append(call)


# ---- request tags, ARNs ---------------------------------------------------------------------------


def _tag_pairs(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    for item in items or []:
        key = item.get("Key", item.get("TagKey", item.get("key")))
        value = item.get("Value", item.get("TagValue", item.get("value", "")))
        out[str(key)] = str(value)
    return out


def request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a call sets on what it creates, whatever the API's spelling."""
    if params.get("TagSpecifications"):
        return _tag_pairs(params["TagSpecifications"][0].get("Tags"))
    if "Tagging" in params:
        return _tag_pairs(params["Tagging"].get("TagSet"))
    for key in ("Tags", "tags", "BackupVaultTags", "BackupPlanTags"):
        if params.get(key):
            return _tag_pairs(params[key])
    return {}


#: EC2 id prefix -> ARN resource type.
_EC2_KINDS: Final = {
    "vpc-": "vpc",
    "subnet-": "subnet",
    "sg-": "security-group",
    "sgr-": "security-group-rule",
    "rtb-": "route-table",
    "igw-": "internet-gateway",
    "nat-": "natgateway",
    "eipalloc-": "elastic-ip",
    "vpce-": "vpc-endpoint",
    "fl-": "vpc-flow-log",
    "acl-": "network-acl",
}


class _Call:
    """What a rule sees: the call, ARN helpers, and `need` to add an authorization."""

    def __init__(self, auth: Authorizer, call: ApiCall) -> None:
        self.a, self.call = auth, call
        self.p: Mapping[str, Any] = call.params
        self.r: Mapping[str, Any] = call.response
        self.tags = request_tags(call.params)
        self.out: list[Authorization] = []

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = (self.call.region or self.a.region) if regional else ""
        return f"arn:aws:{service}:{region}:{self.a.account}:{resource}"

    def ec2(self, resource_id: str) -> str:
        kind = next(k for p, k in _EC2_KINDS.items() if resource_id.startswith(p))
        return self.arn("ec2", f"{kind}/{resource_id}")

    def need(
        self,
        action: str,
        resource: str,
        *,
        tags: Mapping[str, str] | None = None,
        extra: Mapping[str, str | Sequence[str]] | None = None,
        why: str = "",
    ) -> None:
        context = context_for(request_tags=tags, resource_tags=self.a.tags.get(resource), extra=extra)
        self.out.append(Authorization(action, resource, context, self.call, why))

    def created(self, arn: str, tags: Mapping[str, str] | None = None) -> None:
        self.a.tags[arn] = {**self.a.tags.get(arn, {}), **(tags if tags is not None else self.tags)}

    def pass_role(self, role_arn: str | None, service: str) -> None:
        if role_arn:
            extra = {"iam:PassedToService": service}
            self.need("iam:PassRole", role_arn, extra=extra, why=f"role passed to {service}")

    def via(self, service: str) -> dict[str, str]:
        return {"kms:ViaService": f"{service}.{self.call.region or self.a.region}.amazonaws.com"}


Rule = Callable[[_Call], None]
#: (botocore service name, operation) -> rule.
RULES: dict[tuple[str, str], Rule] = {}
#: Calls the emulator makes that a deploy does not, and why (they are not evaluated). The
#: program's own imported certificate (aws:acm/certificate:Certificate) is a deploy call, though.
EMULATOR_ONLY: Final = {
    ("backup", "DescribeBackupVault"): "the emulator checks a plan's vault exists (AWS does, moto does not)",
    ("acm", "DescribeCertificate"): "the emulator looks for the externally issued certificate",
    ("acm", "ImportCertificate"): "the emulator imports a self-signed stand-in for that certificate",
    (
        "elbv2",
        "DescribeListeners",
    ): "the emulator checks a gRPC/HTTP2 target group is reached only over HTTPS",
    (
        "elbv2",
        "DescribeTargetGroups",
    ): "the emulator checks a gRPC/HTTP2 target group is reached only over HTTPS",
}
_PROGRAM_CERTIFICATE: Final = "aws:acm/certificate:Certificate"


def emulator_only(call: ApiCall) -> bool:
    """A call the emulator makes for itself, not one `pulumi up` would make."""
    return (call.service, call.operation) in EMULATOR_ONLY and call.type != _PROGRAM_CERTIFICATE


def rule(service: str, *operations: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for op in operations:
            RULES[(service, op)] = fn
        return fn

    return register


def _unscoped(action: str) -> Rule:
    return lambda c: c.need(action, "*")


for _service, _prefix, _ops in (
    ("ec2", "ec2", ("DescribeSecurityGroups", "DescribeRouteTables", "DescribeNetworkAcls")),
    ("sts", "sts", ("GetCallerIdentity",)),
    ("cloudwatch", "cloudwatch", ("DescribeAlarms",)),
    ("servicediscovery", "servicediscovery", ("GetOperation",)),
    ("application-autoscaling", "application-autoscaling", ("DescribeScalableTargets",)),
):
    for _op in _ops:
        RULES[(_service, _op)] = _unscoped(f"{_prefix}:{_op}")


# ---- EC2 --------------------------------------------------------------------------------------------

#: Create operation -> (ARN resource type of what it creates, response path to its id, parent params).
_EC2_CREATES: Final[dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "CreateVpc": ("vpc", ("Vpc", "VpcId"), ()),
    "CreateSubnet": ("subnet", ("Subnet", "SubnetId"), ("VpcId",)),
    "CreateInternetGateway": ("internet-gateway", ("InternetGateway", "InternetGatewayId"), ()),
    "AllocateAddress": ("elastic-ip", ("AllocationId",), ()),
    "CreateNatGateway": ("natgateway", ("NatGateway", "NatGatewayId"), ("SubnetId", "AllocationId")),
    "CreateRouteTable": ("route-table", ("RouteTable", "RouteTableId"), ("VpcId",)),
    "CreateSecurityGroup": ("security-group", ("GroupId",), ("VpcId",)),
    "CreateVpcEndpoint": (
        "vpc-endpoint",
        ("VpcEndpoint", "VpcEndpointId"),
        ("VpcId", "SubnetIds", "SecurityGroupIds", "RouteTableIds"),
    ),
    "CreateFlowLogs": ("vpc-flow-log", ("FlowLogIds", "0"), ("ResourceIds",)),
    "CreateNetworkAcl": ("network-acl", ("NetworkAcl", "NetworkAclId"), ("VpcId",)),
}


def _dig(value: Any, path: Sequence[str]) -> str:
    for key in path:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return str(value)


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


def _ec2_create(c: _Call) -> None:
    op = c.call.operation
    kind, path, parents = _EC2_CREATES[op]
    new = c.arn("ec2", f"{kind}/*")
    c.need(f"ec2:{op}", new, tags=c.tags)
    for param in parents:
        for parent in _ids(c.p.get(param)):
            c.need(f"ec2:{op}", c.ec2(parent))
    if c.tags:
        c.need("ec2:CreateTags", new, tags=c.tags, extra={"ec2:CreateAction": op}, why="tag on create")
    if op == "CreateFlowLogs":
        c.pass_role(c.p.get("DeliverLogsPermissionArn"), "vpc-flow-logs.amazonaws.com")
    c.created(c.ec2(_dig(c.r, path)))


for _op in _EC2_CREATES:
    RULES[("ec2", _op)] = _ec2_create


@rule("ec2", "ModifyVpcAttribute", "ModifySubnetAttribute", "CreateRoute", "RevokeSecurityGroupEgress")
@rule("ec2", "RevokeSecurityGroupIngress", "AttachInternetGateway", "AssociateRouteTable")
@rule("ec2", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation")
def _ec2_change(c: _Call) -> None:
    # ReplaceNetworkAclAssociation is authorized on the ACL the subnet moves to (its only resource
    # type in the Service Authorization Reference); the association id is not an ARN.
    for param in ("VpcId", "SubnetId", "RouteTableId", "GroupId", "InternetGatewayId", "NetworkAclId"):
        if c.p.get(param):
            c.need(f"ec2:{c.call.operation}", c.ec2(str(c.p[param])))


#: Rule resources the provider creates with TagSpecifications (the emulator passes none).
_RULES_TAGGED_BY_PROVIDER: Final = frozenset(
    {
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    }
)


@rule("ec2", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress")
def _ec2_authorize(c: _Call) -> None:
    op = c.call.operation
    c.need(f"ec2:{op}", c.ec2(str(c.p["GroupId"])))
    tags = c.tags or (dict(c.call.resource_tags) if c.call.type in _RULES_TAGGED_BY_PROVIDER else {})
    for created in c.r.get("SecurityGroupRules") or []:
        c.created(c.ec2(str(created["SecurityGroupRuleId"])), tags)
    if tags:
        new = c.arn("ec2", "security-group-rule/*")
        c.need(f"ec2:{op}", new, tags=tags, why="rule created with TagSpecifications")
        c.need("ec2:CreateTags", new, tags=tags, extra={"ec2:CreateAction": op}, why="tag on create")


@rule("ec2", "CreateTags")
def _ec2_tags(c: _Call) -> None:
    for rid in _ids(c.p.get("Resources")):
        c.need("ec2:CreateTags", c.ec2(rid), tags=c.tags)
        c.created(c.ec2(rid))


# ---- KMS --------------------------------------------------------------------------------------------


def _key_arn(c: _Call, key: str) -> str:
    if key.startswith("arn:"):
        return key
    return c.a.keys.get(key) or c.arn("kms", f"key/{key}")


@rule("kms", "CreateKey")
def _kms_create(c: _Call) -> None:
    c.need("kms:CreateKey", "*", tags=c.tags)
    if c.tags:  # "the permission must cover all KMS keys in the account and Region"
        c.need("kms:TagResource", c.arn("kms", "key/*"), tags=c.tags, why="tags on CreateKey")
    meta = c.r["KeyMetadata"]
    c.a.keys[meta["KeyId"]] = meta["Arn"]
    c.created(meta["Arn"])


@rule("kms", "EnableKeyRotation", "DescribeKey")
def _kms_key(c: _Call) -> None:
    c.need(f"kms:{c.call.operation}", _key_arn(c, str(c.p["KeyId"])))


@rule("kms", "CreateAlias")
def _kms_alias(c: _Call) -> None:
    c.need("kms:CreateAlias", c.arn("kms", str(c.p["AliasName"])))
    c.need("kms:CreateAlias", _key_arn(c, str(c.p["TargetKeyId"])), why="the key side of the alias")


# ---- IAM --------------------------------------------------------------------------------------------


def _role_arn(c: _Call, name: str) -> str:
    return c.arn("iam", f"role/{name}", regional=False)


def _boundary(c: _Call, role: str) -> dict[str, str]:
    boundary = c.a.boundaries.get(role)
    return {"iam:PermissionsBoundary": boundary} if boundary else {}


@rule("iam", "CreateRole")
def _iam_create_role(c: _Call) -> None:
    name = str(c.p["RoleName"])
    if c.p.get("PermissionsBoundary"):
        c.a.boundaries[name] = str(c.p["PermissionsBoundary"])
    arn = _role_arn(c, name)
    c.need("iam:CreateRole", arn, tags=c.tags, extra=_boundary(c, name))
    if c.tags:
        c.need("iam:TagRole", arn, tags=c.tags, why="tags on CreateRole")
    c.created(arn)


@rule("iam", "PutRolePolicy", "AttachRolePolicy")
def _iam_role_policy(c: _Call) -> None:
    name = str(c.p["RoleName"])
    extra: dict[str, str] = _boundary(c, name)
    if c.p.get("PolicyArn"):
        extra["iam:PolicyARN"] = str(c.p["PolicyArn"])
    c.need(f"iam:{c.call.operation}", _role_arn(c, name), extra=extra)


@rule("iam", "CreatePolicy")
def _iam_create_policy(c: _Call) -> None:
    arn = c.arn("iam", f"policy{c.p.get('Path', '/')}{c.p['PolicyName']}", regional=False)
    c.need("iam:CreatePolicy", arn, tags=c.tags)
    if c.tags:
        c.need("iam:TagPolicy", arn, tags=c.tags, why="tags on CreatePolicy")
    c.created(arn)


# ---- CloudWatch Logs, Secrets Manager ---------------------------------------------------------------


def _log_group(c: _Call) -> str:
    return c.arn("logs", f"log-group:{c.p['logGroupName']}")


@rule("logs", "CreateLogGroup")
def _logs_create(c: _Call) -> None:
    arn = _log_group(c)
    c.need("logs:CreateLogGroup", arn, tags=c.tags)
    if c.tags:
        c.need("logs:TagResource", arn, tags=c.tags, why="tags on CreateLogGroup")
    c.created(arn)


@rule("logs", "PutRetentionPolicy")
def _logs_retention(c: _Call) -> None:
    c.need("logs:PutRetentionPolicy", _log_group(c))


@rule("secretsmanager", "CreateSecret")
def _sm_create(c: _Call) -> None:
    arn = str(c.r["ARN"])
    c.need("secretsmanager:CreateSecret", arn, tags=c.tags)
    if c.tags:
        c.need("secretsmanager:TagResource", arn, tags=c.tags, why="tags on CreateSecret")
    if c.p.get("KmsKeyId"):
        c.a.secret_keys[arn] = _key_arn(c, str(c.p["KmsKeyId"]))
    c.created(arn)


@rule("secretsmanager", "PutSecretValue")
def _sm_put(c: _Call) -> None:
    arn = str(c.r["ARN"])
    c.need("secretsmanager:PutSecretValue", arn)
    if arn in c.a.secret_keys:
        why = "Secrets Manager encrypts the value with the secret's key"
        c.need("kms:GenerateDataKey", c.a.secret_keys[arn], extra=c.via("secretsmanager"), why=why)


# ---- RDS, ElastiCache --------------------------------------------------------------------------------


def _rds(c: _Call, kind: str, name: Any) -> str:
    return c.arn("rds", f"{kind}:{name}")


def _rds_create(c: _Call, action: str, arn: str, refs: Iterable[str] = ()) -> None:
    c.need(action, arn, tags=c.tags)
    for ref in refs:
        c.need(action, ref)
    if c.tags:
        c.need("rds:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


def _default_option_group(c: _Call) -> str:
    major = str(c.p.get("EngineVersion", "")).split(".")[0]
    return _rds(c, "og", f"default:{c.p['Engine']}-{major}")


@rule("rds", "CreateDBClusterParameterGroup")
def _rds_cluster_pg(c: _Call) -> None:
    _rds_create(
        c, "rds:CreateDBClusterParameterGroup", _rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"])
    )


@rule("rds", "ModifyDBClusterParameterGroup")
def _rds_cluster_pg_modify(c: _Call) -> None:
    c.need("rds:ModifyDBClusterParameterGroup", _rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"]))


@rule("rds", "CreateDBSubnetGroup")
def _rds_subnet_group(c: _Call) -> None:
    _rds_create(c, "rds:CreateDBSubnetGroup", _rds(c, "subgrp", c.p["DBSubnetGroupName"]))


@rule("rds", "CreateDBCluster")
def _rds_cluster(c: _Call) -> None:
    refs = [_default_option_group(c)]
    if c.p.get("DBClusterParameterGroupName"):
        refs.append(_rds(c, "cluster-pg", c.p["DBClusterParameterGroupName"]))
    if c.p.get("DBSubnetGroupName"):
        refs.append(_rds(c, "subgrp", c.p["DBSubnetGroupName"]))
    _rds_create(c, "rds:CreateDBCluster", _rds(c, "cluster", c.p["DBClusterIdentifier"]), refs)
    if c.p.get("KmsKeyId"):
        key = _key_arn(c, str(c.p["KmsKeyId"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("rds"), why="RDS encrypts the cluster with the stack key")
    if c.p.get("ManageMasterUserPassword"):
        secret = (c.r.get("DBCluster", {}).get("MasterUserSecret") or {}).get("SecretArn") or c.arn(
            "secretsmanager", "secret:rds!cluster-" + GENERATED
        )
        why = "RDS creates the managed master secret with the caller's permissions"
        for action in (
            "secretsmanager:CreateSecret",
            "secretsmanager:RotateSecret",
            "secretsmanager:TagResource",
        ):
            c.need(action, secret, why=why)
        if c.p.get("MasterUserSecretKmsKeyId"):
            key = _key_arn(c, str(c.p["MasterUserSecretKmsKeyId"]))
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                c.need(action, key, extra=c.via("secretsmanager"), why=why)


@rule("rds", "CreateEventSubscription")
def _rds_event_subscription(c: _Call) -> None:
    _rds_create(c, "rds:CreateEventSubscription", _rds(c, "es", c.p["SubscriptionName"]))


@rule("rds", "CreateDBInstance")
def _rds_instance(c: _Call) -> None:
    refs = [_default_option_group(c), _rds(c, "cluster", c.p["DBClusterIdentifier"])]
    if c.p.get("DBParameterGroupName"):
        refs.append(_rds(c, "pg", c.p["DBParameterGroupName"]))
    _rds_create(c, "rds:CreateDBInstance", _rds(c, "db", c.p["DBInstanceIdentifier"]), refs)
    c.pass_role(c.p.get("MonitoringRoleArn"), "monitoring.rds.amazonaws.com")


def _elc(c: _Call, kind: str, name: Any) -> str:
    return c.arn("elasticache", f"{kind}:{name}")


@rule("elasticache", "CreateCacheSubnetGroup")
def _elc_subnet_group(c: _Call) -> None:
    arn = _elc(c, "subnetgroup", c.p["CacheSubnetGroupName"])
    c.need("elasticache:CreateCacheSubnetGroup", arn, tags=c.tags)
    if c.tags:
        c.need("elasticache:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


@rule("elasticache", "CreateReplicationGroup")
def _elc_replication_group(c: _Call) -> None:
    arn = _elc(c, "replicationgroup", c.p["ReplicationGroupId"])
    c.need("elasticache:CreateReplicationGroup", arn, tags=c.tags)
    for param, kind in (
        ("CacheParameterGroupName", "parametergroup"),
        ("CacheSubnetGroupName", "subnetgroup"),
    ):
        if c.p.get(param):
            c.need("elasticache:CreateReplicationGroup", _elc(c, kind, c.p[param]))
    if c.tags:
        c.need("elasticache:AddTagsToResource", arn, tags=c.tags, why="tags on create")
    if c.p.get("KmsKeyId"):
        key = _key_arn(c, str(c.p["KmsKeyId"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("elasticache"), why="at-rest encryption with the stack key")
    if c.p.get("LogDeliveryConfigurations"):
        why = "slow-log delivery to CloudWatch Logs (vended logs)"
        for action in (
            "logs:CreateLogDelivery",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:PutResourcePolicy",
        ):
            c.need(action, "*", why=why)
    c.created(arn)


# ---- ECS, ELB, Cloud Map, Application Auto Scaling ----------------------------------------------------


def _ecs_tag(c: _Call, arn: str) -> None:
    if c.tags:
        extra = {"ecs:CreateAction": c.call.operation}
        c.need("ecs:TagResource", arn, tags=c.tags, extra=extra, why="tags on create")
    c.created(arn)


def _ecs_cluster_arn(c: _Call, cluster: str) -> str:
    return cluster if cluster.startswith("arn:") else c.arn("ecs", f"cluster/{cluster}")


@rule("ecs", "CreateCluster")
def _ecs_cluster(c: _Call) -> None:
    c.need("ecs:CreateCluster", "*", tags=c.tags)
    _ecs_tag(c, str(c.r["cluster"]["clusterArn"]))


@rule("ecs", "PutClusterCapacityProviders")
def _ecs_capacity(c: _Call) -> None:
    c.need("ecs:PutClusterCapacityProviders", _ecs_cluster_arn(c, str(c.p["cluster"])))


@rule("ecs", "RegisterTaskDefinition")
def _ecs_task_definition(c: _Call) -> None:
    c.need("ecs:RegisterTaskDefinition", "*", tags=c.tags)
    _ecs_tag(c, str(c.r["taskDefinition"]["taskDefinitionArn"]))
    for key in ("executionRoleArn", "taskRoleArn"):
        c.pass_role(c.p.get(key), "ecs-tasks.amazonaws.com")


@rule("ecs", "CreateService")
def _ecs_service(c: _Call) -> None:
    arn = str(c.r["service"]["serviceArn"])
    c.need("ecs:CreateService", arn, tags=c.tags)
    _ecs_tag(c, arn)


def _elb_tag(c: _Call, arn: str) -> None:
    if c.tags:
        extra = {"elasticloadbalancing:CreateAction": c.call.operation}
        c.need("elasticloadbalancing:AddTags", arn, tags=c.tags, extra=extra, why="tags on create")
    c.created(arn)


@rule("elbv2", "CreateLoadBalancer", "CreateTargetGroup")
def _elb_create(c: _Call) -> None:
    key = "LoadBalancers" if c.call.operation == "CreateLoadBalancer" else "TargetGroups"
    item = c.r[key][0]
    arn = str(item.get("LoadBalancerArn") or item.get("TargetGroupArn"))
    c.need(f"elasticloadbalancing:{c.call.operation}", arn, tags=c.tags)
    _elb_tag(c, arn)


@rule("elbv2", "CreateListener")
def _elb_listener(c: _Call) -> None:
    c.need("elasticloadbalancing:CreateListener", str(c.p["LoadBalancerArn"]), tags=c.tags)
    _elb_tag(c, str(c.r["Listeners"][0]["ListenerArn"]))


@rule("elbv2", "CreateRule")
def _elb_rule(c: _Call) -> None:
    c.need("elasticloadbalancing:CreateRule", str(c.p["ListenerArn"]), tags=c.tags)
    _elb_tag(c, str(c.r["Rules"][0]["RuleArn"]))


@rule("elbv2", "ModifyLoadBalancerAttributes", "ModifyTargetGroupAttributes")
def _elb_modify(c: _Call) -> None:
    arn = c.p.get("LoadBalancerArn") or c.p.get("TargetGroupArn")
    c.need(f"elasticloadbalancing:{c.call.operation}", str(arn))


@rule("servicediscovery", "CreatePrivateDnsNamespace")
def _sd_namespace(c: _Call) -> None:
    c.need("servicediscovery:CreatePrivateDnsNamespace", "*", tags=c.tags)
    if c.tags:
        new = c.arn("servicediscovery", "namespace/*")
        c.need("servicediscovery:TagResource", new, tags=c.tags, why="tags on create")
    why = "Cloud Map creates the namespace's private hosted zone with the caller's permissions"
    for action in (
        "route53:CreateHostedZone",
        "route53:ListHostedZonesByName",
        "ec2:DescribeVpcs",
        "ec2:DescribeRegions",
    ):
        c.need(action, "*", why=why)
    c.need("route53:GetHostedZone", "arn:aws:route53:::hostedzone/*", why=why)
    c.a.pending_tags[str(c.r["OperationId"])] = dict(c.tags)


@rule("servicediscovery", "GetNamespace")
def _sd_get_namespace(c: _Call) -> None:
    arn = str(c.r["Namespace"]["Arn"])
    for operation, tags in list(c.a.pending_tags.items()):
        if c.a.operations.get(operation) == c.p["Id"]:
            c.created(arn, tags)
            del c.a.pending_tags[operation]
    c.need("servicediscovery:GetNamespace", arn)


@rule("servicediscovery", "CreateService")
def _sd_service(c: _Call) -> None:
    namespace = c.arn("servicediscovery", f"namespace/{c.p['NamespaceId']}")
    c.need("servicediscovery:CreateService", namespace, tags=c.tags)
    arn = str(c.r["Service"]["Arn"])
    if c.tags:
        c.need("servicediscovery:TagResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


def _sd_operation(c: _Call) -> None:
    c.need("servicediscovery:GetOperation", "*")
    targets = c.r.get("Operation", {}).get("Targets", {})
    if "NAMESPACE" in targets:
        c.a.operations[str(c.p["OperationId"])] = str(targets["NAMESPACE"])


RULES[("servicediscovery", "GetOperation")] = _sd_operation


def _scalable_target(c: _Call) -> str:
    key = f"{c.p['ServiceNamespace']}/{c.p['ResourceId']}/{c.p['ScalableDimension']}"
    return c.a.targets.get(key) or c.arn("application-autoscaling", "scalable-target/*")


@rule("application-autoscaling", "RegisterScalableTarget")
def _aas_register(c: _Call) -> None:
    # The provider sends the resource's tags (Tags); the emulator's call has none.
    tags = c.tags or dict(c.call.resource_tags)
    arn = str(c.r.get("ScalableTargetARN") or _scalable_target(c))
    c.need("application-autoscaling:RegisterScalableTarget", arn, tags=tags)
    if tags:
        c.need("application-autoscaling:TagResource", arn, tags=tags, why="tags on register")
    if c.p["ServiceNamespace"] == "ecs":
        service = c.arn("ecs", str(c.p["ResourceId"]))
        why = "Application Auto Scaling checks the ECS service with the caller's permissions"
        for action in ("ecs:DescribeServices", "ecs:UpdateService"):
            c.need(action, service, why=why)
    c.a.targets[f"{c.p['ServiceNamespace']}/{c.p['ResourceId']}/{c.p['ScalableDimension']}"] = arn
    c.created(arn, tags)


@rule("application-autoscaling", "PutScalingPolicy")
def _aas_policy(c: _Call) -> None:
    c.need("application-autoscaling:PutScalingPolicy", _scalable_target(c))
    if c.p.get("PolicyType") == "TargetTrackingScaling":
        why = "target tracking creates its CloudWatch alarms with the caller's permissions"
        c.need("cloudwatch:DescribeAlarms", "*", why=why)
        for side in ("High", "Low"):
            name = f"TargetTracking-{c.p['ResourceId']}-Alarm{side}-{GENERATED}"
            c.need("cloudwatch:PutMetricAlarm", c.arn("cloudwatch", f"alarm:{name}"), why=why)


# ---- SNS, CloudWatch, S3 -------------------------------------------------------------------------------


@rule("sns", "CreateTopic")
def _sns_topic(c: _Call) -> None:
    arn = str(c.r["TopicArn"])
    c.need("sns:CreateTopic", arn, tags=c.tags)
    if c.tags:
        c.need("sns:TagResource", arn, tags=c.tags, why="tags on CreateTopic")
    c.created(arn)


@rule("sns", "SetTopicAttributes", "Subscribe")
def _sns_topic_change(c: _Call) -> None:
    c.need(f"sns:{c.call.operation}", str(c.p["TopicArn"]))


@rule("backup", "CreateBackupVault")
def _backup_vault(c: _Call) -> None:
    arn = str(c.r["BackupVaultArn"])
    c.need("backup:CreateBackupVault", arn, tags=c.tags)
    c.need("backup-storage:MountCapsule", "*", why="CreateBackupVault mounts the vault's storage")
    if c.tags:
        c.need("backup:TagResource", arn, tags=c.tags, why="tags on CreateBackupVault")
    if c.p.get("EncryptionKeyArn"):
        key = _key_arn(c, str(c.p["EncryptionKeyArn"]))
        for action in ("kms:CreateGrant", "kms:DescribeKey"):
            c.need(action, key, extra=c.via("backup"), why="the vault encrypts with this key")
    c.created(arn)


@rule("backup", "CreateBackupPlan")
def _backup_plan(c: _Call) -> None:
    arn = str(c.r["BackupPlanArn"])
    c.need("backup:CreateBackupPlan", arn, tags=c.tags)
    if c.tags:
        c.need("backup:TagResource", arn, tags=c.tags, why="tags on CreateBackupPlan")
    c.created(arn)


@rule("acm", "ImportCertificate")
def _acm_import(c: _Call) -> None:
    arn = str(c.r["CertificateArn"])
    c.need("acm:ImportCertificate", arn, tags=c.tags)
    if c.tags:
        c.need("acm:AddTagsToCertificate", arn, tags=c.tags, why="tags on ImportCertificate")
    c.created(arn)


@rule("acm", "DescribeCertificate", "ListTagsForCertificate", "AddTagsToCertificate")
def _acm_read(c: _Call) -> None:
    c.need(f"acm:{c.call.operation}", str(c.p["CertificateArn"]))


@rule("events", "PutRule")
def _events_rule(c: _Call) -> None:
    arn = c.arn("events", f"rule/{c.p['Name']}")
    c.need("events:PutRule", arn, tags=c.tags)
    if c.tags:
        c.need("events:TagResource", arn, tags=c.tags, why="tags on PutRule")
    c.created(arn)


@rule("events", "PutTargets")
def _events_targets(c: _Call) -> None:
    c.need("events:PutTargets", c.arn("events", f"rule/{c.p['Rule']}"))
    for target in c.p.get("Targets", []):
        c.pass_role(target.get("RoleArn"), "events.amazonaws.com")


@rule("stepfunctions", "CreateStateMachine")
def _sfn_create(c: _Call) -> None:
    arn = str(c.r["stateMachineArn"])
    c.need("states:CreateStateMachine", arn, tags=c.tags)
    if c.tags:
        c.need("states:TagResource", arn, tags=c.tags, why="tags on CreateStateMachine")
    c.pass_role(c.p.get("roleArn"), "states.amazonaws.com")
    if c.p.get("loggingConfiguration", {}).get("destinations"):
        # Step Functions sets up the log delivery with the caller's permissions (no resource type).
        for action in ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:DescribeResourcePolicies"):
            c.need(action, "*", why="execution logging configured at create")
    c.created(arn)


@rule("cloudwatch", "PutMetricAlarm")
def _cw_alarm(c: _Call) -> None:
    arn = c.arn("cloudwatch", f"alarm:{c.p['AlarmName']}")
    c.need("cloudwatch:PutMetricAlarm", arn, tags=c.tags)
    if c.tags:
        c.need("cloudwatch:TagResource", arn, tags=c.tags, why="tags on PutMetricAlarm")
    c.created(arn)


@rule("cloudwatch", "PutDashboard", "GetDashboard")
def _cw_dashboard(c: _Call) -> None:
    c.need(
        f"cloudwatch:{c.call.operation}",
        c.arn("cloudwatch", f"dashboard/{c.p['DashboardName']}", regional=False),
    )


# ---- WAF ----------------------------------------------------------------------------------------------


@rule("wafv2", "CreateWebACL")
def _waf_create(c: _Call) -> None:
    arn = str(c.r["Summary"]["ARN"])
    c.need("wafv2:CreateWebACL", arn, tags=c.tags)
    if c.tags:
        c.need("wafv2:TagResource", arn, tags=c.tags, why="tags on CreateWebACL")
    c.created(arn)


@rule("wafv2", "AssociateWebACL")
def _waf_associate(c: _Call) -> None:
    # AssociateWebACL is checked on the web ACL and on the protected resource; ELB checks SetWebAcl.
    acl, target = str(c.p["WebACLArn"]), str(c.p["ResourceArn"])
    c.need("wafv2:AssociateWebACL", acl)
    c.need("wafv2:AssociateWebACL", target)
    if ":elasticloadbalancing:" in target:
        # SetWebAcl has no resource type: IAM evaluates it against "*".
        c.need("elasticloadbalancing:SetWebAcl", "*", why="the ALB side of the association")


@rule("wafv2", "PutLoggingConfiguration")
def _waf_logging(c: _Call) -> None:
    c.need("wafv2:PutLoggingConfiguration", str(c.p["LoggingConfiguration"]["ResourceArn"]))
    # WAF sets up CloudWatch Logs delivery (and the Logs resource policy) with the caller's permissions.
    for action in (
        "logs:CreateLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:PutResourcePolicy",
    ):
        c.need(action, "*", why="WAF log delivery to CloudWatch Logs (vended logs)")


#: S3 operation -> IAM action (S3's names differ).
S3_ACTIONS: Final = {
    "CreateBucket": "s3:CreateBucket",
    "PutBucketTagging": "s3:PutBucketTagging",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketVersioning": "s3:PutBucketVersioning",
}


def _s3(c: _Call) -> None:
    c.need(S3_ACTIONS[c.call.operation], f"arn:aws:s3:::{c.p['Bucket']}")


for _op in S3_ACTIONS:
    RULES[("s3", _op)] = _s3


# ---- the whole deploy ------------------------------------------------------------------------------------


class UnmappedCall(Exception):
    """A recorded call has no rule: what IAM checks for it is unknown, so nothing is claimed."""


class Authorizer:
    """Walks a deploy's calls in order, tracking what each created resource is tagged with."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        #: ARN -> tags of resources the deploy created or tagged so far (aws:ResourceTag/*).
        self.tags: dict[str, dict[str, str]] = {}
        self.boundaries: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.secret_keys: dict[str, str] = {}
        self.targets: dict[str, str] = {}
        self.operations: dict[str, str] = {}
        self.pending_tags: dict[str, dict[str, str]] = {}

    def authorizations(self, call: ApiCall) -> list[Authorization]:
        fn = RULES.get((call.service, call.operation))
        if fn is None:
            raise UnmappedCall(f"no IAM rule for {call}")
        c = _Call(self, call)
        fn(c)
        return c.out


def authorize(calls: Iterable[ApiCall], account: str, region: str) -> tuple[list[Authorization], Authorizer]:
    """Every authorization of the successful calls (emulator-only calls skipped), and the tag state."""
    auth = Authorizer(account, region)
    out: list[Authorization] = []
    for call in calls:
        if call.failed or emulator_only(call):
            continue
        out += auth.authorizations(call)
    return out, auth


# ---- what the provider calls besides the create ----------------------------------------------------------


@dataclass(frozen=True)
class ProviderCalls:
    """The Terraform AWS provider's calls for one resource type besides the emulated create.

    `reads`: its Read function (refresh; also run right after create). `writes`: the update
    path's tag and policy writes. Each entry is (IAM action, ARN template); templates use the
    declared resource's `{id}`, its outputs/inputs (`{o[arn]}`, `{i[role]}`), `{region}`, `{account}`.
    """

    source: str
    reads: tuple[tuple[str, str], ...]
    writes: tuple[tuple[str, str], ...] = ()


_EC2_TAG_WRITES: Final = (("ec2:CreateTags", "{ec2}"), ("ec2:DeleteTags", "{ec2}"))
_RDS_TAGS: Final = (("rds:AddTagsToResource", "{o[arn]}"), ("rds:RemoveTagsFromResource", "{o[arn]}"))
_ELC_TAGS: Final = (
    ("elasticache:AddTagsToResource", "{o[arn]}"),
    ("elasticache:RemoveTagsFromResource", "{o[arn]}"),
)
_ELB_TAGS: Final = (("elasticloadbalancing:AddTags", "{id}"), ("elasticloadbalancing:RemoveTags", "{id}"))
_ELB_READ_TAGS: Final = ("elasticloadbalancing:DescribeTags", "*")
_S3_BUCKET: Final = "arn:aws:s3:::{i[bucket]}"
_P = "internal/service"

#: Pulumi type -> the provider's calls for it (source: hashicorp/terraform-provider-aws).
PROVIDER_CALLS: Final[dict[str, ProviderCalls]] = {
    "aws:ec2/vpc:Vpc": ProviderCalls(
        f"{_P}/ec2/vpc_.go (resourceVPCRead: DescribeVpcs, DescribeVpcAttribute x3, main route "
        "table, default security group and network ACL)",
        (
            ("ec2:DescribeVpcs", "*"),
            ("ec2:DescribeVpcAttribute", "*"),
            ("ec2:DescribeRouteTables", "*"),
            ("ec2:DescribeSecurityGroups", "*"),
            ("ec2:DescribeNetworkAcls", "*"),
        ),
        (*_EC2_TAG_WRITES, ("ec2:ModifyVpcAttribute", "{ec2}")),
    ),
    "aws:ec2/subnet:Subnet": ProviderCalls(
        f"{_P}/ec2/vpc_subnet.go",
        (("ec2:DescribeSubnets", "*"),),
        (*_EC2_TAG_WRITES, ("ec2:ModifySubnetAttribute", "{ec2}")),
    ),
    "aws:ec2/internetGateway:InternetGateway": ProviderCalls(
        f"{_P}/ec2/vpc_internet_gateway.go", (("ec2:DescribeInternetGateways", "*"),), _EC2_TAG_WRITES
    ),
    "aws:ec2/eip:Eip": ProviderCalls(
        f"{_P}/ec2/ec2_eip.go (DescribeAddresses; DescribeAddressesAttribute for the PTR record)",
        (("ec2:DescribeAddresses", "*"), ("ec2:DescribeAddressesAttribute", "*")),
        _EC2_TAG_WRITES,
    ),
    "aws:ec2/natGateway:NatGateway": ProviderCalls(
        f"{_P}/ec2/vpc_nat_gateway.go", (("ec2:DescribeNatGateways", "*"),), _EC2_TAG_WRITES
    ),
    "aws:ec2/routeTable:RouteTable": ProviderCalls(
        f"{_P}/ec2/vpc_route_table.go", (("ec2:DescribeRouteTables", "*"),), _EC2_TAG_WRITES
    ),
    "aws:ec2/route:Route": ProviderCalls(
        f"{_P}/ec2/vpc_route.go (waits for the route in DescribeRouteTables)",
        (("ec2:DescribeRouteTables", "*"),),
        (("ec2:ReplaceRoute", "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}"),),
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ProviderCalls(
        f"{_P}/ec2/vpc_route_table_association.go",
        (("ec2:DescribeRouteTables", "*"),),
        (
            (
                "ec2:ReplaceRouteTableAssociation",
                "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}",
            ),
        ),
    ),
    "aws:ec2/securityGroup:SecurityGroup": ProviderCalls(
        f"{_P}/ec2/vpc_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), _EC2_TAG_WRITES
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ProviderCalls(
        f"{_P}/ec2/vpc_default_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), _EC2_TAG_WRITES
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ProviderCalls(
        f"{_P}/ec2/vpc_security_group_ingress_rule.go (DescribeSecurityGroupRules; "
        "ModifySecurityGroupRules on update)",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *_EC2_TAG_WRITES,
        ),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ProviderCalls(
        f"{_P}/ec2/vpc_security_group_egress_rule.go",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *_EC2_TAG_WRITES,
        ),
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ProviderCalls(
        f"{_P}/ec2/vpc_endpoint.go (DescribeVpcEndpoints; DescribePrefixLists for gateway endpoints)",
        (("ec2:DescribeVpcEndpoints", "*"), ("ec2:DescribePrefixLists", "*")),
        (*_EC2_TAG_WRITES, ("ec2:ModifyVpcEndpoint", "{ec2}")),
    ),
    "aws:ec2/networkAcl:NetworkAcl": ProviderCalls(
        f"{_P}/ec2/vpc_network_acl.go (DescribeNetworkAcls; on update: entries deleted and created, "
        "subnets moved with ReplaceNetworkAclAssociation)",
        (("ec2:DescribeNetworkAcls", "*"),),
        (
            *_EC2_TAG_WRITES,
            ("ec2:CreateNetworkAclEntry", "{ec2}"),
            ("ec2:DeleteNetworkAclEntry", "{ec2}"),
            ("ec2:ReplaceNetworkAclAssociation", "{ec2}"),
        ),
    ),
    "aws:ec2/flowLog:FlowLog": ProviderCalls(
        f"{_P}/ec2/vpc_flow_log.go", (("ec2:DescribeFlowLogs", "*"),), _EC2_TAG_WRITES
    ),
    "aws:kms/key:Key": ProviderCalls(
        f"{_P}/kms/key.go (findKeyInfo: DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags)",
        (
            ("kms:DescribeKey", "{o[arn]}"),
            ("kms:GetKeyPolicy", "{o[arn]}"),
            ("kms:GetKeyRotationStatus", "{o[arn]}"),
            ("kms:ListResourceTags", "{o[arn]}"),
        ),
        (
            ("kms:PutKeyPolicy", "{o[arn]}"),
            ("kms:UpdateKeyDescription", "{o[arn]}"),
            ("kms:TagResource", "{o[arn]}"),
            ("kms:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:kms/alias:Alias": ProviderCalls(
        f"{_P}/kms/alias.go (FindAliasByName pages ListAliases)",
        (("kms:ListAliases", "*"),),
        (("kms:UpdateAlias", "{o[arn]}"), ("kms:UpdateAlias", "{o[targetKeyArn]}")),
    ),
    "aws:iam/role:Role": ProviderCalls(
        f"{_P}/iam/role.go (GetRole; ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies "
        "for inline_policy and managed_policy_arns)",
        (
            ("iam:GetRole", "{o[arn]}"),
            ("iam:ListRolePolicies", "{o[arn]}"),
            ("iam:ListAttachedRolePolicies", "{o[arn]}"),
        ),
        (
            ("iam:UpdateRoleDescription", "{o[arn]}"),
            ("iam:TagRole", "{o[arn]}"),
            ("iam:UntagRole", "{o[arn]}"),
        ),
    ),
    "aws:iam/rolePolicy:RolePolicy": ProviderCalls(
        f"{_P}/iam/role_policy.go", (("iam:GetRolePolicy", "arn:aws:iam::{account}:role/{i[role]}"),)
    ),
    "aws:iam/policy:Policy": ProviderCalls(
        f"{_P}/iam/policy.go (GetPolicy, GetPolicyVersion, ListPolicyVersions before a new version)",
        (
            ("iam:GetPolicy", "{o[arn]}"),
            ("iam:GetPolicyVersion", "{o[arn]}"),
            ("iam:ListPolicyVersions", "{o[arn]}"),
        ),
        (
            ("iam:CreatePolicyVersion", "{o[arn]}"),
            ("iam:DeletePolicyVersion", "{o[arn]}"),
            ("iam:TagPolicy", "{o[arn]}"),
        ),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ProviderCalls(
        f"{_P}/iam/role_policy_attachment.go",
        (("iam:ListAttachedRolePolicies", "arn:aws:iam::{account}:role/{i[role]}"),),
    ),
    "aws:cloudwatch/logGroup:LogGroup": ProviderCalls(
        f"{_P}/logs/group.go (DescribeLogGroups; ListTagsForResource)",
        (("logs:DescribeLogGroups", "*"), ("logs:ListTagsForResource", "{o[arn]}")),
        (
            ("logs:PutRetentionPolicy", "{o[arn]}"),
            ("logs:AssociateKmsKey", "{o[arn]}"),
            ("logs:TagResource", "{o[arn]}"),
            ("logs:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:secretsmanager/secret:Secret": ProviderCalls(
        f"{_P}/secretsmanager/secret.go (DescribeSecret, GetResourcePolicy)",
        (("secretsmanager:DescribeSecret", "{o[arn]}"), ("secretsmanager:GetResourcePolicy", "{o[arn]}")),
        (
            ("secretsmanager:UpdateSecret", "{o[arn]}"),
            ("secretsmanager:TagResource", "{o[arn]}"),
            ("secretsmanager:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": ProviderCalls(
        f"{_P}/secretsmanager/secret_version.go (GetSecretValue of the version, ListSecretVersionIds)",
        (("secretsmanager:GetSecretValue", "{o[arn]}"), ("secretsmanager:ListSecretVersionIds", "{o[arn]}")),
        (("secretsmanager:PutSecretValue", "{o[arn]}"),),
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ProviderCalls(
        f"{_P}/rds/cluster_parameter_group.go",
        (
            ("rds:DescribeDBClusterParameterGroups", "{o[arn]}"),
            ("rds:DescribeDBClusterParameters", "{o[arn]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBClusterParameterGroup", "{o[arn]}"), *_RDS_TAGS),
    ),
    "aws:rds/subnetGroup:SubnetGroup": ProviderCalls(
        f"{_P}/rds/subnet_group.go",
        (("rds:DescribeDBSubnetGroups", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBSubnetGroup", "{o[arn]}"), *_RDS_TAGS),
    ),
    "aws:rds/cluster:Cluster": ProviderCalls(
        f"{_P}/rds/cluster.go (DescribeDBClusters; waits on it after create and modify)",
        (("rds:DescribeDBClusters", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (("rds:ModifyDBCluster", "{o[arn]}"), *_RDS_TAGS),
    ),
    "aws:rds/clusterInstance:ClusterInstance": ProviderCalls(
        f"{_P}/rds/cluster_instance.go (DescribeDBInstances, DescribeDBClusters for the writer flag)",
        (
            ("rds:DescribeDBInstances", "{o[arn]}"),
            ("rds:DescribeDBClusters", "arn:aws:rds:{region}:{account}:cluster:{i[clusterIdentifier]}"),
            ("rds:ListTagsForResource", "{o[arn]}"),
        ),
        (("rds:ModifyDBInstance", "{o[arn]}"), *_RDS_TAGS),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ProviderCalls(
        f"{_P}/elasticache/subnet_group.go",
        (
            ("elasticache:DescribeCacheSubnetGroups", "{o[arn]}"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyCacheSubnetGroup", "{o[arn]}"), *_ELC_TAGS),
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": ProviderCalls(
        f"{_P}/elasticache/parameter_group.go (created by the provider; moto has no API for it)",
        (
            ("elasticache:DescribeCacheParameterGroups", "{pg}"),
            ("elasticache:DescribeCacheParameters", "{pg}"),
            ("elasticache:ListTagsForResource", "{pg}"),
        ),
        (
            ("elasticache:CreateCacheParameterGroup", "{pg}"),
            ("elasticache:ModifyCacheParameterGroup", "{pg}"),
            ("elasticache:AddTagsToResource", "{pg}"),
            ("elasticache:RemoveTagsFromResource", "{pg}"),
        ),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": ProviderCalls(
        f"{_P}/elasticache/replication_group.go (DescribeReplicationGroups, DescribeCacheClusters "
        "of the members, ListTagsForResource)",
        (
            ("elasticache:DescribeReplicationGroups", "{o[arn]}"),
            ("elasticache:DescribeCacheClusters", "arn:aws:elasticache:{region}:{account}:cluster:{id}-001"),
            ("elasticache:ListTagsForResource", "{o[arn]}"),
        ),
        (("elasticache:ModifyReplicationGroup", "{o[arn]}"), *_ELC_TAGS),
    ),
    "aws:ecs/cluster:Cluster": ProviderCalls(
        f"{_P}/ecs/cluster.go",
        (("ecs:DescribeClusters", "{o[arn]}"),),
        (
            ("ecs:UpdateCluster", "{o[arn]}"),
            ("ecs:TagResource", "{o[arn]}"),
            ("ecs:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ProviderCalls(
        f"{_P}/ecs/cluster_capacity_providers.go",
        (("ecs:DescribeClusters", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
        (("ecs:PutClusterCapacityProviders", "arn:aws:ecs:{region}:{account}:cluster/{id}"),),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": ProviderCalls(
        f"{_P}/ecs/task_definition.go (DescribeTaskDefinition with tags; a change registers a revision)",
        (("ecs:DescribeTaskDefinition", "*"),),
        (("ecs:RegisterTaskDefinition", "*"), ("ecs:TagResource", "{o[arn]}")),
    ),
    "aws:ecs/service:Service": ProviderCalls(
        f"{_P}/ecs/service.go (DescribeServices; waits for stability on update)",
        (("ecs:DescribeServices", "{id}"),),
        (("ecs:UpdateService", "{id}"), ("ecs:TagResource", "{id}"), ("ecs:UntagResource", "{id}")),
    ),
    "aws:lb/loadBalancer:LoadBalancer": ProviderCalls(
        f"{_P}/elbv2/load_balancer.go",
        (
            ("elasticloadbalancing:DescribeLoadBalancers", "*"),
            ("elasticloadbalancing:DescribeLoadBalancerAttributes", "*"),
            ("elasticloadbalancing:DescribeCapacityReservation", "{id}"),
            _ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyLoadBalancerAttributes", "{id}"),
            ("elasticloadbalancing:SetSecurityGroups", "{id}"),
            ("elasticloadbalancing:SetSubnets", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    "aws:lb/targetGroup:TargetGroup": ProviderCalls(
        f"{_P}/elbv2/target_group.go",
        (
            ("elasticloadbalancing:DescribeTargetGroups", "*"),
            ("elasticloadbalancing:DescribeTargetGroupAttributes", "*"),
            _ELB_READ_TAGS,
        ),
        (
            ("elasticloadbalancing:ModifyTargetGroup", "{id}"),
            ("elasticloadbalancing:ModifyTargetGroupAttributes", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    "aws:lb/listener:Listener": ProviderCalls(
        f"{_P}/elbv2/listener.go (DescribeListeners, DescribeListenerAttributes, DescribeTags)",
        (
            ("elasticloadbalancing:DescribeListeners", "*"),
            ("elasticloadbalancing:DescribeListenerAttributes", "*"),
            _ELB_READ_TAGS,
        ),
        (("elasticloadbalancing:ModifyListener", "{id}"), *_ELB_TAGS),
    ),
    "aws:lb/listenerRule:ListenerRule": ProviderCalls(
        f"{_P}/elbv2/listener_rule.go",
        (("elasticloadbalancing:DescribeRules", "*"), _ELB_READ_TAGS),
        (
            ("elasticloadbalancing:ModifyRule", "{id}"),
            ("elasticloadbalancing:SetRulePriorities", "{id}"),
            *_ELB_TAGS,
        ),
    ),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": ProviderCalls(
        f"{_P}/servicediscovery/private_dns_namespace.go (GetNamespace, ListTagsForResource)",
        (("servicediscovery:GetNamespace", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdatePrivateDnsNamespace", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:servicediscovery/service:Service": ProviderCalls(
        f"{_P}/servicediscovery/service.go",
        (("servicediscovery:GetService", "{o[arn]}"), ("servicediscovery:ListTagsForResource", "{o[arn]}")),
        (
            ("servicediscovery:UpdateService", "{o[arn]}"),
            ("servicediscovery:TagResource", "{o[arn]}"),
            ("servicediscovery:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:appautoscaling/target:Target": ProviderCalls(
        f"{_P}/appautoscaling/target.go (DescribeScalableTargets, ListTagsForResource)",
        (
            ("application-autoscaling:DescribeScalableTargets", "*"),
            ("application-autoscaling:ListTagsForResource", "{target}"),
        ),
        (
            ("application-autoscaling:RegisterScalableTarget", "{target}"),
            ("application-autoscaling:TagResource", "{target}"),
            ("application-autoscaling:UntagResource", "{target}"),
        ),
    ),
    "aws:appautoscaling/policy:Policy": ProviderCalls(
        f"{_P}/appautoscaling/policy.go", (("application-autoscaling:DescribeScalingPolicies", "*"),)
    ),
    "aws:acm/certificate:Certificate": ProviderCalls(
        f"{_P}/acm/certificate.go (DescribeCertificate, GetCertificate, ListTagsForCertificate)",
        (
            ("acm:DescribeCertificate", "{o[arn]}"),
            ("acm:GetCertificate", "{o[arn]}"),
            ("acm:ListTagsForCertificate", "{o[arn]}"),
        ),
        (
            ("acm:ImportCertificate", "{o[arn]}"),
            ("acm:AddTagsToCertificate", "{o[arn]}"),
            ("acm:RemoveTagsFromCertificate", "{o[arn]}"),
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": ProviderCalls(
        f"{_P}/events/rule.go (DescribeRule, ListTagsForResource)",
        (("events:DescribeRule", "{o[arn]}"), ("events:ListTagsForResource", "{o[arn]}")),
        (
            ("events:PutRule", "{o[arn]}"),
            ("events:TagResource", "{o[arn]}"),
            ("events:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ProviderCalls(
        f"{_P}/events/target.go (ListTargetsByRule)",
        (("events:ListTargetsByRule", "arn:aws:events:{region}:{account}:rule/{i[rule]}"),),
        (("events:PutTargets", "arn:aws:events:{region}:{account}:rule/{i[rule]}"),),
    ),
    "aws:sfn/stateMachine:StateMachine": ProviderCalls(
        f"{_P}/sfn/state_machine.go (DescribeStateMachine, ListTagsForResource)",
        (("states:DescribeStateMachine", "{o[arn]}"), ("states:ListTagsForResource", "{o[arn]}")),
        (
            ("states:UpdateStateMachine", "{o[arn]}"),
            ("states:TagResource", "{o[arn]}"),
            ("states:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:backup/vault:Vault": ProviderCalls(
        f"{_P}/backup/vault.go (DescribeBackupVault, ListTags)",
        (("backup:DescribeBackupVault", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (("backup:TagResource", "{o[arn]}"), ("backup:UntagResource", "{o[arn]}")),
    ),
    "aws:backup/vaultPolicy:VaultPolicy": ProviderCalls(
        f"{_P}/backup/vault_policy.go (GetBackupVaultAccessPolicy)",
        (("backup:GetBackupVaultAccessPolicy", "{vault}"),),
        (("backup:PutBackupVaultAccessPolicy", "{vault}"),),
    ),
    "aws:backup/plan:Plan": ProviderCalls(
        f"{_P}/backup/plan.go (GetBackupPlan, ListTags)",
        (("backup:GetBackupPlan", "{o[arn]}"), ("backup:ListTags", "{o[arn]}")),
        (
            ("backup:UpdateBackupPlan", "{o[arn]}"),
            ("backup:TagResource", "{o[arn]}"),
            ("backup:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:backup/selection:Selection": ProviderCalls(
        f"{_P}/backup/selection.go (GetBackupSelection; every change replaces it)",
        (("backup:GetBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
        # moto has no selections, so the create is judged here (its iam:PassRole to
        # backup.amazonaws.com is IamPassOwnRolesToTheirServices, not evaluated here).
        (("backup:CreateBackupSelection", "arn:aws:backup:{region}:{account}:backup-plan:{i[planId]}"),),
    ),
    "aws:rds/eventSubscription:EventSubscription": ProviderCalls(
        f"{_P}/rds/event_subscription.go (DescribeEventSubscriptions, ListTagsForResource)",
        (("rds:DescribeEventSubscriptions", "{o[arn]}"), ("rds:ListTagsForResource", "{o[arn]}")),
        (
            ("rds:ModifyEventSubscription", "{o[arn]}"),
            ("rds:AddSourceIdentifierToSubscription", "{o[arn]}"),
            ("rds:RemoveSourceIdentifierFromSubscription", "{o[arn]}"),
            ("rds:AddTagsToResource", "{o[arn]}"),
            ("rds:RemoveTagsFromResource", "{o[arn]}"),
        ),
    ),
    "aws:sns/topic:Topic": ProviderCalls(
        f"{_P}/sns/topic.go (GetTopicAttributes, ListTagsForResource)",
        (("sns:GetTopicAttributes", "{o[arn]}"), ("sns:ListTagsForResource", "{o[arn]}")),
        (
            ("sns:SetTopicAttributes", "{o[arn]}"),
            ("sns:TagResource", "{o[arn]}"),
            ("sns:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:sns/topicPolicy:TopicPolicy": ProviderCalls(
        f"{_P}/sns/topic_policy.go",
        (("sns:GetTopicAttributes", "{id}"),),
        (("sns:SetTopicAttributes", "{id}"),),
    ),
    "aws:sns/topicSubscription:TopicSubscription": ProviderCalls(
        f"{_P}/sns/topic_subscription.go (GetSubscriptionAttributes: a subscription is no IAM resource)",
        (("sns:GetSubscriptionAttributes", "*"),),
        (("sns:SetSubscriptionAttributes", "*"),),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ProviderCalls(
        f"{_P}/cloudwatch/metric_alarm.go (DescribeAlarms, ListTagsForResource)",
        (("cloudwatch:DescribeAlarms", "*"), ("cloudwatch:ListTagsForResource", "{o[arn]}")),
        (
            ("cloudwatch:PutMetricAlarm", "{o[arn]}"),
            ("cloudwatch:TagResource", "{o[arn]}"),
            ("cloudwatch:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:cloudwatch/dashboard:Dashboard": ProviderCalls(
        f"{_P}/cloudwatch/dashboard.go",
        (("cloudwatch:GetDashboard", "{o[dashboardArn]}"),),
        (("cloudwatch:PutDashboard", "{o[dashboardArn]}"),),
    ),
    "aws:wafv2/webAcl:WebAcl": ProviderCalls(
        f"{_P}/wafv2/web_acl.go (GetWebACL; ListTagsForResource)",
        (("wafv2:GetWebACL", "{o[arn]}"), ("wafv2:ListTagsForResource", "{o[arn]}")),
        (
            ("wafv2:UpdateWebACL", "{o[arn]}"),
            ("wafv2:TagResource", "{o[arn]}"),
            ("wafv2:UntagResource", "{o[arn]}"),
        ),
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": ProviderCalls(
        f"{_P}/wafv2/web_acl_association.go (GetWebACLForResource)",
        (
            ("wafv2:GetWebACLForResource", "{i[resourceArn]}"),
            ("wafv2:GetWebACLForResource", "{i[webAclArn]}"),
        ),
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": ProviderCalls(
        f"{_P}/wafv2/web_acl_logging_configuration.go (GetLoggingConfiguration; Put on update)",
        (("wafv2:GetLoggingConfiguration", "{i[resourceArn]}"),),
        (("wafv2:PutLoggingConfiguration", "{i[resourceArn]}"),),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ProviderCalls(
        f"{_P}/s3/bucket_versioning.go (GetBucketVersioning)",
        (("s3:GetBucketVersioning", _S3_BUCKET),),
        (("s3:PutBucketVersioning", _S3_BUCKET),),
    ),
    "aws:s3/bucket:Bucket": ProviderCalls(
        f"{_P}/s3/bucket.go (resourceBucketRead: HeadBucket, then every bucket sub-configuration)",
        tuple(
            (a, "arn:aws:s3:::{id}")
            for a in (
                "s3:ListBucket",
                "s3:GetBucketPolicy",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketVersioning",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketLogging",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketTagging",
            )
        ),
        (("s3:PutBucketTagging", "arn:aws:s3:::{id}"),),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ProviderCalls(
        f"{_P}/s3/bucket_policy.go",
        (("s3:GetBucketPolicy", _S3_BUCKET),),
        (("s3:PutBucketPolicy", _S3_BUCKET),),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ProviderCalls(
        f"{_P}/s3/bucket_public_access_block.go",
        (("s3:GetBucketPublicAccessBlock", _S3_BUCKET),),
        (("s3:PutBucketPublicAccessBlock", _S3_BUCKET),),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ProviderCalls(
        f"{_P}/s3/bucket_ownership_controls.go",
        (("s3:GetBucketOwnershipControls", _S3_BUCKET),),
        (("s3:PutBucketOwnershipControls", _S3_BUCKET),),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ProviderCalls(
        f"{_P}/s3/bucket_server_side_encryption_configuration.go",
        (("s3:GetEncryptionConfiguration", _S3_BUCKET),),
        (("s3:PutEncryptionConfiguration", _S3_BUCKET),),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ProviderCalls(
        f"{_P}/s3/bucket_lifecycle_configuration.go",
        (("s3:GetLifecycleConfiguration", _S3_BUCKET),),
        (("s3:PutLifecycleConfiguration", _S3_BUCKET),),
    ),
}

#: Declared types that make no AWS call at all.
NO_AWS_CALLS: Final = frozenset(
    {
        "random:index/randomPassword:RandomPassword",
        "tls:index/privateKey:PrivateKey",
        "tls:index/selfSignedCert:SelfSignedCert",
    }
)


def _values(r: DeclaredResource, account: str, region: str) -> dict[str, Any]:
    rid = str(r.id)
    if r.type == "aws:backup/vaultPolicy:VaultPolicy":
        return {"vault": f"arn:aws:backup:{region}:{account}:backup-vault:{r.inputs['backupVaultName']}"}
    values: dict[str, Any] = {"id": rid, "o": r.outputs, "i": r.inputs, "region": region, "account": account}
    if any(rid.startswith(p) for p in _EC2_KINDS):
        kind = next(k for p, k in _EC2_KINDS.items() if rid.startswith(p))
        values["ec2"] = f"arn:aws:ec2:{region}:{account}:{kind}/{rid}"
    values["pg"] = f"arn:aws:elasticache:{region}:{account}:parametergroup:{r.inputs.get('name', rid)}"
    if r.type == "aws:appautoscaling/target:Target":
        values["target"] = (
            r.outputs.get("arn") or f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/*"
        )
    return values


def provider_authorizations(
    resources: Iterable[DeclaredResource], auth: Authorizer, *, writes: bool
) -> list[Authorization]:
    """The provider's reads (or, with `writes`, its update-path writes) for every declared resource.

    Resource tags come from what the deploy tagged (`auth.tags`); a type without an entry in
    `PROVIDER_CALLS` raises `UnmappedCall`.
    """
    out: list[Authorization] = []
    resources = list(resources)
    # A resource's region is its provider's (the backup copy vault and its key are in another).
    regions = {
        p.urn: str(p.inputs.get("region") or "") for p in resources if p.type == "pulumi:providers:aws"
    }
    for r in resources:
        if not r.custom or r.type.startswith("pulumi:providers:") or r.type in NO_AWS_CALLS:
            continue
        calls = PROVIDER_CALLS.get(r.type)
        if calls is None:
            raise UnmappedCall(f"no provider calls listed for {r.type}")
        provider_urn = (r.provider or "").split("::")
        region = regions.get("::".join(provider_urn[:-1])) or regions.get(r.provider or "") or auth.region
        values = _values(r, auth.account, region)
        origin = ApiCall("provider", "write" if writes else "read", {}, {}, f"{r.type} {r.name}")
        for action, template in calls.writes if writes else calls.reads:
            arn = template.format(**values)
            context = context_for(resource_tags=auth.tags.get(arn))
            out.append(Authorization(action, arn, context, origin, "provider"))
    return out

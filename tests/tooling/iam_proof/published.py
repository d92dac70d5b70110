"""The roles judged against what AWS publishes (`arbiter_tools.aws_published`), not our own call model.

For every declared resource, each action AWS's CloudFormation handlers list for its type becomes
one request per resource type the Service Authorization Reference says the action is authorized
on, with an ARN of this stack's own resources: the one the emulated deploy authorized it on, the
declared resource's own ARN or one it references (its key, its VPC), or else one built from the
SAR's ARN format in the stack's namespace. The context is what the stack's requests carry (its
default tags, the boundary on its roles, the service a role is passed to). Exceptions are explicit
tables, one line each with its reason; an action in neither the grants nor a table fails with its
name and type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property, wraps
from typing import Any, Final, TypeVar

from arbiter_infra.catalog import IMAGE_REPOSITORIES
from arbiter_tools.api_calls import Authorization, provider_authorizations
from arbiter_tools.api_calls.core import EC2_KINDS
from arbiter_tools.aws_published import (
    CFN_EQUIVALENTS,
    SERVICE_ROLE_POLICIES,
    cfn_actions,
    managed_policies,
    sar_action,
)
from arbiter_tools.iam_eval import Decision, Request, context_for, evaluate
from arbiter_tools.runtime import ACCOUNT_ID, REGION, DeclaredResource
from tests.tooling.iam_proof.proof import ADMIN_ONLY, Proof


@dataclass(frozen=True)
class Unneeded:
    """An action AWS lists that the role is deliberately not granted, and why."""

    #: Glob over actions (`amplify:*`).
    action: str
    #: Glob over the CloudFormation type(s) the exception is for.
    cfn_type: str
    reason: str
    #: Glob over the resource ARN (`{env}`, `{account}` filled), when only some resources are exempt.
    resource: str = "*"

    def matches(self, request: Request, cfn_type: str, stack: str) -> bool:
        resource = self.resource.format(env=stack, account=ACCOUNT_ID)
        return (
            fnmatchcase(request.action.lower(), self.action.lower())
            and fnmatchcase(cfn_type, self.cfn_type)
            and fnmatchcase(request.resource, resource)
        )


@dataclass(frozen=True)
class Check:
    """One action AWS lists for a declared resource, as the request IAM would judge."""

    pulumi_type: str
    #: `<CloudFormation type> <handler>` that lists the action.
    listed_by: str
    resource: str
    request: Request

    @property
    def cfn_type(self) -> str:
        return self.listed_by.split(" ")[0]

    def __str__(self) -> str:
        return f"{self.request.action} ({self.listed_by}, {self.pulumi_type} {self.resource}) on {self.request.resource}"


#: The service-linked role a type's service creates on first use (iam:AWSServiceName), by pulumi module.
SERVICE_LINKED_ROLES: Final = {
    "aws:appautoscaling": "ecs.application-autoscaling.amazonaws.com",
    "aws:ecs": "ecs.amazonaws.com",
    "aws:elasticache": "elasticache.amazonaws.com",
    "aws:lb": "elasticloadbalancing.amazonaws.com",
    "aws:rds": "rds.amazonaws.com",
}

_VAR = re.compile(r"\$\{[^}]+\}")


def sar_glob(arn_format: str, region: str = "*") -> str:
    """The SAR's ARN format (`arn:${Partition}:kms:${Region}:...`) as a glob."""
    glob = arn_format.replace("${Partition}", "aws").replace("${Account}", ACCOUNT_ID)
    return _VAR.sub("*", glob.replace("${Region}", region))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value[:1] in "[{" else None
        except ValueError:
            parsed = None
        if parsed is not None:
            yield from _strings(parsed)
        else:
            yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _family(arn_format: str) -> str:
    """`...:listener/app/${...}` and `...:listener/net/${...}` are alternatives of one family."""
    return arn_format.split("/", maxsplit=1)[0] if "/" in arn_format else arn_format


def _ec2_arn(value: str, region: str) -> str | None:
    kind = next((k for p, k in EC2_KINDS.items() if value.startswith(p)), None)
    return f"arn:aws:ec2:{region}:{ACCOUNT_ID}:{kind}/{value}" if kind else None


_T = TypeVar("_T")


def _by_urn(method: Callable[[Stack, DeclaredResource], _T]) -> Callable[[Stack, DeclaredResource], _T]:
    """Memoize a per-resource method by URN (resources are not hashable)."""
    memo: dict[tuple[int, str], _T] = {}

    @wraps(method)
    def wrapper(self: Stack, r: DeclaredResource) -> _T:
        key = (id(self), r.urn)
        if key not in memo:
            memo[key] = method(self, r)
        return memo[key]

    return wrapper


class Stack:
    """A deployed stack's resources, ARNs, tags and regions, as the published checks need them."""

    def __init__(self, proof: Proof) -> None:
        self.proof = proof
        self.d = proof.deployment
        self.prefix = f"arbiter-{proof.stack}"
        resources = list(self.d.resources)
        self.providers = {p.urn: p for p in resources if p.type == "pulumi:providers:aws"}
        self.resources = [r for r in resources if r.custom and r.type in CFN_EQUIVALENTS]
        self.constructed: dict[str, DeclaredResource] = {}

    def provider(self, r: DeclaredResource) -> DeclaredResource | None:
        ref = r.provider or ""
        return self.providers.get(ref) or self.providers.get(ref.rsplit("::", 1)[0])

    def region(self, r: DeclaredResource) -> str:
        p = self.provider(r)
        return str(p.inputs.get("region") or REGION) if p else REGION

    def default_tags(self, r: DeclaredResource) -> dict[str, str]:
        p = self.provider(r)
        raw = p.inputs.get("defaultTags") if p else None
        return dict(json.loads(raw)["tags"]) if isinstance(raw, str) else {}

    @_by_urn
    def own_arns(self, r: DeclaredResource) -> list[str]:
        """The resource's own ARN (or its EC2 id as an ARN); for a type moto has no API for, the
        ARN the provider-call table reads it at."""
        region = self.region(r)
        out = [str(r.outputs["arn"])] if str(r.outputs.get("arn", "")).startswith("arn:") else []
        ec2 = _ec2_arn(str(r.id), region)
        if ec2:
            out.append(ec2)
        if not out:
            reads = provider_authorizations([r], self.proof.authorizer, writes=False)
            out += [a.resource for a in reads if a.resource.startswith("arn:") and "*" not in a.resource][:1]
        return out

    @_by_urn
    def related(self, r: DeclaredResource) -> list[DeclaredResource]:
        """Declared resources that are a property of `r` (its event targets, its vault policy)."""
        keys = {str(r.id), str(r.inputs.get("name", "")), *self.own_arns(r)} - {""}
        return [
            p for p in self.resources if CFN_EQUIVALENTS[p.type].property and keys & set(_strings(p.inputs))
        ]

    @_by_urn
    def referenced_arns(self, r: DeclaredResource) -> list[str]:
        """ARNs (and EC2 ids) the resource's inputs name: its key, VPC, subnets, role, target."""
        region = self.region(r)
        out: list[str] = []
        for s in _strings(r.inputs):
            if "*" in s:
                continue  # a pattern inside a policy document, not a resource it names
            if s.startswith("arn:"):
                out.append(s.removesuffix(":*"))
            elif (arn := _ec2_arn(s, region)) is not None:
                out.append(arn)
        return out

    @cached_property
    def all_arns(self) -> dict[str, DeclaredResource]:
        return {arn: r for r in self.resources for arn in self.own_arns(r)}

    @cached_property
    def boundary_arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:policy/{self.prefix}-boundary"

    def tags_of(self, arn: str) -> dict[str, str]:
        """What the deploy tagged the ARN with; a stack resource carries its provider's default tags
        (so does one built in the stack's namespace: everything the stack creates is tagged)."""
        tags = self.proof.authorizer.tags.get(arn)
        if tags:
            return dict(tags)
        owner = self.all_arns.get(arn) or self.constructed.get(arn)
        return self.default_tags(owner) if owner is not None else {}

    @cached_property
    def _recorded(self) -> dict[str, dict[str, list[Authorization]]]:
        out: dict[str, dict[str, list[Authorization]]] = {}
        for a in self.proof.authorizations:
            out.setdefault(a.call.resource, {}).setdefault(a.action.lower(), []).append(a)
        return out

    def recorded(self, r: DeclaredResource) -> dict[str, list[Authorization]]:
        """What the emulated deploy authorized for `r`, by action (lower case)."""
        return self._recorded.get(f"{r.type} {r.name}", {})

    def trust_services(self, r: DeclaredResource) -> list[str]:
        doc = r.inputs.get("assumeRolePolicy")
        if not isinstance(doc, str):
            return []
        services: list[str] = []
        for stmt in json.loads(doc)["Statement"]:
            principal = stmt.get("Principal", {}).get("Service", [])
            services += principal if isinstance(principal, list) else [principal]
        return services

    def role_for(self, r: DeclaredResource, arn: str) -> DeclaredResource | None:
        """The declared role a request on `arn` (made for `r`) is about."""
        if r.type == "aws:iam/role:Role":
            return r
        name = arn.rsplit("/", 1)[1] if ":role/" in arn else ""
        return next(
            (x for x in self.d.of_type("aws:iam/role:Role") if name and x.inputs.get("name") == name), None
        )

    def iam_context(self, r: DeclaredResource, action: str, arn: str) -> dict[str, str | Sequence[str]]:
        """Condition keys IAM sets for the stack's role and policy calls."""
        extra: dict[str, str | Sequence[str]] = {}
        role = self.role_for(r, arn)
        if role is not None and role.inputs.get("permissionsBoundary"):
            extra["iam:PermissionsBoundary"] = str(role.inputs["permissionsBoundary"])
        if action == "iam:PassRole" and role is not None:
            extra["iam:PassedToService"] = self.trust_services(role)
        if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
            role_name = str(r.inputs.get("role") or r.inputs.get("name"))
            extra["iam:PolicyARN"] = [
                str(a.inputs["policyArn"])
                for a in self.d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role_name
            ] or [f"arn:aws:iam::{ACCOUNT_ID}:policy/{self.prefix}-none"]
        if action == "iam:CreateServiceLinkedRole":
            extra["iam:AWSServiceName"] = str(r.inputs.get("awsServiceName", ""))
        return extra

    def requests(self, r: DeclaredResource, action: str, *, creating: bool) -> list[Request]:
        """The requests IAM judges for `action` made for `r`: one per resource type it needs.

        The SAR's required resource types (`*` in its table) each get an ARN; an action with
        only optional ones is judged on the resource itself, or on what it references, when one
        of them is of such a type, and on `*` otherwise.
        """
        recorded = self.recorded(r).get(action.lower(), [])
        sar = sar_action(action)
        mine = self.own_arns(r) + self.referenced_arns(r)
        for p in self.related(r):
            mine += self.referenced_arns(p)
        if action == "iam:CreateServiceLinkedRole":
            service = SERVICE_LINKED_ROLES.get(r.type.split("/")[0], "")
            arn = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service or 'none'}/x"
            return [Request(action, arn, {"iam:AWSServiceName": service})]
        formats = [fmt for _name, _req, fmt in (sar.resources if sar else ()) if fmt]
        required = [fmt for _name, req, fmt in (sar.resources if sar else ()) if req and fmt]
        if not required:
            service = action.split(":", maxsplit=1)[0]
            own = [
                a
                for a in self.own_arns(r)
                if any(fnmatchcase(a, sar_glob(f)) for f in formats) or a.split(":")[2] == service
            ]
            refs = [a for a in mine if any(fnmatchcase(a, sar_glob(f)) for f in formats)]
            arns = own[:1] or refs[:1] or ["*"]
            hits = [a for a in recorded if a.resource in arns or not formats]
            if hits:
                return [Request(a.action, a.resource, a.context) for a in hits[:1]]
            return [Request(action, arn, self._context(r, arn, action, creating=creating)) for arn in arns]
        out: list[Request] = []
        resolved = {
            _family(fmt)
            for fmt in required
            if any(fnmatchcase(a, sar_glob(fmt)) for a in mine + [x.resource for x in recorded])
        }
        for fmt in required:
            glob = sar_glob(fmt)
            if _family(fmt) in resolved and not any(
                fnmatchcase(a, glob) for a in mine + [x.resource for x in recorded]
            ):
                continue  # an alternative of a type that did resolve (listener/net beside listener/app)
            hit = next((a for a in recorded if fnmatchcase(a.resource, glob)), None)
            if hit is not None:
                out.append(Request(hit.action, hit.resource, hit.context))
                continue
            arn = next((a for a in mine if fnmatchcase(a, glob)), None)
            if arn is None and r.type == "aws:iam/rolePolicy:RolePolicy" and ":role/" in glob:
                arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{r.inputs['role']}"
            if arn is None:
                arn = self.construct(r, fmt)
            out.append(Request(action, arn, self._context(r, arn, action, creating=creating)))
        return out

    def construct(self, r: DeclaredResource, arn_format: str) -> str:
        """An ARN of the SAR's format for something of this stack the resource does not name."""
        arn = arn_format.replace("${Partition}", "aws").replace("${Account}", ACCOUNT_ID)
        arn = _VAR.sub(f"{self.prefix}-x", arn.replace("${Region}", self.region(r)), count=1)
        arn = _VAR.sub("x", arn)
        self.constructed[arn] = r
        return arn

    def _context(
        self, r: DeclaredResource, arn: str, action: str, *, creating: bool
    ) -> dict[str, str | Sequence[str]]:
        tagging = creating or "tag" in action.split(":")[1].lower()
        return context_for(
            request_tags=self.default_tags(r) if tagging else None,
            resource_tags=self.tags_of(arn) or None,
            extra=self.iam_context(r, action, arn),
        )

    def deploy_checks(self) -> list[Check]:
        """Every create/update/delete action AWS lists, for every declared resource of this stack."""
        out: list[Check] = []
        for r in self.resources:
            if CFN_EQUIVALENTS[r.type].property:
                continue  # one property of another declared type: checked with that resource
            for action, listed_by in sorted(cfn_actions(r.type).items()):
                creating = listed_by.endswith(" create")
                for request in self.requests(r, action, creating=creating):
                    out.append(Check(r.type, listed_by, r.name, request))
        return out


def admin_only(check: Check, stack: str) -> bool:
    """The request touches what only an admin's run may change (the CI roles, the boundary, ...)."""
    a = check.request
    for rule in ADMIN_ONLY:
        target = rule.target.format(env=stack, account=ACCOUNT_ID)
        if rule.action.endswith("*") and a.action.split(":")[1].startswith(("Describe", "Get", "List")):
            continue
        if fnmatchcase(a.action, rule.action) and (
            fnmatchcase(a.resource, target) or fnmatchcase(f"{check.pulumi_type} {check.resource}", target)
        ):
            return True
    return False


def judge_checks(
    checks: Iterable[Check],
    policies: list[dict[str, Any]],
    exceptions: tuple[Unneeded, ...],
    stack: str,
) -> tuple[list[str], dict[Unneeded, int]]:
    """Failures (an action neither allowed nor excepted) and how often each exception was used."""
    failures: list[str] = []
    used = dict.fromkeys(exceptions, 0)
    for check in checks:
        if admin_only(check, stack):
            continue
        decision: Decision = evaluate(policies, check.request)
        if decision.verdict == "allowed":
            continue
        rule = next((e for e in exceptions if e.matches(check.request, check.cfn_type, stack)), None)
        if rule is not None:
            used[rule] += 1
            continue
        failures.append(f"{check}: {decision.verdict} ({decision.reason})")
    return failures, used


_UNUSED = "feature unused:"
_ADMIN = "admin-only:"
_NOT_IAM = "not an IAM action:"
#: What AWS's CloudFormation handlers list that the deploy role is deliberately not granted: a
#: feature the stack does not use (the handler's lists cover every property of the type), an
#: admin-only change (docs/delivery.md), or a name that is no IAM action. One line each.
# fmt: off
DEPLOY_UNNEEDED: tuple[Unneeded, ...] = (
    # Certificates (staging imports its self-signed one; prod names an issued ARN).
    Unneeded("acm:RequestCertificate", "AWS::CertificateManager::Certificate", f"{_UNUSED} the stack imports its certificate, never requests one"),
    Unneeded("acm:UpdateCertificateOptions", "AWS::CertificateManager::Certificate", f"{_UNUSED} transparency-logging options apply to requested certificates"),
    Unneeded("acm-pca:*", "AWS::CertificateManager::Certificate", f"{_UNUSED} no private CA"),
    Unneeded("route53:ChangeResourceRecordSets", "AWS::CertificateManager::Certificate", f"{_UNUSED} no DNS validation (imported certificate)"),
    # Web ACL association: the handler lists every resource kind WAF can protect; ours is an ALB.
    Unneeded("amplify:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("apigateway:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("apprunner:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("appsync:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("bedrock-agentcore:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("cognito-idp:*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("ec2:*VerifiedAccess*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} the web ACL protects the ALB only"),
    Unneeded("elasticloadbalancing:*WebACL*", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} newer ELB-side association calls, not in the SAR parliament ships; AWS documents elasticloadbalancing:SetWebAcl (granted) for an ALB"),
    Unneeded("wafv2:*PermissionPolicy", "AWS::WAFv2::WebACLAssociation", f"{_UNUSED} no rule group shared across accounts"),
    Unneeded("cognito-idp:DescribeUserPoolClient", "AWS::ElasticLoadBalancingV2::Listener*", f"{_UNUSED} no authenticate-cognito listener action"),
    # WAF logging goes to a CloudWatch Logs group.
    Unneeded("firehose:*", "AWS::WAFv2::LoggingConfiguration", f"{_UNUSED} WAF logs go to CloudWatch Logs, not Firehose"),
    Unneeded("iam:CreateServiceLinkedRole", "AWS::WAFv2::LoggingConfiguration", f"{_UNUSED} the WAF logging service-linked role is for Firehose destinations"),
    Unneeded("iam:DescribeOrganization", "AWS::WAFv2::LoggingConfiguration", f"{_UNUSED} no organization-wide logging"),
    # Application Auto Scaling.
    Unneeded("application-autoscaling:*ScheduledAction*", "AWS::ApplicationAutoScaling::ScalableTarget", f"{_UNUSED} target tracking only, no scheduled actions"),
    Unneeded("lambda:*ProvisionedConcurrencyConfig", "AWS::ApplicationAutoScaling::ScalableTarget", f"{_UNUSED} the scalable targets are ECS services"),
    Unneeded("iam:PassRole", "AWS::ApplicationAutoScaling::ScalableTarget", f"{_UNUSED} no RoleARN: the ECS autoscaling service-linked role is used"),
    # Backup.
    Unneeded("backup:DeleteBackupVault", "AWS::Backup::BackupVault", f"{_ADMIN} the vault policy reserves deleting a vault to an administrator"),
    Unneeded("backup:DeleteBackupVaultAccessPolicy", "AWS::Backup::BackupVault", f"{_ADMIN} the vault policy and the deploy role's BackupDenyUnprotectingVaults reserve removing the policy to an administrator"),
    Unneeded("backup:DeleteBackupVaultLockConfiguration", "AWS::Backup::BackupVault", f"{_ADMIN} removing Vault Lock is what the lock guards against"),
    Unneeded("backup:*BackupVaultNotifications", "AWS::Backup::BackupVault", f"{_UNUSED} no vault SNS notifications (job failures alarm through CloudWatch)"),
    Unneeded("iam:PassRole", "AWS::Backup::BackupPlan", f"{_UNUSED} the role is passed by the selection (granted there), not the plan"),
    Unneeded("iam:CreateServiceLinkedRole", "AWS::Backup::BackupSelection", f"{_UNUSED} the selection names the stack's own role (arbiter-<env>-backup)"),
    # EC2 / VPC.
    Unneeded("ec2:AcceptAddressTransfer", "AWS::EC2::EIP", f"{_UNUSED} no elastic-IP transfer between accounts"),
    Unneeded("ec2:AssociateAddress", "AWS::EC2::EIP", f"{_UNUSED} the EIPs belong to NAT gateways, not instances"),
    Unneeded("ec2:*NatGatewayAddress", "AWS::EC2::NatGateway", f"{_UNUSED} no secondary NAT addresses"),
    Unneeded("ec2:*SubnetCidrBlock", "AWS::EC2::Subnet", f"{_UNUSED} IPv4 only, no additional CIDR blocks"),
    Unneeded("ec2:*VpnGateway*", "AWS::EC2::VPCGatewayAttachment", f"{_UNUSED} no VPN gateway (the attachment is the internet gateway's)"),
    Unneeded("ec2:CreateVpcEncryptionControl", "AWS::EC2::VPC", f"{_UNUSED} no VPC encryption control"),
    Unneeded("ec2:ModifyVpcTenancy", "AWS::EC2::VPC", f"{_UNUSED} default tenancy"),
    Unneeded("ec2:DescribeIpamPools", "AWS::ElasticLoadBalancingV2::LoadBalancer", f"{_UNUSED} no IPAM pools"),
    Unneeded("elasticloadbalancing:ModifyIpPools", "AWS::ElasticLoadBalancingV2::LoadBalancer", f"{_UNUSED} no IPAM pools"),
    Unneeded("elasticloadbalancing:ModifyCapacityReservation", "AWS::ElasticLoadBalancingV2::LoadBalancer", f"{_UNUSED} no LCU reservation"),
    Unneeded("elasticloadbalancing:SetIpAddressType", "AWS::ElasticLoadBalancingV2::LoadBalancer", f"{_UNUSED} IPv4 only"),
    Unneeded("elasticloadbalancing:*egisterTargets", "AWS::ElasticLoadBalancingV2::TargetGroup", f"{_UNUSED} no Targets property: ECS registers its tasks (target type ip) itself"),
    Unneeded("vpc-lattice:*", "AWS::EC2::VPCEndpoint", f"{_UNUSED} no service-network endpoints"),
    Unneeded("vpce:AllowMultiRegion", "AWS::EC2::VPCEndpoint", f"{_UNUSED} endpoints serve their own region"),
    Unneeded("autoscaling:DescribeTags", "AWS::EC2::FlowLog", f"{_UNUSED} no EC2 Auto Scaling groups"),
    Unneeded("iam:CreateServiceLinkedRole", "AWS::EC2::FlowLog", f"{_UNUSED} flow logs deliver with the stack's own role"),
    # ECS.
    Unneeded("ecs:DescribeCapacityProviders", "AWS::ECS::ClusterCapacityProviderAssociations", f"{_UNUSED} no custom capacity provider (AWS's FARGATE and FARGATE_SPOT only)"),
    Unneeded("ecs:*ServiceDeployment*", "AWS::ECS::Service", f"{_UNUSED} the service-deployments API: the rollout is followed with DescribeServices and rolled back with UpdateService (granted)"),
    Unneeded("ecs:PutAccountSetting*", "AWS::ECS::Cluster", f"{_ADMIN} account-wide ECS settings are not one stack's"),
    Unneeded("iam:PassRole", "AWS::ECS::Service", f"{_UNUSED} no service Role (awsvpc services use the ECS service-linked role)"),
    # ElastiCache (one shard, cluster mode disabled).
    Unneeded("elasticache:*CacheCluster", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} replicas change with Increase/DecreaseReplicaCount (granted)"),
    Unneeded("elasticache:ModifyReplicationGroupShardConfiguration", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} cluster mode disabled: one shard"),
    Unneeded("firehose:*", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} slow logs go to CloudWatch Logs, not Firehose"),
    Unneeded("logs:CreateLogStream", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} ElastiCache delivers its logs as vended logs (CreateLogDelivery, granted)"),
    Unneeded("logs:PutLogEvents", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} ElastiCache delivers its logs as vended logs (CreateLogDelivery, granted)"),
    Unneeded("s3:GetObject", "AWS::ElastiCache::ReplicationGroup", f"{_UNUSED} not seeded from an RDB file in S3"),
    Unneeded("iam:PutRolePolicy", "AWS::ElastiCache::ParameterGroup", f"{_UNUSED} a parameter group has no role"),
    # IAM.
    Unneeded("iam:Attach*Policy", "AWS::IAM::ManagedPolicy", f"{_UNUSED} the Roles/Users/Groups properties: attachments are RolePolicyAttachments, judged with AWS::IAM::Role"),
    Unneeded("iam:Detach*Policy", "AWS::IAM::ManagedPolicy", f"{_UNUSED} the Roles/Users/Groups properties: attachments are RolePolicyAttachments, judged with AWS::IAM::Role"),
    Unneeded("iam:DeleteRolePermissionsBoundary", "AWS::IAM::Role", f"{_ADMIN} a boundary, once set, stays (DenyRemovingAnyBoundary)"),
    Unneeded("iam:DeleteRole", "AWS::IAM::Role", f"{_ADMIN} execution roles are created and replaced by an administrator", "*:role/arbiter-{env}-*-exec"),
    Unneeded("iam:UpdateAssumeRolePolicy", "AWS::IAM::Role", f"{_ADMIN} who may assume an execution role is fixed by an administrator", "*:role/arbiter-{env}-*-exec"),
    # KMS.
    Unneeded("kms:DisableKey", "AWS::KMS::Key", f"{_UNUSED} the keys stay enabled (Enabled is never false)"),
    Unneeded("kms:EnableKey", "AWS::KMS::Key", f"{_UNUSED} the keys stay enabled (Enabled is never false)"),
    Unneeded("kms:DisableKeyRotation", "AWS::KMS::Key", f"{_UNUSED} rotation stays on"),
    Unneeded("kms:ScheduleKeyDeletion", "AWS::KMS::Key", f"{_ADMIN} destroying a CMK destroys the data it protects"),
    # CloudWatch Logs.
    Unneeded("logs:*DataProtectionPolicy", "AWS::Logs::LogGroup", f"{_UNUSED} no log data-protection policy"),
    Unneeded("logs:*IndexPolic*", "AWS::Logs::LogGroup", f"{_UNUSED} no field-index policy"),
    Unneeded("logs:DeleteResourcePolicy", "AWS::Logs::LogGroup", f"{_UNUSED} no per-group resource policy"),
    Unneeded("logs:PutBearerTokenAuthentication", "AWS::Logs::LogGroup", f"{_UNUSED} no bearer-token ingestion"),
    Unneeded("logs:PutLogGroupDeletionProtection", "AWS::Logs::LogGroup", f"{_UNUSED} no deletion protection setting"),
    Unneeded("firehose:*", "AWS::Logs::LogGroup", f"{_UNUSED} no Firehose delivery"),
    Unneeded("s3:REST.PUT.OBJECT", "AWS::Logs::LogGroup", f"{_NOT_IAM} an S3 REST operation name in AWS's list"),
    # RDS (Aurora PostgreSQL, one region).
    Unneeded("rds:*RoleFromDB*", "AWS::RDS::DB*", f"{_UNUSED} no AssociatedRoles (S3 import/export, Lambda)"),
    Unneeded("rds:AddRoleToDB*", "AWS::RDS::DB*", f"{_UNUSED} no AssociatedRoles (S3 import/export, Lambda)"),
    Unneeded("iam:PassRole", "AWS::RDS::DBCluster", f"{_UNUSED} no AssociatedRoles; the monitoring role is passed by the instances"),
    Unneeded("iam:ListRoles", "AWS::RDS::DBInstance", f"{_UNUSED} the monitoring role is named by its ARN (iam:PassRole, granted)"),
    Unneeded("rds:Restore*", "AWS::RDS::DB*", f"{_ADMIN} restores are an operator's, into a new cluster (docs/restore.md)"),
    Unneeded("rds:Describe*Snapshots", "AWS::RDS::DB*", f"{_UNUSED} the handler's restore-from-snapshot path"),
    Unneeded("rds:Describe*AutomatedBackups", "AWS::RDS::DB*", f"{_UNUSED} the handler's point-in-time-restore path"),
    Unneeded("rds:*DBInstanceAutomatedBackupsReplication", "AWS::RDS::DBInstance", f"{_UNUSED} cross-region copies are AWS Backup's"),
    Unneeded("rds:CreateDBInstanceReadReplica", "AWS::RDS::DBInstance", f"{_UNUSED} Aurora replicas are cluster instances"),
    Unneeded("rds:PromoteReadReplica", "AWS::RDS::DBInstance", f"{_UNUSED} Aurora replicas are cluster instances"),
    Unneeded("rds:CreateDBSnapshot", "AWS::RDS::DBInstance", f"{_UNUSED} an Aurora instance has no own snapshot (the cluster's final snapshot is granted)"),
    Unneeded("rds:RebootDBInstance", "AWS::RDS::DBInstance", f"{_UNUSED} CI does not reboot: a static parameter change waits for the maintenance window"),
    Unneeded("rds:*GlobalCluster*", "AWS::RDS::DBCluster", f"{_UNUSED} no global database"),
    Unneeded("rds:*HttpEndpoint", "AWS::RDS::DBCluster", f"{_UNUSED} no Data API"),
    # S3 (the ALB access-log bucket).
    Unneeded("s3:*BucketMetadata*", "AWS::S3::Bucket", f"{_UNUSED} no S3 Metadata tables"),
    Unneeded("s3tables:*", "AWS::S3::Bucket", f"{_UNUSED} no S3 Metadata tables"),
    Unneeded("s3:Delete*", "AWS::S3::Bucket", f"{_NOT_IAM} S3 API names (DeleteBucketCors, ...) whose IAM actions are the Put* ones, or object writes of features unused"),
    Unneeded("s3:PutAccelerateConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no transfer acceleration"),
    Unneeded("s3:PutAnalyticsConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no storage-class analytics"),
    Unneeded("s3:PutBucketAbac", "AWS::S3::Bucket", f"{_UNUSED} no attribute-based access control"),
    Unneeded("s3:PutBucketAcl", "AWS::S3::Bucket", f"{_UNUSED} ACLs are disabled (BucketOwnerEnforced)"),
    Unneeded("s3:PutObjectAcl", "AWS::S3::Bucket", f"{_UNUSED} ACLs are disabled (BucketOwnerEnforced)"),
    Unneeded("s3:PutBucketCORS", "AWS::S3::Bucket", f"{_UNUSED} no CORS"),
    Unneeded("s3:PutBucketLogging", "AWS::S3::Bucket", f"{_UNUSED} no server access logging of the log bucket"),
    Unneeded("s3:PutBucketNotification", "AWS::S3::Bucket", f"{_UNUSED} no event notifications"),
    Unneeded("s3:Put*ObjectLockConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no Object Lock on access logs"),
    Unneeded("s3:Put*Replication*", "AWS::S3::Bucket", f"{_UNUSED} no replication"),
    Unneeded("iam:PassRole", "AWS::S3::Bucket", f"{_UNUSED} no replication role"),
    Unneeded("s3:PutBucketWebsite", "AWS::S3::Bucket", f"{_UNUSED} no website hosting"),
    Unneeded("s3:PutIntelligentTieringConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no Intelligent-Tiering archive"),
    Unneeded("s3:PutInventoryConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no inventory"),
    Unneeded("s3:PutMetricsConfiguration", "AWS::S3::Bucket", f"{_UNUSED} no request metrics"),
    Unneeded("s3:*TagResource", "AWS::S3::Bucket", f"{_UNUSED} tags are set with PutBucketTagging (granted)"),
    # Secrets Manager.
    Unneeded("secretsmanager:GetSecretValue", "AWS::SecretsManager::Secret", f"{_ADMIN} CI never reads the application secrets' values (DenyApplicationSecretValues)"),
    Unneeded("secretsmanager:*Replicat*", "AWS::SecretsManager::Secret", f"{_UNUSED} no replica secrets"),
    # Cloud Map, SNS, Step Functions.
    Unneeded("servicediscovery:*ServiceAttributes", "AWS::ServiceDiscovery::Service", f"{_UNUSED} no custom service attributes"),
    Unneeded("sns:*DataProtectionPolicy", "AWS::SNS::Topic", f"{_UNUSED} no message data protection"),
    Unneeded("iam:PassRole", "AWS::SNS::*", f"{_UNUSED} no delivery-status logging or Firehose subscription role"),
    # Lambda (the database-users bootstrap function): a zip uploaded with the create call, nothing else.
    Unneeded("s3:GetObject*", "AWS::Lambda::Function", f"{_UNUSED} the code is uploaded inline (a zip), not read from S3"),
    Unneeded("lambda:*CodeSigningConfig", "AWS::Lambda::Function", f"{_UNUSED} no code signing (the provider's read of it is granted)"),
    Unneeded("lambda:*FunctionConcurrency", "AWS::Lambda::Function", f"{_UNUSED} no reserved concurrency"),
    Unneeded("lambda:*FunctionRecursionConfig", "AWS::Lambda::Function", f"{_UNUSED} recursion detection left at its default"),
    Unneeded("lambda:*RuntimeManagementConfig", "AWS::Lambda::Function", f"{_UNUSED} runtime updates left at Auto"),
    Unneeded("lambda:GetLayerVersion", "AWS::Lambda::Function", f"{_UNUSED} no layers (pg8000 is vendored into the zip)"),
    Unneeded("lambda:PublishVersion", "AWS::Lambda::Function", f"{_UNUSED} no published versions or aliases: the invocation calls $LATEST"),
    Unneeded("lambda:PassCapacityProvider", "AWS::Lambda::Function", f"{_UNUSED} no Lambda managed instances (capacity providers)"),
    Unneeded("lambda:PutFunctionScalingConfig", "AWS::Lambda::Function", f"{_UNUSED} no Lambda managed instances (capacity providers)"),
    Unneeded("elasticfilesystem:*", "AWS::Lambda::Function", f"{_UNUSED} no file system mounted"),
    Unneeded("s3files:*", "AWS::Lambda::Function", f"{_UNUSED} no file system mounted"),
)
# fmt: on


# ---- service roles: the boundary against what AWS publishes for each service's role ------------------

#: The services whose actions a role of this principal needs here (the AWS policy covers every
#: resource kind the service can work on: DynamoDB, EFS, EKS, ... for AWS Backup).
SERVICE_ROLE_USES: Final = {
    "backup.amazonaws.com": ("backup", "kms", "rds", "tag"),
    "monitoring.rds.amazonaws.com": ("logs",),
    "ecs-tasks.amazonaws.com": ("ecr", "logs"),
    "vpc-flow-logs.amazonaws.com": ("logs",),
    "lambda.amazonaws.com": ("ec2", "logs"),
    "ecs.amazonaws.com": ("elasticloadbalancing",),
}


@dataclass(frozen=True)
class RoleCheck:
    """One action AWS's policy for a service role grants, on one resource of the stack."""

    principal: str
    role: str
    #: `<policy name> <Sid>` (or the user guide's URL) that grants it.
    granted_by: str
    request: Request

    @property
    def cfn_type(self) -> str:
        """What `Unneeded.cfn_type` globs over for service roles: `<principal> <granted by>`."""
        return f"{self.principal} {self.granted_by}"

    def __str__(self) -> str:
        return f"{self.request.action} ({self.granted_by}, role {self.role} of {self.principal}) on {self.request.resource}"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def aws_role_statements(principal: str) -> list[tuple[str, list[str], list[str]]]:
    """(granted by, actions, resource globs) of what AWS publishes for `principal`'s role."""
    spec = SERVICE_ROLE_POLICIES[principal]
    out: list[tuple[str, list[str], list[str]]] = []
    for name in spec.managed:
        for stmt in managed_policies()["policies"][name]["document"]["Statement"]:
            if stmt["Effect"] == "Allow" and "Action" in stmt:
                out.append(
                    (
                        f"{name} {stmt.get('Sid', '')}".strip(),
                        _as_list(stmt["Action"]),
                        _as_list(stmt["Resource"]),
                    )
                )
    if spec.documented_actions:
        out.append((spec.documented_url, list(spec.documented_actions), ["*"]))
    return out


class ServiceRoles:
    """The roles the program creates for AWS services, and what each acts on in this stack."""

    def __init__(self, stack: Stack) -> None:
        self.s = stack
        d = stack.d
        region, copy_region = REGION, stack.proof.config.database.backup.copy_region
        self.roles: list[tuple[str, DeclaredResource]] = []
        executions = {
            str(t.inputs["executionRoleArn"]) for t in d.of_type("aws:ecs/taskDefinition:TaskDefinition")
        }
        for role in d.of_type("aws:iam/role:Role"):
            for principal in stack.trust_services(role):
                if principal == "ecs-tasks.amazonaws.com" and role.outputs["arn"] not in executions:
                    continue  # task roles: the application's own permissions, no AWS policy
                if principal in SERVICE_ROLE_POLICIES:
                    self.roles.append((principal, role))
        keys = [str(k.outputs["arn"]) for k in d.of_type("aws:kms/key:Key")]
        vaults = [str(v.outputs["arn"]) for v in d.of_type("aws:backup/vault:Vault")]
        clusters = [str(c.outputs["arn"]) for c in d.of_type("aws:rds/cluster:Cluster")]
        account = ACCOUNT_ID
        snapshots = [
            f"arn:aws:rds:{r}:{account}:cluster-snapshot:awsbackup:job-x" for r in (region, copy_region)
        ]
        groups = [
            str(g.outputs["arn"]).removesuffix(":*") for g in d.of_type("aws:cloudwatch/logGroup:LogGroup")
        ]
        rds_os = f"arn:aws:logs:{region}:{account}:log-group:RDSOSMetrics"
        subnets = [str(n.outputs["arn"]) for n in d.of_type("aws:ec2/subnet:Subnet")]
        groups_sg = [str(g.outputs["arn"]) for g in d.of_type("aws:ec2/securityGroup:SecurityGroup")]
        eni = f"arn:aws:ec2:{region}:{account}:network-interface/eni-x"
        elb = [
            str(r.outputs["arn"])
            for t in (
                "aws:lb/targetGroup:TargetGroup",
                "aws:lb/listener:Listener",
                "aws:lb/listenerRule:ListenerRule",
            )
            for r in d.of_type(t)
        ]
        repos = [f"arn:aws:ecr:{region}:{account}:repository/{r}" for r in IMAGE_REPOSITORIES.values()]
        #: What each principal's role acts on here: AWS names the recovery points (awsbackup:job-*)
        #: and the enhanced-monitoring log group (RDSOSMetrics).
        instances = [str(i.outputs["arn"]) for i in d.of_type("aws:rds/clusterInstance:ClusterInstance")]
        self.pool: dict[str, list[str]] = {
            "backup.amazonaws.com": [*clusters, *instances, *snapshots, *vaults, *keys],
            "monitoring.rds.amazonaws.com": [rds_os, f"{rds_os}:log-stream:db-x"],
            "ecs-tasks.amazonaws.com": [*repos, *(f"{g}:log-stream:x" for g in groups if "/ecs/" in g)],
            "vpc-flow-logs.amazonaws.com": [
                *(g for g in groups if "flow-logs" in g),
                *(f"{g}:log-stream:eni-x" for g in groups if "flow-logs" in g),
            ],
            "lambda.amazonaws.com": [
                *(g for g in groups if "/aws/lambda/" in g),
                *(f"{g}:log-stream:x" for g in groups if "/aws/lambda/" in g),
                eni,
                *subnets,
                *groups_sg,
            ],
            "ecs.amazonaws.com": elb,
        }

    def checks(self) -> list[RoleCheck]:
        out: list[RoleCheck] = []
        for principal, role in self.roles:
            uses = SERVICE_ROLE_USES[principal]
            arn = str(role.outputs["arn"])
            for granted_by, actions, resources in aws_role_statements(principal):
                for action in actions:
                    if action.split(":", maxsplit=1)[0] not in uses:
                        continue
                    for target in self.targets(principal, action, resources):
                        context = context_for(
                            resource_tags=self.s.tags_of(target) or None, extra={"aws:PrincipalArn": arn}
                        )
                        out.append(
                            RoleCheck(principal, role.name, granted_by, Request(action, target, context))
                        )
        return out

    def targets(self, principal: str, action: str, resources: list[str]) -> list[str]:
        """The stack's resources the action is granted on: in the policy's Resource and of a type
        the SAR authorizes it on; `*` for an action without resource types."""
        sar = sar_action(action)
        formats = [fmt for _name, _req, fmt in (sar.resources if sar else ()) if fmt]
        if not formats:
            return ["*"]
        hits = [
            a
            for a in self.pool[principal]
            if any(fnmatchcase(a, r) for r in resources)
            and any(fnmatchcase(a, sar_glob(f)) for f in formats if "${Vendor}" not in f)
        ]
        if not hits and any("${Vendor}" in f for f in formats):
            # A recovery point's ARN is the backed-up service's: here, Aurora's cluster snapshots.
            hits = [a for a in self.pool[principal] if ":cluster-snapshot:" in a]
        return hits or ["*"]


def judge_roles(
    checks: Iterable[RoleCheck], boundary: Mapping[str, Any], exceptions: tuple[Unneeded, ...], stack: str
) -> tuple[list[str], dict[Unneeded, int]]:
    """Failures (granted by AWS's policy, used here, refused by the boundary, not excepted)."""
    failures: list[str] = []
    used = dict.fromkeys(exceptions, 0)
    for check in checks:
        decision = evaluate([boundary], check.request)
        if decision.verdict == "allowed":
            continue
        rule = next((e for e in exceptions if e.matches(check.request, check.cfn_type, stack)), None)
        if rule is not None:
            used[rule] += 1
            continue
        failures.append(f"{check}: {decision.verdict} by the boundary ({decision.reason})")
    return failures, used


#: What AWS's policies grant a service role that the boundary deliberately refuses here.
_BACKUP = "backup.amazonaws.com AWSBackupServiceRolePolicyFor"
# fmt: off
ROLE_UNNEEDED: tuple[Unneeded, ...] = (
    Unneeded("rds:*DBSnapshot*", f"{_BACKUP}Backup *", f"{_UNUSED} RDS instance snapshots: the stack backs up an Aurora cluster (cluster snapshots)"),
    Unneeded("rds:*DBInstanceAutomatedBackup", f"{_BACKUP}Backup *", f"{_UNUSED} RDS instance automated backups (Aurora cluster only)"),
    Unneeded("rds:*Tags*", f"{_BACKUP}Backup *", f"{_UNUSED} tags of RDS instances (instance backups); the cluster's and its snapshots' are granted", "*:db:*"),
    Unneeded("rds:ModifyDBInstance", f"{_BACKUP}Backup *", f"{_UNUSED} RDS instance continuous backup (Aurora cluster only)"),
    Unneeded("rds:ModifyDBCluster", f"{_BACKUP}Backup *", f"{_UNUSED} continuous backup (PITR rules): the plan takes snapshots"),
    Unneeded("rds:*DBClusterAutomatedBackup*", f"{_BACKUP}Backup *", f"{_UNUSED} continuous backup (PITR rules): the plan takes snapshots"),
    Unneeded("elasticloadbalancing:ModifyListener", "ecs.amazonaws.com *NLBModifyListeners", f"{_UNUSED} NLB listeners: the ALB's canary shifts through listener rules"),
    Unneeded("*", f"{_BACKUP}Restores *", "restores: an operator calls RDS directly into a new cluster (docs/restore.md); the boundary keeps this role to backups and copies"),
)
# fmt: on

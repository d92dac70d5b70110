"""The roles judged against what AWS publishes (both stacks; the proof's one deploy per stack, no other).

- the deploy role allows every create/update/delete action AWS's CloudFormation handlers list for
  each declared type, on the stack's own resources, except `DEPLOY_UNNEEDED`;
- the permissions boundary allows every program-created service role what AWS's policy for that
  service grants and the stack uses, except `ROLE_UNNEEDED`;
- taking any one action out of a deploy-role statement makes these (or the proof) fail, naming it;
- the hand-kept provider-call table adds to AWS's lists only what they lack (`PROVIDER_ONLY`).
"""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

import pytest

from arbiter_tools.api_calls import PROVIDER_CALLS, provider_authorizations
from arbiter_tools.aws_published import (
    CFN_EQUIVALENTS,
    SCHEMAS_WITHOUT_HANDLERS,
    SERVICE_ROLE_POLICIES,
    cfn_actions,
    handler_permissions,
    managed_policies,
)
from arbiter_tools.iam_eval import Request, evaluate
from arbiter_tools.runtime import Deployment
from components import deploy_grants
from tests.tooling.iam_proof import published
from tests.tooling.iam_proof.proof import ADMIN_ONLY, Proof
from tests.tooling.iam_proof.published import (
    DEPLOY_UNNEEDED,
    ROLE_UNNEEDED,
    Check,
    ServiceRoles,
    Stack,
    judge_checks,
    judge_roles,
)

pytestmark = pytest.mark.moto


@pytest.fixture(scope="package")
def stack(proof: Proof) -> Stack:
    return Stack(proof)


@pytest.fixture(scope="package")
def checks(stack: Stack) -> list[Check]:
    return stack.deploy_checks()


# ---- the data ----------------------------------------------------------------------------------------


def test_the_data_covers_every_declared_type_with_its_source(
    staging: Deployment, prod: Deployment, account: Deployment
) -> None:
    data = handler_permissions()
    assert data["source"]["repository"] == "pulumi/pulumi-aws-native"
    assert len(data["source"]["commit"]) == 40 and data["source"]["date"].startswith("20")
    declared = {
        r.type
        for d in (staging, prod, account)
        for r in d.resources
        if r.custom and r.type.startswith("aws:")
    }
    unmapped = declared - set(data["types"])
    assert not unmapped, f"run scripts/refresh_aws_permissions.py: no AWS data for {sorted(unmapped)}"
    for t in declared:
        entry = data["types"][t]
        assert entry["cfn_types"] == list(CFN_EQUIVALENTS[t].types), t  # the mapping changed: refresh
        assert entry["cfn_types"] or entry["note"], t  # no CloudFormation type: say why
        for cfn_type in entry["cfn_types"]:
            published_any = any(data["cfn"][cfn_type]["handlers"].values())
            assert published_any != (cfn_type in SCHEMAS_WITHOUT_HANDLERS), cfn_type
    policies = managed_policies()
    assert policies["source"]["repository"] == "zoph-io/MAMIP"
    for principal, spec in SERVICE_ROLE_POLICIES.items():
        for name in spec.managed:
            assert policies["policies"][name]["document"]["Statement"], (principal, name)
        assert spec.managed or spec.documented_url.startswith("https://docs.aws.amazon.com/"), principal


def test_a_property_type_is_checked_with_its_declared_owner(stack: Stack) -> None:
    """`aws.iam.RolePolicyAttachment` is AWS::IAM::Role's ManagedPolicyArns: a Role is declared too."""
    declared = {
        t
        for r in stack.resources
        for t in CFN_EQUIVALENTS[r.type].types
        if not CFN_EQUIVALENTS[r.type].property
    }
    for r in stack.resources:
        eq = CFN_EQUIVALENTS[r.type]
        if eq.property:
            assert set(eq.types) <= declared, (r.type, eq.types)


def test_every_exception_names_an_action_aws_lists() -> None:
    """No stale line: each exception matches an action AWS lists for a declared type (or role)."""
    listed = [
        (action, by.split(" ")[0])
        for t in handler_permissions()["types"]
        for action, by in cfn_actions(t).items()
    ]
    for e in DEPLOY_UNNEEDED:
        assert any(
            fnmatchcase(a.lower(), e.action.lower()) and fnmatchcase(c, e.cfn_type) for a, c in listed
        ), e
    granted = [
        (action, f"{principal} {by}")
        for principal in SERVICE_ROLE_POLICIES
        for by, actions, _ in published.aws_role_statements(principal)
        for action in actions
    ]
    for e in ROLE_UNNEEDED:
        assert any(
            fnmatchcase(a.lower(), e.action.lower()) and fnmatchcase(c, e.cfn_type) for a, c in granted
        ), e


# ---- the deploy role ---------------------------------------------------------------------------------


def test_deploy_role_allows_every_action_aws_lists_for_each_declared_type(
    proof: Proof, checks: list[Check]
) -> None:
    failures, _ = judge_checks(checks, proof.policies("deploy"), DEPLOY_UNNEEDED, proof.stack)
    assert failures == []
    judged = {c.pulumi_type for c in checks}
    assert "aws:backup/vault:Vault" in judged and "aws:rds/cluster:Cluster" in judged
    assert len(checks) > 1500


def test_the_backup_vault_needs_what_aws_lists_for_create_backup_vault(
    proof: Proof, checks: list[Check]
) -> None:
    """CreateBackupVault with a CMK: AWS lists kms:RetireGrant with CreateGrant, DescribeKey,
    Decrypt, GenerateDataKey (CI could not create a vault without it)."""
    vault = [
        c for c in checks if c.pulumi_type == "aws:backup/vault:Vault" and c.request.action.startswith("kms:")
    ]
    assert {c.request.action for c in vault} >= {
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:RetireGrant",
    }
    policies = proof.policies("deploy")
    assert all(evaluate(policies, c.request).verdict == "allowed" for c in vault), [str(c) for c in vault]
    # ... on the copy region's key too.
    assert {c.request.resource.split(":")[3] for c in vault if c.request.resource != "*"} == {
        "us-east-1",
        proof.config.database.backup.copy_region,
    }


def test_an_action_in_neither_the_grants_nor_the_table_fails_with_its_name_and_type(
    proof: Proof, checks: list[Check]
) -> None:
    policies = copy.deepcopy(proof.policies("deploy"))
    for doc in policies:
        for stmt in doc["Statement"]:
            stmt["Action"] = [a for a in stmt["Action"] if a != "kms:RetireGrant"]
    failures, _ = judge_checks(checks, policies, DEPLOY_UNNEEDED, proof.stack)
    vault = [f for f in failures if "(AWS::Backup::BackupVault create, aws:backup/vault:Vault" in f]
    assert vault and all(f.startswith("kms:RetireGrant ") for f in vault), failures


# ---- any one action taken out of a deploy-role document ----------------------------------------------


def _requests(proof: Proof, checks: list[Check]) -> list[tuple[str, Request]]:
    """Every request of the published checks and of the proof, with the type it was made for."""
    out = [
        (f"{c.pulumi_type} ({c.listed_by})", c.request)
        for c in checks
        if not published.admin_only(c, proof.stack)
    ]
    auths = proof.authorizations + [
        a
        for writes in (False, True)
        for a in provider_authorizations(proof.deployment.resources, proof.authorizer, writes=writes)
    ]
    admin = [a for a in auths if any(e.matches(a, proof.stack) for e in ADMIN_ONLY)]
    out += [
        (a.call.resource.split(" ")[0], Request(a.action, a.resource, a.context))
        for a in auths
        if a not in admin
    ]
    return out


#: Deploy-role actions no deploy of the stack exercises, so no deploy check can miss them: what the
#: deploy job does besides `pulumi up` (state backend, image check, rollout wait) and a second way
#: to one end. Everything else granted must be needed by AWS's lists or the recorded deploy.
NOT_A_DEPLOY_CALL: dict[str, str] = {
    "StateBucketList": "the Pulumi S3 backend (docs/state.md)",
    "StateReadBackendMeta": "the Pulumi S3 backend (docs/state.md)",
    "StateThisStackOnly": "the Pulumi S3 backend (docs/state.md)",
    "SecretsProviderKey": "the awskms:// secrets provider",
    "EcrReadRepositories": "the deploy's image-tag check before pulumi up",
}


def test_taking_any_action_out_of_a_deploy_statement_fails_naming_it(
    proof: Proof, checks: list[Check]
) -> None:
    """For every (statement, action) of the deploy role: a request allowed by that statement alone
    exists, and with the action taken out of it that request fails, naming the action and the type."""
    policies = proof.policies("deploy")
    witnesses: dict[tuple[str, str], tuple[str, Request]] = {}
    for made_for, request in _requests(proof, checks):
        decision = evaluate(policies, request)
        if decision.verdict == "allowed" and ", " not in decision.reason:
            witnesses.setdefault((decision.reason, request.action.lower()), (made_for, request))
    unwitnessed: list[str] = []
    for d, doc in enumerate(policies):
        for s, stmt in enumerate(doc["Statement"]):
            if stmt["Effect"] != "Allow" or stmt["Sid"] in NOT_A_DEPLOY_CALL:
                continue
            for action in stmt["Action"]:
                witness = witnesses.get((stmt["Sid"], action.lower()))
                if witness is None:
                    unwitnessed.append(f"{stmt['Sid']} {action}")
                    continue
                made_for, request = witness
                mutated: list[dict[str, Any]] = copy.deepcopy(policies)
                mutated[d]["Statement"][s]["Action"] = [a for a in stmt["Action"] if a != action]
                decision = evaluate(mutated, request)
                failure = f"{request.action} for {made_for} on {request.resource}: {decision.verdict}"
                assert decision.verdict != "allowed", failure
                assert action in failure and made_for.split(" ")[0] in failure
    listed = {f"{sid} {a}" for sid, (_why, actions) in UNWITNESSED.items() for a in actions}
    assert sorted(set(unwitnessed) - listed) == []


#: Granted actions (by statement) that neither AWS's lists nor the recorded deploy of this stack
#: exercise alone, so taking one out fails no check here: each a gap of the data or the proof, or a
#: grant to review. Adding a grant outside AWS's lists and the proof fails the test above.
# fmt: off
UNWITNESSED: dict[str, tuple[str, tuple[str, ...]]] = {
    "AcmImportTaggedForThisStack": ("staging imports its certificate; prod names an issued one", ("acm:AddTagsToCertificate", "acm:ImportCertificate")),
    "AcmOwnCertificates": ("staging imports its certificate; prod names an issued one", ("acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:DescribeCertificate", "acm:GetCertificate", "acm:ImportCertificate", "acm:ListTagsForCertificate", "acm:RemoveTagsFromCertificate")),
    "AuroraDefaultOptionGroup": ("the provider modifies an instance: moto records the call on the instance only", ("rds:ModifyDBInstance",)),
    "AuroraManagedMasterSecret": ("RDS deletes/describes its rds!cluster secret with the caller's permissions on cluster delete: no deploy deletes", ("secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret")),
    "AuroraOwnCluster": ("review: DB (instance) parameter groups are not declared; the instances use the default", ("rds:CreateDBParameterGroup", "rds:DeleteDBParameterGroup", "rds:DescribeDBParameters", "rds:ModifyDBParameterGroup")),
    "BackupOwnVaults": ("vault tags are also allowed by BackupOwnPlans (tag-scoped): two statements grant them", ("backup:ListTags", "backup:TagResource", "backup:UntagResource")),
    "CloudMapChangeOwn": ("deleting the namespace: no deploy deletes", ("servicediscovery:DeleteNamespace",)),
    "CloudMapHostedZone": ("Cloud Map deletes the namespace's zone (and waits on the change) with the caller's permissions: not recorded by moto", ("route53:DeleteHostedZone", "route53:GetChange")),
    "CloudMapReads": ("Cloud Map's own lookups while creating the namespace (not recorded by moto)", ("servicediscovery:ListNamespaces",)),
    "CloudWatchReads": ("dashboard listing by the provider's import path", ("cloudwatch:ListDashboards",)),
    "CloudWatchTargetTrackingAlarms": ("Application Auto Scaling deletes its alarms when a policy goes: no deploy deletes", ("cloudwatch:DeleteAlarms",)),
    "Ec2ChangeOwnNetwork": ("prod only declares the VPC endpoints", ("ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint")),
    "Ec2CreateInOwnNetwork": ("prod only declares the VPC endpoints", ("ec2:CreateVpcEndpoint",)),
    "Ec2CreateTaggedForThisStack": ("prod only declares the VPC endpoints", ("ec2:CreateVpcEndpoint",)),
    "Ec2Reads": ("the provider's endpoint and prefix-list lookups (prod's endpoints)", ("ec2:DescribePrefixLists", "ec2:DescribeVpcEndpointServices", "ec2:DescribeVpcEndpoints")),
    "EcsOwnClusterServicesTasks": ("the deploy job's rollout wait, after pulumi up", ("ecs:DescribeTasks",)),
    "EcsTaskDefinitionsAndCluster": ("the deploy job's rollback lookups, after pulumi up", ("ecs:ListClusters", "ecs:ListTaskDefinitions")),
    "ElbReads": ("the provider validates the listener's SSL policy (not recorded by moto)", ("elasticloadbalancing:DescribeSSLPolicies",)),
    "IamOwnPolicies": ("review: the stack's only customer-managed policies are the CI ones (admin-only)", ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")),
    "IamReadOwnRoles": ("the provider lists a role's instance profiles before deleting it: no deploy deletes", ("iam:ListInstanceProfilesForRole",)),
    "IamPassTrafficShiftRoleToEcs": ("staging rolls: only prod's web-api canary passes the ECS traffic-shift role", ("iam:PassRole",)),
    "KmsBackupCopyAlias": ("the alias's key side is also allowed by KmsUseAndManageStackKey", ("kms:DeleteAlias",)),
    "KmsReads": ("the provider's key lookups (not recorded by moto)", ("kms:ListKeys",)),
    "KmsStackAlias": ("the alias's key side is also allowed by KmsUseAndManageStackKey", ("kms:DeleteAlias",)),
    "KmsUseAndManageStackKey": ("review: re-encryption is the services' (through grants), not CI's", ("kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")),
    "LambdaOwnFunctions": ("the provider lists the function's versions on read (lambda/function.go); moto records none", ("lambda:ListVersionsByFunction",)),
    "LogsOwnGroups": ("the deploy job reads a failed rollout's logs; the legacy tag calls of older providers", ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:ListTagsLogGroup", "logs:TagLogGroup", "logs:UntagLogGroup")),
    "RdsReads": ("the provider's engine lookups (not recorded by moto)", ("rds:DescribeOrderableDBInstanceOptions",)),
    "RedisReads": ("the provider's engine lookups (not recorded by moto)", ("elasticache:DescribeCacheEngineVersions",)),
    "SecretsOwnContainers": ("review: no secret declares a resource policy", ("secretsmanager:DeleteResourcePolicy", "secretsmanager:PutResourcePolicy")),
    "SecretsReads": ("the provider's secret listing (not recorded by moto)", ("secretsmanager:ListSecrets",)),
    "SnsReads": ("the provider's topic listing (not recorded by moto)", ("sns:ListTopics",)),
    "SnsSubscriptionsUnscopable": ("subscription refresh on Resource * (also allowed by a second statement)", ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes")),
}
# fmt: on


def test_the_unwitnessed_table_names_granted_actions() -> None:
    granted = {(g.sid, a) for g in deploy_grants.GRANTS if g.effect == "Allow" for a in g.actions}
    for sid, (why, actions) in UNWITNESSED.items():
        assert why and all((sid, a) in granted for a in actions), sid


# ---- service roles -----------------------------------------------------------------------------------


def test_every_service_role_the_program_creates_has_aws_data(stack: Stack) -> None:
    roles = ServiceRoles(stack)
    trusted = {
        principal for role in stack.d.of_type("aws:iam/role:Role") for principal in stack.trust_services(role)
    }
    assert trusted <= set(SERVICE_ROLE_POLICIES), sorted(trusted - set(SERVICE_ROLE_POLICIES))
    assert {p for p, _ in roles.roles} == trusted


def test_the_boundary_allows_what_aws_grants_each_service_role_the_stack_uses(
    proof: Proof, stack: Stack
) -> None:
    checks = ServiceRoles(stack).checks()
    failures, _ = judge_roles(checks, proof.boundary, ROLE_UNNEEDED, proof.stack)
    assert failures == []
    copies = {c.request.action for c in checks if c.principal == "backup.amazonaws.com"}
    assert {"backup:CopyFromBackupVault", "backup:CopyIntoBackupVault", "rds:CopyDBClusterSnapshot"} <= copies


def test_the_backup_role_can_copy_across_regions(proof: Proof, stack: Stack) -> None:
    """AWSBackupServiceRolePolicyForBackup: copy from the source recovery point, into the copy
    vault, the snapshot copy and its KMS key in both regions."""
    checks = [c for c in ServiceRoles(stack).checks() if c.principal == "backup.amazonaws.com"]
    copy_region = proof.config.database.backup.copy_region
    wanted = {
        ("backup:CopyFromBackupVault", "us-east-1"),
        ("backup:CopyIntoBackupVault", copy_region),
        ("rds:CopyDBClusterSnapshot", copy_region),
        ("kms:CreateGrant", copy_region),
        ("kms:DescribeKey", "us-east-1"),
        ("kms:DescribeKey", copy_region),
    }

    def region(c: published.RoleCheck) -> str:
        parts = c.request.resource.split(":")
        return parts[3] if len(parts) > 3 else "*"

    seen = {(c.request.action, region(c)) for c in checks}
    assert wanted <= seen, wanted - seen
    for c in checks:
        if (c.request.action, region(c)) in wanted:
            assert evaluate([proof.boundary], c.request).verdict == "allowed", str(c)


# ---- the provider-call table against AWS's lists -----------------------------------------------------


#: Provider calls AWS's CloudFormation lists lack for a type, and why the table keeps them.
_DSG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
_SGI = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_SGE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
_NS = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
_TAGS_NOT_IN_CFN = "CloudFormation's type takes no Tags; the provider tags the resource"
# fmt: off
PROVIDER_ONLY: dict[tuple[str, str], str] = {
    (_DSG, "ec2:CreateTags"): "no CloudFormation type (the VPC's default group is adopted); the provider tags it",
    (_DSG, "ec2:DeleteTags"): "no CloudFormation type (the VPC's default group is adopted); the provider tags it",
    (_SGI, "ec2:ModifySecurityGroupRules"): "the provider updates a rule in place; CloudFormation replaces it",
    (_SGE, "ec2:ModifySecurityGroupRules"): "the provider updates a rule in place; CloudFormation replaces it",
    (_SGI, "ec2:CreateTags"): _TAGS_NOT_IN_CFN,
    (_SGI, "ec2:DeleteTags"): _TAGS_NOT_IN_CFN,
    (_SGE, "ec2:CreateTags"): _TAGS_NOT_IN_CFN,
    (_SGE, "ec2:DeleteTags"): _TAGS_NOT_IN_CFN,
    ("aws:iam/policy:Policy", "iam:TagPolicy"): _TAGS_NOT_IN_CFN,
    ("aws:appautoscaling/target:Target", "application-autoscaling:TagResource"): _TAGS_NOT_IN_CFN,
    ("aws:appautoscaling/target:Target", "application-autoscaling:UntagResource"): _TAGS_NOT_IN_CFN,
    ("aws:secretsmanager/secretVersion:SecretVersion", "secretsmanager:PutSecretValue"): "a value is a new version (PutSecretValue); CloudFormation's Secret rewrites it with UpdateSecret",
    ("aws:acm/certificate:Certificate", "acm:ImportCertificate"): "the stack imports (and re-imports on renewal); CloudFormation's type only requests",
    ("aws:lambda/invocation:Invocation", "lambda:InvokeFunction"): "no CloudFormation type: the provider invokes the function on create and on each change of its input",
    (_NS, "servicediscovery:UpdatePrivateDnsNamespace"): "AWS data not available: the namespace's schema publishes no handlers",
    (_NS, "servicediscovery:TagResource"): "AWS data not available: the namespace's schema publishes no handlers",
    (_NS, "servicediscovery:UntagResource"): "AWS data not available: the namespace's schema publishes no handlers",
}
# fmt: on


def test_the_provider_table_adds_only_what_aws_lists_lack() -> None:
    """Every provider write for a type is in AWS's handler lists for it, or in `PROVIDER_ONLY`."""
    missing: list[str] = []
    for t, calls in PROVIDER_CALLS.items():
        if t not in handler_permissions()["types"]:
            continue
        aws = {a.lower() for a in cfn_actions(t, ("create", "read", "update", "delete", "list"))}
        for action, _ in calls.writes:
            if action.lower() not in aws and (t, action) not in PROVIDER_ONLY:
                missing.append(f"{t}: {action}")
    assert missing == []
    for (t, action), reason in PROVIDER_ONLY.items():
        assert action in {a for a, _ in PROVIDER_CALLS[t].writes} and reason, (t, action)
        assert action.lower() not in {
            a.lower() for a in cfn_actions(t, ("create", "read", "update", "delete", "list"))
        }

"""AWS Backup of Aurora: vaults in two regions, locked vault policies, the daily plan and its selection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_infra.iam import globs_overlap
from arbiter_tools.iam_eval import Request, evaluate, evaluate_with_resource_policy
from arbiter_tools.runtime import ACCOUNT_ID, REGION, DeclaredResource, Deployment, run_program
from components.backup import BACKUP_POLICY_ARNS, PROTECTED_ACTIONS, schedule
from tests.conftest import stack_sections, write_project

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
COPY_REGION = "us-west-2"


def _vaults(d: Deployment) -> dict[str, DeclaredResource]:
    return {v.inputs["name"]: v for v in d.of_type(VAULT)}


def _provider_region(d: Deployment, r: DeclaredResource) -> str:
    [provider] = [p for p in d.of_type("pulumi:providers:aws") if p.urn == r.provider]
    return str(provider.inputs["region"])


def test_primary_vault_uses_the_stack_key_and_the_copy_vault_a_key_of_its_region(
    deployment: Deployment,
) -> None:
    env = deployment.stack
    vaults = _vaults(deployment)
    assert set(vaults) == {f"arbiter-{env}-backup", f"arbiter-{env}-backup-{COPY_REGION}"}
    stack_key = deployment.one("aws:kms/key:Key", f"arbiter-{env}-key-key")
    copy_key = deployment.one("aws:kms/key:Key", f"arbiter-{env}-backup-copy-key")
    primary, copy = vaults[f"arbiter-{env}-backup"], vaults[f"arbiter-{env}-backup-{COPY_REGION}"]
    assert primary.inputs["kmsKeyArn"] == stack_key.outputs["arn"]
    assert _provider_region(deployment, primary) == REGION
    # A KMS key is regional: the copy vault and its key are created in the copy region.
    assert copy.inputs["kmsKeyArn"] == copy_key.outputs["arn"]
    assert _provider_region(deployment, copy) == _provider_region(deployment, copy_key) == COPY_REGION
    assert copy_key.inputs["enableKeyRotation"] is True
    # The copy-region provider repeats the account guard and default tags of the stack's.
    [copy_provider] = [p for p in deployment.of_type("pulumi:providers:aws") if p.urn == copy.provider]
    allowed = copy_provider.inputs["allowedAccountIds"]
    assert (json.loads(allowed) if isinstance(allowed, str) else allowed) == [ACCOUNT_ID]
    tags = copy_provider.inputs["defaultTags"]
    tags = json.loads(tags) if isinstance(tags, str) else tags
    assert tags["tags"]["Environment"] == env


def test_prod_vaults_and_copy_key_are_protected(prod: Deployment) -> None:
    assert all(v.protect for v in prod.of_type(VAULT))
    assert prod.one("aws:kms/key:Key", "arbiter-prod-backup-copy-key").protect


def _explicitly_denied(policy: dict[str, Any], action: str, principal: str, vault_arn: str) -> bool:
    """Whether the vault policy itself refuses (identity policies decide the rest).

    Its one statement names `Principal: *` (asserted by the caller), i.e. applies to every caller;
    the evaluator judges identity policies, so the statement is evaluated without it.
    """
    statements = [{k: v for k, v in st.items() if k != "Principal"} for st in policy["Statement"]]
    decision = evaluate(
        [{**policy, "Statement": statements}], Request(action, vault_arn, {"aws:PrincipalArn": principal})
    )
    return decision.reason.startswith("explicit deny")


def test_vault_policies_let_only_an_administrator_delete_or_shorten_recovery_points(
    deployment: Deployment,
) -> None:
    env = deployment.stack
    vault_arns = {v.inputs["name"]: v.outputs["arn"] for v in deployment.of_type(VAULT)}
    policies = {
        p.inputs["backupVaultName"]: json.loads(p.inputs["policy"]) for p in deployment.of_type(VAULT_POLICY)
    }
    assert set(policies) == set(vault_arns)
    deploy_role = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{env}-deploy"
    admin = f"arn:aws:iam::{ACCOUNT_ID}:role/AdminAccess"
    # IAM Identity Center's roles: under aws-reserved/sso.amazonaws.com/, with or without a region.
    sso_admin = (
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/us-east-1/"
        "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    )
    for name, policy in policies.items():
        [statement] = policy["Statement"]
        # In a vault access policy, * is the vault and its recovery points.
        assert statement["Effect"] == "Deny" and statement["Resource"] == ["*"]
        assert statement["Principal"] == {"AWS": "*"}
        assert set(statement["Action"]) == set(PROTECTED_ACTIONS)
        condition = statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        patterns = stack_sections(env)["database"]["backup"]["adminRolePatterns"]
        assert condition == [p.format(account=ACCOUNT_ID) for p in patterns]
        point = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster-snapshot:awsbackup:job-1"
        for action in PROTECTED_ACTIONS:
            for resource in (vault_arns[name], point):
                assert _explicitly_denied(policy, action, deploy_role, resource), action
                assert not _explicitly_denied(policy, action, admin, resource), action
                assert not _explicitly_denied(policy, action, sso_admin, resource), action
        assert not _explicitly_denied(policy, "backup:StartBackupJob", deploy_role, vault_arns[name])


#: Each call that removes or weakens a vault's protection (spelled out, not PROTECTED_ACTIONS: the
#: test must fail if that tuple loses one).
WAYS_AROUND = (
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DeleteRecoveryPoint",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:UpdateRecoveryPointLifecycle",
)


def _ci_policies(d: Deployment, kind: str) -> list[dict[str, Any]]:
    return [
        json.loads(p.inputs["policy"])
        for p in d.of_type("aws:iam/policy:Policy")
        if p.inputs["name"].startswith(f"arbiter-{d.stack}-{kind}-")
    ]


@pytest.mark.parametrize("kind", ["deploy", "preview"])
def test_no_ci_role_has_a_way_around_the_vault_policy(deployment: Deployment, kind: str) -> None:
    """Neither CI role may delete or replace a vault's policy or lock, delete the vault, or delete
    or shorten a recovery point: denied by the vault policy and, for deletes, by the role itself
    (so also on a vault whose policy is not there yet); nor can CI create an administrator."""
    env = deployment.stack
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/arbiter-{env}-{kind}"
    identity = _ci_policies(deployment, kind)
    assert identity
    policies = {
        p.inputs["backupVaultName"]: json.loads(p.inputs["policy"]) for p in deployment.of_type(VAULT_POLICY)
    }
    point = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster-snapshot:awsbackup:job-1"
    deletes = [a for a in WAYS_AROUND if not a.startswith("backup:Put")]
    for vault in deployment.of_type(VAULT):
        for action in WAYS_AROUND:
            for resource in (vault.outputs["arn"], point):
                request = Request(action, resource)
                decision = evaluate_with_resource_policy(
                    identity, policies[vault.inputs["name"]], role, request
                )
                assert decision.verdict == "denied", (action, decision)
                if action in deletes:
                    assert evaluate(identity, request).verdict == "denied", action
    # The way around the vault policy's ArnNotLike: a role CI creates that an admin pattern matches.
    patterns = [
        p.format(account=ACCOUNT_ID) for p in stack_sections(env)["database"]["backup"]["adminRolePatterns"]
    ]
    creatable = [
        resource
        for doc in identity
        for st in doc["Statement"]
        if st["Effect"] == "Allow" and {"iam:CreateRole", "iam:UpdateAssumeRolePolicy"} & set(st["Action"])
        for resource in st["Resource"]
    ]
    assert kind == "preview" or creatable
    for resource in [*creatable, role]:
        assert not any(globs_overlap(p.lower(), resource.lower()) for p in patterns), resource


def test_only_prod_vaults_are_locked_to_the_plans_retention(deployment: Deployment) -> None:
    env = deployment.stack
    cfg = stack_sections(env)["database"]["backup"]
    locks = {lk.inputs["backupVaultName"]: lk for lk in deployment.of_type(VAULT_LOCK)}
    if env == "staging":
        assert cfg["vaultLock"] == "none" and locks == {}
        return
    assert cfg["vaultLock"] == "governance"
    retention = {
        f"arbiter-{env}-backup": cfg["retentionDays"],
        f"arbiter-{env}-backup-{COPY_REGION}": cfg["copyRetentionDays"],
    }
    assert {n: (lk.inputs["minRetentionDays"], lk.inputs["maxRetentionDays"]) for n, lk in locks.items()} == {
        n: (days, days) for n, days in retention.items()
    }
    assert all(
        lk.protect and lk.delete_before_replace and "changeableForDays" not in lk.inputs
        for lk in locks.values()
    )


def test_daily_plan_keeps_at_least_seven_days_and_copies_to_the_other_region(deployment: Deployment) -> None:
    env = deployment.stack
    cfg = stack_sections(env)["database"]["backup"]
    [plan] = deployment.of_type(PLAN)
    [rule] = plan.inputs["rules"]
    assert rule["targetVaultName"] == f"arbiter-{env}-backup"
    assert rule["schedule"] == schedule(4) == "cron(0 4 * * ? *)"
    assert rule["lifecycle"]["deleteAfter"] == cfg["retentionDays"] >= 7
    [copy] = rule["copyActions"]
    copy_vault = _vaults(deployment)[f"arbiter-{env}-backup-{COPY_REGION}"]
    assert copy["destinationVaultArn"] == copy_vault.outputs["arn"]
    assert copy["destinationVaultArn"].split(":")[3] == COPY_REGION
    assert copy["lifecycle"]["deleteAfter"] == cfg["copyRetentionDays"] >= 7


def test_prod_keeps_fourteen_days_by_default(prod: Deployment) -> None:
    [plan] = prod.of_type(PLAN)
    assert plan.inputs["rules"][0]["lifecycle"]["deleteAfter"] == 14


def test_selection_is_the_cluster_by_arn_with_a_bounded_backup_role(deployment: Deployment) -> None:
    env = deployment.stack
    [selection] = deployment.of_type(SELECTION)
    [plan] = deployment.of_type(PLAN)
    cluster = deployment.one("aws:rds/cluster:Cluster")
    assert selection.inputs["planId"] == plan.id
    assert selection.inputs["resources"] == [cluster.outputs["arn"]]
    role = deployment.one("aws:iam/role:Role", f"arbiter-{env}-backup-role")
    assert selection.inputs["iamRoleArn"] == role.outputs["arn"]
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT_ID}:policy/arbiter-{env}-boundary"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    attached = {
        a.inputs["policyArn"]
        for a in deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    }
    assert attached == set(BACKUP_POLICY_ARNS)


@pytest.mark.parametrize("stack", ["staging"])
def test_backup_off_creates_no_backup_resources_and_no_backup_alarms(tmp_path: Any, stack: str) -> None:
    sections = stack_sections(stack)
    sections["database"]["backup"]["enabled"] = False
    d = run_program(stack, project_dir=write_project(tmp_path, stack, sections))
    assert not any(d.of_type(t) for t in (VAULT, PLAN, SELECTION, VAULT_POLICY))
    assert not [r for r in d.of_type("pulumi:providers:aws") if r.inputs.get("region") == COPY_REGION]
    alarms = {a.inputs["name"] for a in d.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert not {n for n in alarms if "backup" in n}

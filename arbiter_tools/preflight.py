"""`arbiter-infra preflight --stack S`: what AWS would refuse on `pulumi up`, checked in seconds.

Read-only calls against the live account (standard credential chain, `AWS_ENDPOINT_URL` honoured),
one line per check: `ok`, `FAIL` (with its fix) or `skip`. Exit 0 only when nothing failed, 1 when
a check failed, 2 for bad arguments, config or credentials (one line, from the CLI).

Every check is a function of boto3 clients, so tests drive them against moto and, where moto has no
answer (IAM policy simulation, Service Quotas, ECR layer downloads), against stubbed clients.
Secret values are never read: `describe_secret` says whether a current version exists, so the
person running preflight need not be able to read the trading keys.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, TextIO

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from arbiter_infra.config import SECRET_SETS, ConfigError, ServiceConfig, StackConfig
from arbiter_tools import capacity
from arbiter_tools.bootstrap import (
    LoadedStack,
    account_mismatch,
    caller_identity,
    describe_alias_key,
    load_stack,
    session_for,
)
from arbiter_tools.command_support import aws_errors, stack_name
from arbiter_tools.runtime import read_stack_file, stack_names

Status = Literal["ok", "FAIL", "skip"]
#: What an emulator gives for an API it does not implement: moto_server an HTML error page
#: (unparseable), in-process moto NotImplementedError. AWS itself answers every call used here.
_UNANSWERED: tuple[type[Exception], ...] = (ResponseParserError, NotImplementedError)
#: (service) -> boto3 client in the stack's region; the ECR check may ask for another region.
ClientFactory = Callable[..., Any]
Fetch = Callable[[str], bytes]

FARGATE_SERVICE_CODE = "fargate"
#: "Fargate On-Demand vCPU resource count", per account and region.
FARGATE_VCPU_QUOTA_CODE = "L-3032A538"
#: AWS's documented default for that quota, used when the quota API has no value to give. New
#: accounts may start lower and are raised with usage; the API value, when there is one, wins.
FARGATE_VCPU_DEFAULT = 6.0

#: (label, AWS service principal, role name) of the service-linked roles a stack needs.
ECS_SLR = ("ECS", "ecs.amazonaws.com", "AWSServiceRoleForECS")
ELASTICACHE_SLR = ("ElastiCache", "elasticache.amazonaws.com", "AWSServiceRoleForElastiCache")
RDS_SLR = ("RDS", "rds.amazonaws.com", "AWSServiceRoleForRDS")
AUTOSCALING_SLR = (
    "Application Auto Scaling (ECS)",
    "ecs.application-autoscaling.amazonaws.com",
    "AWSServiceRoleForApplicationAutoScaling_ECSService",
)

#: ECS `cpuArchitecture` -> the OCI/Docker platform architecture an image must offer.
PLATFORM_ARCH = {"X86_64": "amd64", "ARM64": "arm64"}
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_SCHEMA1_TYPES = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)


@dataclass(frozen=True)
class Check:
    check: str
    status: Status
    detail: str
    fix: str | None = None

    def line(self) -> str:
        return f"{self.status:<4}  {self.check}: {self.detail}" + (f" -> fix: {self.fix}" if self.fix else "")


def _error(err: ClientError) -> tuple[str, str]:
    """(code, message) on one line; a server error's HTML page is not a message."""
    error = err.response.get("Error", {})
    code, message = str(error.get("Code", "Error")), " ".join(str(error.get("Message", "")).split())
    if code.isdigit() or message.startswith("<"):
        return (
            code,
            f"HTTP {err.response.get('ResponseMetadata', {}).get('HTTPStatusCode', code)} from the API",
        )
    return code, message[:200]


def _denied(check: str, call: str, err: ClientError) -> Check:
    """A call the check needs failed: say which, so the fix is a permission or the message's cause."""
    code, message = _error(err)
    return Check(
        check,
        "FAIL",
        f"{call} failed: {code}: {message}",
        f"let the caller run {call}" if "Denied" in code or "Unauthorized" in code else None,
    )


# --- account ----------------------------------------------------------------------------------


def check_account(identity: dict[str, str], config: StackConfig) -> Check:
    mismatch = account_mismatch(identity, config.name, config.account_id)
    if mismatch:
        return Check("account", "FAIL", mismatch.split(": use", 1)[0], "use that account's credentials")
    return Check("account", "ok", f"{identity['Account']} as {identity['Arn']}")


# --- certificate ------------------------------------------------------------------------------


def _misplaced_certificate(arn: str, config: StackConfig) -> Check | None:
    """An ALB can use only a certificate of its own account and region; no API call needed."""
    _, _, _, region, account, _ = arn.split(":", 5)
    if region != config.region:
        return Check(
            "certificate",
            "FAIL",
            f"{arn} is in {region}, the ALB in {config.region}: ACM certificates are regional",
            f"request or import the certificate in {config.region} and set services.certificateArn to it",
        )
    if account != config.account_id:
        return Check(
            "certificate",
            "FAIL",
            f"{arn} belongs to account {account}, the stack deploys to {config.account_id}",
            f"request or import the certificate in account {config.account_id}",
        )
    return None


def check_certificate(acm: Any, config: StackConfig) -> Check:
    """The ALB's certificate: in this account and region (ACM is regional), and ISSUED."""
    arn = config.services.certificate_arn
    if arn is None:
        return Check(
            "certificate",
            "skip",
            "services.certificateArn is not set: the stack uses a self-signed certificate "
            "(clients must trust it explicitly; set an ACM certificate for real users)",
        )
    misplaced = _misplaced_certificate(arn, config)
    if misplaced is not None:
        return misplaced
    try:
        cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as err:
        if _error(err)[0] == "ResourceNotFoundException":
            return Check(
                "certificate",
                "FAIL",
                f"{arn} does not exist",
                f"request one (aws acm request-certificate --region {config.region}) and set "
                "services.certificateArn",
            )
        return _denied("certificate", "acm:DescribeCertificate", err)
    status = cert.get("Status")
    if status != "ISSUED":
        fixes = {
            "PENDING_VALIDATION": "create the DNS validation records it lists "
            f"(aws acm describe-certificate --certificate-arn {arn}) and wait for ISSUED",
            "EXPIRED": "renew or re-import it, or point services.certificateArn at a current one",
        }
        return Check(
            "certificate",
            "FAIL",
            f"{arn} is {status}, not ISSUED: the HTTPS listener cannot use it",
            fixes.get(str(status), "request a new certificate and set services.certificateArn"),
        )
    return Check("certificate", "ok", f"{cert.get('DomainName', arn)} ISSUED in {config.region}")


# --- images -----------------------------------------------------------------------------------


def _fetch_url(url: str) -> bytes:
    """Download an ECR layer URL (pre-signed S3): only for an image's small config blob."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: bytes = resp.read(1_000_000)
        return data


def image_architectures(
    ecr: Any, registry_id: str, repo: str, tag: str, fetch: Fetch
) -> tuple[set[str] | None, str]:
    """Linux architectures the image offers, or None and why it could not be told.

    A multi-platform index lists them; a single manifest names only its config blob, whose JSON
    holds `architecture`, so that blob is downloaded (ECR gives a pre-signed URL for it).
    """
    resp = ecr.batch_get_image(
        registryId=registry_id,
        repositoryName=repo,
        imageIds=[{"imageTag": tag}],
        acceptedMediaTypes=[*_INDEX_TYPES, *_MANIFEST_TYPES, *_SCHEMA1_TYPES],
    )
    if not resp.get("images"):
        return None, "ecr:BatchGetImage returned no manifest"
    image = resp["images"][0]
    manifest = json.loads(image["imageManifest"])
    media = image.get("imageManifestMediaType") or manifest.get("mediaType", "")
    if media in _INDEX_TYPES or "manifests" in manifest:
        archs = {
            str(m["platform"]["architecture"])
            for m in manifest.get("manifests", [])
            if m.get("platform", {}).get("os") == "linux" and m["platform"].get("architecture") != "unknown"
        }
        return archs, "from the image index"
    if media in _SCHEMA1_TYPES or manifest.get("schemaVersion") == 1:
        return {str(manifest.get("architecture"))}, "from the schema-1 manifest"
    digest = manifest.get("config", {}).get("digest")
    if not digest:
        return None, "the manifest names no config blob"
    url = ecr.get_download_url_for_layer(registryId=registry_id, repositoryName=repo, layerDigest=digest)[
        "downloadUrl"
    ]
    blob = json.loads(fetch(url))
    return {str(blob.get("architecture"))}, "from the image config"


def check_image(
    ecr: Any, service: str, key: str, cfg: ServiceConfig, *, cpu_architecture: str, fetch: Fetch
) -> Check:
    """The pinned tag exists in ECR (else tasks fail to pull and the deploy rolls back)."""
    name = f"image {service}"
    registry, repo, tag = cfg.image_parts
    registry_id = registry.split(".", 1)[0]
    try:
        detail = ecr.describe_images(
            registryId=registry_id, repositoryName=repo, imageIds=[{"imageTag": tag}]
        )["imageDetails"][0]
    except ClientError as err:
        code = _error(err)[0]
        if code == "RepositoryNotFoundException":
            return Check(
                name,
                "FAIL",
                f"repository {repo} does not exist in {registry}",
                "deploy the account stack (it owns the ECR repositories), then push the image",
            )
        if code == "ImageNotFoundException":
            return Check(
                name,
                "FAIL",
                f"{cfg.image} is not in ECR (tag {tag} not in {repo})",
                f"push it (docker push {cfg.image}) or set services.{key}.image to a pushed tag",
            )
        return _denied(name, "ecr:DescribeImages", err)
    found = f"{cfg.image} ({str(detail.get('imageDigest', ''))[:19]})"
    wanted = PLATFORM_ARCH[cpu_architecture]
    try:
        archs, how = image_architectures(ecr, registry_id, repo, tag, fetch)
    except ClientError as err:
        code, message = _error(err)
        archs, how = None, f"{code}: {message}"
    except _UNANSWERED:
        archs, how = None, "the ECR API here cannot serve image manifests or layers"
    except (OSError, ValueError, KeyError) as err:
        archs, how = None, f"image config unreadable ({type(err).__name__})"
    if archs is None:
        return Check(name, "ok", f"{found}; architecture not verified ({how})")
    if wanted not in archs:
        return Check(
            name,
            "FAIL",
            f"{cfg.image} is built for {', '.join(sorted(archs))} ({how}); the tasks run "
            f"services.cpuArchitecture {cpu_architecture} ({wanted}) and would exit with 'exec format error'",
            f"build and push a linux/{wanted} image, or set services.cpuArchitecture to match",
        )
    return Check(name, "ok", f"{found}, linux/{wanted} ({how})")


# --- secrets ----------------------------------------------------------------------------------


def check_secret(sm: Any, stack: str, prefix: str, secret: str, *, paused: bool) -> Check:
    """A current value exists (values are set by an operator, never by `pulumi up`).

    `describe_secret` only (its VersionIdsToStages), never GetSecretValue. Before the first `up`
    the secret does not exist yet: that is fine only while the stack is paused (no task needs it).
    """
    name, check = f"{prefix}/{secret}", f"secret {secret}"
    set_cmd = f"arbiter-infra secrets set --stack {stack} --secret {secret}"
    try:
        described: dict[str, Any] | None = sm.describe_secret(SecretId=name)
    except ClientError as err:
        if _error(err)[0] != "ResourceNotFoundException":
            return _denied(check, "secretsmanager:DescribeSecret", err)
        described = None
    if described is not None and described.get("DeletedDate"):
        return Check(
            check,
            "FAIL",
            f"{name} is scheduled for deletion: `pulumi up` cannot use or recreate it",
            f"aws secretsmanager restore-secret --secret-id {name}",
        )
    stages = (described or {}).get("VersionIdsToStages") or {}
    if any("AWSCURRENT" in s for s in stages.values()):
        return Check(check, "ok", f"{name} has a current value")
    state = (
        "does not exist yet (the first, paused `pulumi up` creates it)"
        if described is None
        else "has no value"
    )
    if paused:
        return Check(check, "skip", f"{name} {state}; set it before unpausing: {set_cmd}")
    if described is None:
        return Check(
            check,
            "FAIL",
            f"{name} does not exist yet and the services are not paused: their tasks cannot start",
            f"set arbiter:services.paused: true for the first `pulumi up`, then {set_cmd}",
        )
    return Check(check, "FAIL", f"{name} has no current value: tasks that need it cannot start", set_cmd)


# --- service-linked roles ---------------------------------------------------------------------


def required_service_linked_roles(config: StackConfig) -> list[tuple[str, str, str]]:
    roles = [ECS_SLR, ELASTICACHE_SLR, RDS_SLR]
    if any(cfg.autoscaled for cfg in config.services.by_name().values()):
        roles.append(AUTOSCALING_SLR)
    return roles


def _principal_arn(iam: Any, caller_arn: str) -> str | None:
    """The IAM ARN policies are attached to: the role behind an assumed-role session, or the user."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6:
        return None
    account, resource = parts[4], parts[5]
    if resource.startswith("user/"):
        return f"arn:aws:iam::{account}:{resource}"
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        try:
            return str(iam.get_role(RoleName=role)["Role"]["Arn"])  # with its path
        except ClientError:
            return f"arn:aws:iam::{account}:role/{role}"
    return None


def check_service_linked_role(
    iam: Any, identity: dict[str, str], label: str, principal: str, role: str
) -> Check:
    """The role exists, or the caller may create it (AWS creates it on first use, as the caller)."""
    name = f"service-linked role {role}"
    try:
        found = iam.list_roles(PathPrefix=f"/aws-service-role/{principal}/").get("Roles", [])
    except ClientError as err:
        return _denied(name, "iam:ListRoles", err)
    if found:
        return Check(name, "ok", f"exists ({found[0]['Arn']})")
    if identity["Arn"].endswith(":root"):
        return Check(name, "ok", "absent; the account root may create it (use an IAM role, not root)")
    allowed, why = may_create_service_linked_role(iam, identity, principal, role)
    if allowed:
        return Check(name, "ok", f"absent; {why} ({label} creates it on first use)")
    return Check(
        name,
        "FAIL",
        f"absent, and {why}: the first {label} call of `pulumi up` would fail",
        f"aws iam create-service-linked-role --aws-service-name {principal} (or deploy the account stack)",
    )


def may_create_service_linked_role(
    iam: Any, identity: dict[str, str], principal: str, role: str
) -> tuple[bool, str]:
    """Whether the caller's policies allow iam:CreateServiceLinkedRole for `principal`, and why."""
    source = _principal_arn(iam, identity["Arn"])
    if source is None:
        return False, f"{identity['Arn']} cannot be simulated (not an IAM user or role session)"
    try:
        result = iam.simulate_principal_policy(
            PolicySourceArn=source,
            ActionNames=["iam:CreateServiceLinkedRole"],
            ResourceArns=[f"arn:aws:iam::{identity['Account']}:role/aws-service-role/{principal}/{role}"],
            ContextEntries=[
                {
                    "ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": [principal],
                    "ContextKeyType": "string",
                }
            ],
        )["EvaluationResults"]
    except (ClientError, *_UNANSWERED) as err:
        code = _error(err)[0] if isinstance(err, ClientError) else "not answered by this API"
        return False, f"whether {source} may create it is unknown (iam:SimulatePrincipalPolicy: {code})"
    decision = str(result[0]["EvalDecision"]) if result else "implicitDeny"
    if decision == "allowed":
        return True, f"{source} may create it"
    return False, f"{source} may not create it (iam:CreateServiceLinkedRole: {decision})"


# --- Fargate quota ----------------------------------------------------------------------------


def fargate_vcpu_quota(quotas: Any) -> tuple[float, str]:
    """The applied quota, else AWS's default for it, else the documented default."""
    try:
        quota = quotas.get_service_quota(ServiceCode=FARGATE_SERVICE_CODE, QuotaCode=FARGATE_VCPU_QUOTA_CODE)
        return float(quota["Quota"]["Value"]), "applied quota"
    except ClientError as err:
        if _error(err)[0] != "NoSuchResourceException":
            raise
    try:
        quota = quotas.get_aws_default_service_quota(
            ServiceCode=FARGATE_SERVICE_CODE, QuotaCode=FARGATE_VCPU_QUOTA_CODE
        )
        return float(quota["Quota"]["Value"]), "AWS default, no applied value"
    except (ClientError, *_UNANSWERED) as err:
        # Best effort: without an applied value, the documented default is the honest answer.
        why = _error(err)[0] if isinstance(err, ClientError) else "no answer"
    return FARGATE_VCPU_DEFAULT, f"documented AWS default: no applied value, default lookup gave {why}"


def _vcpu(n: float) -> str:
    return f"{n:g}"


def check_fargate_quota(
    quotas: Any, config: StackConfig, other: StackConfig | None, other_note: str
) -> Check:
    """The quota must hold this stack's deploy peak plus what the other stack in the account runs."""
    name = "Fargate vCPU quota"
    try:
        quota, source = fargate_vcpu_quota(quotas)
    except ClientError as err:
        return _denied(name, "servicequotas:GetServiceQuota", err)
    peak = capacity.peak_vcpu(config.services)
    parts = [f"{config.name} deploy peak {_vcpu(peak)}"]
    need = peak
    if other is not None:
        running = capacity.steady_vcpu(other.services)
        need += running
        parts.append(f"{other.name} running {_vcpu(running)} (same account)")
    parts_text = " + ".join(parts) + (f"; {other_note}" if other_note else "")
    if need > quota:
        return Check(
            name,
            "FAIL",
            f"needs {_vcpu(need)} vCPU ({parts_text}) but the quota is {_vcpu(quota)} ({source}): "
            "a rolling deploy would stall with 'reached the limit on the number of vCPUs'",
            "aws service-quotas request-service-quota-increase --service-code fargate --quota-code "
            f"{FARGATE_VCPU_QUOTA_CODE} --desired-value {math.ceil(need)} --region {config.region}",
        )
    return Check(name, "ok", f"needs {_vcpu(need)} vCPU ({parts_text}) of {_vcpu(quota)} ({source})")


# --- state backend ----------------------------------------------------------------------------


def check_state_bucket(s3: Any, config: StackConfig) -> Check:
    bucket = config.delivery.state_bucket
    name = f"state bucket {bucket}"
    bootstrap = f"./dev bootstrap --stack {config.name}"
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=config.account_id)
        versioning = s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=config.account_id).get(
            "Status"
        )
    except ClientError as err:
        code = _error(err)[0]
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchBucket") or status == 404:
            return Check(name, "FAIL", "does not exist", bootstrap)
        if code in ("403", "AccessDenied") or status == 403:
            return Check(
                name,
                "FAIL",
                f"exists but is not account {config.account_id}'s, or you may not list it",
                "check who owns the bucket; the caller needs s3:ListBucket on it",
            )
        return _denied(name, "s3:HeadBucket", err)
    if versioning != "Enabled":
        return Check(
            name, "FAIL", f"versioning is {versioning or 'off'}: a bad write could not be undone", bootstrap
        )
    return Check(name, "ok", "exists, versioned")


def check_state_key(kms: Any, config: StackConfig) -> Check:
    alias = config.delivery.secrets_kms_alias
    name = f"state key {alias}"
    try:
        key = describe_alias_key(kms, alias)
    except ClientError as err:
        return _denied(name, "kms:DescribeKey", err)
    if key is None:
        return Check(name, "FAIL", "does not exist", f"./dev bootstrap --stack {config.name}")
    if key.get("KeyState") != "Enabled":
        return Check(
            name,
            "FAIL",
            f"key {key['KeyId']} is {key.get('KeyState')}: Pulumi cannot decrypt the stack's secrets",
            f"aws kms cancel-key-deletion / enable-key --key-id {key['KeyId']}",
        )
    return Check(name, "ok", f"{key['Arn']} enabled")


# --- all of it --------------------------------------------------------------------------------


def _is_account_stack(name: str) -> bool:
    values, _ = read_stack_file(name)
    return "arbiter:account" in values


def other_stack_in_account(
    stack: LoadedStack, load: Callable[[str], LoadedStack] = load_stack
) -> tuple[StackConfig | None, str]:
    """The other environment's config when it deploys into the same account (its Fargate usage counts)."""
    others = [name for name in stack_names() if name != stack.name and not _is_account_stack(name)]
    for other in others:
        try:
            loaded = load(other)
        except ConfigError as err:
            return None, f"Pulumi.{other}.yaml not counted ({err})"
        if loaded.config.account_id == stack.config.account_id:
            return loaded.config, ""
    return None, ""


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    """One check's unexpected API answer is that check's FAIL line, not the end of the run."""
    try:
        return run()
    except ClientError as err:
        code, message = _error(err)
        return Check(name, "FAIL", f"the API refused a call: {code}: {message}")
    except _UNANSWERED:
        return Check(name, "FAIL", "the API did not answer the call (an emulator without it?)")


def run_checks(
    client: ClientFactory,
    identity: dict[str, str],
    stack: LoadedStack,
    *,
    other: StackConfig | None = None,
    other_note: str = "",
    fetch: Fetch = _fetch_url,
) -> list[Check]:
    """Every check, in the order an operator fixes them; all skipped when the account is wrong."""
    config = stack.config
    checks = [check_account(identity, config)]
    if checks[0].status == "FAIL":
        return [*checks, Check("others", "skip", "not checked: the credentials are for another account")]
    planned: list[tuple[str, Callable[[], Check]]] = [
        ("state bucket", lambda: check_state_bucket(client("s3"), config)),
        ("state key", lambda: check_state_key(client("kms"), config)),
        ("certificate", lambda: check_certificate(client("acm"), config)),
    ]
    keys = {"trading-core": "tradingCore", "telegram-bot": "telegramBot", "web-api": "webApi"}
    arch = config.services.cpu_architecture

    def image(service: str, cfg: ServiceConfig) -> Callable[[], Check]:
        ecr_region = cfg.image_parts[0].split(".")[3]  # the registry's region
        return lambda: check_image(
            client("ecr", region_name=ecr_region),
            service,
            keys[service],
            cfg,
            cpu_architecture=arch,
            fetch=fetch,
        )

    def secret(name: str) -> Callable[[], Check]:
        return lambda: check_secret(
            client("secretsmanager"), stack.name, config.prefix, name, paused=config.services.paused
        )

    def role(label: str, principal: str, name: str) -> Callable[[], Check]:
        return lambda: check_service_linked_role(client("iam"), identity, label, principal, name)

    planned += [(f"image {s}", image(s, c)) for s, c in config.services.by_name().items()]
    planned += [(f"secret {n}", secret(n)) for n in SECRET_SETS]
    planned += [(f"service-linked role {r[2]}", role(*r)) for r in required_service_linked_roles(config)]
    planned.append(
        (
            "Fargate vCPU quota",
            lambda: check_fargate_quota(client("service-quotas"), config, other, other_note),
        )
    )
    return [*checks, *(_guarded(name, run) for name, run in planned)]


def print_report(
    stack: LoadedStack, identity: dict[str, str], checks: list[Check], out: TextIO, *, as_json: bool
) -> None:
    config = stack.config
    failed = sum(c.status == "FAIL" for c in checks)
    if as_json:
        doc = {
            "stack": config.name,
            "account": config.account_id,
            "region": config.region,
            "caller": identity["Arn"],
            "passed": failed == 0,
            "checks": [asdict(c) for c in checks],
        }
        print(json.dumps(doc, indent=2), file=out)
        return
    print(
        f"Preflight of stack '{config.name}' (account {config.account_id}, {config.region}) "
        f"as {identity['Arn']}:",
        file=out,
    )
    for c in checks:
        print(c.line(), file=out)
    counts = {s: sum(c.status == s for c in checks) for s in ("ok", "FAIL", "skip")}
    verdict = "ready for `pulumi up`" if failed == 0 else "fix the FAIL lines before `pulumi up`"
    print(f"{counts['ok']} ok, {counts['FAIL']} failed, {counts['skip']} skipped: {verdict}", file=out)


def cmd_preflight(args: argparse.Namespace) -> int:
    stack = load_stack(args.stack)
    other, note = other_stack_in_account(stack)
    session = session_for(stack.config.region)
    identity = caller_identity(session)

    def client(service: str, region_name: str | None = None) -> Any:
        return session.client(service, region_name=region_name or stack.config.region)

    with aws_errors("preflight"):
        checks = run_checks(client, identity, stack, other=other, other_note=note)
    print_report(stack, identity, checks, sys.stdout, as_json=args.json)
    return 1 if any(c.status == "FAIL" for c in checks) else 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "preflight", help="read-only checks against the live account before `pulumi up` (exit 1 on a failure)"
    )
    p.add_argument("--stack", required=True, type=stack_name, help="stack name (a Pulumi.<stack>.yaml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_preflight)

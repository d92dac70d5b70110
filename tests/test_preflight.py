"""`arbiter-infra preflight` against in-process moto, and stubbed clients where moto has no answer.

moto-tested: the account (STS), the state bucket and key, the certificate (ACM), image existence
and multi-platform architectures (ECR describe_images / batch_get_image), secrets
(describe_secret), existing service-linked roles (IAM list_roles).
Stub-tested (botocore Stubber), because moto does not implement the call: IAM
SimulatePrincipalPolicy (may the caller create a missing service-linked role), Service Quotas for
`fargate` (moto knows no Fargate quota and has no GetAWSDefaultServiceQuota), and ECR
GetDownloadUrlForLayer (a single-platform image's architecture lives in its config blob).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from arbiter_infra.config import SECRET_SETS, StackConfig
from arbiter_tools import bootstrap, capacity, cli, preflight
from arbiter_tools.bootstrap import LoadedStack, load_stack
from arbiter_tools.emulator import _self_signed
from arbiter_tools.runtime import Deployment
from tests.conftest import FAKE_ENV

pytestmark = pytest.mark.moto

ACCOUNT = "123456789012"
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/operator"}
QUOTA_PARAMS = {"ServiceCode": "fargate", "QuotaCode": "L-3032A538"}
SLR_SERVICES = (
    "ecs.amazonaws.com",
    "elasticache.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


# --- helpers ----------------------------------------------------------------------------------


def quota_client(*responses: tuple[str, dict[str, Any] | str]) -> Any:
    """A service-quotas client answering from `responses`: (method, response) or (method, error code)."""
    client = boto3.client("service-quotas", region_name="us-east-1")
    stub = Stubber(client)
    for method, answer in responses:
        if isinstance(answer, str):
            stub.add_client_error(method, service_error_code=answer, expected_params=QUOTA_PARAMS)
        else:
            stub.add_response(method, answer, QUOTA_PARAMS)
    stub.activate()
    return client


def applied(value: float) -> tuple[str, dict[str, Any]]:
    return "get_service_quota", {
        "Quota": {**QUOTA_PARAMS, "QuotaName": "Fargate On-Demand vCPU", "Value": value}
    }


class _Session:
    """The moto session, with some services answered by stubbed clients."""

    def __init__(self, real: boto3.Session, **overrides: Any) -> None:
        self.real, self.overrides = real, {k.replace("_", "-"): v for k, v in overrides.items()}

    def client(self, service: str, region_name: str | None = None) -> Any:
        return self.overrides.get(service) or self.real.client(service, region_name=region_name)


def factory(session: boto3.Session | _Session) -> preflight.ClientFactory:
    def client(service: str, region_name: str | None = None) -> Any:
        return session.client(service, region_name=region_name or "us-east-1")

    return client


def index_manifest(*archs: str) -> str:
    """An OCI image index (multi-platform), as `docker buildx --push` writes it."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": f"sha256:{str(i) * 64}",
                    "size": 1000,
                    "platform": {"architecture": arch, "os": "linux"},
                }
                for i, arch in enumerate(archs, start=1)
            ],
        }
    )


def push(session: boto3.Session, image: str, manifest: str) -> None:
    _registry, rest = image.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    ecr = session.client("ecr")
    if repo not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]:
        ecr.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE")
    ecr.put_image(
        repositoryName=repo,
        imageManifest=manifest,
        imageTag=tag,
        imageManifestMediaType=json.loads(manifest)["mediaType"],
    )


def make_ready(session: boto3.Session, stack: LoadedStack) -> None:
    """What the README's steps leave behind: state backend, images, secret values, service-linked roles."""
    bootstrap.bootstrap(session, bootstrap.Backend.of(stack.name, stack.config), io.StringIO())
    for cfg in stack.config.services.by_name().values():
        push(session, cfg.image, index_manifest("amd64", "arm64"))
    sm = session.client("secretsmanager")
    for secret, fields in SECRET_SETS.items():
        sm.create_secret(
            Name=f"{stack.config.prefix}/{secret}", SecretString=json.dumps({f: "x" for _, f in fields})
        )
    iam = session.client("iam")
    for service in SLR_SERVICES:
        iam.create_service_linked_role(AWSServiceName=service)


def with_services(config: StackConfig, **update: Any) -> StackConfig:
    return config.model_copy(update={"services": config.services.model_copy(update=update)})


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _lines(out: str) -> dict[str, str]:
    """Check name -> its line, from the text report."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("ok", "FAIL", "skip"):
            found[rest.strip().split(": ", 1)[0]] = line
    return found


# --- the whole command ------------------------------------------------------------------------


def test_green_after_the_bootstrap_steps(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_ready(aws, load_stack("staging"))
    monkeypatch.setattr(
        preflight, "session_for", lambda region: _Session(aws, service_quotas=quota_client(applied(40)))
    )
    code, out, err = _run(capsys, "preflight", "--stack", "staging")
    assert (code, err) == (0, ""), out
    lines = _lines(out)
    assert len(lines) == 1 + 2 + 1 + 3 + 3 + 4 + 1  # account, state x2, cert, images, secrets, roles, quota
    assert lines["certificate"].startswith("skip") and "self-signed certificate" in lines["certificate"]
    assert all(line.startswith("ok") for name, line in lines.items() if name != "certificate"), out
    assert "linux/arm64 (from the image index)" in lines["image web-api"]
    assert "needs 20 vCPU (staging deploy peak 5.5 + prod running 14.5 (same account)) of 40" in out
    assert out.rstrip().endswith("ready for `pulumi up`")

    monkeypatch.setattr(
        preflight, "session_for", lambda region: _Session(aws, service_quotas=quota_client(applied(40)))
    )
    code, out, _ = _run(capsys, "preflight", "--stack", "staging", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["passed"] is True and doc["stack"] == "staging" and doc["account"] == ACCOUNT
    assert {c["status"] for c in doc["checks"]} == {"ok", "skip"}


def test_an_empty_account_fails_each_check_in_one_line_with_its_fix(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing bootstrapped, pushed or set: exit 1, every failing check one line naming its fix."""
    # moto's caller is `arn:aws:sts::<account>:user/moto`: simulated as the IAM user.
    iam = _stubbed_iam(simulate="implicitDeny", count=4, source=f"arn:aws:iam::{ACCOUNT}:user/moto")
    monkeypatch.setattr(
        preflight,
        "session_for",
        lambda region: _Session(aws, iam=iam, service_quotas=quota_client(applied(6))),
    )
    code, out, err = _run(capsys, "preflight", "--stack", "staging")
    assert (code, err) == (1, "")
    lines = _lines(out)
    assert lines["account"].startswith("ok")
    failed = [line for line in lines.values() if line.startswith("FAIL")]
    assert len(failed) == 2 + 3 + 3 + 4 + 1
    assert all(" -> fix: " in line for line in failed), failed
    assert lines[f"state bucket arbiter-pulumi-state-{ACCOUNT}"].endswith(
        "-> fix: ./dev bootstrap --stack staging"
    )
    assert lines["state key alias/arbiter-pulumi-state-staging"].endswith(
        "-> fix: ./dev bootstrap --stack staging"
    )
    assert "repository arbiter-engine does not exist" in lines["image trading-core"]
    assert lines["secret telegram"].endswith(
        "-> fix: set arbiter:services.paused: true for the first `pulumi up`, then "
        "arbiter-infra secrets set --stack staging --secret telegram"
    )
    assert (
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
        in lines["service-linked role AWSServiceRoleForECS"]
    )
    assert "--desired-value 20" in lines["Fargate vCPU quota"]
    assert out.rstrip().endswith("fix the FAIL lines before `pulumi up`")


def test_plain_moto_without_stubs(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a drill sees it: single-platform images, no Fargate quota in moto -> the documented default."""
    stack = load_stack("staging")
    make_ready(aws, stack)
    for cfg in stack.config.services.by_name().values():
        image = cfg.image.replace(":v1.3.0-rc.1", ":single")
        push(aws, image, json.dumps(SINGLE))
    config = with_services(
        stack.config,
        **{
            key: getattr(stack.config.services, key).model_copy(
                update={"image": getattr(stack.config.services, key).image.replace(":v1.3.0-rc.1", ":single")}
            )
            for key in ("trading_core", "telegram_bot", "web_api")
        },
    )
    checks = preflight.run_checks(factory(aws), IDENTITY, LoadedStack("staging", config))
    assert [c.check for c in checks if c.status == "FAIL"] == []
    # Staging's deploy peak (5.5 vCPU) fits even a new account's documented default.
    quota = next(c for c in checks if c.check == "Fargate vCPU quota")
    assert "of 6 (documented AWS default: no applied value, default lookup gave no answer)" in quota.detail
    web = next(c for c in checks if c.check == "image web-api")
    assert web.status == "ok" and "architecture not verified (the ECR API here cannot serve" in web.detail


def test_wrong_account_skips_everything_else(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    code, out, err = _run(capsys, "preflight", "--stack", "prod", "--json")
    doc = json.loads(out)
    assert (code, err) == (1, "")
    assert [c["status"] for c in doc["checks"]] == ["FAIL", "skip"]
    assert "are for account 111122223333" in doc["checks"][0]["detail"]
    assert f"deploys to {ACCOUNT}" in doc["checks"][0]["detail"]


# --- state backend (moto) ---------------------------------------------------------------------


def test_state_backend_checks(aws: boto3.Session) -> None:
    stack = load_stack("staging")
    config = stack.config
    s3, kms = aws.client("s3"), aws.client("kms")
    assert preflight.check_state_bucket(s3, config).status == "FAIL"
    assert preflight.check_state_key(kms, config).status == "FAIL"
    bootstrap.bootstrap(aws, bootstrap.Backend.of(stack.name, stack.config), io.StringIO())
    assert preflight.check_state_bucket(s3, config).status == "ok"
    assert preflight.check_state_key(kms, config).status == "ok"

    s3.put_bucket_versioning(
        Bucket=config.delivery.state_bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    check = preflight.check_state_bucket(s3, config)
    assert (check.status, check.detail) == (
        "FAIL",
        "versioning is Suspended: a bad write could not be undone",
    )
    kms.disable_key(KeyId=kms.describe_key(KeyId=config.delivery.secrets_kms_alias)["KeyMetadata"]["KeyId"])
    check = preflight.check_state_key(kms, config)
    assert check.status == "FAIL" and "is Disabled" in check.detail


# --- certificate (moto) -----------------------------------------------------------------------


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected API call {name}")


def test_certificate(aws: boto3.Session) -> None:
    config = load_stack("prod").config
    acm = aws.client("acm")
    cert, key = _self_signed("api.arbiter-bot.dev")
    issued = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    check = preflight.check_certificate(acm, with_services(config, certificate_arn=issued))
    assert (check.status, check.detail) == ("ok", "api.arbiter-bot.dev ISSUED in us-east-1")

    pending = acm.request_certificate(DomainName="api.arbiter-bot.dev", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    check = preflight.check_certificate(acm, with_services(config, certificate_arn=pending))
    assert check.status == "FAIL" and "is PENDING_VALIDATION, not ISSUED" in check.detail
    assert check.fix is not None and "DNS validation records" in check.fix

    # The stack file's placeholder: the all-zero certificate does not exist.
    check = preflight.check_certificate(acm, config)
    assert check.status == "FAIL" and check.detail.endswith("does not exist")

    elsewhere = issued.replace(":us-east-1:", ":eu-west-1:")
    check = preflight.check_certificate(_NoCalls(), with_services(config, certificate_arn=elsewhere))
    assert check.status == "FAIL" and "is in eu-west-1, the ALB in us-east-1" in check.detail
    foreign = issued.replace(f":{ACCOUNT}:", ":111122223333:")
    check = preflight.check_certificate(_NoCalls(), with_services(config, certificate_arn=foreign))
    assert check.status == "FAIL" and "belongs to account 111122223333" in check.detail

    check = preflight.check_certificate(_NoCalls(), load_stack("staging").config)
    assert check.status == "skip" and "self-signed" in check.detail


# --- images (moto, and stubbed for the config blob) -------------------------------------------


def _image_check(ecr: Any, config: StackConfig, fetch: preflight.Fetch = lambda url: b"") -> preflight.Check:
    return preflight.check_image(
        ecr,
        "web-api",
        "webApi",
        config.services.web_api,
        cpu_architecture=config.services.cpu_architecture,
        fetch=fetch,
    )


def test_images_exist_with_the_right_architecture(aws: boto3.Session) -> None:
    config = load_stack("staging").config
    image = config.services.web_api.image
    ecr = aws.client("ecr")
    check = _image_check(ecr, config)
    assert check.status == "FAIL" and "repository web-api does not exist" in check.detail

    ecr.create_repository(repositoryName="web-api")
    check = _image_check(ecr, config)
    assert check.status == "FAIL" and f"{image} is not in ECR" in check.detail
    assert check.fix == f"push it (docker push {image}) or set services.webApi.image to a pushed tag"

    push(aws, image, index_manifest("arm64"))
    check = _image_check(ecr, with_services(config, cpu_architecture="X86_64"))
    assert check.status == "FAIL" and "built for arm64 (from the image index)" in check.detail
    assert "X86_64 (amd64)" in check.detail
    check = _image_check(ecr, config)  # the stack file asks for ARM64
    assert check.status == "ok" and check.detail.endswith("linux/arm64 (from the image index)")


def _stubbed_ecr(manifest: dict[str, Any], *, download: str | None) -> Any:
    """ECR for one single-platform image: moto does not implement GetDownloadUrlForLayer."""
    ecr = boto3.client("ecr", region_name="us-east-1")
    stub = Stubber(ecr)
    ids = {"registryId": ACCOUNT, "repositoryName": "web-api"}
    stub.add_response(
        "describe_images",
        {"imageDetails": [{**ids, "imageDigest": "sha256:" + "d" * 64, "imageTags": ["v1.3.0-rc.1"]}]},
        {**ids, "imageIds": [{"imageTag": "v1.3.0-rc.1"}]},
    )
    stub.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    **ids,
                    "imageId": {"imageTag": "v1.3.0-rc.1"},
                    "imageManifest": json.dumps(manifest),
                    "imageManifestMediaType": manifest["mediaType"],
                }
            ]
        },
    )
    layer = {**ids, "layerDigest": manifest["config"]["digest"]}
    if download is None:
        stub.add_client_error("get_download_url_for_layer", service_error_code="AccessDeniedException")
    else:
        stub.add_response("get_download_url_for_layer", {"downloadUrl": download, "layerDigest": "x"}, layer)
    stub.activate()
    return ecr


SINGLE = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 1500,
        "digest": "sha256:" + "c" * 64,
    },
    "layers": [],
}


def test_single_platform_image_architecture_from_its_config_blob() -> None:
    """Stub-tested: moto has no GetDownloadUrlForLayer, where a single image's architecture lives."""
    config = load_stack("staging").config
    url = "https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/config"
    fetched: list[str] = []

    def fetch(arm: bool) -> preflight.Fetch:
        def get(u: str) -> bytes:
            fetched.append(u)
            return json.dumps({"architecture": "arm64" if arm else "amd64", "os": "linux"}).encode()

        return get

    check = _image_check(_stubbed_ecr(SINGLE, download=url), config, fetch(arm=False))
    assert check.status == "FAIL" and "built for amd64 (from the image config)" in check.detail
    assert fetched == [url]
    check = _image_check(_stubbed_ecr(SINGLE, download=url), config, fetch(arm=True))
    assert check.status == "ok" and check.detail.endswith("linux/arm64 (from the image config)")

    check = _image_check(_stubbed_ecr(SINGLE, download=None), config)
    assert check.status == "ok"
    assert "architecture not verified (AccessDeniedException" in check.detail


# --- secrets (moto) ---------------------------------------------------------------------------


def test_secrets_need_a_current_value_set_by_an_operator(aws: boto3.Session) -> None:
    sm = aws.client("secretsmanager")

    def refuse(**_: Any) -> None:
        raise AssertionError("preflight must not read secret values")

    sm.meta.events.register("before-call.secrets-manager.GetSecretValue", refuse)
    set_cmd = "arbiter-infra secrets set --stack staging --secret kalshi"
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "does not exist yet and the services are not paused" in check.detail
    assert check.fix == f"set arbiter:services.paused: true for the first `pulumi up`, then {set_cmd}"
    # The first, paused `up` creates the container; its tasks need no value yet.
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=True)
    assert check.status == "skip" and set_cmd in check.detail

    sm.create_secret(Name="arbiter-staging/kalshi")  # created by the paused up, never given a value
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "has no current value" in check.detail
    assert check.fix == set_cmd
    assert preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=True).status == "skip"

    sm.put_secret_value(SecretId="arbiter-staging/kalshi", SecretString='{"key_id": "k", "private_key": "p"}')
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert (check.status, check.detail) == ("ok", "arbiter-staging/kalshi has a current value")

    sm.delete_secret(SecretId="arbiter-staging/kalshi", RecoveryWindowInDays=7)
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "kalshi", paused=False)
    assert check.status == "FAIL" and "scheduled for deletion" in check.detail
    assert check.fix == "aws secretsmanager restore-secret --secret-id arbiter-staging/kalshi"


def test_a_version_without_awscurrent_is_no_value() -> None:
    """Stub-tested: AWS (and moto) label a secret's first version AWSCURRENT, so only a secret whose
    current version was moved away (an unfinished rotation) has versions but no current one."""
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    stub = Stubber(sm)
    stub.add_response(
        "describe_secret",
        {
            "Name": "arbiter-staging/telegram",
            "VersionIdsToStages": {"2" * 36: ["AWSPENDING"], "1" * 36: ["AWSPREVIOUS"]},
        },
        {"SecretId": "arbiter-staging/telegram"},
    )
    stub.activate()
    check = preflight.check_secret(sm, "staging", "arbiter-staging", "telegram", paused=False)
    assert check.status == "FAIL" and "has no current value" in check.detail


# --- service-linked roles (moto for existing ones, stubbed simulation) ------------------------


def test_required_service_linked_roles_follow_the_config() -> None:
    config = load_stack("staging").config
    roles = [r[2] for r in preflight.required_service_linked_roles(config)]
    assert roles == [
        "AWSServiceRoleForECS",
        "AWSServiceRoleForElastiCache",
        "AWSServiceRoleForRDS",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ]
    web = config.services.web_api.model_copy(
        update={"min_count": None, "max_count": None, "cpu_target_percent": None}
    )
    roles = [r[2] for r in preflight.required_service_linked_roles(with_services(config, web_api=web))]
    assert "AWSServiceRoleForApplicationAutoScaling_ECSService" not in roles


def test_existing_service_linked_role(aws: boto3.Session) -> None:
    iam = aws.client("iam")
    label, principal, role = preflight.ECS_SLR
    iam.create_service_linked_role(AWSServiceName=principal)
    check = preflight.check_service_linked_role(iam, IDENTITY, label, principal, role)
    assert check.status == "ok" and check.detail.startswith("exists (arn:aws:iam::")


def _stubbed_iam(
    *, simulate: str, count: int = 1, role_arn: str | None = None, source: str = IDENTITY["Arn"]
) -> Any:
    """IAM with no service-linked roles: moto does not implement SimulatePrincipalPolicy."""
    iam = boto3.client("iam", region_name="us-east-1")
    stub = Stubber(iam)
    roles = (preflight.ECS_SLR, preflight.ELASTICACHE_SLR, preflight.RDS_SLR, preflight.AUTOSCALING_SLR)
    for _label, principal, role in roles[:count]:
        stub.add_response("list_roles", {"Roles": []}, {"PathPrefix": f"/aws-service-role/{principal}/"})
        if role_arn is not None:
            stub.add_response(
                "get_role",
                {
                    "Role": {
                        "Path": "/deploy/",
                        "RoleName": "arbiter-deployer",
                        "RoleId": "AROAEXAMPLEEXAMPLE123",
                        "Arn": role_arn,
                        "CreateDate": datetime(2026, 1, 1),
                        "AssumeRolePolicyDocument": "{}",
                    }
                },
                {"RoleName": "arbiter-deployer"},
            )
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {"EvalActionName": "iam:CreateServiceLinkedRole", "EvalDecision": simulate}
                ]
            },
            {
                "PolicySourceArn": role_arn or source,
                "ActionNames": ["iam:CreateServiceLinkedRole"],
                "ResourceArns": [f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{principal}/{role}"],
                "ContextEntries": [
                    {
                        "ContextKeyName": "iam:AWSServiceName",
                        "ContextKeyValues": [principal],
                        "ContextKeyType": "string",
                    }
                ],
            },
        )
    stub.activate()
    return iam


def test_absent_service_linked_role_the_caller_may_or_may_not_create() -> None:
    """Stub-tested: moto does not implement iam:SimulatePrincipalPolicy."""
    label, principal, role = preflight.ECS_SLR
    check = preflight.check_service_linked_role(
        _stubbed_iam(simulate="allowed"), IDENTITY, label, principal, role
    )
    assert check.status == "ok" and f"absent; {IDENTITY['Arn']} may create it" in check.detail

    check = preflight.check_service_linked_role(
        _stubbed_iam(simulate="implicitDeny"), IDENTITY, label, principal, role
    )
    assert (
        check.status == "FAIL"
        and "may not create it (iam:CreateServiceLinkedRole: implicitDeny)" in check.detail
    )
    assert check.fix == (
        "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com (or deploy the account stack)"
    )

    # An assumed-role session is simulated as its role, found with its path.
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/deploy/arbiter-deployer"
    session = {"Account": ACCOUNT, "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/arbiter-deployer/gha-123"}
    iam = _stubbed_iam(simulate="allowed", role_arn=role_arn)
    check = preflight.check_service_linked_role(iam, session, label, principal, role)
    assert check.status == "ok" and f"{role_arn} may create it" in check.detail

    root = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    iam = boto3.client("iam", region_name="us-east-1")
    stub = Stubber(iam)
    stub.add_response("list_roles", {"Roles": []}, {"PathPrefix": f"/aws-service-role/{principal}/"})
    stub.activate()
    check = preflight.check_service_linked_role(iam, root, label, principal, role)
    assert check.status == "ok" and "root" in check.detail


# --- Fargate quota (stubbed) and the capacity rule --------------------------------------------


def test_peak_vcpu_of_the_stack_files() -> None:
    staging, prod = load_stack("staging").config.services, load_stack("prod").config.services
    # trading-core 1 vCPU x1, telegram-bot 0.25 x1, web-api 0.5 x maxCount 3; each doubled while deploying.
    assert capacity.peak_vcpu(staging) == (1 * 1 + 0.25 * 1 + 0.5 * 3) * 2 == 5.5
    assert capacity.steady_vcpu(staging) == 2.75
    assert capacity.peak_vcpu(prod) == (4 * 2 + 0.5 * 1 + 1 * 6) * 2 == 29
    assert capacity.steady_vcpu(prod) == 14.5
    stopped = staging.trading_core.model_copy(update={"desired_count": 0})
    assert capacity.peak_vcpu(staging.model_copy(update={"trading_core": stopped})) == 3.5


def test_program_deploys_with_the_percentages_preflight_assumes(deployment: Deployment) -> None:
    services = deployment.of_type("aws:ecs/service:Service")
    assert {s.inputs["name"] for s in services} == {"trading-core", "telegram-bot", "web-api"}
    for svc in services:
        declared = (svc.inputs["deploymentMinimumHealthyPercent"], svc.inputs["deploymentMaximumPercent"])
        assert declared == capacity.deployment_percents(svc.inputs["name"]), svc.name


def test_fargate_quota_covers_the_peak() -> None:
    """Stub-tested: moto has no Fargate quota in Service Quotas and no GetAWSDefaultServiceQuota."""
    staging, prod = load_stack("staging").config, load_stack("prod").config
    check = preflight.check_fargate_quota(quota_client(applied(20)), staging, prod, "")
    assert check.status == "ok"
    assert check.detail == (
        "needs 20 vCPU (staging deploy peak 5.5 + prod running 14.5 (same account)) of 20 (applied quota)"
    )
    check = preflight.check_fargate_quota(quota_client(applied(19)), staging, prod, "")
    assert check.status == "FAIL" and "but the quota is 19 (applied quota)" in check.detail
    assert check.fix == (
        "aws service-quotas request-service-quota-increase --service-code fargate --quota-code L-3032A538 "
        "--desired-value 20 --region us-east-1"
    )
    # Alone in its account, staging's 5.5 fits the documented default of 6.
    assert preflight.check_fargate_quota(quota_client(applied(6)), staging, None, "").status == "ok"


def test_fargate_quota_falls_back_to_the_default() -> None:
    """Stub-tested: no applied value -> AWS's default for the quota -> the documented default."""
    staging = load_stack("staging").config
    quotas = quota_client(
        ("get_service_quota", "NoSuchResourceException"),
        ("get_aws_default_service_quota", {"Quota": {**QUOTA_PARAMS, "Value": 16.0}}),
    )
    check = preflight.check_fargate_quota(quotas, staging, None, "")
    assert check.status == "ok" and check.detail.endswith("of 16 (AWS default, no applied value)")
    quotas = quota_client(
        ("get_service_quota", "NoSuchResourceException"),
        ("get_aws_default_service_quota", "NoSuchResourceException"),
    )
    prod = load_stack("prod").config  # staging's 5.5 vCPU would fit the documented default
    check = preflight.check_fargate_quota(quotas, prod, None, "")
    assert check.status == "FAIL" and "but the quota is 6 (documented AWS default" in check.detail

    check = preflight.check_fargate_quota(
        quota_client(("get_service_quota", "AccessDeniedException")), staging, None, ""
    )
    assert check.status == "FAIL" and check.fix == "let the caller run servicequotas:GetServiceQuota"


def test_other_stack_counts_only_in_the_same_account() -> None:
    staging = load_stack("staging")
    other, note = preflight.other_stack_in_account(staging)
    assert other is not None and other.environment == "prod" and note == ""

    def elsewhere(name: str) -> LoadedStack:
        loaded = load_stack(name)
        return LoadedStack(name, loaded.config.model_copy(update={"account_id": "111122223333"}))

    assert preflight.other_stack_in_account(staging, elsewhere) == (None, "")


def test_unreadable_other_stack_is_noted() -> None:
    from arbiter_infra.config import ConfigError

    def broken(name: str) -> LoadedStack:
        raise ConfigError(f"--stack {name!r}: no Pulumi.{name}.yaml")

    other, note = preflight.other_stack_in_account(load_stack("staging"), broken)
    assert other is None and note.startswith("Pulumi.prod.yaml not counted (--stack 'prod'")

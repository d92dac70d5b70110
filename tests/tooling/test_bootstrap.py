"""`arbiter-infra bootstrap` against in-process moto: what it creates, idempotency, drift, refusals.

Every refusal must be one line on stderr, exit 2, and leave the account as it was.
"""

from __future__ import annotations

import io
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from arbiter_infra.config import ConfigError
from arbiter_tools import bootstrap, cli, stacks
from tests.conftest import FAKE_ENV, stack_sections, write_project

pytestmark = pytest.mark.moto

ACCOUNT = "123456789012"  # moto's default account, and the stack files'
BUCKET = f"arbiter-pulumi-state-{ACCOUNT}"
STAGING_ALIAS = "alias/arbiter-pulumi-state-staging"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_failure(code: int, err: str) -> str:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _statuses(out: str) -> dict[str, str]:
    """Item -> created/exists/updated, from bootstrap's report lines."""
    items: dict[str, str] = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("created", "exists", "updated"):
            items[rest.strip().rsplit(": ", 1)[0]] = status
    return items


def _nothing_created(session: boto3.Session) -> None:
    assert session.client("s3").list_buckets()["Buckets"] == []
    assert session.client("kms").list_keys()["Keys"] == []


def test_creates_the_state_backend(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "bootstrap", "--stack", "staging")
    assert (code, err) == (0, "")
    statuses = _statuses(out)
    assert set(statuses.values()) == {"created"}
    assert len(statuses) == 8  # key, bucket, and six bucket settings

    kms, s3 = aws.client("kms"), aws.client("s3")
    key = kms.describe_key(KeyId=STAGING_ALIAS)["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
    assert "staging" in key["Description"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True

    assert s3.get_bucket_location(Bucket=BUCKET).get("LocationConstraint") in (None, "us-east-1")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["Arn"],
    }
    assert rule["BucketKeyEnabled"] is True
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    statement = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}

    # The next commands, quoted so zsh does not glob the `?`.
    assert f"  pulumi login 's3://{BUCKET}?region=us-east-1'" in out.splitlines()
    assert (
        f"  pulumi stack init staging --secrets-provider 'awskms://{STAGING_ALIAS}?region=us-east-1'"
        in out.splitlines()
    )


def test_rerun_changes_nothing_and_says_so(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "bootstrap", "--stack", "staging")[0] == 0
    kms = aws.client("kms")
    keys_before = kms.list_keys()["Keys"]
    policy_before = aws.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]

    code, out, err = _run(capsys, "bootstrap", "--stack", "staging")
    assert (code, err) == (0, "")
    statuses = _statuses(out)
    assert len(statuses) == 9  # key, its rotation, bucket, six settings
    assert set(statuses.values()) == {"exists"}, statuses
    assert kms.list_keys()["Keys"] == keys_before
    assert aws.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"] == policy_before


def test_converges_drift_and_keeps_foreign_settings(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """Settings someone changed are put back (`updated`); statements and rules of others are kept."""
    assert _run(capsys, "bootstrap", "--stack", "staging")[0] == 0
    s3, kms = aws.client("s3"), aws.client("kms")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    other = {
        "Sid": "CrossAccountRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]}))
    keep_rule = {
        "ID": "someone-elses",
        "Status": "Enabled",
        "Filter": {"Prefix": "tmp/"},
        "Expiration": {"Days": 1},
    }
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [keep_rule]})
    key_id = kms.describe_key(KeyId=STAGING_ALIAS)["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key_id)

    code, out, _ = _run(capsys, "bootstrap", "--stack", "staging")
    assert code == 0
    statuses = _statuses(out)
    updated = {item.rsplit(": ", 1)[-1] for item, status in statuses.items() if status == "updated"}
    assert updated == {"versioning", "public access block", "bucket policy", "lifecycle", "rotation"}
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    sids = [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]]
    assert sids == ["CrossAccountRead", "DenyInsecureTransport"]
    ids = [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]]
    assert ids == ["someone-elses", "expire-noncurrent-state-versions"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def test_second_stack_in_the_account_shares_the_bucket(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """prod gets its own key; the bucket's default key is not flipped back and forth between stacks."""
    assert _run(capsys, "bootstrap", "--stack", "staging")[0] == 0
    staging_key = aws.client("kms").describe_key(KeyId=STAGING_ALIAS)["KeyMetadata"]["Arn"]
    code, out, _ = _run(capsys, "bootstrap", "--stack", "prod")
    assert code == 0
    statuses = _statuses(out)
    assert statuses["KMS key alias/arbiter-pulumi-state-prod"] == "created"
    assert {s for item, s in statuses.items() if item.startswith("S3 bucket")} == {"exists"}
    prod_key = aws.client("kms").describe_key(KeyId="alias/arbiter-pulumi-state-prod")["KeyMetadata"]["Arn"]
    assert prod_key != staging_key
    rule = aws.client("s3").get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"][
        "Rules"
    ][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == staging_key
    assert (
        "pulumi stack init prod --secrets-provider 'awskms://alias/arbiter-pulumi-state-prod?region=us-east-1'"
        in out
    )


def test_refuses_another_accounts_credentials(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    code, out, err = _run(capsys, "bootstrap", "--stack", "staging")
    line = _one_line_failure(code, err)
    assert "bootstrap refused" in line and "111122223333" in line and ACCOUNT in line
    assert out == ""
    _nothing_created(aws)


def test_unusable_key_refuses_before_creating_the_bucket(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    kms = aws.client("kms")
    key_id = kms.create_key(Description="old")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=STAGING_ALIAS, TargetKeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    code, _, err = _run(capsys, "bootstrap", "--stack", "staging")
    line = _one_line_failure(code, err)
    assert "PendingDeletion" in line and f"aws kms cancel-key-deletion --key-id {key_id}" in line
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_bucket_in_another_region_refuses_before_creating_the_key(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    code, _, err = _run(capsys, "bootstrap", "--stack", "staging")
    line = _one_line_failure(code, err)
    assert f"S3 bucket {BUCKET} exists in eu-west-1" in line
    assert aws.client("kms").list_keys()["Keys"] == []


def test_bad_stack_config_is_one_line_before_any_call(tmp_path: Path) -> None:
    sections = stack_sections("staging")
    sections["services"]["webApi"]["image"] = "web-api:latest"
    write_project(tmp_path, "staging", sections)
    with pytest.raises(ConfigError) as info:
        stacks.load_stack("staging", tmp_path)
    assert str(info.value).startswith('arbiter:services.webApi.image = "web-api:latest": must be a full ECR')

    doc = yaml.safe_load((tmp_path / "Pulumi.staging.yaml").read_text())
    doc["config"]["aws:allowedAccountIds"] = ["1234"]
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"aws:allowedAccountIds\[0\] = \"1234\": must be a 12-digit"):
        stacks.load_stack("staging", tmp_path)


def test_load_stack_reads_the_real_files() -> None:
    stack = stacks.load_stack("prod")
    assert stack.config.account_id == ACCOUNT
    assert stack.config.delivery.state_bucket == BUCKET
    assert stack.config.delivery.secrets_kms_alias == "alias/arbiter-pulumi-state-prod"


def _no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_") or key == "MOTO_ACCOUNT_ID":
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["bootstrap", "preflight"])
def test_credential_and_endpoint_problems_are_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_aws_config(monkeypatch, tmp_path)
    code, out, err = _run(capsys, command, "--stack", "staging")
    assert "no AWS credentials found: configure them" in _one_line_failure(code, err)
    assert out == ""

    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code, _, err = _run(capsys, command, "--stack", "staging")
    assert "no-such-profile" in _one_line_failure(code, err)
    monkeypatch.delenv("AWS_PROFILE")

    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = _run(capsys, command, "--stack", "staging")
    assert "cannot reach the AWS API at http://127.0.0.1:" in _one_line_failure(code, err)
    assert out == ""


def test_unknown_stack_is_a_one_liner(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["bootstrap", "--stack", "qa"])
    line = _one_line_failure(code, capsys.readouterr().err)
    assert "--stack 'qa': no Pulumi.qa.yaml; known stacks: account, prod, staging" in line


def test_preflight_unknown_stack_is_an_argparse_one_liner(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["preflight", "--stack", "qa"])
    assert info.value.code == 2
    line = _one_line_failure(2, capsys.readouterr().err)
    assert "argument --stack: 'qa': no Pulumi.qa.yaml (known stacks: account, prod, staging)" in line


def test_account_stack_bootstraps_its_own_key(aws: boto3.Session) -> None:
    """The account stack has state too: same bucket, its own key (arbiter-pulumi-state-shared)."""
    out = io.StringIO()
    bootstrap.bootstrap(aws, stacks.load_backend("account"), out)
    text = out.getvalue()
    assert "KMS key alias/arbiter-pulumi-state-shared" in text
    assert (
        "pulumi stack init account --secrets-provider 'awskms://alias/arbiter-pulumi-state-shared?region=us-east-1'"
        in text
    )


def test_bootstrap_function_reports_through_its_stream(aws: boto3.Session) -> None:
    """The library entry point used by the CLI writes only to the stream it is given."""
    out = io.StringIO()
    bootstrap.bootstrap(aws, stacks.load_backend("staging"), out)
    assert "created  KMS key alias/arbiter-pulumi-state-staging" in out.getvalue()
    assert list(_statuses(out.getvalue()).values()).count("created") == 8

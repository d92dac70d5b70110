"""`arbiter-infra plan`: the offline plan of the real program, and its one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from arbiter_tools import cli, plan_output
from arbiter_tools.pricing import estimate, price_table
from arbiter_tools.runtime import (
    PROJECT_DIR,
    SECRET_PLACEHOLDER,
    DeclaredResource,
    Deployment,
    read_stack_file,
)
from tests.conftest import stack_sections, write_project

BIN = Path(sys.executable).parent


def test_plan_prints_tree_counts_outputs_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["plan", "--stack", "staging", "--no-policies"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pulumi:pulumi:Stack  arbiter-staging" in out
    # Registration order decides which child is drawn last (└─): accept either connector.
    assert re.search(r"^\+ [├└]─ arbiter:network:Network  arbiter-staging-network$", out, re.M)
    assert "aws:ec2/subnet:Subnet" in out and "Resources:" in out
    assert "Outputs:" in out and "vpcId:" in out
    assert "Estimated monthly cost (us-east-1" in out and "Total" in out
    assert "Excluded (usage-based)" in out


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_plan_json_matches_the_program(
    stack: str, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    d: Deployment = request.getfixturevalue(stack)
    assert cli.main(["plan", "--stack", stack, "--json", "--no-policies"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stack"] == stack
    # The Stack resource counts, as in `pulumi preview`.
    assert doc["resourceCount"] == len(d.resources) + 1 == len(doc["resources"]) + 1
    assert doc["counts"] == {"pulumi:pulumi:Stack": 1, **d.counts()}
    assert doc["counts"]["aws:ec2/natGateway:NatGateway"] == (1 if stack == "staging" else 3)
    assert doc["outputs"]["environment"] == d.outputs["environment"] == stack
    assert doc["cost"]["monthlyTotal"] == estimate(d).total > 0
    network = next(r for r in doc["resources"] if r["type"] == "arbiter:network:Network")
    vpc = next(r for r in doc["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["parent"] == network["name"]


def test_secure_values_become_placeholders_never_ciphertext(tmp_path: Path) -> None:
    sections = stack_sections("staging")
    project = write_project(tmp_path, "staging", sections)
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text() + "  arbiter:polyApiKey:\n    secure: v1:AAAAciphertext==\n")
    values, secret_keys = read_stack_file("staging", project)
    assert values["arbiter:polyApiKey"] == SECRET_PLACEHOLDER
    assert "arbiter:polyApiKey" in secret_keys
    assert all("ciphertext" not in v for v in values.values())


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "arbiter-infra"), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_bad_stack_config_is_one_line_and_nonzero(tmp_path: Path) -> None:
    sections = stack_sections("staging")
    sections["network"]["natGateways"] = "three"
    project = write_project(tmp_path, "staging", sections)
    result = _run_cli("plan", "--stack", "staging", "--project-dir", str(project), "--no-policies")
    assert result.returncode == cli.EXIT_USAGE
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "arbiter-infra: arbiter:network.natGateways = \"three\": must be valid: Input should be 'single' or 'per-az'"
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["plan", "--stack", "dev"],
            "--stack 'dev': no Pulumi.dev.yaml; known stacks: account, prod, staging",
        ),
        (["plan"], "the following arguments are required: --stack"),
        (["deploy"], "argument command: invalid choice: 'deploy'"),
    ],
)
def test_bad_arguments_are_one_line(args: list[str], fragment: str) -> None:
    result = _run_cli(*args)
    assert result.returncode == cli.EXIT_USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr


def test_missing_stack_file_names_known_stacks(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    result = _run_cli("plan", "--stack", "staging", "--project-dir", str(tmp_path), "--no-policies")
    assert result.returncode == cli.EXIT_USAGE
    assert (
        result.stderr.strip()
        == "arbiter-infra: --stack 'staging': no Pulumi.staging.yaml; known stacks: prod"
    )


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.staging.yaml").write_text("config:\n  arbiter:network: [unclosed\n")
    result = _run_cli("plan", "--stack", "staging", "--project-dir", str(tmp_path), "--no-policies")
    assert result.returncode == cli.EXIT_USAGE
    assert result.stderr.strip().startswith("arbiter-infra: Pulumi.staging.yaml: not valid YAML at line")


def test_price_table_covers_every_supported_class() -> None:
    from arbiter_infra import catalog

    table = price_table()
    assert set(catalog.AURORA_INSTANCE_MEMORY_GIB) <= set(table["hourly"]["aurora_instance"])
    assert set(catalog.CACHE_NODE_MEMORY_GIB) <= set(table["hourly"]["cache_node"])
    assert table["as_of"] and table["sources"] and table["excluded_usage_based"]


def test_cost_counts_what_is_declared(staging: Deployment, prod: Deployment) -> None:
    def items(d: Deployment) -> dict[str, float]:
        return {i.item: i.quantity for i in estimate(d).items}

    assert items(staging)["NAT gateway"] == 1 and items(prod)["NAT gateway"] == 3
    assert items(prod)["VPC interface endpoints"] == 3  # secretsmanager x 3 AZs
    assert "VPC interface endpoints" not in items(staging)
    nat = estimate(prod).items[[i.item for i in estimate(prod).items].index("NAT gateway")]
    assert nat.monthly_usd == round(3 * 0.045 * 730, 2)
    assert estimate(prod).total > estimate(staging).total


def test_unanswered_invoke_fails_loudly_naming_the_token() -> None:
    from pulumi.runtime.mocks import MockCallArgs

    from arbiter_tools.runtime import ArbiterMocks, UnansweredInvokeError

    mocks = ArbiterMocks()
    answer, failures = mocks.call(MockCallArgs("aws:index/getRegion:getRegion", {}, ""))
    assert answer["name"] == "us-east-1" and failures == []
    with pytest.raises(UnansweredInvokeError, match=r"no answer for invoke aws:ec2/getVpc:getVpc"):
        mocks.call(MockCallArgs("aws:ec2/getVpc:getVpc", {}, ""))


def _engine_urn(deployment: Deployment, resource: DeclaredResource) -> str:
    """The URN `pulumi up` assigns: the ancestors' types below the Stack, `$`-joined, then the type."""
    types = [resource.type]
    parent = resource.parent
    while parent:
        try:
            ancestor = deployment.by_urn(parent)
        except LookupError:  # the Stack itself is not a declared resource
            break
        types.insert(0, ancestor.type)
        parent = ancestor.parent
    return f"urn:pulumi:{deployment.stack}::arbiter::{'$'.join(types)}::{resource.name}"


def test_urns_are_the_engines(deployment: Deployment) -> None:
    nested = 0
    for r in deployment.resources:
        assert r.urn == _engine_urn(deployment, r)
        assert "pulumi:pulumi:Stack$" not in r.urn
        nested += r.urn.count("$") >= 2
    assert nested > 0  # grandchildren exist, so the whole chain is checked


def test_plan_reads_like_a_preview(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--stack", "staging", "--no-policies"]) == 0
    text = capsys.readouterr().out
    assert "+ pulumi:pulumi:Stack  arbiter-staging" in text
    assert "  + pulumi:pulumi:Stack" in text
    assert "  albDnsName: output<known after deploy>" in text
    assert '  clusterName: "arbiter-staging"' in text
    assert cli.main(["plan", "--stack", "staging", "--no-policies", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["resourceCount"] == len(doc["resources"]) + 1
    assert doc["counts"]["pulumi:pulumi:Stack"] == 1
    assert doc["outputs"]["vpcId"] == plan_output.UNKNOWN
    assert doc["outputs"]["databasePort"] == 5432


def _stack_text(project: Path, text: str | bytes) -> None:
    path = project / "Pulumi.staging.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


_STAGING = (PROJECT_DIR / "Pulumi.staging.yaml").read_text()

MALFORMED = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "Pulumi.staging.yaml: not UTF-8 text (byte 0)"),
    ("list", "- config\n- x\n", "Pulumi.staging.yaml: must be a mapping with a 'config:' key, not a list"),
    (
        "duplicate-key",
        _STAGING.replace(
            "  arbiter:environment: staging\n",
            "  arbiter:environment: staging\n  arbiter:environment: prod\n",
        ),
        "key 'arbiter:environment' is given twice",
    ),
    (
        "typo-aws-key",
        _STAGING.replace("aws:region:", "aws:regoin:"),
        "aws:regoin is not a setting of this project: did you mean aws:region?",
    ),
    (
        "typo-secret-key",
        _STAGING + "  arbiter:telegramBotTokn:\n    secure: v1:AAAA\n",
        "arbiter:telegramBotTokn is not a setting of this project: application secrets (did you mean "
        "arbiter:telegramBotToken?) are set with `arbiter-infra secrets set`, never in stack config",
    ),
    (
        "plaintext-credential",
        _STAGING + "  arbiter:telegramBotToken: 123456:ABCdef\n",
        "arbiter:telegramBotToken is set: application secrets are not stack config; remove it (pulumi config rm "
        "arbiter:telegramBotToken) and set the value with `arbiter-infra secrets set --stack staging --secret telegram`",
    ),
    (
        "host-bits",
        _STAGING.replace("publicSubnets: [10.0.1.0/24,", "publicSubnets: [10.0.1.5/24,"),
        'arbiter:network.publicSubnets[0] = "10.0.1.5/24": must be a network address: host bits are set '
        "(did you mean 10.0.1.0/24?)",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_stack_files_are_one_line(tmp_path: Path, text: str | bytes, fragment: str) -> None:
    project = write_project(tmp_path, "staging", stack_sections("staging"))
    _stack_text(project, text)
    result = _run_cli("plan", "--stack", "staging", "--project-dir", str(project), "--no-policies")
    assert result.returncode == cli.EXIT_USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert fragment in lines[0]

"""Data tier: exchange secrets, Aurora PostgreSQL and Redis, for both stacks, plus bad input.

Each stack is evaluated once (the real `__main__.py` under the offline mocks). The components are
also captured from the composition (`__main__.py`) so the interface the service tier uses (`secrets.value_from`,
`database.master_secret_arn`, `cache.auth_value_from`...) is checked with resolved values.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import mocks as pmocks
from pulumi.runtime.sync_await import _sync_await

import components.cache as cache_module
import components.database as database_module
import components.secrets as secrets_module
from arbiter_infra.config import EXCHANGE_SECRET_KEYS, ConfigError
from arbiter_tools.runtime import PROJECT_DIR, ArbiterMocks, DeclaredResource, Deployment, run_program
from components.cache import Redis
from components.database import Aurora
from components.secrets import ExchangeSecrets

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PASSWORD = "random:index/randomPassword:RandomPassword"

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtest\nline2+/=\n-----END RSA PRIVATE KEY-----\n"
SECRET_VALUES = {
    "polyPrivateKey": "ab" * 32,
    "polyApiKey": "poly-api-key-0001",
    "polyApiSecret": "poly-api-secret-0002",
    "polyApiPassphrase": "poly-passphrase-0003",
    "kalshiKeyId": "kalshi-key-id-0004",
    "kalshiPrivateKey": PEM,
    "telegramBotToken": "123456:telegram-token-0005",
}
ALL_KEYS = [key for key, _, _ in EXCHANGE_SECRET_KEYS]


@dataclass
class Run:
    """One program run plus the data-tier components it built and their resolved attributes."""

    d: Deployment
    secrets: ExchangeSecrets
    database: Aurora
    cache: Redis
    resolved: dict[str, Any] = field(default_factory=dict)

    def key_arn(self) -> str:
        return str(self.d.one("aws:kms/key:Key", f"arbiter-{self.d.stack}-key-key").outputs["arn"])

    def secret(self, name: str) -> DeclaredResource:
        found = [r for r in self.d.of_type(SECRET) if r.inputs.get("name") == name]
        assert len(found) == 1, name
        return found[0]

    def versions_of(self, secret: DeclaredResource) -> list[DeclaredResource]:
        return [r for r in self.d.of_type(VERSION) if r.inputs.get("secretId") == secret.id]

    def sg_id(self, key: str) -> str:
        return next(
            r.id
            for r in self.d.of_type("aws:ec2/securityGroup:SecurityGroup")
            if r.inputs.get("name") == f"arbiter-{self.d.stack}-{key}"
        )

    def database_subnet_ids(self) -> list[str]:
        ids = self.d.outputs["databaseSubnetIds"]
        assert len(ids) == 3
        return list(ids)


def _resolve(value: Any) -> Any:
    return _sync_await(pulumi.Output.from_input(value).future())


def _run(stack: str, secret_values: dict[str, str] | None = None) -> Run:
    """Run the program, capturing the components the data tier block constructs."""
    built: dict[str, Any] = {}
    originals = (secrets_module.ExchangeSecrets, database_module.Aurora, cache_module.Redis)

    def capture(cls: Any, slot: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> Any:
            built[slot] = cls(*args, **kwargs)
            return built[slot]

        return make

    # `__main__.py` imports the component classes afresh on every run: patch their modules.
    secrets_module.ExchangeSecrets = capture(originals[0], "secrets")  # type: ignore[misc]
    database_module.Aurora = capture(originals[1], "database")  # type: ignore[misc]
    cache_module.Redis = capture(originals[2], "cache")  # type: ignore[misc]
    try:
        d = run_program(stack, secret_values=secret_values)
    finally:
        secrets_module.ExchangeSecrets, database_module.Aurora, cache_module.Redis = originals  # type: ignore[misc]
    run = Run(d, built["secrets"], built["database"], built["cache"])
    sec, db, cache = run.secrets, run.database, run.cache
    run.resolved = {
        "value_from": {k: _resolve(v) for k, v in sec.value_from.items()},
        "arns": {k: _resolve(v) for k, v in sec.arns.items()},
        "master_secret_arn": _resolve(db.master_secret_arn),
        "endpoint": _resolve(db.endpoint),
        "reader_endpoint": _resolve(db.reader_endpoint),
        "port": _resolve(db.port),
        "cluster_resource_id": _resolve(db.cluster_resource_id),
        "auth_value_from": _resolve(cache.auth_value_from),
        "auth_secret_arn": _resolve(cache.auth_secret.arn),
        "primary_endpoint": _resolve(cache.primary_endpoint),
        "redis_reader_endpoint": _resolve(cache.reader_endpoint),
        "redis_port": _resolve(cache.port),
    }
    return run


@pytest.fixture(scope="module")
def stg() -> Run:
    return _run("staging")


@pytest.fixture(scope="module")
def prd() -> Run:
    return _run("prod")


@pytest.fixture(params=["staging", "prod"])
def run(request: pytest.FixtureRequest, stg: Run, prd: Run) -> Run:
    return stg if request.param == "staging" else prd


EXPECTED: dict[str, dict[str, Any]] = {
    "staging": {"classes": ["db.t4g.medium"], "node": "cache.t4g.micro", "nodes": 1, "snap": 1, "window": 7},
    "prod": {"classes": ["db.r6g.large"] * 2, "node": "cache.r6g.large", "nodes": 3, "snap": 7, "window": 30},
}


# --- Aurora -------------------------------------------------------------------------------------


def test_aurora_engine_version_identifiers(run: Run) -> None:
    c = run.d.one(CLUSTER)
    env = run.d.stack
    assert c.inputs["engine"] == "aurora-postgresql"
    assert c.inputs["engineMode"] == "provisioned"
    assert c.inputs["engineVersion"] == "16"
    assert c.inputs["allowMajorVersionUpgrade"] is True
    assert c.inputs["clusterIdentifier"] == f"arbiter-{env}-aurora"
    assert c.inputs["databaseName"] == "arbiter"
    assert c.inputs["port"] == 5432
    ids = sorted(i.inputs["identifier"] for i in run.d.of_type(INSTANCE))
    assert ids == [f"arbiter-{env}-aurora-{n}" for n in range(1, len(ids) + 1)]
    assert run.database.cluster_identifier == f"arbiter-{env}-aurora"


def test_aurora_instances_classes_and_azs(run: Run) -> None:
    instances = sorted(run.d.of_type(INSTANCE), key=lambda r: r.inputs["identifier"])
    expected = EXPECTED[run.d.stack]["classes"]
    assert [i.inputs["instanceClass"] for i in instances] == expected
    assert run.database.instance_classes == expected
    assert [i.inputs["availabilityZone"] for i in instances] == ["us-east-1a", "us-east-1b"][: len(expected)]
    c = run.d.one(CLUSTER)
    for i in instances:
        assert i.inputs["clusterIdentifier"] == c.id
        assert i.inputs["engine"] == "aurora-postgresql"
        assert "engineVersion" not in i.inputs  # instances run the cluster's version
        assert i.inputs["publiclyAccessible"] is False
        assert i.inputs["autoMinorVersionUpgrade"] is True
        assert i.inputs["dbSubnetGroupName"] == run.d.one("aws:rds/subnetGroup:SubnetGroup").outputs["name"]


def test_prod_writer_and_reader_in_different_azs(prd: Run) -> None:
    azs = [i.inputs["availabilityZone"] for i in prd.d.of_type(INSTANCE)]
    assert len(azs) == 2 and len(set(azs)) == 2


def test_aurora_encryption_uses_the_stack_cmk(run: Run) -> None:
    c = run.d.one(CLUSTER).inputs
    key = run.key_arn()
    assert key.startswith("arn:aws:kms:")
    assert c["storageEncrypted"] is True
    assert c["kmsKeyId"] == key
    assert c["manageMasterUserPassword"] is True
    assert c["masterUserSecretKmsKeyId"] == key
    assert "masterPassword" not in c  # RDS generates and rotates it; it never passes through Pulumi
    assert c["iamDatabaseAuthenticationEnabled"] is True
    for i in run.d.of_type(INSTANCE):
        assert i.inputs["performanceInsightsEnabled"] is True
        assert i.inputs["performanceInsightsKmsKeyId"] == key
        assert i.inputs["performanceInsightsRetentionPeriod"] == 7


def test_aurora_backups_and_maintenance(run: Run) -> None:
    c = run.d.one(CLUSTER).inputs
    assert c["backupRetentionPeriod"] == 7
    assert c["preferredBackupWindow"] == "03:00-04:00"
    assert c["preferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert c["copyTagsToSnapshot"] is True


def test_aurora_log_export_has_a_precreated_group(run: Run) -> None:
    c = run.d.one(CLUSTER)
    assert c.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    name = f"/aws/rds/cluster/arbiter-{run.d.stack}-aurora/postgresql"
    group = next(g for g in run.d.of_type(LOG_GROUP) if g.inputs["name"] == name)
    assert group.inputs["retentionInDays"] == 14
    assert group.inputs["kmsKeyId"] == run.key_arn()
    assert group.urn in c.dependencies  # exists before RDS would create it without retention
    assert run.database.log_group is not None


def test_aurora_parameter_group(run: Run) -> None:
    pg = run.d.one("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert pg.inputs["family"] == "aurora-postgresql16"
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params == {"rds.force_ssl": "1", "log_min_duration_statement": "500", "log_statement": "ddl"}
    assert run.d.one(CLUSTER).inputs["dbClusterParameterGroupName"] == pg.outputs["name"]


def test_aurora_enhanced_monitoring_role(run: Run) -> None:
    role = next(
        r
        for r in run.d.of_type("aws:iam/role:Role")
        if r.inputs["name"] == f"arbiter-{run.d.stack}-aurora-monitoring"
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (stmt,) = trust["Statement"]
    assert stmt["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachments = [
        a
        for a in run.d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    ]
    assert [a.inputs["policyArn"] for a in attachments] == [
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    ]
    for i in run.d.of_type(INSTANCE):
        assert i.inputs["monitoringInterval"] == 60
        assert i.inputs["monitoringRoleArn"] == role.outputs["arn"]


def test_aurora_network_placement(run: Run) -> None:
    sg = run.d.one("aws:rds/subnetGroup:SubnetGroup")
    assert sg.inputs["subnetIds"] == run.database_subnet_ids()
    c = run.d.one(CLUSTER).inputs
    assert c["dbSubnetGroupName"] == sg.outputs["name"]
    assert c["vpcSecurityGroupIds"] == [run.sg_id("database")]


def test_prod_database_is_protected(prd: Run) -> None:
    c = prd.d.one(CLUSTER)
    assert c.inputs["deletionProtection"] is True
    assert c.protect is True
    assert c.inputs["skipFinalSnapshot"] is False
    assert c.inputs["finalSnapshotIdentifier"] == "arbiter-prod-aurora-final"
    assert all(i.protect for i in prd.d.of_type(INSTANCE))


def test_staging_database_is_disposable(stg: Run) -> None:
    c = stg.d.one(CLUSTER)
    assert c.inputs["deletionProtection"] is False
    assert c.protect is False
    assert c.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in c.inputs
    assert not any(i.protect for i in stg.d.of_type(INSTANCE))


def test_database_attributes_and_outputs(run: Run) -> None:
    c = run.d.one(CLUSTER).outputs
    r = run.resolved
    assert r["endpoint"] == c["endpoint"] == run.d.outputs["databaseEndpoint"]
    assert r["reader_endpoint"] == c["readerEndpoint"] == run.d.outputs["databaseReaderEndpoint"]
    assert ".cluster-ro-" in r["reader_endpoint"]
    assert r["port"] == 5432 == run.d.outputs["databasePort"]
    assert r["master_secret_arn"] == c["masterUserSecrets"][0]["secretArn"]
    assert r["master_secret_arn"] == run.d.outputs["databaseMasterSecretArn"]
    assert r["master_secret_arn"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-"
    )
    assert r["cluster_resource_id"] == c["clusterResourceId"]
    assert run.database.database_name == "arbiter"


# --- Redis --------------------------------------------------------------------------------------


def test_redis_group_size_and_placement(run: Run) -> None:
    g = run.d.one(GROUP).inputs
    exp = EXPECTED[run.d.stack]
    assert g["replicationGroupId"] == f"arbiter-{run.d.stack}-redis"
    assert len(g["replicationGroupId"]) <= 40
    assert g["engine"] == "redis"
    assert g["engineVersion"] == "7.1"
    assert run.d.one(GROUP).ignore_changes == ("engineVersion",)
    assert g["nodeType"] == exp["node"]
    assert g["numCacheClusters"] == exp["nodes"]
    azs = ["us-east-1a", "us-east-1b", "us-east-1c"][: exp["nodes"]]
    assert g["preferredCacheClusterAzs"] == azs
    prod = run.d.stack == "prod"
    assert g["automaticFailoverEnabled"] is prod
    assert g["multiAzEnabled"] is prod
    assert g["autoMinorVersionUpgrade"] is True


def test_redis_encryption_and_auth(run: Run) -> None:
    g = run.d.one(GROUP)
    assert g.inputs["transitEncryptionEnabled"] is True
    assert g.inputs["transitEncryptionMode"] == "required"
    assert g.inputs["atRestEncryptionEnabled"] is True
    assert g.inputs["kmsKeyId"] == run.key_arn()
    pw = run.d.one(PASSWORD)
    assert pw.inputs["length"] == 64 and pw.inputs["special"] is False
    token = pw.outputs["result"]
    assert len(token) == 64
    assert g.inputs["authToken"] == token
    assert "authToken" in g.secret_inputs
    assert g.inputs["authTokenUpdateStrategy"] == "ROTATE"


def test_redis_auth_secret(run: Run) -> None:
    env = run.d.stack
    secret = run.secret(f"arbiter-{env}/redis-auth")
    assert secret.inputs["kmsKeyId"] == run.key_arn()
    assert secret.inputs["recoveryWindowInDays"] == EXPECTED[env]["window"]
    (version,) = run.versions_of(secret)
    assert json.loads(version.inputs["secretString"]) == {"auth_token": run.d.one(PASSWORD).outputs["result"]}
    assert "secretString" in version.secret_inputs
    arn = secret.outputs["arn"]
    assert run.resolved["auth_secret_arn"] == arn == run.d.outputs["redisAuthSecretArn"]
    assert run.resolved["auth_value_from"] == f"{arn}:auth_token::"


def test_redis_parameters_snapshots_and_slow_log(run: Run) -> None:
    env = run.d.stack
    g = run.d.one(GROUP)
    pg = run.d.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert pg.inputs["family"] == "redis7"
    assert g.inputs["parameterGroupName"] == pg.outputs["name"]
    assert g.inputs["snapshotRetentionLimit"] == EXPECTED[env]["snap"]
    assert g.inputs["snapshotWindow"] == "02:00-03:00"
    assert g.inputs["maintenanceWindow"] == "sun:06:00-sun:07:00"
    name = f"/aws/elasticache/arbiter-{env}/slow-log"
    group = next(lg for lg in run.d.of_type(LOG_GROUP) if lg.inputs["name"] == name)
    assert group.inputs["retentionInDays"] == 14
    assert group.inputs["kmsKeyId"] == run.key_arn()
    assert g.inputs["logDeliveryConfigurations"] == [
        {
            "destination": name,
            "destinationType": "cloudwatch-logs",
            "logFormat": "json",
            "logType": "slow-log",
        }
    ]


def test_redis_network_placement(run: Run) -> None:
    sg = run.d.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert sg.inputs["subnetIds"] == run.database_subnet_ids()
    g = run.d.one(GROUP).inputs
    assert g["subnetGroupName"] == sg.outputs["name"]
    assert g["securityGroupIds"] == [run.sg_id("cache")]


def test_redis_protection_per_stack(stg: Run, prd: Run) -> None:
    assert prd.d.one(GROUP).protect is True
    assert prd.d.one(GROUP).inputs["finalSnapshotIdentifier"] == "arbiter-prod-redis-final"
    assert stg.d.one(GROUP).protect is False
    assert "finalSnapshotIdentifier" not in stg.d.one(GROUP).inputs


def test_redis_attributes_and_outputs(run: Run) -> None:
    g = run.d.one(GROUP).outputs
    r = run.resolved
    assert r["primary_endpoint"] == g["primaryEndpointAddress"] == run.d.outputs["redisPrimaryEndpoint"]
    assert r["redis_reader_endpoint"] == g["readerEndpointAddress"] == run.d.outputs["redisReaderEndpoint"]
    assert r["redis_port"] == 6379 == run.d.outputs["redisPort"]


# --- Exchange secrets ---------------------------------------------------------------------------


def test_exchange_secrets_exist_encrypted_without_values(run: Run) -> None:
    env = run.d.stack
    assert set(run.secrets.secrets) == {"polymarket", "kalshi", "telegram"}
    for name in ("polymarket", "kalshi", "telegram"):
        s = run.secret(f"arbiter-{env}/{name}")
        assert s.inputs["kmsKeyId"] == run.key_arn()
        assert s.inputs["recoveryWindowInDays"] == EXPECTED[env]["window"]
        assert run.versions_of(s) == []  # containers only: an operator sets the values
        assert run.resolved["arns"][name] == s.outputs["arn"] == run.d.outputs["exchangeSecretArns"][name]
    # The only secret version the program writes is the Redis AUTH token it generates itself.
    assert [v.name for v in run.d.of_type(VERSION)] == [f"arbiter-{env}-cache-auth-value"]
    assert run.d.outputs["exchangeSecretFields"] == {
        "polymarket": ["private_key", "api_key", "api_secret", "passphrase"],
        "kalshi": ["key_id", "private_key"],
        "telegram": ["bot_token"],
    }


def test_value_from_per_key(run: Run) -> None:
    arns = run.resolved["arns"]
    expected = {key: f"{arns[secret]}:{json_key}::" for key, secret, json_key in EXCHANGE_SECRET_KEYS}
    assert run.resolved["value_from"] == expected
    assert set(expected) == set(ALL_KEYS)


def _plaintext_leaks(value: Any, needles: list[str]) -> bool:
    text = json.dumps(value, default=str)
    return any(n in text or json.dumps(n)[1:-1] in text for n in needles)


def test_generated_auth_token_never_leaves_secret_inputs(run: Run) -> None:
    needles = [run.d.one(PASSWORD).outputs["result"]]
    for r in run.d.resources:
        public = {k: v for k, v in r.inputs.items() if k not in r.secret_inputs}
        assert not _plaintext_leaks(public, needles), f"{r.type} {r.name} carries a secret in plain inputs"
    public_outputs = {k: v for k, v in run.d.outputs.items() if k not in run.d.secret_outputs}
    assert not _plaintext_leaks(public_outputs, needles)


@pytest.mark.parametrize(("key", "secret"), [("polyApiKey", "polymarket"), ("telegramBotToken", "telegram")])
def test_secret_values_in_stack_config_are_refused(key: str, secret: str) -> None:
    # Values in config would pass through CI and sit in the state: refused before anything exists.
    mocks = CountingMocks("staging")
    with pytest.raises(ConfigError) as err:
        run_program("staging", mocks=mocks, secret_values={key: SECRET_VALUES[key]})
    msg = str(err.value)
    assert "\n" not in msg
    assert f"arbiter:{key} is set" in msg
    assert f"arbiter-infra secrets set --stack staging --secret {secret}" in msg
    assert SECRET_VALUES[key] not in msg
    assert mocks.created == 0


def test_data_tier_children_are_parented_to_their_component(run: Run) -> None:
    owners = {
        "arbiter:database:Aurora": {CLUSTER, INSTANCE, "aws:rds/subnetGroup:SubnetGroup"},
        "arbiter:cache:Redis": {GROUP, PASSWORD, "aws:elasticache/subnetGroup:SubnetGroup"},
        "arbiter:secrets:ExchangeSecrets": {SECRET},
    }
    for token, types in owners.items():
        (component,) = run.d.of_type(token)
        child_types = {c.type for c in run.d.children(component)}
        assert types <= child_types, token


# --- Bad input ----------------------------------------------------------------------------------


class CountingMocks(ArbiterMocks):
    """Counts registrations, to show bad config is refused before anything is registered."""

    def __init__(self, environment: str) -> None:
        super().__init__(environment)
        self.created = 0

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.created += 1
        return super().new_resource(args)


def _section(stack: str, section: str) -> dict[str, Any]:
    doc = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(doc["config"][f"arbiter:{section}"])


BAD: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "staging",
        "database",
        {"engineVersion": "16.8"},
        ['arbiter:database.engineVersion = "16.8"', 'major version only ("16")', "AWS upgrades the minor"],
    ),
    ("staging", "database", {"engineVersion": "14"}, ['arbiter:database.engineVersion = "14"', "15, 16"]),
    (
        "staging",
        "database",
        {"instanceClass": "db.m5.large"},
        ["database.instanceClass", "db.m5.large", "db.r6g.large"],
    ),
    ("prod", "database", {"instanceCount": 1}, ["arbiter:database.instanceCount = 1", ">= 2 in prod"]),
    (
        "staging",
        "database",
        {"instanceCount": 17},
        ["database.instanceCount = 17", "less than or equal to 16"],
    ),
    (
        "staging",
        "database",
        {"backupRetentionDays": 1},
        ["database.backupRetentionDays = 1", "greater than or equal to 7"],
    ),
    (
        "staging",
        "database",
        {"backupRetentionDays": 36},
        ["database.backupRetentionDays = 36", "less than or equal to 35"],
    ),
    (
        "staging",
        "database",
        {"performanceInsightsRetentionDays": 30},
        ["performanceInsightsRetentionDays = 30", "731"],
    ),
    (
        "staging",
        "database",
        {"logRetentionDays": 10},
        ["database.logRetentionDays = 10", "CloudWatch Logs retention"],
    ),
    (
        "staging",
        "database",
        {"monitoringIntervalSeconds": 0},
        ["database.monitoringIntervalSeconds = 0", "60"],
    ),
    ("staging", "database", {"backupWindow": "3am"}, ["database.backupWindow", "hh:mm-hh:mm"]),
    ("staging", "database", {"slowQueryThresholdMs": 10}, ["database.slowQueryThresholdMs = 10", "50"]),
    (
        "staging",
        "cache",
        {"engineVersion": "6.2"},
        ['arbiter:cache.engineVersion = "6.2"', "major version (7)"],
    ),
    (
        "staging",
        "cache",
        {"engineVersion": "7.1"},
        ['arbiter:cache.engineVersion = "7.1"', 'major version only ("7")'],
    ),
    (
        "staging",
        "cache",
        {"nodeType": "cache.m5.large"},
        ["cache.nodeType", "cache.m5.large", "cache.r6g.large"],
    ),
    (
        "prod",
        "cache",
        {"numNodes": 1},
        ["arbiter:cache.automaticFailover = true", "false when numNodes is 1"],
    ),
    (
        "prod",
        "cache",
        {"numNodes": 1, "automaticFailover": False, "multiAz": False},
        ["arbiter:cache.numNodes = 1", ">= 2 with automaticFailover and multiAz true in prod"],
    ),
    ("prod", "cache", {"multiAz": False, "automaticFailover": False}, ["cache.numNodes = 3", "in prod"]),
    ("staging", "cache", {"numNodes": 7}, ["cache.numNodes = 7", "less than or equal to 6"]),
    (
        "staging",
        "cache",
        {"snapshotRetentionDays": 0},
        ["cache.snapshotRetentionDays = 0", "greater than or equal to 1"],
    ),
    ("prod", "cache", {"snapshotRetentionDays": 1}, ["cache.snapshotRetentionDays = 1", ">= 7 in prod"]),
    ("staging", "cache", {"multiAz": True}, ["cache.multiAz = true", "unless automaticFailover"]),
    (
        "staging",
        "secrets",
        {"recoveryWindowDays": 3},
        ["secrets.recoveryWindowDays = 3", "greater than or equal to 7"],
    ),
    (
        "staging",
        "secrets",
        {"recoveryWindowDays": 31},
        ["secrets.recoveryWindowDays = 31", "less than or equal to 30"],
    ),
    ("prod", "secrets", {"recoveryWindowDays": 7}, ["secrets.recoveryWindowDays = 7", "30 in prod"]),
]


@pytest.mark.parametrize(
    ("stack", "section", "change", "expected"),
    BAD,
    ids=[f"{s}-{sec}-{'-'.join(map(str, c.items()))}" for s, sec, c, _ in BAD],
)
def test_bad_input_is_refused_before_anything_is_registered(
    stack: str, section: str, change: dict[str, Any], expected: list[str]
) -> None:
    values = _section(stack, section)
    values.update(change)
    mocks = CountingMocks(stack)
    with pytest.raises(ConfigError) as err:
        run_program(stack, mocks=mocks, config_overrides={section: values})
    msg = str(err.value)
    assert "\n" not in msg
    for part in expected:
        assert part in msg, (part, msg)
    assert mocks.created == 0


def test_unchanged_sections_are_accepted() -> None:
    """The bad-input harness itself: the stack files' own sections pass, so failures above are the change."""
    overrides = {s: _section("prod", s) for s in ("secrets", "database", "cache")}
    mocks = CountingMocks("prod")
    d = run_program("prod", mocks=mocks, config_overrides=overrides)
    assert mocks.created > 0
    assert d.one(CLUSTER).inputs["engineVersion"] == "16"


@pytest.fixture(autouse=True)
def _no_leftover_patches() -> Iterator[None]:
    yield
    assert database_module.Aurora is Aurora and cache_module.Redis is Redis
    assert secrets_module.ExchangeSecrets is ExchangeSecrets

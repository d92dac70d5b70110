"""Aurora PostgreSQL in both stacks: engine, instances, encryption, backups, logs, placement, protection."""

from __future__ import annotations

import json

from arbiter_tools.runtime import Deployment
from tests.program.data_tier_helpers import (
    CLUSTER,
    EXPECTED,
    INSTANCE,
    LOG_GROUP,
    database_subnet_ids,
    key_arn,
    sg_id,
)


def test_aurora_engine_version_identifiers(deployment: Deployment) -> None:
    c = deployment.one(CLUSTER)
    env = deployment.stack
    assert c.inputs["engine"] == "aurora-postgresql"
    assert c.inputs["engineMode"] == "provisioned"
    assert c.inputs["engineVersion"] == "16"
    assert c.inputs["allowMajorVersionUpgrade"] is True
    assert c.inputs["clusterIdentifier"] == f"arbiter-{env}-aurora"
    assert c.inputs["databaseName"] == "arbiter"
    assert c.inputs["port"] == 5432
    ids = sorted(i.inputs["identifier"] for i in deployment.of_type(INSTANCE))
    assert ids == [f"arbiter-{env}-aurora-{n}" for n in range(1, len(ids) + 1)]


def test_aurora_instances_classes_and_azs(deployment: Deployment) -> None:
    instances = sorted(deployment.of_type(INSTANCE), key=lambda r: r.inputs["identifier"])
    expected = EXPECTED[deployment.stack]["classes"]
    assert [i.inputs["instanceClass"] for i in instances] == expected
    assert [i.inputs["availabilityZone"] for i in instances] == ["us-east-1a", "us-east-1b"][: len(expected)]
    c = deployment.one(CLUSTER)
    for i in instances:
        assert i.inputs["clusterIdentifier"] == c.id
        assert i.inputs["engine"] == "aurora-postgresql"
        assert "engineVersion" not in i.inputs  # instances run the cluster's version
        assert i.inputs["publiclyAccessible"] is False
        assert i.inputs["autoMinorVersionUpgrade"] is True
        assert (
            i.inputs["dbSubnetGroupName"] == deployment.one("aws:rds/subnetGroup:SubnetGroup").outputs["name"]
        )


def test_prod_writer_and_reader_in_different_azs(prod: Deployment) -> None:
    azs = [i.inputs["availabilityZone"] for i in prod.of_type(INSTANCE)]
    assert len(azs) == 2 and len(set(azs)) == 2


def test_aurora_encryption_uses_the_stack_cmk(deployment: Deployment) -> None:
    c = deployment.one(CLUSTER).inputs
    key = key_arn(deployment)
    assert key.startswith("arn:aws:kms:")
    assert c["storageEncrypted"] is True
    assert c["kmsKeyId"] == key
    assert c["manageMasterUserPassword"] is True
    assert c["masterUserSecretKmsKeyId"] == key
    assert "masterPassword" not in c  # RDS generates and rotates it; it never passes through Pulumi
    assert c["iamDatabaseAuthenticationEnabled"] is True
    for i in deployment.of_type(INSTANCE):
        assert i.inputs["performanceInsightsEnabled"] is True
        assert i.inputs["performanceInsightsKmsKeyId"] == key
        assert i.inputs["performanceInsightsRetentionPeriod"] == 7


def test_aurora_backups_and_maintenance(deployment: Deployment) -> None:
    c = deployment.one(CLUSTER).inputs
    assert c["backupRetentionPeriod"] == 7
    assert c["preferredBackupWindow"] == "03:00-04:00"
    assert c["preferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert c["copyTagsToSnapshot"] is True


def test_aurora_log_export_has_a_precreated_group(deployment: Deployment) -> None:
    c = deployment.one(CLUSTER)
    assert c.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    name = f"/aws/rds/cluster/arbiter-{deployment.stack}-aurora/postgresql"
    group = next(g for g in deployment.of_type(LOG_GROUP) if g.inputs["name"] == name)
    assert group.inputs["retentionInDays"] == 14
    assert group.inputs["kmsKeyId"] == key_arn(deployment)
    assert group.urn in c.dependencies  # exists before RDS would create it without retention


def test_aurora_parameter_group(deployment: Deployment) -> None:
    pg = deployment.one("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert pg.inputs["family"] == "aurora-postgresql16"
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params == {
        "rds.force_ssl": "1",
        "log_min_duration_statement": "500",
        "log_statement": "ddl",
        # What an RDS blue/green deployment (the major-upgrade path) requires of the writer.
        "rds.logical_replication": "1",
    }
    assert deployment.one(CLUSTER).inputs["dbClusterParameterGroupName"] == pg.outputs["name"]


def test_aurora_enhanced_monitoring_role(deployment: Deployment) -> None:
    role = next(
        r
        for r in deployment.of_type("aws:iam/role:Role")
        if r.inputs["name"] == f"arbiter-{deployment.stack}-aurora-monitoring"
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (stmt,) = trust["Statement"]
    assert stmt["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachments = [
        a
        for a in deployment.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    ]
    assert [a.inputs["policyArn"] for a in attachments] == [
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    ]
    for i in deployment.of_type(INSTANCE):
        assert i.inputs["monitoringInterval"] == 60
        assert i.inputs["monitoringRoleArn"] == role.outputs["arn"]


def test_aurora_network_placement(deployment: Deployment) -> None:
    sg = deployment.one("aws:rds/subnetGroup:SubnetGroup")
    assert sg.inputs["subnetIds"] == database_subnet_ids(deployment)
    c = deployment.one(CLUSTER).inputs
    assert c["dbSubnetGroupName"] == sg.outputs["name"]
    assert c["vpcSecurityGroupIds"] == [sg_id(deployment, "database")]


def test_prod_database_is_protected(prod: Deployment) -> None:
    c = prod.one(CLUSTER)
    assert c.inputs["deletionProtection"] is True
    assert c.protect is True
    assert c.inputs["skipFinalSnapshot"] is False
    assert c.inputs["finalSnapshotIdentifier"] == "arbiter-prod-aurora-final"
    assert all(i.protect for i in prod.of_type(INSTANCE))


def test_staging_database_is_disposable(staging: Deployment) -> None:
    c = staging.one(CLUSTER)
    assert c.inputs["deletionProtection"] is False
    assert c.protect is False
    assert c.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in c.inputs
    assert not any(i.protect for i in staging.of_type(INSTANCE))


def test_database_attributes_and_outputs(deployment: Deployment) -> None:
    """The stack outputs are the cluster's (the typed connection: tests/components/test_data_tier.py)."""
    c = deployment.one(CLUSTER).outputs
    out = deployment.outputs
    assert out["databaseEndpoint"] == c["endpoint"]
    assert out["databaseReaderEndpoint"] == c["readerEndpoint"]
    assert ".cluster-ro-" in out["databaseReaderEndpoint"]
    assert out["databasePort"] == 5432
    assert out["databaseMasterSecretArn"] == c["masterUserSecrets"][0]["secretArn"]
    assert out["databaseMasterSecretArn"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-"
    )
    assert deployment.one(CLUSTER).inputs["databaseName"] == "arbiter"

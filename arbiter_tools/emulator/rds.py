"""RDS: Aurora clusters, instances, parameter and subnet groups, event subscriptions."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.RDS_CLUSTER_PARAMETER_GROUP)
def _rds_cluster_params(req: Request) -> Result:
    rds = req.client("rds")
    name = req.physical_name()
    group = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name,
        DBParameterGroupFamily=req.inputs["family"],
        Description=req.inputs.get("description") or "Managed by Pulumi",
        Tags=req.tag_list(),
    )["DBClusterParameterGroup"]
    params = [
        {
            "ParameterName": p["name"],
            "ParameterValue": str(p["value"]),
            "ApplyMethod": p.get("applyMethod", "pending-reboot"),
        }
        for p in req.inputs.get("parameters") or []
    ]
    if params:
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=name, Parameters=params)
    return name, {"name": name, "arn": group["DBClusterParameterGroupArn"]}


@handles(rt.RDS_SUBNET_GROUP)
def _rds_subnet_group(req: Request) -> Result:
    name = req.physical_name()
    group = req.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription=req.inputs.get("description") or "Managed by Pulumi",
        SubnetIds=list(req.inputs["subnetIds"]),
        Tags=req.tag_list(),
    )["DBSubnetGroup"]
    return name, {"name": name, "arn": group["DBSubnetGroupArn"], "vpcId": group["VpcId"]}


@handles(rt.RDS_CLUSTER)
def _rds_cluster(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("clusterIdentifier", max_len=63)
    cluster = req.client("rds").create_db_cluster(
        **clean(
            {
                "DBClusterIdentifier": ident,
                "Engine": i["engine"],
                "EngineVersion": i.get("engineVersion"),
                "EngineMode": i.get("engineMode"),
                "DatabaseName": i.get("databaseName"),
                "MasterUsername": i.get("masterUsername"),
                "MasterUserPassword": i.get("masterPassword"),
                "ManageMasterUserPassword": i.get("manageMasterUserPassword"),
                "MasterUserSecretKmsKeyId": i.get("masterUserSecretKmsKeyId"),
                "Port": opt_int(i.get("port")),
                "DBSubnetGroupName": i.get("dbSubnetGroupName"),
                "VpcSecurityGroupIds": i.get("vpcSecurityGroupIds"),
                "StorageEncrypted": i.get("storageEncrypted"),
                "KmsKeyId": i.get("kmsKeyId"),
                "BackupRetentionPeriod": opt_int(i.get("backupRetentionPeriod")),
                "PreferredBackupWindow": i.get("preferredBackupWindow"),
                "PreferredMaintenanceWindow": i.get("preferredMaintenanceWindow"),
                "DBClusterParameterGroupName": i.get("dbClusterParameterGroupName"),
                "DeletionProtection": i.get("deletionProtection"),
                "CopyTagsToSnapshot": i.get("copyTagsToSnapshot"),
                "EnableIAMDatabaseAuthentication": i.get("iamDatabaseAuthenticationEnabled"),
                "EnableCloudwatchLogsExports": i.get("enabledCloudwatchLogsExports"),
                "AvailabilityZones": i.get("availabilityZones"),
                "Tags": req.tag_list(),
            }
        )
    )["DBCluster"]
    secret = cluster.get("MasterUserSecret") or {}
    return ident, {
        "arn": cluster["DBClusterArn"],
        "clusterIdentifier": ident,
        "endpoint": cluster.get("Endpoint"),
        "readerEndpoint": cluster.get("ReaderEndpoint"),
        "port": cluster.get("Port"),
        "clusterResourceId": cluster.get("DbClusterResourceId"),
        "hostedZoneId": cluster.get("HostedZoneId"),
        "masterUserSecrets": (
            [
                {
                    "secretArn": secret.get("SecretArn"),
                    "secretStatus": secret.get("SecretStatus"),
                    "kmsKeyId": secret.get("KmsKeyId"),
                }
            ]
            if secret
            else []
        ),
    }


@handles(rt.RDS_EVENT_SUBSCRIPTION)
def _rds_event_subscription(req: Request) -> Result:
    i = req.inputs
    name = req.physical_name(max_len=255)
    sub = req.client("rds").create_event_subscription(
        **clean(
            {
                "SubscriptionName": name,
                "SnsTopicArn": i["snsTopic"],
                "SourceType": i.get("sourceType"),
                "SourceIds": i.get("sourceIds"),
                "EventCategories": i.get("eventCategories"),
                "Enabled": i.get("enabled", True),
                "Tags": req.tag_list(),
            }
        )
    )["EventSubscription"]
    return name, {"arn": sub["EventSubscriptionArn"], "customerAwsId": sub.get("CustomerAwsId")}


@handles(rt.RDS_CLUSTER_INSTANCE)
def _rds_instance(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("identifier", max_len=63)
    pi = i.get("performanceInsightsEnabled")
    inst = req.client("rds").create_db_instance(
        **clean(
            {
                "DBInstanceIdentifier": ident,
                "DBClusterIdentifier": i["clusterIdentifier"],
                "DBInstanceClass": i["instanceClass"],
                "Engine": i["engine"],
                "EngineVersion": i.get("engineVersion"),
                "AvailabilityZone": i.get("availabilityZone"),
                "DBSubnetGroupName": i.get("dbSubnetGroupName"),
                "PubliclyAccessible": i.get("publiclyAccessible"),
                "MonitoringInterval": opt_int(i.get("monitoringInterval")),
                "MonitoringRoleArn": i.get("monitoringRoleArn"),
                "EnablePerformanceInsights": pi,
                "PerformanceInsightsKMSKeyId": i.get("performanceInsightsKmsKeyId") if pi else None,
                "PerformanceInsightsRetentionPeriod": opt_int(i.get("performanceInsightsRetentionPeriod"))
                if pi
                else None,
                "CACertificateIdentifier": i.get("caCertIdentifier"),
                "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
                "PromotionTier": opt_int(i.get("promotionTier")),
                "CopyTagsToSnapshot": i.get("copyTagsToSnapshot"),
                "PreferredMaintenanceWindow": i.get("preferredMaintenanceWindow"),
                "DBParameterGroupName": i.get("dbParameterGroupName"),
                "Tags": req.tag_list(),
            }
        )
    )["DBInstance"]
    endpoint = inst.get("Endpoint") or {}
    return ident, {
        "arn": inst["DBInstanceArn"],
        "identifier": ident,
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "dbiResourceId": inst.get("DbiResourceId"),
        "writer": False,
    }

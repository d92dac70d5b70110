"""ElastiCache: subnet groups and replication groups."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.CACHE_SUBNET_GROUP)
def _cache_subnet_group(req: Request) -> Result:
    name = req.physical_name()
    group = req.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=name,
        CacheSubnetGroupDescription=req.inputs.get("description") or "Managed by Pulumi",
        SubnetIds=list(req.inputs["subnetIds"]),
        Tags=req.tag_list(),
    )["CacheSubnetGroup"]
    return name, {"name": name, "arn": group.get("ARN"), "vpcId": group.get("VpcId")}


@handles(rt.REPLICATION_GROUP)
def _cache_replication_group(req: Request) -> Result:
    i = req.inputs
    ident = req.physical_name("replicationGroupId", max_len=40)
    group = req.client("elasticache").create_replication_group(
        **clean(
            {
                "ReplicationGroupId": ident,
                "ReplicationGroupDescription": i.get("description") or "Managed by Pulumi",
                "Engine": i.get("engine"),
                "EngineVersion": i.get("engineVersion"),
                "CacheNodeType": i.get("nodeType"),
                "NumCacheClusters": opt_int(i.get("numCacheClusters")),
                "PreferredCacheClusterAZs": i.get("preferredCacheClusterAzs"),
                "AutomaticFailoverEnabled": i.get("automaticFailoverEnabled"),
                "MultiAZEnabled": i.get("multiAzEnabled"),
                "CacheParameterGroupName": i.get("parameterGroupName"),
                "CacheSubnetGroupName": i.get("subnetGroupName"),
                "SecurityGroupIds": i.get("securityGroupIds"),
                "Port": opt_int(i.get("port")),
                "AuthToken": i.get("authToken"),
                "TransitEncryptionEnabled": i.get("transitEncryptionEnabled"),
                "TransitEncryptionMode": i.get("transitEncryptionMode"),
                "AtRestEncryptionEnabled": i.get("atRestEncryptionEnabled"),
                "KmsKeyId": i.get("kmsKeyId"),
                "SnapshotRetentionLimit": opt_int(i.get("snapshotRetentionLimit")),
                "SnapshotWindow": i.get("snapshotWindow"),
                "PreferredMaintenanceWindow": i.get("maintenanceWindow"),
                "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
                "NotificationTopicArn": i.get("notificationTopicArn"),
                "LogDeliveryConfigurations": [
                    {
                        "LogType": c.get("logType"),
                        "DestinationType": c.get("destinationType"),
                        "LogFormat": c.get("logFormat"),
                        "DestinationDetails": (
                            {"CloudWatchLogsDetails": {"LogGroup": c["destination"]}}
                            if c.get("destinationType") == "cloudwatch-logs"
                            else {"KinesisFirehoseDetails": {"DeliveryStream": c["destination"]}}
                        ),
                    }
                    for c in i.get("logDeliveryConfigurations") or []
                ],
                "Tags": req.tag_list(),
            }
        )
    )["ReplicationGroup"]
    groups = group.get("NodeGroups") or [{}]
    primary = groups[0].get("PrimaryEndpoint") or {}
    reader = groups[0].get("ReaderEndpoint") or {}
    port = int(i.get("port", 6379))
    address = primary.get("Address") or f"master.{ident}.emulated.use1.cache.amazonaws.com"
    # moto ignores NumCacheClusters without cluster mode (one member only); AWS names them -001, -002...
    members = list(group.get("MemberClusters") or [])
    wanted = opt_int(i.get("numCacheClusters")) or len(members)
    members += [f"{ident}-{n:03d}" for n in range(len(members) + 1, wanted + 1)]
    return ident, {
        "arn": group.get("ARN"),
        "replicationGroupId": ident,
        "primaryEndpointAddress": address,
        "readerEndpointAddress": reader.get("Address") or address.replace("master.", "replica.", 1),
        "port": primary.get("Port") or port,
        "memberClusters": members,
    }

"""ElastiCache: subnet groups, RBAC users and user groups, replication groups."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, aws_error, clean, handles, opt_int
from policies import resource_types as rt

#: ElastiCache's own rules for a user group that moto (no user-group API) does not check.
DEFAULT_USER_NAME = "default"
MAX_USERS_PER_GROUP = 100


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


@handles(rt.CACHE_USER)
def _cache_user(req: Request) -> Result:
    i = req.inputs
    mode = i.get("authenticationMode") or {}
    user = req.client("elasticache").create_user(
        **clean(
            {
                "UserId": i["userId"],
                "UserName": i["userName"],
                "Engine": i["engine"],
                "AccessString": i["accessString"],
                "AuthenticationMode": clean({"Type": mode.get("type"), "Passwords": mode.get("passwords")})
                or None,
                "Tags": req.tag_list(),
            }
        )
    )
    return str(user["UserId"]), {"arn": user.get("ARN"), "userId": user["UserId"]}


@handles(rt.CACHE_USER_GROUP)
def _cache_user_group(req: Request) -> Result:
    """moto has no user groups: check what AWS checks (members exist, one is named `default`)."""
    i = req.inputs
    ids = list(i.get("userIds") or [])
    client = req.client("elasticache")
    names = [client.describe_users(UserId=uid)["Users"][0]["UserName"] for uid in ids]
    if DEFAULT_USER_NAME not in names:
        raise aws_error("DefaultUserRequired", f"user group {i['userGroupId']}: no member is named default")
    if len(ids) > MAX_USERS_PER_GROUP:
        raise aws_error(
            "UserGroupQuotaExceeded", f"{len(ids)} users: at most {MAX_USERS_PER_GROUP} per group"
        )
    ident = str(i["userGroupId"])
    arn = (
        f"arn:aws:elasticache:{req.region or req.emulator.region}:{req.emulator.account_id}:usergroup:{ident}"
    )
    return ident, {"arn": arn, "userGroupId": ident}


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
                "UserGroupIds": i.get("userGroupIds"),
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

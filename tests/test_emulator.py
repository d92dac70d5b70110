"""The program deployed through the moto-backed mocks: AWS semantics validate what it declares.

Each stack is deployed once per module into moto (`mock_aws`), then checked with boto3
`describe_*` calls against the stack file: what AWS would hold, not what the program echoed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern
from pulumi.runtime.mocks import MockResourceArgs

from arbiter_tools import emulator as emulator_module
from arbiter_tools.emulator import HANDLERS, MOTO_CONFIG, EmulatorError, EmulatorMocks, deploy
from arbiter_tools.runtime import Deployment
from components.waf import MANAGED_RULE_GROUPS, RATE_LIMIT_RULE
from tests.conftest import FAKE_ENV, stack_sections

pytestmark = pytest.mark.moto

#: The types moto has no API for (ElastiCache parameter groups, Backup selections and vault policies) or that are not AWS (random, tls:
#: computed locally, with real PEM that ACM's import accepts).
EXPECTED_FALLBACK = {
    # moto's AWS Backup has vaults and plans only (no selections, no vault access policies).
    "aws:backup/selection:Selection",
    "aws:backup/vaultPolicy:VaultPolicy",
    "aws:elasticache/parameterGroup:ParameterGroup",
    "random:index/randomPassword:RandomPassword",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
}


@dataclass
class Emulated:
    stack: str
    deployment: Deployment
    mocks: EmulatorMocks
    session: boto3.Session
    sections: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name="us-east-1")


@pytest.fixture(scope="class", params=["staging", "prod"])
def emulated(request: pytest.FixtureRequest) -> Iterator[Emulated]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
            session = boto3.Session(region_name="us-east-1")
            mocks = EmulatorMocks(request.param, session=session)
            deployment = deploy(request.param, mocks)
            yield Emulated(request.param, deployment, mocks, session, stack_sections(request.param))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        yield boto3.Session(region_name="us-east-1")


def _tag(resource: dict[str, Any], key: str = "Name") -> str | None:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == key), None)


def _vpc_filter(e: Emulated) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [e.deployment.outputs["vpcId"]]}]


class TestDeployedStack:
    """One deployment per stack (class scope: moto's state ends with the class)."""

    def test_every_declared_aws_type_is_emulated_or_listed_as_fallback(self, emulated: Emulated) -> None:
        declared = {
            r.type
            for r in emulated.deployment.resources
            if r.custom and not r.type.startswith("pulumi:providers:")
        }
        assert emulated.mocks.fallback_types == declared - set(emulated.mocks.emulated)
        assert emulated.mocks.fallback_types <= EXPECTED_FALLBACK
        assert not emulated.mocks.fallback_types & set(HANDLERS)
        assert emulated.mocks.errors == []

    def test_nine_subnets_with_the_configured_cidrs_and_zones(self, emulated: Emulated) -> None:
        net = emulated.sections["network"]
        subnets = emulated.client("ec2").describe_subnets(Filters=_vpc_filter(emulated))["Subnets"]
        got = {(s["CidrBlock"], s["AvailabilityZone"], _tag(s, "Tier")) for s in subnets}
        want = {
            (cidr, az, tier)
            for tier in ("public", "private", "database")
            for cidr, az in zip(net[f"{tier}Subnets"], net["availabilityZones"], strict=True)
        }
        assert len(subnets) == 9
        assert got == want
        # The provider's default tags reach AWS too (the emulator merges them per provider).
        assert {(_tag(s, "Environment"), _tag(s, "Service"), _tag(s, "ManagedBy")) for s in subnets} == {
            (emulated.stack, "network", "pulumi")
        }
        assert {s["SubnetId"] for s in subnets} == {
            *emulated.deployment.outputs["publicSubnetIds"],
            *emulated.deployment.outputs["privateSubnetIds"],
            *emulated.deployment.outputs["databaseSubnetIds"],
        }

    def test_route_tables_database_has_no_default_route(self, emulated: Emulated) -> None:
        ec2 = emulated.client("ec2")
        tables = ec2.describe_route_tables(Filters=_vpc_filter(emulated))["RouteTables"]
        by_subnet = {a["SubnetId"]: t for t in tables for a in t["Associations"] if a.get("SubnetId")}
        outputs = emulated.deployment.outputs

        def default_routes(table: dict[str, Any]) -> list[dict[str, Any]]:
            return [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]

        for subnet in outputs["databaseSubnetIds"]:
            assert default_routes(by_subnet[subnet]) == [], "database subnets must not reach the internet"
        for subnet in outputs["publicSubnetIds"]:
            assert default_routes(by_subnet[subnet])[0]["GatewayId"].startswith("igw-")
        for subnet in outputs["privateSubnetIds"]:
            assert default_routes(by_subnet[subnet])[0]["NatGatewayId"] in outputs["natGatewayIds"]

    def test_each_tier_sits_behind_its_own_network_acl(self, emulated: Emulated) -> None:
        acls = emulated.client("ec2").describe_network_acls(Filters=_vpc_filter(emulated))["NetworkAcls"]
        by_subnet = {a["SubnetId"]: acl for acl in acls for a in acl["Associations"]}
        outputs = emulated.deployment.outputs
        for tier in ("public", "private", "database"):
            [acl] = {by_subnet[s]["NetworkAclId"]: by_subnet[s] for s in outputs[f"{tier}SubnetIds"]}.values()
            assert acl["IsDefault"] is False and _tag(acl, "Tier") == tier
        # What AWS holds for the data tier: no allow from anywhere, and only tcp (6) allows.
        db = by_subnet[outputs["databaseSubnetIds"][0]]
        allows = [e for e in db["Entries"] if e["RuleAction"] == "allow" and e["RuleNumber"] < 32767]
        assert allows and all(e["Protocol"] == "6" and e["CidrBlock"] != "0.0.0.0/0" for e in allows)
        # The VPC's default ACL keeps no subnet of the stack.
        [default] = [a for a in acls if a["IsDefault"]]
        assert not default["Associations"]

    def test_nat_gateways_per_stack(self, emulated: Emulated) -> None:
        nats = emulated.client("ec2").describe_nat_gateways(Filters=_vpc_filter(emulated))["NatGateways"]
        per_az = emulated.sections["network"]["natGateways"] == "per-az"
        assert len(nats) == (3 if per_az else 1)
        public = set(emulated.deployment.outputs["publicSubnetIds"])
        assert {n["SubnetId"] for n in nats} <= public

    def test_vpc_endpoints_when_configured(self, emulated: Emulated) -> None:
        endpoints = emulated.client("ec2").describe_vpc_endpoints(Filters=_vpc_filter(emulated))[
            "VpcEndpoints"
        ]
        if not emulated.sections["network"]["vpcEndpoints"]:
            assert endpoints == []
            return
        outputs = emulated.deployment.outputs
        gateway = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
        interface = [e for e in endpoints if e["VpcEndpointType"] == "Interface"]
        assert [e["ServiceName"] for e in gateway] == ["com.amazonaws.us-east-1.s3"]
        private_tables = {
            t["RouteTableId"]
            for t in emulated.client("ec2").describe_route_tables(Filters=_vpc_filter(emulated))[
                "RouteTables"
            ]
            for a in t["Associations"]
            if a.get("SubnetId") in outputs["privateSubnetIds"]
        }
        assert set(gateway[0]["RouteTableIds"]) == private_tables
        assert interface
        for e in interface:
            assert set(e["SubnetIds"]) == set(outputs["privateSubnetIds"])
            assert e["PrivateDnsEnabled"] is True

    def test_security_group_rules_reference_groups(self, emulated: Emulated) -> None:
        ec2 = emulated.client("ec2")
        groups = {
            g["GroupName"]: g
            for g in ec2.describe_security_groups(Filters=_vpc_filter(emulated))["SecurityGroups"]
        }
        prefix = f"arbiter-{emulated.stack}"
        ids = {g["GroupId"] for g in groups.values()}
        database = groups[f"{prefix}-database"]
        sources = {p["GroupId"] for perm in database["IpPermissions"] for p in perm["UserIdGroupPairs"]}
        assert sources == {
            groups[f"{prefix}-trading-core"]["GroupId"],
            groups[f"{prefix}-web-api"]["GroupId"],
        }
        assert {perm["FromPort"] for perm in database["IpPermissions"]} == {5432}
        # Every group reference resolves inside the VPC; only the ALB admits the internet.
        for name, group in groups.items():
            for perm in group["IpPermissions"] + group["IpPermissionsEgress"]:
                assert {p["GroupId"] for p in perm["UserIdGroupPairs"]} <= ids
                if name != f"{prefix}-alb" and perm in group["IpPermissions"]:
                    assert all(r["CidrIp"] != "0.0.0.0/0" for r in perm["IpRanges"]), f"{name} open to all"
                    assert perm.get("Ipv6Ranges", []) == [], f"{name} open over IPv6"
        assert groups["default"]["IpPermissions"] == []
        assert groups["default"]["IpPermissionsEgress"] == []

    def test_aurora_encrypted_in_the_database_subnets(self, emulated: Emulated) -> None:
        rds = emulated.client("rds")
        cluster = rds.describe_db_clusters(DBClusterIdentifier=f"arbiter-{emulated.stack}-aurora")[
            "DBClusters"
        ][0]
        assert cluster["StorageEncrypted"] is True
        assert cluster["KmsKeyId"] == emulated.deployment.outputs["kmsKeyArn"]
        assert cluster["Endpoint"] == emulated.deployment.outputs["databaseEndpoint"]
        group = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"][0]
        assert {s["SubnetIdentifier"] for s in group["Subnets"]} == set(
            emulated.deployment.outputs["databaseSubnetIds"]
        )
        instances = rds.describe_db_instances(
            Filters=[{"Name": "db-cluster-id", "Values": [cluster["DBClusterIdentifier"]]}]
        )["DBInstances"]
        assert len(instances) == emulated.sections["database"]["instanceCount"]
        assert all(not i["PubliclyAccessible"] for i in instances)

    def test_redis_replication_group(self, emulated: Emulated) -> None:
        cache = emulated.client("elasticache")
        group = cache.describe_replication_groups(ReplicationGroupId=f"arbiter-{emulated.stack}-redis")[
            "ReplicationGroups"
        ][0]
        assert group["AtRestEncryptionEnabled"] is True
        assert group["TransitEncryptionEnabled"] is True
        assert group["AuthTokenEnabled"] is True
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
        assert primary == emulated.deployment.outputs["redisPrimaryEndpoint"]
        subnets = cache.describe_cache_subnet_groups(CacheSubnetGroupName=f"arbiter-{emulated.stack}-redis")[
            "CacheSubnetGroups"
        ][0]["Subnets"]
        assert {s["SubnetIdentifier"] for s in subnets} == set(
            emulated.deployment.outputs["databaseSubnetIds"]
        )

    def test_three_ecs_services_on_the_cluster_with_their_task_definitions(self, emulated: Emulated) -> None:
        ecs = emulated.client("ecs")
        cluster = f"arbiter-{emulated.stack}"
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
        services = ecs.describe_services(cluster=cluster, services=arns)["services"]
        assert sorted(s["serviceName"] for s in services) == ["telegram-bot", "trading-core", "web-api"]
        for s in services:
            td = ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
            assert td["family"] == f"arbiter-{emulated.stack}-{s['serviceName']}"
            assert td["networkMode"] == "awsvpc"
            assert s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
            assert set(s["networkConfiguration"]["awsvpcConfiguration"]["subnets"]) == set(
                emulated.deployment.outputs["privateSubnetIds"]
            )
        web = next(s for s in services if s["serviceName"] == "web-api")
        assert len(web["loadBalancers"]) == 2

    def test_alb_target_groups_and_listeners(self, emulated: Emulated) -> None:
        elb = emulated.client("elbv2")
        lbs = elb.describe_load_balancers()["LoadBalancers"]
        assert len(lbs) == 1
        lb = lbs[0]
        assert lb["Scheme"] == "internet-facing"
        assert lb["DNSName"] == emulated.deployment.outputs["albDnsName"]
        assert {z["SubnetId"] for z in lb["AvailabilityZones"]} == set(
            emulated.deployment.outputs["publicSubnetIds"]
        )
        groups = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        assert sorted(g["ProtocolVersion"] for g in groups) == ["GRPC", "HTTP1"]
        listeners = {
            listener["Port"]: listener
            for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        }
        assert set(listeners) == {80, 443}
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
        serving = listeners[443]
        certificate = serving["Certificates"][0]["CertificateArn"]
        if emulated.sections["services"].get("certificateArn"):
            assert emulated.sections["services"]["certificateArn"] in emulated.mocks.stand_ins
        else:
            # Staging's own certificate: generated, imported into ACM, for the ALB's DNS name.
            assert emulated.mocks.stand_ins == {}
            cert = emulated.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"]
            assert cert["Type"] == "IMPORTED"
            assert lb["DNSName"] in cert["SubjectAlternativeNames"]
        rules = [
            r for r in elb.describe_rules(ListenerArn=serving["ListenerArn"])["Rules"] if not r["IsDefault"]
        ]
        assert rules[0]["Conditions"][0]["Field"] == "http-header"
        grpc = next(g for g in groups if g["ProtocolVersion"] == "GRPC")
        assert rules[0]["Actions"][0]["TargetGroupArn"] == grpc["TargetGroupArn"]

    def test_rotation_of_the_master_secret_redeploys_its_consumers(self, emulated: Emulated) -> None:
        """The rule matches AWS's rotation event for the master secret only, and starts the machine,
        which force-deploys exactly the ECS services whose tasks inject that secret."""
        events, sfn, ecs = emulated.client("events"), emulated.client("stepfunctions"), emulated.client("ecs")
        outputs = emulated.deployment.outputs
        master = outputs["databaseMasterSecretArn"]
        [rule] = events.list_rules(NamePrefix=f"arbiter-{emulated.stack}-db-rotated")["Rules"]

        def event(secret: str, name: str = "RotationSucceeded") -> dict[str, Any]:
            return {
                "source": "aws.secretsmanager",
                "detail-type": "AWS Service Event via CloudTrail",
                "detail": {
                    "eventSource": "secretsmanager.amazonaws.com",
                    "eventName": name,
                    "additionalEventData": {"SecretId": secret},
                },
            }

        # moto has no TestEventPattern API; its own EventBridge matcher (what its rules use) decides.
        pattern = EventPattern.load(rule["EventPattern"])
        assert pattern.matches_event(event(master))
        assert not pattern.matches_event(event(master, "RotationFailed"))
        assert not pattern.matches_event(event(outputs["redisAuthSecretArn"]))
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        machine = sfn.describe_state_machine(stateMachineArn=target["Arn"])
        assert target["Arn"] == outputs["rotationRedeployStateMachineArn"]
        assert machine["type"] == "STANDARD"
        assert machine["loggingConfiguration"]["level"] == "ALL"
        [parallel] = json.loads(machine["definition"])["States"].values()
        redeployed = {
            b["States"][next(iter(b["States"]))]["Parameters"]["Service"] for b in parallel["Branches"]
        }
        cluster = outputs["clusterName"]
        services = ecs.describe_services(cluster=cluster, services=outputs["serviceNames"])["services"]
        injecting = set()
        for svc in services:
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            refs = [s["valueFrom"] for c in td["containerDefinitions"] for s in c.get("secrets", [])]
            if any(r.startswith(f"{master}:") for r in refs):
                injecting.add(svc["serviceArn"])
        assert redeployed == injecting and len(injecting) == 2

    def test_backup_vaults_in_two_regions_and_the_daily_plan_with_its_copy(self, emulated: Emulated) -> None:
        env, out = emulated.stack, emulated.deployment.outputs
        east = emulated.client("backup")
        west = emulated.session.client("backup", region_name="us-west-2")
        [vault] = [
            v
            for v in east.list_backup_vaults()["BackupVaultList"]
            if v["BackupVaultName"] == f"arbiter-{env}-backup"
        ]
        assert vault["EncryptionKeyArn"] == out["kmsKeyArn"]
        [copy] = west.list_backup_vaults()["BackupVaultList"]
        assert copy["BackupVaultArn"] == out["backupCopyVaultArn"]
        assert copy["BackupVaultArn"].split(":")[3] == "us-west-2"
        # The copy is encrypted with a key of its own region (a KMS key never leaves its region).
        assert copy["EncryptionKeyArn"].split(":")[3] == "us-west-2"
        west_kms = emulated.session.client("kms", region_name="us-west-2")
        assert west_kms.describe_key(KeyId=copy["EncryptionKeyArn"])["KeyMetadata"]["KeyState"] == "Enabled"
        [plan] = east.list_backup_plans()["BackupPlansList"]
        [rule] = east.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
        assert rule["TargetBackupVaultName"] == f"arbiter-{env}-backup"
        assert rule["ScheduleExpression"].startswith("cron(0 ")
        backup_cfg = emulated.sections["database"]["backup"]
        assert rule["Lifecycle"]["DeleteAfterDays"] == backup_cfg["retentionDays"] >= 7
        [action] = rule["CopyActions"]
        assert action["DestinationBackupVaultArn"] == copy["BackupVaultArn"]
        assert action["Lifecycle"]["DeleteAfterDays"] == backup_cfg["copyRetentionDays"]

    def test_restore_drill_from_a_recovery_point_under_the_programs_identifier(
        self, emulated: Emulated
    ) -> None:
        """docs/restore.md, "From an AWS Backup recovery point", as far as moto goes.

        moto has no backup jobs or recovery points: an Aurora recovery point *is* a cluster
        snapshot (what `start-backup-job` makes), so the drill takes one and restores it with the
        stack's subnet group, security group, parameter group and key, then swaps identifiers.
        Runs last in the class: it renames the stack's cluster.
        """
        env, out = emulated.stack, emulated.deployment.outputs
        rds = emulated.client("rds")
        name, new = f"arbiter-{env}-aurora", f"arbiter-{env}-aurora-restored"
        [old] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
        point = rds.create_db_cluster_snapshot(
            DBClusterIdentifier=name, DBClusterSnapshotIdentifier=f"awsbackup-job-{env}"
        )["DBClusterSnapshot"]
        assert point["KmsKeyId"] == out["kmsKeyArn"] and point["StorageEncrypted"]
        # moto cannot restore a snapshot of a cluster with an RDS-managed password (its
        # restore_db_cluster_from_snapshot raises KeyError); the same restore parameters go
        # through its point-in-time restore instead.
        rds.restore_db_cluster_to_point_in_time(
            DBClusterIdentifier=new,
            SourceDBClusterIdentifier=name,
            UseLatestRestorableTime=True,
            DBSubnetGroupName=old["DBSubnetGroup"],
            VpcSecurityGroupIds=[g["VpcSecurityGroupId"] for g in old["VpcSecurityGroups"]],
            DBClusterParameterGroupName=old["DBClusterParameterGroup"],
            KmsKeyId=out["kmsKeyArn"],
            EnableIAMDatabaseAuthentication=True,
            Port=5432,
        )
        rds.modify_db_cluster(
            DBClusterIdentifier=name, NewDBClusterIdentifier=f"{name}-old", ApplyImmediately=True
        )
        rds.modify_db_cluster(DBClusterIdentifier=new, NewDBClusterIdentifier=name, ApplyImmediately=True)
        [restored] = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
        assert restored["DbClusterResourceId"] != old["DbClusterResourceId"]
        assert restored["KmsKeyId"] == out["kmsKeyArn"] and restored["StorageEncrypted"]
        assert restored["DBSubnetGroup"] == old["DBSubnetGroup"]
        assert restored["Endpoint"].startswith(f"{name}.")


# --- AWS errors name the resource -----------------------------------------------------------


def _args(typ: str, name: str, /, **inputs: Any) -> MockResourceArgs:
    return MockResourceArgs(typ=typ, name=name, inputs=inputs, provider=None, resource_id=None, custom=True)


def _one_line_error(mocks: EmulatorMocks, args: MockResourceArgs) -> str:
    with pytest.raises(EmulatorError) as info:
        mocks.new_resource(args)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{args.typ} {args.name}: ")
    assert mocks.errors == [message]
    return message


def test_subnet_in_a_missing_vpc_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    args = _args("aws:ec2/subnet:Subnet", "orphan", vpcId="vpc-0123456789abcdef0", cidrBlock="10.0.1.0/24")
    assert "InvalidVpcID.NotFound" in _one_line_error(mocks, args)


def test_subnet_outside_its_vpc_cidr_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    vpc_id, _ = mocks.new_resource(_args("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.0.0.0/16"))
    args = _args("aws:ec2/subnet:Subnet", "stray", vpcId=vpc_id, cidrBlock="10.1.0.0/24")
    message = _one_line_error(mocks, args)
    assert "InvalidSubnet.Range" in message
    assert mocks.ids[vpc_id] == "aws:ec2/vpc:Vpc vpc"


def test_rule_referencing_a_missing_group_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    vpc_id, _ = mocks.new_resource(_args("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.0.0.0/16"))
    sg_id, _ = mocks.new_resource(
        _args("aws:ec2/securityGroup:SecurityGroup", "sg", name="app", vpcId=vpc_id)
    )
    args = _args(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "from-nowhere",
        securityGroupId=sg_id,
        ipProtocol="tcp",
        fromPort=5432.0,
        toPort=5432.0,
        referencedSecurityGroupId="sg-0000000000000dead",
    )
    assert "InvalidGroup.NotFound" in _one_line_error(mocks, args)


def test_policy_without_resource_is_a_one_line_error(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    doc = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}'
    args = _args("aws:iam/policy:Policy", "no-resource", policy=doc)
    assert "MalformedPolicyDocument" in _one_line_error(mocks, args)


def test_a_program_error_fails_the_whole_run(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through `deploy`: the run stops with the first AWS error, as one line naming the resource."""
    mocks = EmulatorMocks(session=aws)
    subnet = HANDLERS["aws:ec2/subnet:Subnet"]

    def misplaced(req: Any) -> Any:
        req.inputs["cidrBlock"] = "192.168.0.0/24"
        return subnet(req)

    monkeypatch.setitem(HANDLERS, "aws:ec2/subnet:Subnet", misplaced)
    with pytest.raises(
        EmulatorError, match=r"^aws:ec2/subnet:Subnet arbiter-staging-network-\S+: InvalidSubnet.Range"
    ):
        deploy("staging", mocks)


def test_a_reference_to_a_fallback_resource_is_named_in_the_error(aws: boto3.Session) -> None:
    """A fallback resource does not exist in AWS: a real resource referencing it fails, and says why."""
    mocks = EmulatorMocks(session=aws)
    fake_vpc, _ = mocks.new_resource(_args("aws:ec2/vpcIpv4CidrBlockAssociation:Thing", "fake-vpc"))
    message = _one_line_error(
        mocks, _args("aws:ec2/subnet:Subnet", "s", vpcId=fake_vpc, cidrBlock="10.0.0.0/24")
    )
    assert (
        f"{fake_vpc} is aws:ec2/vpcIpv4CidrBlockAssociation:Thing fake-vpc (fallback: not in AWS)" in message
    )

    def test_waf_on_the_alb_with_redacted_encrypted_logs(self, emulated: Emulated) -> None:
        lb = emulated.client("elbv2").describe_load_balancers()["LoadBalancers"][0]
        wafv2 = emulated.client("wafv2")
        acl = wafv2.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])["WebACL"]
        waf = emulated.sections["services"]["waf"]
        rules = {r["Name"]: r for r in acl["Rules"]}
        assert set(rules) == {*(g for _, g, _ in MANAGED_RULE_GROUPS), RATE_LIMIT_RULE}
        assert rules[RATE_LIMIT_RULE]["Statement"]["RateBasedStatement"]["Limit"] == waf["rateLimitPer5Min"]
        common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
        assert common["RuleActionOverrides"] == [
            {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
        ]
        logging = wafv2.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
        assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
        (destination,) = logging["LogDestinationConfigs"]
        group_name = destination.split(":log-group:", 1)[1]
        (group,) = emulated.client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
        assert group["logGroupName"].startswith("aws-waf-logs-arbiter-")
        assert group["retentionInDays"] == waf["logRetentionDays"]
        assert group["kmsKeyId"] == emulated.deployment.outputs["kmsKeyArn"]

    def test_alb_log_bucket_is_versioned(self, emulated: Emulated) -> None:
        lb = emulated.client("elbv2").describe_load_balancers()["LoadBalancers"][0]
        attrs = emulated.client("elbv2").describe_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"]
        )
        bucket = next(a["Value"] for a in attrs["Attributes"] if a["Key"] == "access_logs.s3.bucket")
        assert emulated.client("s3").get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_waf_logs_to_a_group_without_the_aws_waf_logs_prefix_are_refused(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    _, state = mocks.new_resource(
        _args(
            "aws:wafv2/webAcl:WebAcl",
            "acl",
            name="acl",
            scope="REGIONAL",
            defaultAction={"allow": {}},
            visibilityConfig={
                "cloudwatchMetricsEnabled": True,
                "metricName": "acl",
                "sampledRequestsEnabled": True,
            },
        )
    )
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/arbiter/waf"
    args = _args(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "logging",
        resourceArn=state["arn"],
        logDestinationConfigs=[group],
    )
    assert "WAF logs only to groups named aws-waf-logs-*" in _one_line_error(mocks, args)


def _grpc_behind(aws: boto3.Session, protocol: str, port: int) -> tuple[EmulatorMocks, str, str]:
    """A VPC, an ALB, a GRPC target group and a listener of `protocol` created through the mocks."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    mocks = EmulatorMocks(session=aws)
    lb, _ = mocks.new_resource(_args("aws:lb/loadBalancer:LoadBalancer", "alb", subnets=subnets))
    tg, _ = mocks.new_resource(
        _args(
            "aws:lb/targetGroup:TargetGroup",
            "tg-grpc",
            protocol="HTTP",
            protocolVersion="GRPC",
            port=8080,
            vpcId=vpc,
            targetType="ip",
        )
    )
    rest, _ = mocks.new_resource(
        _args(
            "aws:lb/targetGroup:TargetGroup",
            "tg-rest",
            protocol="HTTP",
            port=8080,
            vpcId=vpc,
            targetType="ip",
        )
    )
    extra: dict[str, Any] = {}
    if protocol == "HTTPS":
        cert, key = emulator_module._self_signed("grpc.example.invalid")
        extra = {
            "certificateArn": aws.client("acm").import_certificate(Certificate=cert, PrivateKey=key)[
                "CertificateArn"
            ],
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        }
    listener, _ = mocks.new_resource(
        _args(
            "aws:lb/listener:Listener",
            "listener",
            loadBalancerArn=lb,
            protocol=protocol,
            port=port,
            defaultActions=[{"type": "forward", "targetGroupArn": rest}],
            **extra,
        )
    )
    return mocks, listener, tg


def _grpc_rule(listener: str, tg: str) -> MockResourceArgs:
    return _args(
        "aws:lb/listenerRule:ListenerRule",
        "grpc-rule",
        listenerArn=listener,
        priority=10,
        conditions=[{"httpHeader": {"httpHeaderName": "content-type", "values": ["application/grpc*"]}}],
        actions=[{"type": "forward", "targetGroupArn": tg}],
    )


def test_a_grpc_rule_on_an_http_listener_is_refused_as_aws_does(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTP", 80)
    message = _one_line_error(mocks, _grpc_rule(listener, tg))
    assert "InvalidLoadBalancerAction" in message and "protocol version GRPC" in message
    assert "only HTTPS listeners" in message


def test_a_grpc_rule_on_an_https_listener_is_accepted(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTPS", 443)
    rid, _ = mocks.new_resource(_grpc_rule(listener, tg))
    assert rid.startswith("arn:aws:elasticloadbalancing:") and mocks.errors == []


def test_an_http_listener_forwarding_to_grpc_is_refused(aws: boto3.Session) -> None:
    mocks, listener, tg = _grpc_behind(aws, "HTTPS", 443)
    lb = aws.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["LoadBalancerArn"]
    args = _args(
        "aws:lb/listener:Listener",
        "plain",
        loadBalancerArn=lb,
        protocol="HTTP",
        port=8081,
        defaultActions=[{"type": "forward", "targetGroupArn": tg}],
    )
    assert "only HTTPS listeners can forward to it, not HTTP" in _one_line_error(mocks, args)


def test_unsupported_types_fall_back_and_are_listed(aws: boto3.Session) -> None:
    mocks = EmulatorMocks(session=aws)
    rid, state = mocks.new_resource(_args("aws:shield/protection:Protection", "shield", name="alb"))
    assert rid and state["arn"]
    assert mocks.fallback_types == {"aws:shield/protection:Protection"}
    assert mocks.emulated == {}


def test_emulate_command_reports_the_aws_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`arbiter-infra emulate` without an endpoint: in-process moto, and the AWS error as one line."""
    from arbiter_tools import cli

    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    subnet = HANDLERS["aws:ec2/subnet:Subnet"]

    def misplaced(req: Any) -> Any:
        req.inputs["cidrBlock"] = "192.168.0.0/24"
        return subnet(req)

    monkeypatch.setitem(HANDLERS, "aws:ec2/subnet:Subnet", misplaced)
    assert cli.main(["emulate", "--stack", "staging"]) == 2
    out, err = capsys.readouterr()
    assert "in-process (moto)" in out
    assert err.count("\n") == 1
    assert err.startswith(
        "arbiter-infra: the AWS API rejected the program: aws:ec2/subnet:Subnet arbiter-staging-"
    )
    assert "InvalidSubnet.Range" in err


def test_a_failed_run_does_not_poison_the_next_one(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi keeps a failed run's pending outputs globally; `deploy` drops them so later runs work."""
    from arbiter_tools.runtime import run_program

    subnet = HANDLERS["aws:ec2/subnet:Subnet"]

    def misplaced(req: Any) -> Any:
        req.inputs["cidrBlock"] = "192.168.0.0/24"
        return subnet(req)

    with monkeypatch.context() as mp:
        mp.setitem(HANDLERS, "aws:ec2/subnet:Subnet", misplaced)
        with pytest.raises(EmulatorError):
            deploy("staging", EmulatorMocks(session=aws))
    assert len(run_program("staging").of_type("aws:ec2/subnet:Subnet")) == 9

"""Composition: the tiers of one stack, wired through typed args, and the stack outputs."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from arbiter_infra.config import StackConfig
from arbiter_infra.naming import Naming, Providers
from components.kms import StackKey, StackKeyArgs
from components.network import Network, NetworkArgs
from components.security_groups import SecurityGroups, SecurityGroupsArgs


def build(config: StackConfig) -> None:
    """Declare every resource of the stack described by `config`."""
    naming = Naming(config.environment)
    providers = Providers(config)
    account_id = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(provider=providers("security"))
    ).account_id

    key = StackKey(
        naming("key"),
        StackKeyArgs(config=config, naming=naming, account_id=account_id),
        opts=providers.opts("security"),
    )
    network = Network(
        naming("network"),
        NetworkArgs(
            config=config.network,
            naming=naming,
            region=config.region,
            kms_key_arn=key.arn,
            account_id=account_id,
        ),
        opts=providers.opts("network"),
    )
    security_groups = SecurityGroups(
        naming("sg"),
        SecurityGroupsArgs(config=config, naming=naming, vpc_id=network.vpc.id),
        opts=providers.opts("network"),
    )

    # data tier

    # service tier

    # monitoring tier

    # delivery tier

    pulumi.export("environment", config.environment)
    pulumi.export("region", config.region)
    pulumi.export("kmsKeyArn", key.arn)
    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("publicSubnetIds", [s.id for s in network.public_subnets])
    pulumi.export("privateSubnetIds", [s.id for s in network.private_subnets])
    pulumi.export("databaseSubnetIds", [s.id for s in network.database_subnets])
    pulumi.export("natGatewayIds", [n.id for n in network.nat_gateways])
    pulumi.export("securityGroupIds", {k: v.id for k, v in security_groups.services.items()})

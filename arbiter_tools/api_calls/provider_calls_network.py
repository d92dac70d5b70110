"""A DATA TABLE: the Terraform AWS provider's calls besides the create, for the network and the keys (EC2, VPC, KMS).

Source: hashicorp/terraform-provider-aws; each entry names the Go file it was read from.
"""

from __future__ import annotations

from typing import Final

from arbiter_tools.api_calls.provider_model import EC2_TAG_WRITES, P, ProviderCalls
from policies import resource_types as rt

NETWORK_CALLS: Final[dict[str, ProviderCalls]] = {
    rt.VPC: ProviderCalls(
        f"{P}/ec2/vpc_.go (resourceVPCRead: DescribeVpcs, DescribeVpcAttribute x3, main route "
        "table, default security group and network ACL)",
        (
            ("ec2:DescribeVpcs", "*"),
            ("ec2:DescribeVpcAttribute", "{ec2}"),
            ("ec2:DescribeRouteTables", "*"),
            ("ec2:DescribeSecurityGroups", "*"),
            ("ec2:DescribeNetworkAcls", "*"),
        ),
        (*EC2_TAG_WRITES, ("ec2:ModifyVpcAttribute", "{ec2}")),
    ),
    rt.SUBNET: ProviderCalls(
        f"{P}/ec2/vpc_subnet.go",
        (("ec2:DescribeSubnets", "*"),),
        (*EC2_TAG_WRITES, ("ec2:ModifySubnetAttribute", "{ec2}")),
    ),
    rt.INTERNET_GATEWAY: ProviderCalls(
        f"{P}/ec2/vpc_internet_gateway.go", (("ec2:DescribeInternetGateways", "*"),), EC2_TAG_WRITES
    ),
    rt.EIP: ProviderCalls(
        f"{P}/ec2/ec2_eip.go (DescribeAddresses; DescribeAddressesAttribute for the PTR record)",
        (("ec2:DescribeAddresses", "*"), ("ec2:DescribeAddressesAttribute", "*")),
        EC2_TAG_WRITES,
    ),
    rt.NAT_GATEWAY: ProviderCalls(
        f"{P}/ec2/vpc_nat_gateway.go", (("ec2:DescribeNatGateways", "*"),), EC2_TAG_WRITES
    ),
    rt.ROUTE_TABLE: ProviderCalls(
        f"{P}/ec2/vpc_route_table.go", (("ec2:DescribeRouteTables", "*"),), EC2_TAG_WRITES
    ),
    rt.ROUTE: ProviderCalls(
        f"{P}/ec2/vpc_route.go (waits for the route in DescribeRouteTables)",
        (("ec2:DescribeRouteTables", "*"),),
        (("ec2:ReplaceRoute", "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}"),),
    ),
    rt.ROUTE_TABLE_ASSOCIATION: ProviderCalls(
        f"{P}/ec2/vpc_route_table_association.go",
        (("ec2:DescribeRouteTables", "*"),),
        (
            (
                "ec2:ReplaceRouteTableAssociation",
                "arn:aws:ec2:{region}:{account}:route-table/{i[routeTableId]}",
            ),
        ),
    ),
    rt.SECURITY_GROUP: ProviderCalls(
        f"{P}/ec2/vpc_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), EC2_TAG_WRITES
    ),
    rt.DEFAULT_SG: ProviderCalls(
        f"{P}/ec2/vpc_default_security_group.go", (("ec2:DescribeSecurityGroups", "*"),), EC2_TAG_WRITES
    ),
    rt.SG_INGRESS: ProviderCalls(
        f"{P}/ec2/vpc_security_group_ingress_rule.go (DescribeSecurityGroupRules; "
        "ModifySecurityGroupRules on update)",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *EC2_TAG_WRITES,
        ),
    ),
    rt.SG_EGRESS: ProviderCalls(
        f"{P}/ec2/vpc_security_group_egress_rule.go",
        (("ec2:DescribeSecurityGroupRules", "*"),),
        (
            (
                "ec2:ModifySecurityGroupRules",
                "arn:aws:ec2:{region}:{account}:security-group/{i[securityGroupId]}",
            ),
            *EC2_TAG_WRITES,
        ),
    ),
    rt.VPC_ENDPOINT: ProviderCalls(
        f"{P}/ec2/vpc_endpoint.go (DescribeVpcEndpoints; DescribePrefixLists for gateway endpoints)",
        (("ec2:DescribeVpcEndpoints", "*"), ("ec2:DescribePrefixLists", "*")),
        (*EC2_TAG_WRITES, ("ec2:ModifyVpcEndpoint", "{ec2}")),
    ),
    rt.NETWORK_ACL: ProviderCalls(
        f"{P}/ec2/vpc_network_acl.go (DescribeNetworkAcls; on update: entries deleted and created, "
        "subnets moved with ReplaceNetworkAclAssociation)",
        (("ec2:DescribeNetworkAcls", "*"),),
        (
            *EC2_TAG_WRITES,
            ("ec2:CreateNetworkAclEntry", "{ec2}"),
            ("ec2:DeleteNetworkAclEntry", "{ec2}"),
            ("ec2:ReplaceNetworkAclAssociation", "{ec2}"),
        ),
    ),
    rt.FLOW_LOG: ProviderCalls(f"{P}/ec2/vpc_flow_log.go", (("ec2:DescribeFlowLogs", "*"),), EC2_TAG_WRITES),
    rt.KMS_KEY: ProviderCalls(
        f"{P}/kms/key.go (findKeyInfo: DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags)",
        (
            ("kms:DescribeKey", "{o[arn]}"),
            ("kms:GetKeyPolicy", "{o[arn]}"),
            ("kms:GetKeyRotationStatus", "{o[arn]}"),
            ("kms:ListResourceTags", "{o[arn]}"),
        ),
        (
            ("kms:PutKeyPolicy", "{o[arn]}"),
            ("kms:UpdateKeyDescription", "{o[arn]}"),
            ("kms:TagResource", "{o[arn]}"),
            ("kms:UntagResource", "{o[arn]}"),
        ),
    ),
    rt.KMS_ALIAS: ProviderCalls(
        f"{P}/kms/alias.go (FindAliasByName pages ListAliases)",
        (("kms:ListAliases", "*"),),
        (("kms:UpdateAlias", "{o[arn]}"), ("kms:UpdateAlias", "{o[targetKeyArn]}")),
    ),
}

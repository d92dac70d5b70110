"""The deploy role's grants for the network (area `network`): VPC, subnets, routes, NAT, endpoints,
security groups, flow logs.

A data table (one `Grant` per statement, in policy order); `components.deploy_grants` joins the
areas into the deploy role's policies.
"""

from __future__ import annotations

from typing import Final

from arbiter_infra import iam
from components.deploy_grants.model import (
    _EC2_ANY,
    _EC2_TAGGED_CREATES,
    Grant,
)

#: Statements of this area, in the order the policy lists them.
GRANTS: Final[tuple[Grant, ...]] = (
    Grant(
        "network",
        "Ec2Reads",
        "refresh and diff of every network resource; EC2 Describe calls cannot be scoped",
        tuple(sorted(a for a in iam.UNSCOPABLE_ACTIONS if a.startswith("ec2:Describe"))),
        "unscopable",
    ),
    Grant(
        "network",
        "Ec2CreateTaggedForThisStack",
        "new network resources are created with the provider's default tags (TagSpecifications), "
        "so the request tags confine creation to resources labelled as this stack's",
        _EC2_TAGGED_CREATES,
        "request-tag",
        _EC2_ANY,
    ),
    Grant(
        "network",
        "Ec2TagOnCreate",
        "tag-on-create is authorized as ec2:CreateTags; allowed only as part of the creates above",
        ("ec2:CreateTags",),
        "request-tag",
        _EC2_ANY,
        condition={"StringEquals": {"ec2:CreateAction": [a.split(":")[1] for a in _EC2_TAGGED_CREATES]}},
    ),
    Grant(
        "network",
        "Ec2CreateInOwnNetwork",
        "a create is authorized on the VPC, subnet, elastic IP, security group or route table it "
        "uses as well as on the new resource, and request tags apply to the new resource only: so "
        "these creates are allowed on existing resources tagged as this stack's",
        (
            "ec2:CreateFlowLogs",
            "ec2:CreateNatGateway",
            "ec2:CreateNetworkAcl",
            "ec2:CreateRouteTable",
            "ec2:CreateSecurityGroup",
            "ec2:CreateSubnet",
            "ec2:CreateVpcEndpoint",
        ),
        "resource-tag",
        _EC2_ANY,
    ),
    Grant(
        "network",
        "Ec2ChangeOwnNetwork",
        "read (DescribeVpcAttribute: the SAR scopes it to the VPC), update and delete only resources "
        "already tagged as this stack's (network ACL entries and "
        "subnet moves are authorized on the tagged ACL). The VPC's default security group is "
        "untagged until the first (admin) run adopts and tags it; after that it matches too",
        (
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateNetworkAclEntry",
            "ec2:CreateRoute",
            "ec2:CreateTags",
            "ec2:DeleteFlowLogs",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteNatGateway",
            "ec2:DeleteNetworkAcl",
            "ec2:DeleteNetworkAclEntry",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteSubnet",
            "ec2:DeleteTags",
            "ec2:DeleteVpc",
            "ec2:DeleteVpcEndpoints",
            "ec2:DescribeVpcAttribute",
            "ec2:DetachInternetGateway",
            "ec2:DisassociateAddress",
            "ec2:DisassociateRouteTable",
            "ec2:ModifySecurityGroupRules",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
            "ec2:ReleaseAddress",
            "ec2:ReplaceNetworkAclAssociation",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:ReplaceRoute",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        ),
        "resource-tag",
        _EC2_ANY,
    ),
)

"""The shape of a provider-calls entry and the ARN templates several entries share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ProviderCalls:
    """The Terraform AWS provider's calls for one resource type besides the emulated create.

    `reads`: its Read function (refresh; also run right after create). `writes`: the update
    path's tag and policy writes. Each entry is (IAM action, ARN template); templates use the
    declared resource's `{id}`, its outputs/inputs (`{o[arn]}`, `{i[role]}`), `{region}`, `{account}`.
    """

    source: str
    reads: tuple[tuple[str, str], ...]
    writes: tuple[tuple[str, str], ...] = ()


EC2_TAG_WRITES: Final = (("ec2:CreateTags", "{ec2}"), ("ec2:DeleteTags", "{ec2}"))
RDS_TAGS: Final = (("rds:AddTagsToResource", "{o[arn]}"), ("rds:RemoveTagsFromResource", "{o[arn]}"))
ELC_TAGS: Final = (
    ("elasticache:AddTagsToResource", "{o[arn]}"),
    ("elasticache:RemoveTagsFromResource", "{o[arn]}"),
)
ELB_TAGS: Final = (("elasticloadbalancing:AddTags", "{id}"), ("elasticloadbalancing:RemoveTags", "{id}"))
ELB_READ_TAGS: Final = ("elasticloadbalancing:DescribeTags", "*")
S3_BUCKET: Final = "arn:aws:s3:::{i[bucket]}"
#: Where the provider keeps its resources, in hashicorp/terraform-provider-aws.
P: Final = "internal/service"

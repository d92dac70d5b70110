"""Prod's stateful resources carry Pulumi's `protect`, so no `pulumi destroy` or refactor can delete them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import Severity

from policies.base import ArbiterPolicy, StackView
from policies.resource_types import KMS_KEY, RDS_CLUSTER, RDS_CLUSTER_INSTANCE, REPLICATION_GROUP, SECRET

#: Resources whose loss loses data or the keys to it.
STATEFUL_TYPES: Final = (RDS_CLUSTER, RDS_CLUSTER_INSTANCE, REPLICATION_GROUP, KMS_KEY, SECRET)


def _protected(view: StackView) -> Iterator[tuple[str, str | None]]:
    for res in view.of_type(*STATEFUL_TYPES):
        if res.is_prod and not res.protect:
            yield f"prod {res.type.rsplit(':', 1)[-1]} {res.name} is not protected (opts.protect)", res.urn


POLICIES: Final = [
    ArbiterPolicy(
        name="prod-stateful-resources-protected",
        description="Every stateful resource in prod (Aurora, Redis, KMS keys, secrets) has opts.protect.",
        severity=Severity.CRITICAL,
        controls=("KMS.3", "RDS.7", "RDS10"),
        remediation="Pass pulumi.ResourceOptions(protect=True) for these resources when environment=prod.",
        resource_types=STATEFUL_TYPES,
        stack_check=_protected,
    ),
]

"""The provider's reads (refresh) and update-path writes as authorizations, from `PROVIDER_CALLS`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from arbiter_tools.api_calls.core import EC2_KINDS, Authorizer, UnmappedCall
from arbiter_tools.api_calls.provider_calls import NO_AWS_CALLS, PROVIDER_CALLS
from arbiter_tools.api_calls.recorder import ApiCall, Authorization
from arbiter_tools.iam_eval import context_for
from arbiter_tools.runtime import DeclaredResource
from policies import resource_types as rt


def _values(r: DeclaredResource, account: str, region: str) -> dict[str, Any]:
    rid = str(r.id)
    if r.type == rt.BACKUP_VAULT_POLICY:
        return {"vault": f"arn:aws:backup:{region}:{account}:backup-vault:{r.inputs['backupVaultName']}"}
    values: dict[str, Any] = {"id": rid, "o": r.outputs, "i": r.inputs, "region": region, "account": account}
    if any(rid.startswith(p) for p in EC2_KINDS):
        kind = next(k for p, k in EC2_KINDS.items() if rid.startswith(p))
        values["ec2"] = f"arn:aws:ec2:{region}:{account}:{kind}/{rid}"
    values["pg"] = f"arn:aws:elasticache:{region}:{account}:parametergroup:{r.inputs.get('name', rid)}"
    if r.type == rt.SCALING_TARGET:
        values["target"] = (
            r.outputs.get("arn") or f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/*"
        )
    return values


def provider_authorizations(
    resources: Iterable[DeclaredResource], auth: Authorizer, *, writes: bool
) -> list[Authorization]:
    """The provider's reads (or, with `writes`, its update-path writes) for every declared resource.

    Resource tags come from what the deploy tagged (`auth.tags`); a type without an entry in
    `PROVIDER_CALLS` raises `UnmappedCall`.
    """
    out: list[Authorization] = []
    resources = list(resources)
    # A resource's region is its provider's (the backup copy vault and its key are in another).
    regions = {
        p.urn: str(p.inputs.get("region") or "") for p in resources if p.type == "pulumi:providers:aws"
    }
    for r in resources:
        if not r.custom or r.type.startswith("pulumi:providers:") or r.type in NO_AWS_CALLS:
            continue
        calls = PROVIDER_CALLS.get(r.type)
        if calls is None:
            raise UnmappedCall(f"no provider calls listed for {r.type}")
        provider_urn = (r.provider or "").split("::")
        region = regions.get("::".join(provider_urn[:-1])) or regions.get(r.provider or "") or auth.region
        values = _values(r, auth.account, region)
        origin = ApiCall("provider", "write" if writes else "read", {}, {}, f"{r.type} {r.name}")
        for action, template in calls.writes if writes else calls.reads:
            arn = template.format(**values)
            context = context_for(resource_tags=auth.tags.get(arn))
            out.append(Authorization(action, arn, context, origin, "provider"))
    return out

"""`plan --state FILE`: what `pulumi up` would do to a stack, given its `pulumi stack export`.

The program runs offline (as for `plan`); its resources are matched by URN against the export's
resources and their inputs compared property by property:

- in the program, not in state: create; in state, not in the program: delete;
- a changed input: update, or replace when the type's table (`replacements.py`, the provider's
  ForceNew arguments) or the resource's `replaceOnChanges` says that property forces a new resource;
- `ignoreChanges` of the program's resources is honoured, as the engine does;
- engine versions are compared with the running version through the provider's rule (a pin "16"
  is satisfied by "16.8"), not as strings;
- what a created or replaced resource computes (ids, ARNs, endpoints) is unknown until it exists,
  so every input built from it is shown as `output<known after deploy>`, and is a change; a
  dependent property that forces replacement cascades, as in `pulumi preview`. Dependents are
  found by value (the computed string appears in the input), so an input that merely spells out
  the same ARN counts as built from it.

Secrets in the export (`{"4dabf18193072939515e22adb298388d": ..., "ciphertext": ...}`) are never
decrypted or printed: a secret property is shown as `[secret]`, and a ciphertext-only value counts
as unchanged unless the program's value is unknown (an export made with `--show-secrets` carries
plaintext, which is compared).

Limits, said where they matter: the export is the state as of its last update or refresh (drift
made outside Pulumi is seen only after `pulumi refresh`); a property the state holds but the
program no longer sets is shown as removed unless its value is empty or false (the provider's
defaults land in state that way).

Reading and writing exports is `state_export.py`; showing the result, `state_render.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi

from arbiter_tools.replacements import (
    REPLACEMENTS,
    STATEFUL,
    VERSION_RULES,
    TypeRules,
    is_downgrade,
)
from arbiter_tools.runtime import ACCOUNT_ID, REGION, STACK_TYPE, DeclaredResource, Deployment
from arbiter_tools.state_export import (
    StateExport,
    StateResource,
    contains_secret,
    engine_inputs,
    is_secret,
    reveal,
)

KNOWN_AFTER_DEPLOY: Final = "output<known after deploy>"
SECRET_SHOWN: Final = "[secret]"
OPS: Final = ("create", "update", "replace", "delete")


class _Unknown:
    """A value the engine knows only after deploy (built from a created or replaced resource)."""

    def __repr__(self) -> str:
        return KNOWN_AFTER_DEPLOY


UNKNOWN: Final = _Unknown()
#: A property one side does not have (distinct from an explicit null).
MISSING: Final = object()


@dataclass(frozen=True)
class PropertyDiff:
    path: str
    old: Any
    new: Any
    forces_replacement: bool
    note: str = ""


@dataclass
class Change:
    urn: str
    type: str
    op: str
    diffs: list[PropertyDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: False when the type has no replacement table: an "update" may in truth be a replacement.
    tabled: bool = True

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def stateful(self) -> bool:
        return self.type in STATEFUL

    @property
    def destroys(self) -> bool:
        """Whether the resource that exists now goes away (replace or delete)."""
        return self.op in ("replace", "delete")


@dataclass
class StatePlan:
    stack: str
    export: StateExport
    changes: list[Change]
    unchanged: int
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {op: n for op in OPS if (n := sum(c.op == op for c in self.changes))}

    def at_risk(self) -> list[Change]:
        """Stateful resources this plan replaces or deletes: data or identity would be lost."""
        return [c for c in self.changes if c.stateful and c.destroys]

    def destroyed_urns(self) -> set[str]:
        return {c.urn for c in self.changes if c.destroys}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _computed_tokens(resource: DeclaredResource) -> set[str]:
    """What the provider computes for `resource` (not echoed from its inputs): unknown at preview."""
    echoed = set(_strings(resource.inputs))
    tokens = {s for s in _strings(resource.outputs) if s not in echoed and len(s) >= 8}
    if resource.id:
        tokens.add(resource.id)
    return tokens - {ACCOUNT_ID, REGION}


def _with_unknowns(value: Any, tokens: set[str]) -> Any:
    """`value` with every string built from an unknown token replaced by UNKNOWN."""
    if not tokens:
        return value
    if isinstance(value, str):
        return UNKNOWN if any(t in value for t in tokens) else value
    if isinstance(value, dict):
        return {k: _with_unknowns(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_unknowns(v, tokens) for v in value]
    return value


def _known_values(resource: DeclaredResource, old: StateResource) -> dict[str, str]:
    """Placeholder -> real value for what the provider computed for a resource that stays.

    Offline, ids, ARNs, endpoints and generated certificates are placeholders; in the state they
    are what AWS (or the TLS provider) returned. A dependent's input built from a placeholder is
    compared as if built from the state's value, as `pulumi preview` would see it.
    """
    echoed = set(_strings(resource.inputs))
    known: dict[str, str] = {}
    if resource.id and old.id and resource.id != old.id:
        known[resource.id] = old.id
    for key, value in resource.outputs.items():
        state_value = reveal(old.outputs.get(key))
        if (
            isinstance(value, str)
            and isinstance(state_value, str)
            and value != state_value
            and value not in echoed
            and len(value) >= 8
        ):
            known[value] = state_value
    return known


def _with_known(value: Any, known: Mapping[str, str]) -> Any:
    """`value` with each placeholder replaced by the state's value (longest first, inside strings too)."""
    if not known:
        return value
    if isinstance(value, str):
        for placeholder in sorted(known, key=len, reverse=True):
            if placeholder in value:
                value = value.replace(placeholder, known[placeholder])
        return value
    if isinstance(value, dict):
        return {k: _with_known(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_known(v, known) for v in value]
    return value


def _decode(value: Any) -> Any:
    """A JSON document held in a string (container definitions, policies), parsed for diffing."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _empty(value: Any) -> bool:
    return value is None or value is MISSING or value in ("", False, 0, [], {})


def _scalar_equal(old: Any, new: Any) -> bool:
    """Equal, also when one side is the other's string form (provider config is stored as strings)."""
    if old == new and type(old) is type(new):
        return True
    if isinstance(old, str) != isinstance(new, str):
        text, other = (old, new) if isinstance(old, str) else (new, old)
        return text == (json.dumps(other) if isinstance(other, bool) else str(other))
    return bool(old == new)


def _hashable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _asset_hashes(new: pulumi.AssetArchive, old: Any) -> tuple[dict[str, str], Any]:
    """An archive (a function's code) as {path: SHA-256 of the content}, the program's side read
    from the files, the state's from the hashes the engine recorded per asset."""
    program: dict[str, str] = {}
    for name, asset in new.assets.items():
        if isinstance(asset, pulumi.FileAsset):
            with open(str(asset.path), "rb") as f:
                program[name] = hashlib.sha256(f.read()).hexdigest()
        elif isinstance(asset, pulumi.StringAsset):
            program[name] = hashlib.sha256(str(asset.text).encode()).hexdigest()
        else:
            program[name] = repr(asset)
    assets = old.get("assets") if isinstance(old, dict) else None
    if not isinstance(assets, dict):
        return program, old
    return program, {k: v.get("hash") if isinstance(v, dict) else v for k, v in assets.items()}


def _holds_unknown(value: Any) -> bool:
    """Whether an unknown sits anywhere in `value` (a secret object built from a new password)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def _leaf_diffs(path: str, old: Any, new: Any, out: list[tuple[str, Any, Any]]) -> None:
    """Append (path, old, new) for every leaf that differs; JSON strings are compared parsed."""
    if new is UNKNOWN:
        out.append((path, old, new))
        return
    if isinstance(new, pulumi.AssetArchive):
        new, old = _asset_hashes(new, old)
    if is_secret(old):
        # Ciphertext cannot be compared: unchanged unless the program's value is (or holds) unknown.
        if _holds_unknown(new):
            out.append((path, old, UNKNOWN))
        return
    old, new = _decode(old), _decode(new)
    if old is None:
        old = MISSING
    if new is None:
        new = MISSING
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _leaf_diffs(f"{path}.{key}", old.get(key, MISSING), new.get(key, MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) == len(new) and sorted(map(_hashable, old)) == sorted(map(_hashable, new)):
            return  # same members (Terraform sets have no order)
        for i in range(max(len(old), len(new))):
            _leaf_diffs(
                f"{path}[{i}]",
                old[i] if i < len(old) else MISSING,
                new[i] if i < len(new) else MISSING,
                out,
            )
        return
    if old is MISSING and new is MISSING:
        return
    if old is MISSING or new is MISSING or not _scalar_equal(old, new):
        out.append((path, old, new))


def _matches(path: str, prefixes: Sequence[str]) -> bool:
    return any(p in ("*", path) or path.startswith((p + ".", p + "[")) for p in prefixes)


def _version_diff(
    resource: DeclaredResource, key: str, declared: Any, old: StateResource
) -> PropertyDiff | None:
    """An engine-version property judged by the provider's rule against the running version."""
    rule = VERSION_RULES[(resource.type, key)]
    running = next(
        (old.outputs[k] for k in rule.state_keys if isinstance(old.outputs.get(k), str) and old.outputs[k]),
        old.inputs.get(key),
    )
    if declared is UNKNOWN or not isinstance(declared, str) or not isinstance(running, str):
        if declared is UNKNOWN or declared != running:
            return PropertyDiff(key, running, declared, False)
        return None
    if rule.satisfies(declared, running):
        return None
    if is_downgrade(declared, running):
        if rule.on_downgrade == "replace":
            return PropertyDiff(
                key, running, declared, True, f"a downgrade from the running {running}: the provider replaces"
            )
        return PropertyDiff(
            key,
            running,
            declared,
            False,
            f"AWS refuses a downgrade from the running {running} that auto minor upgrade installed: "
            f"pin the major version or {running}",
        )
    note = ""
    if declared.split(".")[0] != running.split(".")[0] and resource.type == "aws:rds/cluster:Cluster":
        if not resource.inputs.get("allowMajorVersionUpgrade"):
            note = "a major upgrade: RDS refuses it unless allowMajorVersionUpgrade is true"
    elif resource.type == "aws:rds/clusterInstance:ClusterInstance":
        note = "follows the cluster's upgrade: no call of its own"
    return PropertyDiff(key, running, declared, False, note)


def _resource_diffs(
    resource: DeclaredResource, new_inputs: dict[str, Any], old: StateResource
) -> list[PropertyDiff]:
    rules: TypeRules | None = REPLACEMENTS.get(resource.type)
    old_inputs = old.inputs
    diffs: list[PropertyDiff] = []
    for key in sorted(set(old_inputs) | set(new_inputs)):
        if _matches(key, resource.ignore_changes):
            continue
        old_v, new_v = old_inputs.get(key, MISSING), new_inputs.get(key, MISSING)
        if new_v is MISSING and (key in old.defaults or _empty(old_v)):
            continue
        if (resource.type, key) in VERSION_RULES and new_v is not MISSING:
            found = _version_diff(resource, key, new_v, old)
            diffs += [found] if found else []
            continue
        secret = key in resource.secret_inputs or contains_secret(old_v)
        leaves: list[tuple[str, Any, Any]] = []
        _leaf_diffs(key, reveal(old_v), new_v, leaves)
        for path, old_leaf, new_leaf in leaves:
            if _matches(path, resource.ignore_changes):
                continue
            forces = bool(rules and rules.forces_replacement(path)) or _matches(
                path, resource.replace_on_changes
            )
            if rules and path in rules.force_new_if:
                forces = forces or rules.force_new_if[path](old_leaf, new_leaf)
            if secret:
                diffs.append(PropertyDiff(path, _masked(old_leaf), _masked(new_leaf), forces))
            else:
                diffs.append(PropertyDiff(path, old_leaf, new_leaf, forces))
    return diffs


def _masked(value: Any) -> Any:
    """A secret property's value as shown: `[secret]`, or the absent/unknown marker it is."""
    return value if value is MISSING or value is UNKNOWN else SECRET_SHOWN


def _is_default_provider(resource: StateResource) -> bool:
    """Default providers are the engine's own (none is declared by the program): never a delete."""
    return resource.type.startswith("pulumi:providers:") and resource.name.startswith("default")


def diff_state(deployment: Deployment, export: StateExport) -> StatePlan:
    """What `pulumi up` of `deployment` would do to the stack whose state `export` holds."""
    old_by_urn = {r.urn: r for r in export.resources if r.type != STACK_TYPE and not r.pending_delete}
    tokens: set[str] = set()
    known: dict[str, str] = {}
    changes: list[Change] = []
    unchanged = 0
    for resource in deployment.resources:
        old = old_by_urn.get(resource.urn)
        if old is None:
            changes.append(Change(resource.urn, resource.type, "create"))
            tokens |= _computed_tokens(resource)
            continue
        new_inputs = _with_known(_with_unknowns(engine_inputs(resource), tokens), known)
        diffs = _resource_diffs(resource, new_inputs, old)
        replace = any(d.forces_replacement for d in diffs)
        if not replace:
            known.update(_known_values(resource, old))
        if not diffs:
            unchanged += 1
            continue
        change = Change(
            resource.urn,
            resource.type,
            "replace" if replace else "update",
            diffs,
            tabled=resource.type in REPLACEMENTS or not resource.custom,
        )
        if replace:
            tokens |= _computed_tokens(resource)
            if resource.delete_before_replace:
                change.notes.append("deleteBeforeReplace: the old one is deleted before the new one exists")
        if not change.tabled and not replace:
            change.notes.append("update (replacement rules not tabled): check `pulumi preview`")
        if change.destroys and old.protect:
            change.notes.append(
                f"protected in state: `pulumi up` stops here until `pulumi state unprotect '{old.urn}'`"
            )
        rules = REPLACEMENTS.get(resource.type)
        if rules and rules.note and change.destroys:
            change.notes.append(rules.note)
        changes.append(change)
    declared = {r.urn for r in deployment.resources}
    for old in export.resources:
        if old.type == STACK_TYPE or _is_default_provider(old):
            continue
        if old.urn not in declared or old.pending_delete:
            change = Change(old.urn, old.type, "delete")
            if old.protect:
                change.notes.append(
                    f"protected in state: `pulumi up` stops here until `pulumi state unprotect '{old.urn}'`"
                )
            if old.retain_on_delete:
                change.notes.append("retainOnDelete: removed from the stack, left in AWS")
            changes.append(change)
    notes = []
    if export.pending_operations:
        notes.append(
            f"the state records {export.pending_operations} interrupted operation(s): `pulumi up` asks to "
            "resolve them first (`pulumi refresh`, then `pulumi stack export`/`import` if needed)"
        )
    return StatePlan(deployment.stack, export, changes, unchanged, notes)

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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from arbiter_infra.config import PROJECT
from arbiter_tools.errors import UserError
from arbiter_tools.replacements import (
    REPLACEMENTS,
    STATEFUL,
    VERSION_RULES,
    TypeRules,
    is_downgrade,
)
from arbiter_tools.runtime import ACCOUNT_ID, REGION, STACK_TYPE, DeclaredResource, Deployment

SECRET_SIG: Final = "4dabf18193072939515e22adb298388d"
SECRET_MARK: Final = "1b47061264138c4ac30d75fd1eb44270"
KNOWN_AFTER_DEPLOY: Final = "output<known after deploy>"
SECRET_SHOWN: Final = "[secret]"
OPS: Final = ("create", "update", "replace", "delete")
MARKERS: Final = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


class _Unknown:
    """A value the engine knows only after deploy (built from a created or replaced resource)."""

    def __repr__(self) -> str:
        return KNOWN_AFTER_DEPLOY


UNKNOWN: Final = _Unknown()
_MISSING: Final = object()


# ---------------------------------------------------------------------------------------------
# The export


@dataclass(frozen=True)
class StateResource:
    """One resource of a `pulumi stack export` (deployment v3 `ResourceV3`)."""

    urn: str
    type: str
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str | None
    protect: bool
    #: Marked for deletion by an interrupted replacement (`delete: true`).
    pending_delete: bool
    retain_on_delete: bool
    #: Inputs the provider filled in with defaults (the bridge's `__defaults`).
    defaults: frozenset[str]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class StateExport:
    path: Path
    stack: str
    project: str
    resources: list[StateResource]
    #: When the state was last written (`manifest.time`), as the export says it.
    time: str
    pending_operations: int


def _urn_parts(urn: str) -> tuple[str, str, str, str] | None:
    """`urn:pulumi:<stack>::<project>::<qualified type>::<name>` -> its four parts."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn.removeprefix("urn:pulumi:").split("::", 3)
    return (parts[0], parts[1], parts[2], parts[3]) if len(parts) == 4 else None


def load_export(path: Path, *, stack: str, project: str = PROJECT) -> StateExport:
    """Read and check a `pulumi stack export` file of `stack`; any problem is one UserError line."""
    where = f"--state {str(path)!r}"
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise UserError(f"{where}: cannot read it ({err.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text: `pulumi stack export` writes JSON") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(f"{where}: not JSON (line {err.lineno}): `pulumi stack export` writes JSON") from None
    if not isinstance(doc, dict) or "deployment" not in doc or "version" not in doc:
        raise UserError(
            f'{where}: not a `pulumi stack export` file (it has a top-level "version" and "deployment")'
        )
    if doc["version"] != 3:
        raise UserError(
            f"{where}: deployment version {doc['version']!r}; only version 3 (what Pulumi 3 exports) is read"
        )
    deployment = doc["deployment"]
    if not isinstance(deployment, dict):
        raise UserError(f'{where}: "deployment" must be an object with "manifest" and "resources"')
    raw_resources = deployment.get("resources") or []
    if not isinstance(raw_resources, list):
        raise UserError(f'{where}: "deployment.resources" must be a list')
    resources: list[StateResource] = []
    for i, raw in enumerate(raw_resources):
        parts = _urn_parts(raw.get("urn", "")) if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or parts is None or not isinstance(raw.get("type"), str):
            raise UserError(f'{where}: deployment.resources[{i}] has no valid "urn" and "type"')
        found_stack, found_project = parts[0], parts[1]
        if (found_stack, found_project) != (stack, project):
            raise UserError(
                f"{where}: an export of stack {found_stack!r} of project {found_project!r}, "
                f"not of stack {stack!r} of project {project!r}"
            )
        inputs = raw.get("inputs") or {}
        outputs = raw.get("outputs") or {}
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise UserError(f"{where}: deployment.resources[{i}] inputs and outputs must be objects")
        defaults = inputs.get("__defaults")
        resources.append(
            StateResource(
                urn=raw["urn"],
                type=raw["type"],
                custom=bool(raw.get("custom")),
                id=str(raw.get("id") or ""),
                inputs={k: v for k, v in inputs.items() if not k.startswith("__")},
                outputs={k: v for k, v in outputs.items() if not k.startswith("__")},
                parent=raw.get("parent") or None,
                protect=bool(raw.get("protect")),
                pending_delete=bool(raw.get("delete")),
                retain_on_delete=bool(raw.get("retainOnDelete")),
                defaults=frozenset(defaults) if isinstance(defaults, list) else frozenset(),
            )
        )
    manifest = deployment.get("manifest") if isinstance(deployment.get("manifest"), dict) else {}
    pending = deployment.get("pending_operations") or []
    return StateExport(
        path=path,
        stack=stack,
        project=project,
        resources=resources,
        time=str((manifest or {}).get("time", "")),
        pending_operations=len(pending) if isinstance(pending, list) else 0,
    )


def export_deployment(deployment: Deployment, *, time: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    """The v3 export `pulumi stack export` would write after `pulumi up` of this deployment.

    Secret inputs (and the password a RandomPassword computes) are written as Pulumi writes them
    without `--show-secrets`: an opaque ciphertext envelope.
    """
    by_urn = {r.urn: r for r in deployment.resources}
    stack_urn = f"urn:pulumi:{deployment.stack}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{deployment.stack}"

    def secret(value: Any) -> dict[str, str]:
        digest = hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
        return {SECRET_SIG: SECRET_MARK, "ciphertext": "v1:" + digest[:32]}

    resources: list[dict[str, Any]] = [
        {"urn": stack_urn, "custom": False, "type": STACK_TYPE, "outputs": dict(deployment.outputs)}
    ]
    for r in deployment.resources:
        secret_outputs = set(r.secret_inputs)
        if r.type == "random:index/randomPassword:RandomPassword":
            secret_outputs |= {"result", "bcryptHash"}
        entry: dict[str, Any] = {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "inputs": {k: secret(v) if k in r.secret_inputs else v for k, v in _engine_inputs(r).items()},
            "outputs": {k: secret(v) if k in secret_outputs else v for k, v in r.outputs.items()},
            "parent": r.parent or stack_urn,
            "protect": r.protect,
            "dependencies": list(r.dependencies),
        }
        if r.custom:
            entry["id"] = r.id
        if r.provider and r.provider in by_urn:
            entry["provider"] = f"{r.provider}::{by_urn[r.provider].id}"
        if r.ignore_changes:
            entry["ignoreChanges"] = list(r.ignore_changes)
        if r.retain_on_delete:
            entry["retainOnDelete"] = True
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": time, "magic": "", "version": "v3"},
            "resources": resources,
        },
    }


# ---------------------------------------------------------------------------------------------
# The diff


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


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK


def _reveal(value: Any) -> Any:
    """A state value with `--show-secrets` plaintext unwrapped; ciphertext stays an envelope."""
    if _is_secret(value):
        if "plaintext" in value:
            try:
                return _reveal(json.loads(value["plaintext"]))
            except (TypeError, json.JSONDecodeError):
                return value["plaintext"]
        return value
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def _contains_secret(value: Any) -> bool:
    if _is_secret(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


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
        state_value = _reveal(old.outputs.get(key))
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
    return value is None or value is _MISSING or value in ("", False, 0, [], {})


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


def _leaf_diffs(path: str, old: Any, new: Any, out: list[tuple[str, Any, Any]]) -> None:
    """Append (path, old, new) for every leaf that differs; JSON strings are compared parsed."""
    if new is UNKNOWN:
        out.append((path, old, new))
        return
    if _is_secret(old):
        # Ciphertext cannot be compared: unchanged unless the program's value is unknown.
        return
    old, new = _decode(old), _decode(new)
    if old is None:
        old = _MISSING
    if new is None:
        new = _MISSING
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _leaf_diffs(f"{path}.{key}", old.get(key, _MISSING), new.get(key, _MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) == len(new) and sorted(map(_hashable, old)) == sorted(map(_hashable, new)):
            return  # same members (Terraform sets have no order)
        for i in range(max(len(old), len(new))):
            _leaf_diffs(
                f"{path}[{i}]",
                old[i] if i < len(old) else _MISSING,
                new[i] if i < len(new) else _MISSING,
                out,
            )
        return
    if old is _MISSING and new is _MISSING:
        return
    if old is _MISSING or new is _MISSING or not _scalar_equal(old, new):
        out.append((path, old, new))


def _matches(path: str, prefixes: Sequence[str]) -> bool:
    return any(p in ("*", path) or path.startswith((p + ".", p + "[")) for p in prefixes)


def _plugin_version(type_: str) -> str | None:
    """The provider plugin version `pulumi up` would use: the installed SDK's (providers only)."""
    package = {"pulumi:providers:aws": "pulumi_aws", "pulumi:providers:random": "pulumi_random"}.get(type_)
    if package is None:
        return None
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


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
        old_v, new_v = old_inputs.get(key, _MISSING), new_inputs.get(key, _MISSING)
        if new_v is _MISSING and (key in old.defaults or _empty(old_v)):
            continue
        if (resource.type, key) in VERSION_RULES and new_v is not _MISSING:
            found = _version_diff(resource, key, new_v, old)
            diffs += [found] if found else []
            continue
        secret = key in resource.secret_inputs or _contains_secret(old_v)
        leaves: list[tuple[str, Any, Any]] = []
        _leaf_diffs(key, _reveal(old_v), new_v, leaves)
        for path, old_leaf, new_leaf in leaves:
            if _matches(path, resource.ignore_changes):
                continue
            forces = bool(rules and rules.forces_replacement(path)) or _matches(
                path, resource.replace_on_changes
            )
            if secret:
                diffs.append(PropertyDiff(path, _masked(old_leaf), _masked(new_leaf), forces))
            else:
                diffs.append(PropertyDiff(path, old_leaf, new_leaf, forces))
    return diffs


def _masked(value: Any) -> Any:
    """A secret property's value as shown: `[secret]`, or the absent/unknown marker it is."""
    return value if value is _MISSING or value is UNKNOWN else SECRET_SHOWN


def _engine_inputs(resource: DeclaredResource) -> dict[str, Any]:
    """The inputs the engine records: a provider's also carry its plugin version."""
    inputs = dict(resource.inputs)
    version = _plugin_version(resource.type)
    if version is not None:
        inputs["version"] = version
    return inputs


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
        new_inputs = _with_known(_with_unknowns(_engine_inputs(resource), tokens), known)
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


# ---------------------------------------------------------------------------------------------
# Output


def _plain(value: Any) -> Any:
    """Numbers as written: the engine hands every number over as a float (5 arrives as 5.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _shown(value: Any, limit: int = 100) -> str:
    if value is UNKNOWN:
        return KNOWN_AFTER_DEPLOY
    if value is _MISSING:
        return "(none)"
    if value == SECRET_SHOWN:
        return SECRET_SHOWN
    text = json.dumps(_plain(value), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return KNOWN_AFTER_DEPLOY
    if value is _MISSING:
        return None
    return _plain(value)


def risk_lines(plan: StatePlan, allowed: Iterable[str]) -> list[str]:
    """The loud warning per stateful resource that would be replaced or deleted."""
    allow = set(allowed)
    lines = []
    for c in plan.at_risk():
        verb = "REPLACED" if c.op == "replace" else "DELETED"
        tail = " (allowed with --allow-replace)" if c.urn in allow else ""
        lines.append(
            f"!!! STATEFUL RESOURCE WOULD BE {verb}: {c.type} {c.name}: its data or identity is lost "
            f"(snapshot or back it up first){tail}\n    {c.urn}"
        )
    return lines


def render(plan: StatePlan, allowed: Iterable[str] = ()) -> list[str]:
    """A `pulumi preview`-like listing of the changes, their properties, counts and warnings."""
    export = plan.export
    when = f", written {export.time}" if export.time else ""
    out = [
        f"Diff of stack '{plan.stack}' against {export.path.name} ({len(export.resources)} resources in state{when}):",
        "",
    ]
    if not plan.changes:
        out.append(f"  no changes: {plan.unchanged} resources unchanged")
    for c in plan.changes:
        suffix = {"replace": "  [replace]", "delete": "  [delete]"}.get(c.op, "")
        out.append(f"  {MARKERS[c.op]:<2} {c.type}  {c.name}{suffix}")
        for d in c.diffs:
            tags = [t for t in ("forces replacement" if d.forces_replacement else "", d.note) if t]
            extra = f"  ({'; '.join(tags)})" if tags else ""
            out.append(f"        ~ {d.path}: {_shown(d.old)} => {_shown(d.new)}{extra}")
        out += [f"        ! {n}" for n in c.notes]
    if plan.changes:
        out += ["", "Resources:"]
        out += [f"  {MARKERS[op]:<2} {n} to {op}" for op, n in plan.counts().items()]
        out.append(f"     {len(plan.changes)} changes, {plan.unchanged} unchanged")
    warnings = risk_lines(plan, allowed)
    if warnings or plan.notes:
        out.append("")
    out += warnings
    out += [f"  ! {n}" for n in plan.notes]
    return out


def to_json(plan: StatePlan) -> dict[str, Any]:
    return {
        "state": str(plan.export.path),
        "stateTime": plan.export.time,
        "changes": [
            {
                "urn": c.urn,
                "type": c.type,
                "op": c.op,
                "stateful": c.stateful,
                "diffs": [
                    {
                        "path": d.path,
                        "old": _json_value(d.old),
                        "new": _json_value(d.new),
                        "forcesReplacement": d.forces_replacement,
                        **({"note": d.note} if d.note else {}),
                    }
                    for d in c.diffs
                ],
                "notes": c.notes,
            }
            for c in plan.changes
        ],
        "changeCounts": plan.counts(),
        "unchanged": plan.unchanged,
        "atRisk": [c.urn for c in plan.at_risk()],
        "notes": plan.notes,
    }


def check_allowed(plan: StatePlan, allowed: Sequence[str]) -> None:
    """Every `--allow-replace URN` must name a resource this plan replaces or deletes."""
    destroyed = plan.destroyed_urns()
    for urn in allowed:
        if urn not in destroyed:
            raise UserError(
                f"--allow-replace {urn!r}: this plan neither replaces nor deletes it "
                f"({len(destroyed)} resource(s) are, marked '+-' or '-' in the listing)"
            )


def blocked(plan: StatePlan, allowed: Iterable[str], *, is_prod: bool) -> list[Change]:
    """Stateful replacements and deletions that stop a prod plan (those not allowed by URN)."""
    if not is_prod:
        return []
    allow = set(allowed)
    return [c for c in plan.at_risk() if c.urn not in allow]


def is_prod_config(config: Mapping[str, str]) -> bool:
    """Whether the stack is production: `arbiter:environment` prod, or the account stack."""
    from arbiter_infra.config import parse_stack_values

    if f"{PROJECT}:account" in config:
        return True  # AccountConfig.is_prod: every environment depends on the account's resources
    return parse_stack_values(config).is_prod

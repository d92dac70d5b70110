"""`pulumi stack export` files (deployment v3): read one, or write the one a deployment would leave.

The reader checks that the file is an export of the stack and project asked for, and keeps what
the diff needs (URN, type, inputs, outputs, parent, flags, the provider's defaults). Secret values
stay Pulumi's envelopes (`{"4dabf18193072939515e22adb298388d": ..., "ciphertext": ...}`): they are
never decrypted; an export made with `--show-secrets` carries plaintext, which `reveal` unwraps.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import pulumi

from arbiter_infra.config import PROJECT
from arbiter_tools.errors import UserError
from arbiter_tools.runtime import STACK_TYPE, DeclaredResource, Deployment

SECRET_SIG: Final = "4dabf18193072939515e22adb298388d"
SECRET_MARK: Final = "1b47061264138c4ac30d75fd1eb44270"


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
            "inputs": {k: secret(v) if k in r.secret_inputs else v for k, v in engine_inputs(r).items()},
            "outputs": {
                k: secret(v) if k in secret_outputs else engine_value(v) for k, v in r.outputs.items()
            },
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


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK


def reveal(value: Any) -> Any:
    """A state value with `--show-secrets` plaintext unwrapped; ciphertext stays an envelope."""
    if is_secret(value):
        if "plaintext" in value:
            try:
                return reveal(json.loads(value["plaintext"]))
            except (TypeError, json.JSONDecodeError):
                return value["plaintext"]
        return value
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def _plugin_version(type_: str) -> str | None:
    """The provider plugin version `pulumi up` would use: the installed SDK's (providers only)."""
    package = {"pulumi:providers:aws": "pulumi_aws", "pulumi:providers:random": "pulumi_random"}.get(type_)
    if package is None:
        return None
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


#: The signatures the engine writes on serialized assets and archives (sdk/go/common/resource).
ASSET_SIG: Final = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG: Final = "0def7320c3a5731c473e5ecbe6d01bc7"


def _asset_state(asset: Any) -> dict[str, Any]:
    if isinstance(asset, pulumi.FileAsset):
        with open(str(asset.path), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return {SECRET_SIG: ASSET_SIG, "hash": digest, "path": str(asset.path)}
    if isinstance(asset, pulumi.StringAsset):
        text = str(asset.text)
        return {SECRET_SIG: ASSET_SIG, "hash": hashlib.sha256(text.encode()).hexdigest(), "text": text}
    return {SECRET_SIG: ASSET_SIG, "uri": repr(asset)}


def engine_value(value: Any) -> Any:
    """An input as the engine records it: an asset archive (a function's code) as its assets."""
    if isinstance(value, pulumi.AssetArchive):
        return {
            SECRET_SIG: ARCHIVE_SIG,
            "assets": {k: _asset_state(a) for k, a in sorted(value.assets.items())},
        }
    return value


def engine_inputs(resource: DeclaredResource) -> dict[str, Any]:
    """The inputs the engine records: a provider's also carry its plugin version."""
    inputs = {k: engine_value(v) for k, v in resource.inputs.items()}
    version = _plugin_version(resource.type)
    if version is not None:
        inputs["version"] = version
    return inputs

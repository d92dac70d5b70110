"""What one offline program run declared: the records every consumer of the runtime reads.

Plain data with no Pulumi import, so the plan, the state diff, pricing, the emulator and the tests
share one shape without pulling in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The checkout: where `__main__.py` and the `Pulumi.<stack>.yaml` files are.
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
#: The account and region the offline runtime pretends to be in (the mocks' ARNs use them).
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
#: What an encrypted (`secure:`) stack value becomes offline: never the ciphertext, never a value.
SECRET_PLACEHOLDER = "[secret: encrypted in stack file, not decrypted offline]"
#: The root resource every program has; the engine registers it, the records leave it out.
STACK_TYPE = "pulumi:pulumi:Stack"
#: Allocations between two young-generation collections in an `arbiter-infra` process. The SDK
#: and pulumi_aws hold hundreds of thousands of long-lived objects (type hints, input classes);
#: at CPython's default (700) the collector walks them about a thousand times per plan, a third
#: of its CPU time. Cycles are still collected, in fewer, larger batches. Set per process (the
#: command line), not per program run: in-process test runs keep the interpreter's default.
GC_THRESHOLD = 50_000


@dataclass
class DeclaredResource:
    """One registered resource, as the engine would see it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_inputs: frozenset[str]
    provider: str | None
    protect: bool
    dependencies: tuple[str, ...]
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    #: The `ignore_changes` and `replace_on_changes` options: the engine applies them when diffing.
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()

    @property
    def parent_name(self) -> str | None:
        return self.parent.rsplit("::", 1)[-1] if self.parent else None


@dataclass
class Deployment:
    """Everything one program run declared."""

    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]
    config: dict[str, Any] = field(default_factory=dict)
    #: What the program logged at warning level (`pulumi.log.warn`): shown by `pulumi preview` too.
    warnings: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> DeclaredResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(f"expected one {type_} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self, urn: str) -> DeclaredResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(urn)

    def by_id(self, id_: str) -> DeclaredResource:
        for r in self.resources:
            if r.id == id_:
                return r
        raise LookupError(id_)

    def children(self, parent: DeclaredResource) -> list[DeclaredResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))

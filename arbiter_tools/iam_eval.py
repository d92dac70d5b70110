"""An IAM policy evaluator for identity policies and permissions boundaries (tooling; not the program's).

It answers "would AWS allow this principal to call `action` on `resource` with this request
context?" by IAM's rules for a single account: an explicit Deny wins; otherwise an Allow is
needed; with a permissions boundary, both the identity policies and the boundary must allow.
Actions and ARNs match with `*` and `?` wildcards (actions case-insensitively), NotAction and
NotResource invert a statement's scope, and Condition blocks use the operators IAM documents.

Anything it cannot judge (an operator or condition key it does not know, a policy variable, a
Principal in an identity policy) makes the answer "unsupported", never a silent allow: the
sufficiency tests require "allowed", so an unsupported construct fails them loudly.
Imported by tests and tooling only; neither the program nor the policy pack depends on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal

Verdict = Literal["allowed", "denied", "unsupported"]

#: Condition keys the evaluator understands (lower case; `/*` = any tag key after the slash).
SUPPORTED_KEYS: Final = (
    "aws:requesttag/*",
    "aws:resourcetag/*",
    "aws:tagkeys",
    "aws:principalarn",
    "aws:sourceaccount",
    "iam:permissionsboundary",
    "iam:passedtoservice",
    "iam:policyarn",
    "iam:awsservicename",
    "kms:viaservice",
    "kms:resourcealiases",
    "ec2:createaction",
)
_STRING_OPS: Final = {
    "StringEquals": (False, False, False),
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, False, True),
    "StringNotEqualsIgnoreCase": (True, False, True),
    "StringLike": (False, True, False),
    "StringNotLike": (True, True, False),
    "ArnEquals": (False, False, False),
    "ArnNotEquals": (True, False, False),
    "ArnLike": (False, True, False),
    "ArnNotLike": (True, True, False),
}


@dataclass(frozen=True)
class Request:
    """One authorization: an action on one resource, with the request context's condition keys."""

    action: str
    resource: str
    #: Condition keys -> value(s): `aws:RequestTag/Project`, `iam:PassedToService`, ...
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: The deciding statement(s) or what could not be evaluated.
    reason: str


class _Unsupported(Exception):
    """A policy element the evaluator cannot judge: reported as unsupported, never assumed true."""


@lru_cache(maxsize=4096)
def _pattern(glob: str, *, ignore_case: bool) -> re.Pattern[str]:
    if "${" in glob:
        raise _Unsupported(f"policy variable in {glob!r}")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_pattern(glob, ignore_case=ignore_case).match(value))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _key_supported(key: str) -> bool:
    k = key.lower()
    return any(k.startswith(s[:-1]) if s.endswith("*") else k == s for s in SUPPORTED_KEYS)


def _context_value(context: Mapping[str, Any], key: str) -> list[str] | None:
    lowered = {k.lower(): v for k, v in context.items()}
    value = lowered.get(key.lower())
    if value is None:
        return None
    return [str(v) for v in _as_list(value)]


def _string_test(op: str, wanted: list[str], have: str) -> bool:
    _negated, like, ignore_case = _STRING_OPS[op]
    if like:
        return any(_matches(w, have, ignore_case=ignore_case) for w in wanted)
    if ignore_case:
        return any(w.lower() == have.lower() for w in wanted)
    return have in wanted


def _condition(operator: str, key: str, wanted_raw: Any, context: Mapping[str, Any]) -> bool:
    """One operator/key pair of a Condition block."""
    if not _key_supported(key):
        raise _Unsupported(f"condition key {key}")
    wanted = [str(w) for w in _as_list(wanted_raw)]
    if any("${" in w for w in wanted):
        raise _Unsupported(f"policy variable in condition {key}")
    have = _context_value(context, key)
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op == "Null":
        return (have is None) == (wanted[0].lower() == "true")
    if op == "Bool":
        return have is not None and any(h.lower() == w.lower() for h in have for w in wanted)
    if op not in _STRING_OPS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise _Unsupported(f"condition operator {operator}")
    negated = _STRING_OPS[op][0]
    if have is None:
        # A missing key: IfExists and ForAllValues hold; a negated test holds; others do not.
        return if_exists or qualifier == "ForAllValues" or negated
    tests = [_string_test(op, wanted, h) != negated for h in have]
    if qualifier == "ForAllValues":
        return all(tests)
    if qualifier == "ForAnyValue":
        return any(tests)
    # A multi-valued key without a set qualifier: any value matches; a negated test needs all.
    return all(tests) if negated else any(tests)


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    return all(
        _condition(operator, key, wanted, context)
        for operator, pairs in block.items()
        for key, wanted in pairs.items()
    )


def _in_scope(stmt: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in stmt or "NotPrincipal" in stmt:
        raise _Unsupported(f"Principal in an identity policy (statement {stmt.get('Sid', '?')})")
    if "Action" in stmt:
        action_hit = any(_matches(a, request.action, ignore_case=True) for a in _as_list(stmt["Action"]))
    else:
        action_hit = not any(
            _matches(a, request.action, ignore_case=True) for a in _as_list(stmt["NotAction"])
        )
    if not action_hit:
        return False
    if "Resource" in stmt:
        return any(_matches(r, request.resource) for r in _as_list(stmt["Resource"]))
    return not any(_matches(r, request.resource) for r in _as_list(stmt["NotResource"]))


def _statements(policies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for doc in policies:
        out += _as_list(doc["Statement"])
    return out


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """Identity-policy evaluation: explicit deny > allow > implicit deny; unknowns reported."""
    allows: list[str] = []
    unknown: list[str] = []
    for stmt in _statements(policies):
        sid = str(stmt.get("Sid", "?"))
        try:
            if not _in_scope(stmt, request) or not _conditions_hold(
                stmt.get("Condition", {}), request.context
            ):
                continue
        except _Unsupported as err:
            unknown.append(f"{sid}: {err}")
            continue
        if stmt["Effect"] == "Deny":
            return Decision("denied", f"explicit deny {sid}")
        allows.append(sid)
    if unknown:
        return Decision("unsupported", "; ".join(unknown))
    if allows:
        return Decision("allowed", ", ".join(allows))
    return Decision("denied", "no statement allows it (implicit deny)")


def evaluate_bounded(
    policies: Iterable[Mapping[str, Any]], boundary: Mapping[str, Any] | None, request: Request
) -> Decision:
    """A role with a permissions boundary: its policies and the boundary must both allow."""
    identity = evaluate(policies, request)
    if boundary is None or identity.verdict != "allowed":
        return identity
    bounded = evaluate([boundary], request)
    if bounded.verdict == "allowed":
        return identity
    return Decision(bounded.verdict, f"permissions boundary: {bounded.reason}")


def context_for(
    *,
    request_tags: Mapping[str, str] | None = None,
    resource_tags: Mapping[str, str] | None = None,
    extra: Mapping[str, str | Sequence[str]] | None = None,
) -> dict[str, str | Sequence[str]]:
    """The condition keys of a request: its tags (aws:RequestTag/*, aws:TagKeys), the resource's."""
    context: dict[str, str | Sequence[str]] = {}
    if request_tags:
        context.update({f"aws:RequestTag/{k}": v for k, v in request_tags.items()})
        context["aws:TagKeys"] = sorted(request_tags)
    for k, v in (resource_tags or {}).items():
        context[f"aws:ResourceTag/{k}"] = v
    context.update(extra or {})
    return context


def _principal_matches(principal: Any, principal_arn: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping) and set(principal) == {"AWS"}:
        values = _as_list(principal["AWS"])
        return "*" in values or principal_arn in values
    raise _Unsupported(f"principal {principal!r}")


def evaluate_with_resource_policy(
    policies: Iterable[Mapping[str, Any]],
    resource_policy: Mapping[str, Any],
    principal_arn: str,
    request: Request,
) -> Decision:
    """A principal (without a permissions boundary) of the resource's own account, calling a resource that has a resource policy.

    An explicit Deny in either the identity policies or the resource policy wins. The resource
    policy's statements that name this principal (or `*`) are judged like identity statements,
    with `aws:PrincipalArn` set, and an Allow there counts like one in the identity policies (in
    one account either suffices; erring towards "allowed" is the safe side for proofs that
    something is denied). A `NotPrincipal` or a principal the evaluator cannot match is
    "unsupported".
    """
    context = {**request.context, "aws:PrincipalArn": principal_arn}
    applying: list[Mapping[str, Any]] = []
    for stmt in _statements([resource_policy]):
        try:
            if "NotPrincipal" in stmt or "Principal" not in stmt:
                raise _Unsupported(f"statement {stmt.get('Sid', '?')} without a Principal")
            if _principal_matches(stmt["Principal"], principal_arn):
                applying.append({k: v for k, v in stmt.items() if k != "Principal"})
        except _Unsupported as err:
            return Decision("unsupported", f"resource policy: {err}")
    return evaluate([*policies, {"Statement": applying}], Request(request.action, request.resource, context))

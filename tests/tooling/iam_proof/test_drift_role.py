"""The drift role judged against the emulated deploy (both stacks): a whole refresh, and no write.

`pulumi preview --refresh --expect-no-changes` (drift.yml) reads every resource back, the
SecretVersions included, so unlike the preview role the drift role has no exemption at all.
"""

from __future__ import annotations

import pytest

from arbiter_tools.api_calls import provider_authorizations
from arbiter_tools.iam_eval import Request, context_for, evaluate
from arbiter_tools.runtime import REGION
from tests.tooling.iam_proof.proof import PREVIEW_DENIED_BY_DESIGN, Proof, decide, judge
from tests.tooling.iam_proof.test_preview_and_execution_roles import _state

pytestmark = pytest.mark.moto

_READS = ("Describe", "Get", "List")
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def test_drift_role_reads_everything_a_refresh_reads(proof: Proof) -> None:
    policies = proof.policies("drift")
    assert policies, "no arbiter-<env>-drift-* policies"
    reads = provider_authorizations(proof.deployment.resources, proof.authorizer, writes=False)
    failures, _ = judge(proof, reads, policies, ())
    assert failures == []
    # What the preview role is denied by design is exactly what the drift role adds.
    exempt = [a for a in reads if any(e.matches(a, proof.stack) for e in PREVIEW_DENIED_BY_DESIGN)]
    assert exempt and all(decide(policies, a).verdict == "allowed" for a in exempt)
    for request in _state(proof):
        assert evaluate(policies, request).verdict == "allowed", request.action
    # Secrets Manager decrypts each generated value with the stack key, on the caller's permission.
    key = proof.deployment.one("aws:kms/key:Key", f"arbiter-{proof.stack}-key-key").outputs["arn"]
    via_sm = context_for(
        resource_tags=proof.authorizer.tags[key],
        extra={"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"},
    )
    assert evaluate(policies, Request("kms:Decrypt", key, via_sm)).verdict == "allowed"


def test_drift_role_is_denied_every_write_of_a_deploy(proof: Proof) -> None:
    policies = proof.policies("drift")
    writes = [a for a in proof.authorizations if not a.action.split(":")[1].startswith(_READS)]
    writes += provider_authorizations(proof.deployment.resources, proof.authorizer, writes=True)
    assert len(writes) > 300
    # kms:Decrypt is how a read decrypts (through Secrets Manager): allowed on its own, it is never
    # enough for a call that writes, which needs its other authorizations too.
    allowed = [
        str(a) for a in writes if a.action != "kms:Decrypt" and decide(policies, a).verdict != "denied"
    ]
    assert allowed == []
    for call in {a.call for a in writes if a.action == "kms:Decrypt"}:
        verdicts = [decide(policies, a).verdict for a in proof.authorizations if a.call is call]
        assert "denied" in verdicts, call
    bucket = proof.config.delivery.state_bucket
    for obj in (
        f".pulumi/stacks/arbiter/{proof.stack}.json",
        f".pulumi/locks/organization/arbiter/{proof.stack}/lock.json",
        f".pulumi/history/arbiter/{proof.stack}/x.history.json",
    ):
        assert evaluate(policies, Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{obj}")).verdict == "denied"


def test_drift_role_reads_only_the_generated_secret_values(proof: Proof) -> None:
    """Secrets with a SecretVersion in the program are generated (readable); the rest hold the
    operator-set trading and bot credentials (never readable), whatever their names."""
    policies = proof.policies("drift")
    versions = {str(v.inputs["secretId"]) for v in proof.deployment.of_type(SECRET_VERSION)}
    verdicts: dict[bool, list[str]] = {True: [], False: []}
    for secret in proof.deployment.of_type("aws:secretsmanager/secret:Secret"):
        arn = str(secret.outputs["arn"])
        generated = arn in versions or str(secret.outputs.get("id")) in versions
        verdict = evaluate(policies, Request("secretsmanager:GetSecretValue", arn)).verdict
        verdicts[generated].append(verdict)
    assert verdicts[True] and set(verdicts[True]) == {"allowed"}
    assert len(verdicts[False]) >= 3 and set(verdicts[False]) == {"denied"}

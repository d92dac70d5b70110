"""One emulated deploy per stack, shared by every module of the proof (package scope: moto deploys are slow)."""

from __future__ import annotations

import pytest

from tests.tooling.iam_proof.proof import Proof, make_proof


@pytest.fixture(scope="package", params=["staging", "prod"])
def proof(request: pytest.FixtureRequest) -> Proof:
    return make_proof(request.param)

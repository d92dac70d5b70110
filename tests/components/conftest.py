"""Build one component alone, from hand-made args, under the same mocks the whole program runs with."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from arbiter_infra.naming import Naming
from arbiter_tools.runtime import ArbiterMocks, Deployment, run_function

Build = Callable[[Callable[[], object]], Deployment]


@pytest.fixture
def naming() -> Naming:
    return Naming("unit")


@pytest.fixture
def build() -> Build:
    """`build(lambda: Component(...))`: what the component declared, with its `apply` callbacks run."""

    def run(factory: Callable[[], object]) -> Deployment:
        def program() -> None:
            factory()

        return run_function(program, "unit", mocks=ArbiterMocks("unit"))

    return run

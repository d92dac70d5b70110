"""Every policy module's violation cases, by module: the catalog and unknown-value tests run them all."""

from __future__ import annotations

from typing import Final

from tests.policies import (
    test_containers,
    test_data,
    test_edge,
    test_encryption,
    test_identity,
    test_network_exposure,
    test_network_security_groups,
    test_network_topology,
    test_network_vpc,
    test_protection,
)
from tests.policies.cases import Case

#: Policy module name (`policies/<name>.py`) -> the cases of its test module.
MODULE_CASES: Final[dict[str, list[Case]]] = {
    "network_exposure": test_network_exposure.CASES,
    "network_security_groups": test_network_security_groups.CASES,
    "network_topology": test_network_topology.CASES,
    "network_vpc": test_network_vpc.CASES,
    "identity": test_identity.CASES,
    "data": test_data.CASES,
    "encryption": test_encryption.CASES,
    "edge": test_edge.CASES,
    "containers": test_containers.CASES,
    "protection": test_protection.CASES,
}
ALL_CASES: Final = [case for cases in MODULE_CASES.values() for case in cases]

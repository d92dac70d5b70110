"""The Terraform AWS provider's calls per type besides the create: the tables of each area, joined.

`provider.provider_authorizations` turns them into authorizations.
"""

from __future__ import annotations

from typing import Final

from arbiter_tools.api_calls.provider_calls_data import DATA_CALLS
from arbiter_tools.api_calls.provider_calls_network import NETWORK_CALLS
from arbiter_tools.api_calls.provider_calls_services import SERVICE_CALLS
from arbiter_tools.api_calls.provider_model import ProviderCalls
from policies import resource_types as rt

__all__ = ["NO_AWS_CALLS", "PROVIDER_CALLS", "ProviderCalls"]

#: Pulumi type -> the provider's calls for it (source: hashicorp/terraform-provider-aws).
PROVIDER_CALLS: Final[dict[str, ProviderCalls]] = {**NETWORK_CALLS, **DATA_CALLS, **SERVICE_CALLS}

#: Declared types that make no AWS call at all.
NO_AWS_CALLS: Final = frozenset(
    {
        rt.RANDOM_PASSWORD,
        rt.TLS_PRIVATE_KEY,
        rt.SELF_SIGNED[0],
    }
)

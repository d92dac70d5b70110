"""The IAM authorizations behind each AWS API call of a deploy (tooling; not the program's).

`CallRecorder` hooks the botocore clients the emulator creates and records every call (service,
operation, parameters, response, and the declared resource it was made for). `authorize` turns
each call into what IAM checks for it: one action on one resource ARN per authorization, with
the request context the evaluator (`arbiter_tools.iam_eval`) needs: request tags on the resource
being created only (EC2, RDS, ... evaluate `aws:RequestTag` against the new resource, not against
the VPC or subnet it goes into), resource tags of what the deploy tagged earlier, and the keys IAM
derives from the call: `iam:PermissionsBoundary`, `iam:PolicyARN`, `iam:PassedToService` for the
implied `iam:PassRole`, `ec2:CreateAction` for tag-on-create, `kms:ViaService` when a service
uses the stack key on the caller's behalf.

The rules follow the Service Authorization Reference and the services' "required permissions"
pages; one small function per API operation in `RULES`, in one `rules_*` module per group of services
(registered on import below). A call without a rule is reported, never assumed harmless. `PROVIDER_CALLS` lists what the Terraform AWS provider calls besides the create
the emulator makes: its Read (refresh, and describe-after-create) and its tag/policy writes on
update (data tables per area, `provider_calls_*`, joined in `provider_calls`; `provider` turns them into authorizations).
"""

from __future__ import annotations

# Each rules module registers its rules in RULES when imported.
from arbiter_tools.api_calls import (
    rules_containers,
    rules_data,
    rules_ec2,
    rules_edge,
    rules_identity,
    rules_monitoring,
)
from arbiter_tools.api_calls.core import (
    EMULATOR_ONLY,
    GENERATED,
    RULES,
    Authorizer,
    CallContext,
    Rule,
    UnmappedCall,
    authorize,
    emulator_only,
    request_tags,
    rule,
)
from arbiter_tools.api_calls.provider import provider_authorizations
from arbiter_tools.api_calls.provider_calls import NO_AWS_CALLS, PROVIDER_CALLS, ProviderCalls
from arbiter_tools.api_calls.recorder import ApiCall, Authorization, CallRecorder
from arbiter_tools.api_calls.rules_edge import S3_ACTIONS

#: The rules modules, in registration order (each adds its rules to `RULES`).
RULE_MODULES = (rules_ec2, rules_identity, rules_data, rules_containers, rules_monitoring, rules_edge)

__all__ = [
    "EMULATOR_ONLY",
    "GENERATED",
    "NO_AWS_CALLS",
    "PROVIDER_CALLS",
    "RULES",
    "RULE_MODULES",
    "S3_ACTIONS",
    "ApiCall",
    "Authorization",
    "Authorizer",
    "CallContext",
    "CallRecorder",
    "ProviderCalls",
    "Rule",
    "UnmappedCall",
    "authorize",
    "emulator_only",
    "provider_authorizations",
    "request_tags",
    "rule",
]

"""Pulumi mocks backed by the AWS API (moto): AWS semantics validate what the program declares.

The plain mocks (`runtime.ArbiterMocks`) echo inputs back, so a subnet outside its VPC, a rule
naming a missing security group or a policy without `Resource` pass unnoticed until `pulumi up`.
`EmulatorMocks` instead calls the matching AWS API through boto3 for every resource the program
declares (in-process `moto.mock_aws`, or the endpoint in `AWS_ENDPOINT_URL`, e.g. `moto_server`),
and returns the real API's ids, ARNs, endpoints and DNS names as outputs. Ids follow the Pulumi
provider's conventions (role name, cluster ARN, log-group name ...), so the references the program
passes between resources resolve against what the API returned.

`core` holds the handler registry (`HANDLERS`, `@handles`), `mocks` the mocks and the run
(`EmulatorMocks`, `deploy`); each other module holds one AWS service's handlers, registered on
import below, keyed by the type tokens of `policies.resource_types`.
"""

from __future__ import annotations

import importlib

from arbiter_tools.emulator.acm import self_signed
from arbiter_tools.emulator.core import (
    DUMMY_CREDENTIALS,
    HANDLERS,
    MANAGED_POLICIES_HINT,
    MOTO_CONFIG,
    EmulatorError,
    EmulatorUnreachable,
    Handler,
    Request,
    Result,
    handles,
)
from arbiter_tools.emulator.elbv2 import HTTPS_ONLY_PROTOCOL_VERSIONS
from arbiter_tools.emulator.mocks import EmulatorMocks, deploy
from arbiter_tools.emulator.wafv2 import WAF_LOG_GROUP_PREFIX

#: The name tests and tooling used before the split (a self-signed certificate and key, PEM bytes).
_self_signed = self_signed

#: The AWS services emulated, one module each; importing a module registers its handlers in HANDLERS.
AWS_SERVICES = (
    "acm",
    "appautoscaling",
    "backup",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elasticache",
    "elbv2",
    "iam",
    "kms",
    "lambda_",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "security_groups",
    "servicediscovery",
    "sns",
    "wafv2",
)
#: The service modules, in registration order.
SERVICE_MODULES = tuple(importlib.import_module(f"{__name__}.{name}") for name in AWS_SERVICES)

__all__ = [
    "DUMMY_CREDENTIALS",
    "HANDLERS",
    "HTTPS_ONLY_PROTOCOL_VERSIONS",
    "MANAGED_POLICIES_HINT",
    "MOTO_CONFIG",
    "SERVICE_MODULES",
    "WAF_LOG_GROUP_PREFIX",
    "EmulatorError",
    "EmulatorMocks",
    "EmulatorUnreachable",
    "Handler",
    "Request",
    "Result",
    "deploy",
    "handles",
    "self_signed",
]

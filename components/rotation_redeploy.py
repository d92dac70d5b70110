"""Redeploy the services that inject a rotating secret, each time AWS rotates it.

ECS resolves `secrets` only when a task starts, so after RDS rotates the managed master password
(every 7 days) running tasks hold the old one: their open connections survive, new connections
fail. AWS's own parts close that gap without custom code: an EventBridge rule on the secret's
`RotationSucceeded` event starts a Step Functions state machine that calls
`ecs:UpdateService(forceNewDeployment)` for each consumer (SDK integration), so new tasks read the
new value. Which services are consumers is decided by the composition (`__main__.py`), not here.

STANDARD, not EXPRESS: it runs about once a week, so its price is nil either way, and a STANDARD
execution is exactly-once and keeps its history (input, each UpdateService call, errors) for 90
days in the console, which is what an operator needs after a missed redeploy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.naming import Naming

#: The CloudTrail-delivered service event Secrets Manager emits when a rotation completes.
ROTATION_EVENT_SOURCE = "aws.secretsmanager"
ROTATION_DETAIL_TYPE = "AWS Service Event via CloudTrail"
ROTATION_EVENT_NAME = "RotationSucceeded"
UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"
#: The execution log is the audit trail of redeploys: kept like the ECS Exec session logs.
LOG_RETENTION_DAYS = 90


def rotation_event_pattern(secret_arn: str) -> dict[str, Any]:
    """The EventBridge pattern for a successful rotation of exactly this secret."""
    return {
        "source": [ROTATION_EVENT_SOURCE],
        "detail-type": [ROTATION_DETAIL_TYPE],
        "detail": {
            "eventSource": ["secretsmanager.amazonaws.com"],
            "eventName": [ROTATION_EVENT_NAME],
            "additionalEventData": {"SecretId": [secret_arn]},
        },
    }


def redeploy_definition(cluster_arn: str, service_arns: Mapping[str, str]) -> dict[str, Any]:
    """One parallel branch per service: UpdateService(forceNewDeployment), retried on API errors."""
    branches = [
        {
            "StartAt": service,
            "States": {
                service: {
                    "Type": "Task",
                    "Resource": UPDATE_SERVICE,
                    "Parameters": {"Cluster": cluster_arn, "Service": arn, "ForceNewDeployment": True},
                    "Retry": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "IntervalSeconds": 5,
                            "MaxAttempts": 4,
                            "BackoffRate": 2.0,
                        }
                    ],
                    "End": True,
                }
            },
        }
        for service, arn in sorted(service_arns.items())
    ]
    return {
        "Comment": "Start new tasks of every service that injects the rotated secret",
        "StartAt": "ForceNewDeployments",
        "States": {"ForceNewDeployments": {"Type": "Parallel", "Branches": branches, "End": True}},
    }


@dataclass(frozen=True)
class RotationRedeployArgs:
    #: Names the state machine, rule, roles and log group.
    naming: Naming
    #: Both roles trust only their service principal in this account.
    account_id: pulumi.Input[str]
    #: The stack key: the execution log group is encrypted with it.
    kms_key_arn: pulumi.Input[str]
    #: The rotating secret (the RDS-managed master secret).
    secret_arn: pulumi.Input[str]
    #: The ECS cluster the services run in.
    cluster_arn: pulumi.Input[str]
    #: Service name -> ECS service ARN: the services that inject `secret_arn` (from the composition);
    #: at least one.
    services: Mapping[str, pulumi.Input[str]]
    #: Permissions boundary of both roles (the deploy role may create roles only with it); default none.
    permissions_boundary: pulumi.Input[str] | None = None


class RotationRedeploy(pulumi.ComponentResource):
    """EventBridge rule -> Step Functions -> ecs:UpdateService for each consumer of one secret."""

    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    state_machine: aws.sfn.StateMachine
    events_role: aws.iam.Role
    events_policy: aws.iam.RolePolicy
    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    services: list[str]

    def __init__(
        self, name: str, args: RotationRedeployArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not args.services:
            raise ValueError("a rotation redeploy needs at least one service to redeploy")
        super().__init__("arbiter:services:RotationRedeploy", name, None, opts)
        naming = args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.services = sorted(args.services)
        machine_name = naming("db-rotation-redeploy")

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/states/{machine_name}",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=naming("db-rotation-sfn", kind="iam-role"),
            description="Step Functions: force new ECS deployments of the master secret's consumers",
            assume_role_policy=iam.assume_role_policy("states.amazonaws.com", source_account=args.account_id),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        service_arns = [args.services[s] for s in self.services]
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self.role.id,
            policy=iam.document(
                iam.statement("RedeployConsumers", ("ecs:UpdateService",), service_arns),
                iam.statement("DeliverExecutionLogs", iam.LOG_DELIVERY_ACTIONS, ["*"]),
                iam.statement("SendTraces", iam.XRAY_WRITE_ACTIONS, ["*"]),
            ),
            opts=child,
        )
        definition = pulumi.Output.all(args.cluster_arn, pulumi.Output.all(*service_arns)).apply(
            lambda parts: json.dumps(
                redeploy_definition(str(parts[0]), dict(zip(self.services, parts[1], strict=True)))
            )
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-machine",
            name=machine_name,
            type="STANDARD",
            role_arn=self.role.arn,
            definition=definition,
            logging_configuration={
                "log_destination": pulumi.Output.concat(self.log_group.arn, ":*"),
                # The input is the rotation event (secret ARN, no value); each call's outcome shows.
                "include_execution_data": True,
                "level": "ALL",
            },
            # X-Ray traces of each execution (checkov CKV_AWS_284): the UpdateService calls and
            # their latency show beside the ECS deployments they start.
            tracing_configuration={"enabled": True},
            # The role must allow log delivery before Step Functions checks it at create.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )

        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=naming("db-rotated"),
            description="The RDS-managed master secret rotated: redeploy the services that inject it",
            event_pattern=pulumi.Output.from_input(args.secret_arn).apply(
                lambda arn: json.dumps(rotation_event_pattern(arn))
            ),
            opts=child,
        )
        self.events_role = aws.iam.Role(
            f"{name}-events-role",
            name=naming("db-rotated-events", kind="iam-role"),
            description="EventBridge: start the rotation redeploy state machine",
            permissions_boundary=args.permissions_boundary,
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TrustTheRotationRule",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": args.account_id},
                                "ArnEquals": {"aws:SourceArn": self.rule.arn},
                            },
                        }
                    ],
                }
            ),
            opts=child,
        )
        self.events_policy = aws.iam.RolePolicy(
            f"{name}-events-policy",
            role=self.events_role.id,
            policy=iam.document(
                iam.statement("StartRedeploy", ("states:StartExecution",), [self.state_machine.arn])
            ),
            opts=child,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            target_id="redeploy",
            arn=self.state_machine.arn,
            role_arn=self.events_role.arn,
            # EventBridge retries a failed StartExecution for a day before dropping the event.
            retry_policy={"maximum_event_age_in_seconds": 24 * 3600, "maximum_retry_attempts": 185},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.events_policy]),
        )
        self.register_outputs(
            {
                "stateMachineArn": self.state_machine.arn,
                "ruleArn": self.rule.arn,
                "logGroupName": self.log_group.name,
                "services": self.services,
            }
        )

"""Alerting and the dashboard: the baseline alarms plus the failures that cost the most.

The rules are the rows of `components.alarms.ALARMS`; this component instantiates each row once
per target it is given (services, Aurora instances, Redis nodes, target groups, ...), so it knows
the kinds of target and never a particular service. Alarm and OK actions go to one SNS topic
encrypted with the stack's CMK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from arbiter_infra import iam
from arbiter_infra.config import MonitoringConfig, ServiceConfig
from arbiter_infra.naming import Naming
from components.alarms import (
    ALARMS,
    GIB,
    RDS_EVENT_CATEGORIES,
    AlarmSpec,
    Target,
    alarm_table_markdown,
    threshold_for,
    threshold_text,
)
from components.dashboard import dashboard_body

#: Re-exported: the alarm table and its helpers are read through this module too.
__all__ = [
    "ALARMS",
    "GIB",
    "AlarmSpec",
    "AuroraInstanceTarget",
    "Monitoring",
    "MonitoringArgs",
    "ServiceTarget",
    "alarm_table_markdown",
    "member_cluster_ids",
    "running_floor",
]


def running_floor(service: ServiceConfig) -> int:
    """Tasks that must be running: the desired count, or the autoscaling minimum.

    Autoscaling moves the desired count between min and max; alarming on the configured desired
    count would page whenever it scales in, so an autoscaled service is held to its minimum.
    """
    return service.min_count if service.min_count is not None else service.desired_count


def member_cluster_ids(member_clusters: pulumi.Output[Sequence[str]], count: int) -> list[pulumi.Output[str]]:
    """The replication group's member cluster ids as `count` Outputs, sorted (`<group>-001`...).

    Alarms must be registered before the ids are known, so their number comes from config
    (`numNodes`) and each id is read from the group's real `member_clusters` output.
    """

    def pick(i: int) -> pulumi.Output[str]:
        return member_clusters.apply(lambda ids: sorted(ids)[i])

    return [pick(i) for i in range(count)]


@dataclass(frozen=True)
class ServiceTarget:
    """An ECS service to watch: its name and how many tasks must be running."""

    #: The ECS service's name (the `ServiceName` dimension).
    service_name: pulumi.Input[str]
    #: Tasks that must be running (see `running_floor`).
    running_floor: int
    #: Its rows of `ALARMS` are those for steady-capacity services; default False.
    steady_capacity: bool = False


@dataclass(frozen=True)
class AuroraInstanceTarget:
    """An Aurora instance: `label` names its alarms, the class sets connection/memory thresholds."""

    #: Suffix of its alarms' names (`aurora-cpu-<label>`).
    label: str
    #: The instance identifier (the `DBInstanceIdentifier` dimension).
    identifier: pulumi.Input[str]
    #: Its class: `max_connections` and memory come from `catalog`.
    instance_class: str


@dataclass(frozen=True)
class MonitoringArgs:
    #: The stack file's `monitoring` section: who is paged.
    config: MonitoringConfig
    #: Names the topic, alarms `arbiter-<env>-<rule>[-<target>]` and the dashboard.
    naming: Naming
    #: The dashboard's region and the alarm ARNs the topic policy admits.
    region: str
    #: The stack key: the alert topic is encrypted with it.
    kms_key_arn: pulumi.Input[str]
    #: Only this account's alarms and RDS events may publish to the topic.
    account_id: pulumi.Input[str]
    #: The `ClusterName` dimension of the service alarms.
    ecs_cluster_name: pulumi.Input[str]
    #: Keyed by service name (the suffix of its alarms' names).
    services: Mapping[str, ServiceTarget]
    #: The `LoadBalancer` dimension of the ALB alarms.
    load_balancer_arn_suffix: pulumi.Input[str]
    #: Target-group key (rest, grpc) -> arn suffix.
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    #: The cluster: replica-lag alarm and RDS cluster events.
    aurora_cluster_identifier: pulumi.Input[str]
    #: One set of instance alarms per instance (and RDS instance events).
    aurora_instances: Sequence[AuroraInstanceTarget]
    #: Redis member cluster ids, in order (`<group>-001`...); labels are their last segment.
    redis_member_clusters: Sequence[pulumi.Input[str]]
    #: What answers behind the load balancer, as the target-5xx alarm's description names it;
    #: default "the targets".
    load_balancer_targets: str = "the targets"
    #: AWS Backup vaults whose failed backup and copy jobs page (by vault name); default none.
    backup_vaults: Sequence[str] = ()
    #: The service (a key of `services`) behind the load balancer: the load-balancer and
    #: target-group rows marked `deployment` are its deployment alarms; default None (no such
    #: service: those rows are nobody's deployment alarms).
    load_balancer_service: str | None = None


@dataclass(frozen=True)
class _Instance:
    """One concrete alarm target: a name suffix, dimensions and threshold inputs."""

    #: Suffix of the alarm's name; None: the rule's key alone.
    label: str | None
    #: The CloudWatch dimensions the metric is published under.
    dimensions: Mapping[str, pulumi.Input[str]]
    #: For thresholds relative to an Aurora class.
    instance_class: str | None = None
    #: For running-floor thresholds.
    floor: int | None = None
    #: The service whose deployments this alarm guards, if its row is a deployment alarm.
    service: str | None = None


class Monitoring(pulumi.ComponentResource):
    """Alert topic, e-mail subscriptions, one alarm per (rule, target) and the stack dashboard."""

    topic: aws.sns.Topic
    topic_policy: aws.sns.TopicPolicy
    subscriptions: dict[str, aws.sns.TopicSubscription]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    #: Per service: its deployment alarms (rows marked `deployment`), for the service's `alarms`.
    deployment_alarms: dict[str, list[aws.cloudwatch.MetricAlarm]]
    dashboard: aws.cloudwatch.Dashboard
    event_subscriptions: dict[str, aws.rds.EventSubscription]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:monitoring:Monitoring", name, None, opts)
        naming = args.naming
        if args.load_balancer_service is not None and args.load_balancer_service not in args.services:
            raise ValueError(
                f"load_balancer_service {args.load_balancer_service!r} is not one of the services"
            )
        child = pulumi.ResourceOptions(parent=self)

        self.topic = aws.sns.Topic(
            f"{name}-alerts", name=naming("alerts"), kms_master_key_id=args.kms_key_arn, opts=child
        )
        alarm_arns = pulumi.Output.concat(
            "arn:aws:cloudwatch:", args.region, ":", args.account_id, ":alarm:", naming.prefix, "-*"
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=self.topic.arn,
            policy=iam.document(
                iam.statement(
                    "CloudWatchAlarmsOfThisStackPublish",
                    ("SNS:Publish",),
                    [self.topic.arn],
                    principal={"Service": "cloudwatch.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                        "ArnLike": {"aws:SourceArn": alarm_arns},
                    },
                ),
                iam.statement(
                    "RdsEventsOfThisStackPublish",
                    ("SNS:Publish",),
                    [self.topic.arn],
                    principal={"Service": "events.rds.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                        "ArnLike": {
                            "aws:SourceArn": [
                                pulumi.Output.concat(
                                    "arn:aws:rds:",
                                    args.region,
                                    ":",
                                    args.account_id,
                                    f":{kind}:",
                                    naming.prefix,
                                    "-*",
                                )
                                for kind in ("es", "cluster", "db")
                            ]
                        },
                    },
                ),
                iam.statement(
                    "DenyPublishWithoutTls",
                    ("SNS:Publish",),
                    [self.topic.arn],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                ),
            ),
            opts=child,
        )
        # Named by address, not position: removing one address must not re-subscribe the others.
        self.subscriptions = {
            email: aws.sns.TopicSubscription(
                f"{name}-email-{email}", topic=self.topic.arn, protocol="email", endpoint=email, opts=child
            )
            for email in args.config.alert_emails
        }

        # Failover, failure, maintenance and low storage come as RDS events, not metrics.
        sources = {
            "db-cluster": [args.aurora_cluster_identifier],
            "db-instance": [i.identifier for i in args.aurora_instances],
        }
        self.event_subscriptions = {
            kind: aws.rds.EventSubscription(
                f"{name}-rds-{kind}",
                name=naming("rds", kind.removeprefix("db-")),
                sns_topic=self.topic.arn,
                source_type=kind,
                source_ids=ids,
                event_categories=list(RDS_EVENT_CATEGORIES[kind]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.topic_policy]),
            )
            for kind, ids in sources.items()
        }

        self.alarms = {}
        self.deployment_alarms = {svc: [] for svc in args.services}
        widgets: dict[tuple[str, str], list[list[Any]]] = {}
        for spec in ALARMS:
            for target in self._targets(spec, args):
                key = spec.key if target.label is None else f"{spec.key}-{target.label}"
                if key in self.alarms:
                    raise ValueError(f"two alarm rules produce {key!r}")
                threshold = threshold_for(spec, instance_class=target.instance_class, floor=target.floor)
                self.alarms[key] = aws.cloudwatch.MetricAlarm(
                    f"{name}-{key}",
                    name=naming(key),
                    alarm_description=(
                        f"{spec.metric} {threshold_text(spec)}. "
                        + spec.why.format(targets=args.load_balancer_targets)
                    ),
                    namespace=spec.namespace,
                    metric_name=spec.metric,
                    dimensions=dict(target.dimensions),
                    statistic=None if spec.percentile else spec.statistic,
                    extended_statistic=spec.statistic if spec.percentile else None,
                    evaluate_low_sample_count_percentiles="ignore" if spec.percentile else None,
                    comparison_operator=spec.comparison,
                    threshold=threshold,
                    period=spec.period,
                    evaluation_periods=spec.evaluation_periods,
                    datapoints_to_alarm=spec.datapoints_to_alarm,
                    treat_missing_data=spec.treat_missing_data,
                    alarm_actions=[self.topic.arn],
                    ok_actions=[self.topic.arn],
                    opts=child,
                )
                if spec.deployment and target.service is not None:
                    self.deployment_alarms[target.service].append(self.alarms[key])
                metric: list[Any] = [spec.namespace, spec.metric]
                for dim, value in target.dimensions.items():
                    metric += [dim, value]
                metric.append({"stat": spec.statistic, "label": target.label or spec.metric})
                widgets.setdefault((spec.namespace, spec.metric), []).append(metric)

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=naming.prefix,
            dashboard_body=pulumi.Output.json_dumps(dashboard_body(widgets, args.region)),
            opts=child,
        )
        self.register_outputs(
            {
                "topicArn": self.topic.arn,
                "dashboardName": self.dashboard.dashboard_name,
                "alarmNames": [alarm.name for alarm in self.alarms.values()],
                "deploymentAlarmNames": {
                    svc: [alarm.name for alarm in alarms] for svc, alarms in self.deployment_alarms.items()
                },
            }
        )

    @staticmethod
    def _targets(spec: AlarmSpec, args: MonitoringArgs) -> list[_Instance]:
        """The concrete targets of one rule, with the dimensions CloudWatch publishes it under."""
        lb = args.load_balancer_arn_suffix
        if spec.target == "service":
            return [
                _Instance(
                    name,
                    {"ClusterName": args.ecs_cluster_name, "ServiceName": args.services[name].service_name},
                    floor=args.services[name].running_floor,
                    service=name,
                )
                for name in args.services
                if spec.steady_capacity in (None, args.services[name].steady_capacity)
            ]
        if spec.target == "aurora-instance":
            return [
                _Instance(i.label, {"DBInstanceIdentifier": i.identifier}, instance_class=i.instance_class)
                for i in args.aurora_instances
            ]
        targets: dict[Target, list[_Instance]] = {
            # A single-instance cluster has no reader to lag.
            "aurora-readers": [
                _Instance(None, {"DBClusterIdentifier": args.aurora_cluster_identifier, "Role": "READER"})
            ]
            if len(args.aurora_instances) >= 2
            else [],
            "load-balancer": [_Instance(None, {"LoadBalancer": lb}, service=args.load_balancer_service)],
            "target-group": [
                _Instance(tg, {"TargetGroup": suffix, "LoadBalancer": lb}, service=args.load_balancer_service)
                for tg, suffix in args.target_group_arn_suffixes.items()
            ],
            "redis-node": [
                _Instance(f"{i + 1:03d}", {"CacheClusterId": member})
                for i, member in enumerate(args.redis_member_clusters)
            ],
            # One vault per stack today: unlabelled, so the alarm is `<prefix>-backup-jobs-failed`.
            "backup-vault": [
                _Instance(None if len(args.backup_vaults) == 1 else vault, {"BackupVaultName": vault})
                for vault in args.backup_vaults
            ],
        }
        return targets[spec.target]

    def deployment_alarm_names(self, service: str) -> pulumi.Output[list[str]]:
        """The names of `service`'s deployment alarms, as an Output that depends on the alarms.

        Handed to the ECS service's `alarms`, it makes the service wait for its alarms: ECS reads
        them from the first deployment on.
        """
        alarms = self.deployment_alarms[service]
        if not alarms:
            raise ValueError(f"no deployment alarm watches {service!r}: mark a row of ALARMS `deployment`")
        return pulumi.Output.all(*[alarm.name for alarm in alarms])

"""IAM rules for ECS, ELB, Cloud Map and Application Auto Scaling calls."""

from __future__ import annotations

from arbiter_tools.api_calls.core import GENERATED, RULES, CallContext, rule


def _ecs_tag(c: CallContext, arn: str) -> None:
    if c.tags:
        extra = {"ecs:CreateAction": c.call.operation}
        c.need("ecs:TagResource", arn, tags=c.tags, extra=extra, why="tags on create")
    c.created(arn)


def _ecs_cluster_arn(c: CallContext, cluster: str) -> str:
    return cluster if cluster.startswith("arn:") else c.arn("ecs", f"cluster/{cluster}")


@rule("ecs", "CreateCluster")
def _ecs_cluster(c: CallContext) -> None:
    # The SAR authorizes CreateCluster on the new cluster's ARN (resource type cluster).
    c.need("ecs:CreateCluster", str(c.r["cluster"]["clusterArn"]), tags=c.tags)
    _ecs_tag(c, str(c.r["cluster"]["clusterArn"]))


@rule("ecs", "PutClusterCapacityProviders")
def _ecs_capacity(c: CallContext) -> None:
    c.need("ecs:PutClusterCapacityProviders", _ecs_cluster_arn(c, str(c.p["cluster"])))


@rule("ecs", "RegisterTaskDefinition")
def _ecs_task_definition(c: CallContext) -> None:
    # The SAR authorizes RegisterTaskDefinition on the revision's ARN (resource type task-definition).
    c.need("ecs:RegisterTaskDefinition", str(c.r["taskDefinition"]["taskDefinitionArn"]), tags=c.tags)
    _ecs_tag(c, str(c.r["taskDefinition"]["taskDefinitionArn"]))
    for key in ("executionRoleArn", "taskRoleArn"):
        c.pass_role(c.p.get(key), "ecs-tasks.amazonaws.com")


@rule("ecs", "CreateService")
def _ecs_service(c: CallContext) -> None:
    arn = str(c.r["service"]["serviceArn"])
    c.need("ecs:CreateService", arn, tags=c.tags)
    # A blue/green, canary or linear route names the role ECS shifts the load balancer with.
    for lb in c.p.get("loadBalancers") or []:
        c.pass_role((lb.get("advancedConfiguration") or {}).get("roleArn"), "ecs.amazonaws.com")
    _ecs_tag(c, arn)


def _elb_tag(c: CallContext, arn: str) -> None:
    if c.tags:
        extra = {"elasticloadbalancing:CreateAction": c.call.operation}
        c.need("elasticloadbalancing:AddTags", arn, tags=c.tags, extra=extra, why="tags on create")
    c.created(arn)


@rule("elbv2", "CreateLoadBalancer", "CreateTargetGroup")
def _elb_create(c: CallContext) -> None:
    key = "LoadBalancers" if c.call.operation == "CreateLoadBalancer" else "TargetGroups"
    item = c.r[key][0]
    arn = str(item.get("LoadBalancerArn") or item.get("TargetGroupArn"))
    c.need(f"elasticloadbalancing:{c.call.operation}", arn, tags=c.tags)
    _elb_tag(c, arn)


@rule("elbv2", "CreateListener")
def _elb_listener(c: CallContext) -> None:
    c.need("elasticloadbalancing:CreateListener", str(c.p["LoadBalancerArn"]), tags=c.tags)
    _elb_tag(c, str(c.r["Listeners"][0]["ListenerArn"]))


@rule("elbv2", "CreateRule")
def _elb_rule(c: CallContext) -> None:
    c.need("elasticloadbalancing:CreateRule", str(c.p["ListenerArn"]), tags=c.tags)
    _elb_tag(c, str(c.r["Rules"][0]["RuleArn"]))


@rule("elbv2", "ModifyLoadBalancerAttributes", "ModifyTargetGroupAttributes")
def _elb_modify(c: CallContext) -> None:
    arn = c.p.get("LoadBalancerArn") or c.p.get("TargetGroupArn")
    c.need(f"elasticloadbalancing:{c.call.operation}", str(arn))


@rule("servicediscovery", "CreatePrivateDnsNamespace")
def _sd_namespace(c: CallContext) -> None:
    c.need("servicediscovery:CreatePrivateDnsNamespace", "*", tags=c.tags)
    if c.tags:
        new = c.arn("servicediscovery", "namespace/*")
        c.need("servicediscovery:TagResource", new, tags=c.tags, why="tags on create")
    why = "Cloud Map creates the namespace's private hosted zone with the caller's permissions"
    for action in (
        "route53:CreateHostedZone",
        "route53:ListHostedZonesByName",
        "ec2:DescribeVpcs",
        "ec2:DescribeRegions",
    ):
        c.need(action, "*", why=why)
    c.need("route53:GetHostedZone", "arn:aws:route53:::hostedzone/*", why=why)
    c.a.pending_tags[str(c.r["OperationId"])] = dict(c.tags)


@rule("servicediscovery", "GetNamespace")
def _sd_get_namespace(c: CallContext) -> None:
    arn = str(c.r["Namespace"]["Arn"])
    for operation, tags in list(c.a.pending_tags.items()):
        if c.a.operations.get(operation) == c.p["Id"]:
            c.created(arn, tags)
            del c.a.pending_tags[operation]
    c.need("servicediscovery:GetNamespace", arn)


@rule("servicediscovery", "CreateService")
def _sd_service(c: CallContext) -> None:
    namespace = c.arn("servicediscovery", f"namespace/{c.p['NamespaceId']}")
    c.need("servicediscovery:CreateService", namespace, tags=c.tags)
    arn = str(c.r["Service"]["Arn"])
    if c.tags:
        c.need("servicediscovery:TagResource", arn, tags=c.tags, why="tags on create")
    c.created(arn)


def _sd_operation(c: CallContext) -> None:
    c.need("servicediscovery:GetOperation", "*")
    targets = c.r.get("Operation", {}).get("Targets", {})
    if "NAMESPACE" in targets:
        c.a.operations[str(c.p["OperationId"])] = str(targets["NAMESPACE"])


RULES[("servicediscovery", "GetOperation")] = _sd_operation


def _scalable_target(c: CallContext) -> str:
    key = f"{c.p['ServiceNamespace']}/{c.p['ResourceId']}/{c.p['ScalableDimension']}"
    return c.a.targets.get(key) or c.arn("application-autoscaling", "scalable-target/*")


@rule("application-autoscaling", "RegisterScalableTarget")
def _aas_register(c: CallContext) -> None:
    # The provider sends the resource's tags (Tags); the emulator's call has none.
    tags = c.tags or dict(c.call.resource_tags)
    arn = str(c.r.get("ScalableTargetARN") or _scalable_target(c))
    c.need("application-autoscaling:RegisterScalableTarget", arn, tags=tags)
    if tags:
        c.need("application-autoscaling:TagResource", arn, tags=tags, why="tags on register")
    if c.p["ServiceNamespace"] == "ecs":
        service = c.arn("ecs", str(c.p["ResourceId"]))
        why = "Application Auto Scaling checks the ECS service with the caller's permissions"
        for action in ("ecs:DescribeServices", "ecs:UpdateService"):
            c.need(action, service, why=why)
    c.a.targets[f"{c.p['ServiceNamespace']}/{c.p['ResourceId']}/{c.p['ScalableDimension']}"] = arn
    c.created(arn, tags)


@rule("application-autoscaling", "PutScalingPolicy")
def _aas_policy(c: CallContext) -> None:
    c.need("application-autoscaling:PutScalingPolicy", _scalable_target(c))
    if c.p.get("PolicyType") == "TargetTrackingScaling":
        why = "target tracking creates its CloudWatch alarms with the caller's permissions"
        c.need("cloudwatch:DescribeAlarms", c.arn("cloudwatch", "alarm:*"), why=why)
        for side in ("High", "Low"):
            name = f"TargetTracking-{c.p['ResourceId']}-Alarm{side}-{GENERATED}"
            c.need("cloudwatch:PutMetricAlarm", c.arn("cloudwatch", f"alarm:{name}"), why=why)

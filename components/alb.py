"""The stack's only public entry point: an internet-facing ALB in front of the public service.

The public service speaks REST and gRPC on one port. An ALB target group speaks either HTTP/1 or gRPC,
so there are two groups for the same tasks and a listener rule that sends `application/grpc*`
requests to the gRPC one. ALB forwards to a gRPC group only from an HTTPS listener, so every stack
serves HTTPS: with the configured ACM certificate, or (staging, no domain) a self-signed one that
the stack generates and imports into ACM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from arbiter_infra import iam
from arbiter_infra.config import ServicesConfig
from arbiter_infra.naming import Naming
from components.secrets import as_secret

#: TLS 1.3 with TLS 1.2 fallback; no TLS 1.0/1.1, no CBC ciphers.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: The Elastic Load Balancing account that writes access logs in us-east-1 (regions older than
#: 2022 use an ELB account principal, not the logdelivery service principal).
ELB_LOG_ACCOUNTS = {"us-east-1": "127311923021"}
ACCESS_LOG_PREFIX = "alb"
GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check"
REST_HEALTH_PATH = "/health"
#: Long enough for in-flight REST calls; streaming gRPC clients reconnect anyway.
DEREGISTRATION_DELAY_SECONDS = 30
#: The self-signed certificate: valid a year, replaced by the first `pulumi up` in its last 30 days.
SELF_SIGNED_VALIDITY_HOURS = 365 * 24
SELF_SIGNED_EARLY_RENEWAL_HOURS = 30 * 24
#: Outputs of tls.PrivateKey that hold the key: secrets in state whatever the provider marks.
PRIVATE_KEY_OUTPUTS = ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]


@dataclass(frozen=True)
class LoadBalancerArgs:
    #: The stack file's `services` section: certificate, deletion protection, log retention.
    config: ServicesConfig
    #: Names the ALB and target groups `arb-<env>-...` (32 characters at most).
    naming: Naming
    #: Selects the ELB account that writes the access logs (`ELB_LOG_ACCOUNTS`).
    region: str
    #: The access-log bucket's name and policy carry it.
    account_id: pulumi.Input[str]
    #: The VPC of the target groups.
    vpc_id: pulumi.Input[str]
    #: Public subnets, one per availability zone.
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The ALB's security group.
    security_group_id: pulumi.Input[str]
    #: The public service's container port: both target groups send traffic there.
    target_port: int
    #: Short name of the targets in the target groups' names (`arb-<env>-<label>-rest`, at most 32
    #: characters); default `web`.
    target_label: str = "web"
    #: ECS shifts traffic between revisions (canary, linear): an alternate target group per
    #: group, production listener rules forwarding to both, and the role ECS changes them with;
    #: default False (a rolling service: the HTTPS listener's default action serves REST).
    traffic_shift: bool = False
    #: Permissions boundary of the traffic-shift role; default none.
    permissions_boundary: pulumi.Input[str] | None = None


#: Listener-rule priorities: gRPC (by content-type) is matched before the REST catch-all.
GRPC_RULE_PRIORITY = 10
REST_RULE_PRIORITY = 20
#: What ECS needs of Elastic Load Balancing to shift traffic: the actions of the AWS managed
#: policy AmazonECSInfrastructureRolePolicyForLoadBalancers (v6, read from moto's copy of the AWS
#: managed policies), scoped here to this ALB's groups, rules and listener instead of `*`.
ECS_LB_READ_ACTIONS = (
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
ECS_LB_TARGET_ACTIONS = ("elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets")
ECS_LB_ROUTING_ACTIONS = ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule")


class LoadBalancer(pulumi.ComponentResource):
    """ALB, its access-log bucket, listeners, the REST and gRPC target groups and the gRPC rule."""

    log_bucket: aws.s3.Bucket
    log_bucket_policy: aws.s3.BucketPolicy
    alb: aws.lb.LoadBalancer
    target_groups: dict[str, aws.lb.TargetGroup]
    listeners: dict[str, aws.lb.Listener]
    #: The HTTPS listener: it forwards to the targets (gRPC needs HTTPS); HTTP only redirects.
    serving_listener: aws.lb.Listener
    grpc_rule: aws.lb.ListenerRule
    #: With `traffic_shift`: per key (rest, grpc) the alternate group (also in `target_groups` as
    #: `<key>-alt`), the production rule ECS shifts (REST's is a catch-all rule, since ECS shifts
    #: rules, not default actions) and the role ECS assumes; else empty / None.
    alternate_target_groups: dict[str, aws.lb.TargetGroup]
    production_rules: dict[str, aws.lb.ListenerRule]
    traffic_shift_role: aws.iam.Role | None
    traffic_shift_policy: aws.iam.RolePolicy | None
    #: Set only without a configured certificate: the generated key, certificate and ACM import.
    self_signed_key: tls.PrivateKey | None
    self_signed_cert: tls.SelfSignedCert | None
    imported_certificate: aws.acm.Certificate | None
    certificate_arn: pulumi.Output[str]
    notes: list[str]
    dns_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("arbiter:services:LoadBalancer", name, None, opts)
        cfg, naming = args.config, args.naming
        child = pulumi.ResourceOptions(parent=self)
        self.notes = []
        if cfg.certificate_arn is None:
            self.notes.append(
                "no services.certificateArn: the ALB serves HTTPS with a self-signed certificate "
                "(clients must trust it or skip verification; prod requires a certificate)"
            )
        for note in self.notes:
            pulumi.log.warn(note, resource=self)

        self._access_log_bucket(name, args)
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=naming.compact("alb", kind="alb"),
            load_balancer_type="application",
            internal=False,
            subnets=list(args.subnet_ids),
            security_groups=[args.security_group_id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=cfg.alb_deletion_protection,
            idle_timeout=60,
            access_logs={"bucket": self.log_bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            # ELB checks it may write to the bucket when logging is enabled.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_bucket_policy]),
        )

        def target_group(key: str, protocol_version: str, path: str, matcher: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                f"{name}-tg-{key}",
                name=naming.compact(args.target_label, key, kind="target-group"),
                vpc_id=args.vpc_id,
                target_type="ip",
                protocol="HTTP",
                protocol_version=protocol_version,
                port=args.target_port,
                deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
                health_check={
                    "enabled": True,
                    "path": path,
                    "matcher": matcher,
                    "protocol": "HTTP",
                    "port": "traffic-port",
                    "interval": 15,
                    "timeout": 5,
                    "healthy_threshold": 2,
                    "unhealthy_threshold": 3,
                },
                opts=child,
            )

        self.target_groups = {
            "rest": target_group("rest", "HTTP1", REST_HEALTH_PATH, "200"),
            # gRPC health: matcher is a gRPC status code (0 = OK), not an HTTP status.
            "grpc": target_group("grpc", "GRPC", GRPC_HEALTH_PATH, "0"),
        }
        self.alternate_target_groups = {}
        if args.traffic_shift:
            # The same health checks: ECS registers the new revision here and shifts traffic only
            # once it is healthy; after the shift, the roles of the two groups swap.
            self.alternate_target_groups = {
                "rest": target_group("rest-alt", "HTTP1", REST_HEALTH_PATH, "200"),
                "grpc": target_group("grpc-alt", "GRPC", GRPC_HEALTH_PATH, "0"),
            }
            self.target_groups |= {f"{k}-alt": tg for k, tg in self.alternate_target_groups.items()}
        forward_rest = [
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_groups["rest"].arn)
        ]

        self.self_signed_key = self.self_signed_cert = self.imported_certificate = None
        if cfg.certificate_arn is not None:
            self.certificate_arn = pulumi.Output.from_input(cfg.certificate_arn)
        else:
            self.certificate_arn = self._self_signed_certificate(name, naming)

        self.listeners = {
            "https": aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=self.certificate_arn,
                default_actions=forward_rest,
                opts=child,
            ),
            "http": aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                            protocol="HTTPS", port="443", status_code="HTTP_301"
                        ),
                    )
                ],
                opts=child,
            ),
        }
        self.serving_listener = self.listeners["https"]

        grpc_condition = aws.lb.ListenerRuleConditionArgs(
            http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                http_header_name="content-type", values=["application/grpc*"]
            )
        )
        self.production_rules = {}
        if not args.traffic_shift:
            self.grpc_rule = aws.lb.ListenerRule(
                f"{name}-grpc-rule",
                listener_arn=self.serving_listener.arn,
                priority=GRPC_RULE_PRIORITY,
                conditions=[grpc_condition],
                actions=[{"type": "forward", "target_group_arn": self.target_groups["grpc"].arn}],
                opts=child,
            )
        else:
            conditions = {
                "grpc": grpc_condition,
                "rest": aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"])
                ),
            }
            priorities = {"grpc": GRPC_RULE_PRIORITY, "rest": REST_RULE_PRIORITY}
            self.production_rules = {
                key: aws.lb.ListenerRule(
                    f"{name}-{key}-rule",
                    listener_arn=self.serving_listener.arn,
                    priority=priorities[key],
                    conditions=[conditions[key]],
                    # Both groups, all weight on the primary: ECS moves the weights during a
                    # deployment and leaves them swapped after it, so they are not Pulumi's.
                    actions=[
                        {
                            "type": "forward",
                            "forward": {
                                "target_groups": [
                                    {"arn": self.target_groups[key].arn, "weight": 100},
                                    {"arn": self.alternate_target_groups[key].arn, "weight": 0},
                                ]
                            },
                        }
                    ],
                    opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"]),
                )
                for key in ("grpc", "rest")
            }
            self.grpc_rule = self.production_rules["grpc"]
        self.traffic_shift_role = self.traffic_shift_policy = None
        if args.traffic_shift:
            self._traffic_shift_role(name, args)

        self.dns_name = self.alb.dns_name
        self.url = self.alb.dns_name.apply(lambda dns: f"https://{dns}")
        self.register_outputs(
            {
                "dnsName": self.dns_name,
                "url": self.url,
                "arn": self.alb.arn,
                "arnSuffix": self.alb.arn_suffix,
                "certificateArn": self.certificate_arn,
                "logBucket": self.log_bucket.bucket,
                "targetGroupArns": {key: tg.arn for key, tg in self.target_groups.items()},
                "listenerArns": {key: listener.arn for key, listener in self.listeners.items()},
            }
        )

    def _traffic_shift_role(self, name: str, args: LoadBalancerArgs) -> None:
        """The ECS infrastructure role for load balancers, limited to this ALB's groups and rules."""
        child = pulumi.ResourceOptions(parent=self)
        self.traffic_shift_role = aws.iam.Role(
            f"{name}-traffic-shift-role",
            name=args.naming("ecs-traffic-shift", kind="iam-role"),
            description="ECS shifts the ALB's traffic between service revisions (canary, linear)",
            # The trust AWS documents for the ECS infrastructure role: ECS does not promise to send
            # aws:SourceAccount when it assumes it, so no condition that could refuse ECS itself.
            assume_role_policy=iam.assume_role_policy("ecs.amazonaws.com"),
            permissions_boundary=args.permissions_boundary,
            opts=child,
        )
        groups = [tg.arn for tg in self.target_groups.values()]
        self.traffic_shift_policy = aws.iam.RolePolicy(
            f"{name}-traffic-shift-policy",
            role=self.traffic_shift_role.id,
            policy=iam.document(
                iam.statement("ReadLoadBalancing", ECS_LB_READ_ACTIONS, ["*"]),
                iam.statement("RegisterRevisions", ECS_LB_TARGET_ACTIONS, groups),
                iam.statement(
                    "ShiftProductionRules",
                    ("elasticloadbalancing:ModifyRule",),
                    [rule.arn for rule in self.production_rules.values()],
                ),
                iam.statement(
                    "ShiftProductionListener",
                    ("elasticloadbalancing:ModifyListener",),
                    [self.serving_listener.arn],
                ),
            ),
            opts=child,
        )

    def _self_signed_certificate(self, name: str, naming: Naming) -> pulumi.Output[str]:
        """A key and certificate for the ALB's DNS name, imported into ACM (no domain needed).

        The key exists only in state, as a secret, and in ACM. ACM never renews an imported
        certificate: the certificate is replaced by the first `pulumi up` within its last 30 days.
        """
        child = pulumi.ResourceOptions(parent=self)
        self.self_signed_key = tls.PrivateKey(
            f"{name}-tls-key",
            algorithm="ECDSA",
            ecdsa_curve="P256",
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=PRIVATE_KEY_OUTPUTS),
        )
        self.self_signed_cert = tls.SelfSignedCert(
            f"{name}-tls-cert",
            private_key_pem=self.self_signed_key.private_key_pem,
            # CN is at most 64 characters, an ALB DNS name can be longer: the name goes in the SAN.
            subject={"common_name": naming("alb"), "organization": "arbiter (self-signed)"},
            dns_names=[self.alb.dns_name],
            validity_period_hours=SELF_SIGNED_VALIDITY_HOURS,
            early_renewal_hours=SELF_SIGNED_EARLY_RENEWAL_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=child,
        )
        self.imported_certificate = aws.acm.Certificate(
            f"{name}-self-signed",
            private_key=as_secret(self.self_signed_key.private_key_pem),
            certificate_body=self.self_signed_cert.cert_pem,
            tags={"Name": naming("alb-self-signed"), "CertificateSource": "self-signed"},
            opts=child,
        )
        return self.imported_certificate.arn

    def _access_log_bucket(self, name: str, args: LoadBalancerArgs) -> None:
        """SSE-S3 bucket (ALB log delivery does not support SSE-KMS), private, TLS-only, expiring."""
        child = pulumi.ResourceOptions(parent=self)
        elb_account = ELB_LOG_ACCOUNTS.get(args.region)
        if elb_account is None:
            raise ValueError(f"no ELB log-delivery account known for region {args.region}")
        # Bucket names are global: the account id makes them unique; check the length up front.
        args.naming("alb-logs", "0" * 12, kind="s3")
        bucket_name = pulumi.Output.concat(args.naming.prefix, "-alb-logs-", args.account_id)
        self.log_bucket = aws.s3.Bucket(
            f"{name}-logs",
            bucket=bucket_name,
            # Access logs are the audit trail of the public entry point: kept where the ALB is.
            force_destroy=not args.config.alb_deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, protect=args.config.alb_deletion_protection),
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-logs-public-access",
            bucket=self.log_bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-logs-ownership",
            bucket=self.log_bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        # Versioned: a deleted or overwritten access log stays recoverable until the lifecycle
        # expires it (noncurrent versions expire with the same retention).
        aws.s3.BucketVersioning(
            f"{name}-logs-versioning",
            bucket=self.log_bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs-sse",
            bucket=self.log_bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-lifecycle",
            bucket=self.log_bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.config.access_log_retention_days},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.config.access_log_retention_days
                    },
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=child,
        )
        bucket_arn = self.log_bucket.arn
        self.log_bucket_policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=self.log_bucket.id,
            policy=iam.document(
                iam.statement(
                    "ElbWritesAccessLogs",
                    ("s3:PutObject",),
                    [
                        pulumi.Output.concat(
                            bucket_arn, f"/{ACCESS_LOG_PREFIX}/AWSLogs/", args.account_id, "/*"
                        )
                    ],
                    principal={"AWS": f"arn:aws:iam::{elb_account}:root"},
                ),
                iam.statement(
                    "DenyNonTlsRequests",
                    ("s3:*",),
                    [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                    effect="Deny",
                    principal={"AWS": "*"},
                    condition={"Bool": {"aws:SecureTransport": "false"}},
                ),
            ),
            # A policy put before the block exists could be refused as public by the block later.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

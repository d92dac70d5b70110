"""Facts about AWS offerings that config is validated against.

Kept in one place so that an unsupported engine version or instance class is refused with a
message listing what is allowed, before a single resource is registered.
"""

from __future__ import annotations

from typing import Final

#: Aurora PostgreSQL versions this project deploys and tests. 16.x is in AWS standard support
#: until 2029-02 (15.x until 2028-02); the seed's 15.4 reached end of standard support in 2025.
AURORA_POSTGRES_VERSIONS: Final = ("15.10", "15.12", "15.13", "16.6", "16.8", "16.9")

#: Parameter group family per Aurora major version.
AURORA_PARAMETER_FAMILY: Final = {"15": "aurora-postgresql15", "16": "aurora-postgresql16"}

#: Aurora PostgreSQL instance classes and their memory in GiB (for max_connections).
AURORA_INSTANCE_MEMORY_GIB: Final = {
    "db.t3.medium": 4,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.r6g.large": 16,
    "db.r6g.xlarge": 32,
    "db.r6g.2xlarge": 64,
    "db.r7g.large": 16,
    "db.r7g.xlarge": 32,
    "db.r7g.2xlarge": 64,
}

#: ElastiCache Redis OSS engine versions (7.x only: the seed's major).
REDIS_VERSIONS: Final = ("7.0", "7.1")

#: ElastiCache node types and their memory in GiB (for the cost table and memory alarms).
CACHE_NODE_MEMORY_GIB: Final = {
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    "cache.r6g.large": 13.07,
    "cache.r6g.xlarge": 26.32,
    "cache.r7g.large": 13.07,
    "cache.r7g.xlarge": 26.32,
}

#: CloudWatch Logs accepts only these retention values (days).
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip

#: Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_MEMORY_MIB: Final = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

#: Bytes per connection in Aurora PostgreSQL's default max_connections formula.
AURORA_PG_BYTES_PER_CONNECTION: Final = 9_531_392
AURORA_PG_MAX_CONNECTIONS_CAP: Final = 5000


def aurora_max_connections(instance_class: str) -> int:
    """Default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).

    DBInstanceClassMemory is the class memory less what the OS and RDS processes reserve; AWS
    does not publish that share, so the nominal memory is used. The result is what the
    "connections > 80% of max" alarm is computed from.
    """
    try:
        gib = AURORA_INSTANCE_MEMORY_GIB[instance_class]
    except KeyError:
        allowed = ", ".join(sorted(AURORA_INSTANCE_MEMORY_GIB))
        raise ValueError(f"unknown Aurora instance class {instance_class!r}; allowed: {allowed}") from None
    return min(int(gib * 1024**3 // AURORA_PG_BYTES_PER_CONNECTION), AURORA_PG_MAX_CONNECTIONS_CAP)


#: ECR repository per service: the repositories of the image URIs in the environment stack files
#: (`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`), owned by the account stack and shared by
#: every environment in that account.
IMAGE_REPOSITORIES: Final = {
    "trading-core": "arbiter-engine",
    "telegram-bot": "telegram-bot",
    "web-api": "web-api",
}

#: Service-linked roles the stacks rely on: short name -> (AWS service principal, role name).
#: AWS creates them on first use only when the caller may, and a role created seconds before
#: CreateService may not have propagated; the account stack creates them ahead of any environment.
SERVICE_LINKED_ROLES: Final = {
    "ecs": ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    "ecs-autoscaling": (
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ),
    "elasticloadbalancing": ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
    "rds": ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    "elasticache": ("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache"),
}

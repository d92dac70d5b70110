"""Facts about AWS offerings that config is validated against.

Kept in one place so that an unsupported engine version or instance class is refused with a
message listing what is allowed, before a single resource is registered.
"""

from __future__ import annotations

from typing import Final

#: Aurora PostgreSQL majors this project deploys; config names the major only ("16"). RDS resolves
#: a major to its default minor at create, and with auto minor upgrade on AWS moves the minor
#: later; the provider keeps a declared prefix of the actual version (`rds_state_engine_version`),
#: so a moved minor is no diff. 16 is in standard support until 2029-02, 15 until 2028-02.
#: 17 is generally available on Aurora since 17.4 (2025-05); an existing cluster reaches a new
#: major through `db-upgrade` (an RDS blue/green deployment), not by editing this file alone.
AURORA_POSTGRES_MAJORS: Final = ("15", "16", "17")

#: Parameter group family per Aurora major version.
AURORA_PARAMETER_FAMILY: Final = {
    "15": "aurora-postgresql15",
    "16": "aurora-postgresql16",
    "17": "aurora-postgresql17",
}

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

#: The classes of AURORA_INSTANCE_MEMORY_GIB that AWS offers per Aurora PostgreSQL major: AWS's
#: "Supported DB engines for DB instance classes" (Aurora User Guide,
#: Concepts.DBInstanceClass.SupportAurora): db.t4g, db.r6g and db.r7g list "17.4 and higher,
#: 16.1 and higher, 15.2 and higher". db.t3 is a previous generation: listed for 15 and 16 (its
#: orderable options, `describe-orderable-db-instance-options`), not confirmed for 17, so refused
#: there rather than failing half-way through an upgrade.
AURORA_MAJOR_INSTANCE_CLASSES: Final = {
    "15": tuple(AURORA_INSTANCE_MEMORY_GIB),
    "16": tuple(AURORA_INSTANCE_MEMORY_GIB),
    "17": tuple(c for c in AURORA_INSTANCE_MEMORY_GIB if not c.startswith("db.t3.")),
}

#: Redis OSS majors and the version a new replication group is created at. ElastiCache takes
#: `<major>.<minor>` for Redis 7 (the provider refuses "7" and "7.x"), and records the
#: `<major>.<minor>` of the running engine (`redis_state_engine_version`): after AWS moves the
#: minor, a declared version would read as a downgrade and force a replacement, so the group
#: ignores later changes of its version (components/cache.py) and this is only the create-time value.
REDIS_CREATE_VERSION: Final = {"7": "7.1"}

#: Parameter group family per Redis major version.
REDIS_PARAMETER_FAMILY: Final = {"7": "redis7"}

#: Valkey majors on ElastiCache and the version a new replication group is created at; Valkey is
#: Redis OSS 7's protocol (a drop-in replacement, AWS: "Engine versions and upgrading in
#: ElastiCache"). Versions are `<major>.<minor>` as for Redis 7, and the group ignores later changes
#: of its version likewise.
VALKEY_CREATE_VERSION: Final = {"7": "7.2", "8": "8.0"}

#: Parameter group family per Valkey major version.
VALKEY_PARAMETER_FAMILY: Final = {"7": "valkey7", "8": "valkey8"}

#: ElastiCache engines the cache tier offers: engine -> (major -> create version, major -> family).
#: Redis OSS -> Valkey is an in-place change AWS documents (modify-replication-group --engine
#: valkey, docs/cache-engine.md); Valkey -> Redis OSS is not: the provider replaces the group.
CACHE_ENGINES: Final = {
    "redis": (REDIS_CREATE_VERSION, REDIS_PARAMETER_FAMILY),
    "valkey": (VALKEY_CREATE_VERSION, VALKEY_PARAMETER_FAMILY),
}

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


def _segments(version: str) -> list[int]:
    return [int(p) for p in version.split(".") if p.isdigit()]


def rds_state_engine_version(prior: str, actual: str, pending: str = "") -> str:
    """The `engine_version` the AWS provider keeps in state after reading a cluster or instance.

    terraform-provider-aws `internal/service/rds/engine_version.go`, compareActualEngineVersion
    (used by aws_rds_cluster and aws_rds_cluster_instance; pulumi-aws bridges it): the actual
    version always goes to `engine_version_actual`; `engine_version` keeps the prior value while an
    upgrade to it is pending, or when the prior value is a dot-boundary prefix of the actual one
    ("16" of "16.9"), and otherwise becomes the actual version. A diff is then declared vs this.
    """
    if prior and prior == pending:
        return prior
    if prior != actual and actual[: len(prior) + 1] == prior + ".":
        return prior
    return actual


def redis_state_engine_version(prior: str, actual: str) -> str:
    """The `engine_version` the AWS provider keeps in state for a Redis replication group.

    terraform-provider-aws `internal/service/elasticache/engine_version.go`, setEngineVersionRedis:
    for Redis 6 and later it is `<major>.x` when the prior value was `<major>.x` (accepted only for
    6), else `<major>.<minor>` of the running engine; before 6, the full actual version.
    """
    major, minor = [*_segments(actual), 0, 0][:2]
    if major < 6:
        return actual
    if prior == f"{major}.x":
        return prior
    return f"{major}.{minor}"


def redis_version_is_downgrade(state: str, declared: str) -> bool:
    """engineVersionIsDowngrade of the same file: a lower declared version forces a replacement."""
    return _segments(declared) < _segments(state)

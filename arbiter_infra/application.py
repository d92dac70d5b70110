"""The application: Arbiter-Bot's services and what each one needs of the infrastructure.

Components know no service names. The composition (`__main__.py`) reads this table to configure
them, and the runbook reads it too (which services a secret reaches), so a service's traits are
written once. The stack files say how big and how many; this table says what each service is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, kw_only=True)
class ServiceTraits:
    """What one service is, independent of environment."""

    #: ECR repository of its image (owned by the account stack).
    image_repository: str
    #: Served to the internet through the ALB (a REST and a gRPC target group on its port).
    public: bool = False
    #: Registered in Cloud Map, so other services reach its gRPC port by name.
    discoverable: bool = False
    #: Services whose gRPC port it calls (each must be `discoverable`).
    calls: tuple[str, ...] = ()
    #: Never below its desired count during a deploy (minimum healthy 100 %): a gap costs trades.
    steady_capacity: bool = False
    #: Application secrets (operator-set, see `arbiter-infra secrets set`) injected into it.
    secrets: tuple[str, ...] = ()
    #: At most one revision may act at a time (it trades): replaced stop-before-start, never
    #: more tasks than desired, and the application holds a single-writer lock
    #: (docs/delivery.md). Takes precedence over `steady_capacity` during a deployment.
    single_writer: bool = False


#: Deployment percentages (of the desired count): a steady-capacity service never drops below its
#: count (new tasks start first), the others may halve to deploy with fewer extra tasks; a single
#: writer is replaced stop-before-start and never runs more tasks than desired.
STEADY_MIN_HEALTHY_PERCENT: Final = 100
DEFAULT_MIN_HEALTHY_PERCENT: Final = 50
DEFAULT_MAX_PERCENT: Final = 200
SINGLE_WRITER_MIN_HEALTHY_PERCENT: Final = 0
SINGLE_WRITER_MAX_PERCENT: Final = 100


def deployment_percents(*, single_writer: bool, steady_capacity: bool) -> tuple[int, int]:
    """(minimumHealthyPercent, maximumPercent) of a rolling deployment; the ECS services and
    preflight's quota check both read it.

    Single writer wins over steady capacity: two revisions that both trade cost more than a gap.
    """
    if single_writer:
        return SINGLE_WRITER_MIN_HEALTHY_PERCENT, SINGLE_WRITER_MAX_PERCENT
    if steady_capacity:
        return STEADY_MIN_HEALTHY_PERCENT, DEFAULT_MAX_PERCENT
    return DEFAULT_MIN_HEALTHY_PERCENT, DEFAULT_MAX_PERCENT


#: Every service, in deploy order. Keys are the `services.<name>` sections of the stack files.
SERVICES: Final[dict[str, ServiceTraits]] = {
    "trading-core": ServiceTraits(
        image_repository="arbiter-engine",
        discoverable=True,
        steady_capacity=True,
        single_writer=True,
        secrets=("polymarket", "kalshi"),
    ),
    "telegram-bot": ServiceTraits(
        image_repository="telegram-bot",
        calls=("trading-core",),
        secrets=("telegram",),
    ),
    "web-api": ServiceTraits(
        image_repository="web-api",
        public=True,
        calls=("trading-core",),
    ),
}

#: Application secret -> what it holds and for whom (the secret's description in Secrets Manager).
SECRET_PURPOSES: Final[dict[str, str]] = {
    "polymarket": "Polymarket CLOB credentials for trading-core",
    "kalshi": "Kalshi API key id and RSA private key (PEM) for trading-core",
    "telegram": "Telegram bot token for telegram-bot",
}


#: The database's schemas and what each holds: the application's contract with its database
#: (docs/database-access.md). Which service owns (creates, migrates, writes) each and which only reads
#: it is the stack file's `services.<name>.databaseAccess`; the bootstrap function enforces it.
DATABASE_SCHEMAS: Final[dict[str, str]] = {
    "ledger": "orders, fills, positions, balances and P&L: the record of every trade",
    "market": "markets, their exchange mappings, quotes and detected opportunities",
    "web": "web-api's own state: dashboard sessions, API keys, user preferences",
}


def database_user(service: str) -> str:
    """`web-api` -> `web_api`: the service's own PostgreSQL user (an identifier without quoting)."""
    return service.replace("-", "_")


def consumers(secret: str) -> tuple[str, ...]:
    """The services an application secret is injected into (those to redeploy after it changes)."""
    return tuple(name for name, traits in SERVICES.items() if secret in traits.secrets)


def public_service() -> str:
    """The one service behind the ALB: the stack has a single public entry point."""
    (name,) = (name for name, traits in SERVICES.items() if traits.public)
    return name

"""Redis ACL access strings for ElastiCache RBAC users: the one function that writes them.

The program gives each service's ElastiCache user the string `access_string` returns, and the
tests load the same string into a real Redis 7 with `ACL SETUSER` and exercise it, so what is
proven is what is deployed. Only rules ElastiCache documents for Redis 7 are generated
(ElastiCache user guide, "Specifying Permissions Using an Access String"): `on`/`off`, `~pattern`,
`%R~pattern`, `-@all`, `+@category`, `-@category`, `+command`, `-command`. Never `reset`,
passwords (`>`, `#`, `nopass`) or channel rules: ElastiCache refuses the first two, and the
application uses no pub/sub (Redis 7 gives new users no channels).

Every string ends with `-@dangerous`: `+@write` or `+@keyspace` would otherwise grant FLUSHALL,
FLUSHDB, KEYS and SWAPDB, which name no key and so pass any key pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from arbiter_infra.redis_acl_data import CATEGORIES

#: The ElastiCache user that must be named `default` in every user group: kept disabled.
DEFAULT_USER_NAME: Final = "default"
#: Off, no keys, no commands: the `default` user of every user group (ElastiCache requires one).
DISABLED: Final = "off -@all"
#: Categories no service is given: they hold ACL, CONFIG, DEBUG, FLUSHALL, KEYS, MONITOR...
REFUSED_CATEGORIES: Final = frozenset({"all", "admin", "dangerous"})
#: Commands ElastiCache makes unavailable (user guide, "Restricted commands"); naming one in an
#: access string is an error there.
ELASTICACHE_RESTRICTED: Final = frozenset(
    {
        "bgrewriteaof",
        "bgsave",
        "config",
        "debug",
        "migrate",
        "replicaof",
        "save",
        "slaveof",
        "shutdown",
        "sync",
    }
)
#: Every command Redis knows (subcommands as `command|subcommand`), from the category table.
KNOWN_COMMANDS: Final = frozenset(c for commands in CATEGORIES.values() for c in commands)
_DANGEROUS: Final = frozenset(CATEGORIES["dangerous"])
#: A key pattern: a literal prefix, optionally ending in `*` (no other glob, no whitespace).
KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:{}/-]{1,126}\*?$")


def check_key_pattern(pattern: str) -> str:
    """A key pattern a service may be given; a message "must be ..." otherwise."""
    if not KEY_PATTERN.match(pattern):
        raise ValueError(
            f"{pattern!r} must be a key prefix of 2-128 letters, digits or _.:{{}}/- with an optional "
            "trailing * (such as session:web:*), never * alone"
        )
    return pattern


def check_command_rule(rule: str) -> str:
    """`@category`, `-@category`, `command` or `-command` (command may be `command|subcommand`)."""
    name = rule.removeprefix("-")
    revoke = rule.startswith("-")
    if name.startswith("@"):
        category = name[1:]
        if category not in CATEGORIES:
            raise ValueError(
                f"{rule!r}: unknown command category; must be one of "
                f"{', '.join('@' + c for c in sorted(set(CATEGORIES) - REFUSED_CATEGORIES))}"
            )
        if not revoke and category in REFUSED_CATEGORIES:
            raise ValueError(f"{rule!r}: @{category} is never granted to a service (it holds admin commands)")
        return rule
    if name not in KNOWN_COMMANDS:
        raise ValueError(f"{rule!r}: not a Redis 7 command (or command|subcommand) nor an @category")
    if name.split("|")[0] in ELASTICACHE_RESTRICTED:
        raise ValueError(f"{rule!r}: ElastiCache makes {name.split('|')[0]} unavailable")
    if not revoke and name in _DANGEROUS:
        raise ValueError(f"{rule!r}: {name} is in @dangerous, which no service is given")
    return rule


def access_string(keys: Sequence[str], read_keys: Sequence[str], commands: Sequence[str]) -> str:
    """A service's access string: on, its key patterns, nothing but its commands, never @dangerous."""
    for pattern in (*keys, *read_keys):
        check_key_pattern(pattern)
    for rule in commands:
        check_command_rule(rule)
    rules = ["on"]
    rules += [f"~{p}" for p in keys]
    rules += [f"%R~{p}" for p in read_keys if p not in keys]
    rules.append("-@all")
    rules += [_command(rule) for rule in commands]
    rules.append("-@dangerous")
    return " ".join(rules)


def _command(rule: str) -> str:
    return rule if rule.startswith("-") else f"+{rule}"


def union(strings: Iterable[str]) -> str:
    """One enabled user allowed exactly what any of `strings` allows (the first as the user's own
    rules, the others as selectors): the migration's transitional `default` user."""
    bodies = [s.removeprefix("on ").strip() for s in strings]
    if not bodies:
        return DISABLED
    first, *others = bodies
    return " ".join(["on", first, *(f"({body})" for body in others)])

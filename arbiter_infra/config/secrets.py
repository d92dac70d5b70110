"""Application secrets: which JSON keys each secret holds, and the refusal of their values as config.

Values never pass through Pulumi: it creates the empty secrets and an operator sets the values in
Secrets Manager (`arbiter-infra secrets set`, docs/secrets-rotation.md).
"""

from __future__ import annotations

from typing import Final

import pulumi

from arbiter_infra.config.base import PROJECT, ConfigError

#: Secret config keys: (stack config key, secret name, JSON key inside that secret).
EXCHANGE_SECRET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("polyPrivateKey", "polymarket", "private_key"),
    ("polyApiKey", "polymarket", "api_key"),
    ("polyApiSecret", "polymarket", "api_secret"),
    ("polyApiPassphrase", "polymarket", "passphrase"),
    ("kalshiKeyId", "kalshi", "key_id"),
    ("kalshiPrivateKey", "kalshi", "private_key"),
    ("telegramBotToken", "telegram", "bot_token"),
)

#: Secret name -> [(stack config key, JSON key)], in EXCHANGE_SECRET_KEYS order.
SECRET_SETS: dict[str, list[tuple[str, str]]] = {}
for _key, _set, _field in EXCHANGE_SECRET_KEYS:
    SECRET_SETS.setdefault(_set, []).append((_key, _field))


#: Secret name -> its JSON keys, exactly the fields an operator sets (`arbiter-infra secrets set`).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(field for _key, field in fields) for name, fields in SECRET_SETS.items()
}


def refuse_secret_config(full_key: str) -> None:
    """Application secret values are never Pulumi config: refuse a stack that still sets one.

    Values in config would pass through CI and sit in the state; they are set in Secrets Manager
    by an operator instead (docs/secrets-rotation.md).
    """
    key = full_key.split(":", 1)[-1]
    secret = next(s for k, s, _f in EXCHANGE_SECRET_KEYS if k == key)
    raise ConfigError(
        f"{full_key} is set: application secrets are not stack config; remove it "
        f"(pulumi config rm {full_key}) and set the value with "
        f"`arbiter-infra secrets set --stack {pulumi.get_stack()} --secret {secret}`"
    )


#: The stack-config keys that would hold a secret value (refused wherever they appear).
APPLICATION_SECRET_KEYS: Final = frozenset(f"{PROJECT}:{k}" for k, _s, _f in EXCHANGE_SECRET_KEYS)

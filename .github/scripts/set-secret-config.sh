#!/usr/bin/env bash
# Copy the exchange and bot credentials from environment variables (the GitHub environment's
# secrets) into the stack's secret config, encrypted by the stack's secrets provider.
#
# Values travel only through stdin: never on a command line (visible in the process list), never
# echoed, no `set -x`. KALSHI_PRIVATE_KEY is a multi-line PEM; stdin keeps its newlines.
# A missing secret is reported by name; in prod it stops the deploy, because a stack without the
# value removes the secret's current version and the services could not start.
#
# Usage: set-secret-config.sh STACK
set -euo pipefail

stack=${1:?usage: set-secret-config.sh STACK}
missing=()
while read -r var key; do
  if [ -z "${!var:-}" ]; then
    missing+=("$var")
    continue
  fi
  printf '%s' "${!var}" | pulumi config set --secret --stack "$stack" "arbiter:$key"
done <<'MAP'
POLY_PRIVATE_KEY polyPrivateKey
POLY_API_KEY polyApiKey
POLY_API_SECRET polyApiSecret
POLY_API_PASSPHRASE polyApiPassphrase
KALSHI_KEY_ID kalshiKeyId
KALSHI_PRIVATE_KEY kalshiPrivateKey
TELEGRAM_BOT_TOKEN telegramBotToken
MAP

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$stack" = prod ]; then
    printf '::error::environment secrets not set for prod: %s\n' "${missing[*]}"
    exit 1
  fi
  printf '::warning::environment secrets not set for %s (their secrets stay empty): %s\n' "$stack" "${missing[*]}"
fi

"""Pulumi entry point: validate the stack config once, then compose the stack it describes."""

from arbiter_infra.config import AccountConfig, load_config
from arbiter_infra.stack import build, build_account

config = load_config()
if isinstance(config, AccountConfig):
    build_account(config)
else:
    build(config)

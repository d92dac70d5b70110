"""Pulumi entry point: validate the stack config once, then compose the stack."""

from arbiter_infra.config import load_stack_config
from arbiter_infra.stack import build

build(load_stack_config())

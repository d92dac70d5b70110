"""Operator tooling beside the program: offline runtime, emulator, pricing, runbook and CLI; never imported by it."""

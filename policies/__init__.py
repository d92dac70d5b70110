"""Arbiter-Bot's CrossGuard policy pack.

Importing this package (or any module in it) has no side effects: the `PolicyPack`, which starts
the analyzer's gRPC server and never returns, is built only by `policies/__main__.py`.
"""

"""Arbiter-Bot infrastructure: typed config, naming, composition, offline runtime and CLI."""

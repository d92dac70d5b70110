"""Regenerate the AWS-published permission data the IAM proof is judged against.

One command, after a merge that adds a resource type (or to take newer AWS data):

    .venv/bin/python scripts/refresh_aws_permissions.py \\
        --schemas /work/.mirror/pulumi+pulumi-aws-native/repo [--schemas-commit <sha>] \\
        --policies /work/.mirror/zoph-io+MAMIP/repo [--policies-commit <sha>]

`--schemas` is a git clone (bare is fine) of pulumi/pulumi-aws-native, whose
`aws-cloudformation-schema/` holds AWS's CloudFormation registry schemas; `--policies` one of
zoph-io/MAMIP, whose `policies/<name>` holds each AWS managed policy's current version. Both
default to HEAD. The script runs the program offline for every stack (staging, prod, account),
maps each declared pulumi-aws type to its CloudFormation type(s) (`CFN_EQUIVALENTS` in
`arbiter_tools/aws_published.py`), and writes, with the repository, commit and commit date:

- `arbiter_tools/data/aws_handler_permissions.json`: every handler's permissions of those types;
- `arbiter_tools/data/aws_managed_policies.json`: the managed policies of `SERVICE_ROLE_POLICIES`.

A declared type without a mapping, or a mapped schema or policy missing from the clone, stops it
with one line naming it (exit 2); nothing is written then.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arbiter_tools.aws_published import (  # noqa: E402
    CFN_EQUIVALENTS,
    HANDLER_PERMISSIONS_FILE,
    MANAGED_POLICIES_FILE,
    SERVICE_ROLE_POLICIES,
)

STACKS = ("staging", "prod", "account")
HANDLERS = ("create", "read", "update", "delete", "list")


class RefreshError(Exception):
    """Bad input: reported in one line, exit 2."""


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RefreshError(f"git {' '.join(args)} in {repo}: {result.stderr.strip().splitlines()[-1:]}")
    return result.stdout


def _source(repo: Path, commit: str, name: str, path: str) -> dict[str, str]:
    sha, date = _git(repo, "log", "-1", "--format=%H %cI", commit).split()
    return {"repository": name, "commit": sha, "date": date, "path": path}


def declared_types() -> list[str]:
    """Every pulumi-aws type any stack declares (the program run offline)."""
    from arbiter_tools.runtime import run_program

    types: set[str] = set()
    for stack in STACKS:
        types |= {r.type for r in run_program(stack).resources if r.custom and r.type.startswith("aws:")}
    return sorted(types)


def _schema_file(cfn_type: str) -> str:
    return "aws-cloudformation-schema/" + cfn_type.lower().replace("::", "-") + ".json"


def handler_data(repo: Path, commit: str, types: list[str]) -> dict[str, Any]:
    unmapped = [t for t in types if t not in CFN_EQUIVALENTS]
    if unmapped:
        raise RefreshError(
            f"declared type {unmapped[0]} has no CloudFormation mapping: add it to CFN_EQUIVALENTS "
            "in arbiter_tools/aws_published.py (empty types with a note when CloudFormation has none)"
        )
    source = _source(repo, commit, "pulumi/pulumi-aws-native", "aws-cloudformation-schema/")
    cfn: dict[str, Any] = {}
    out_types: dict[str, Any] = {}
    for t in types:
        eq = CFN_EQUIVALENTS[t]
        out_types[t] = {"cfn_types": list(eq.types), "property": eq.property, "note": eq.note}
        for cfn_type in eq.types:
            if cfn_type in cfn:
                continue
            path = _schema_file(cfn_type)
            try:
                schema = json.loads(_git(repo, "show", f"{source['commit']}:{path}"))
            except RefreshError as err:
                raise RefreshError(f"{t}: the schema of {cfn_type} ({path}) is not in {repo}") from err
            if schema.get("typeName") != cfn_type:
                raise RefreshError(f"{path} describes {schema.get('typeName')}, not {cfn_type}")
            cfn[cfn_type] = {
                "schema": path,
                "handlers": {
                    h: sorted(set(schema.get("handlers", {}).get(h, {}).get("permissions", [])))
                    for h in HANDLERS
                    if h in schema.get("handlers", {})
                },
            }
    return {"source": source, "types": out_types, "cfn": dict(sorted(cfn.items()))}


def policy_data(repo: Path, commit: str) -> dict[str, Any]:
    source = _source(repo, commit, "zoph-io/MAMIP", "policies/")
    policies: dict[str, Any] = {}
    for principal, spec in sorted(SERVICE_ROLE_POLICIES.items()):
        for name in spec.managed:
            try:
                raw = json.loads(_git(repo, "show", f"{source['commit']}:policies/{name}"))
            except RefreshError as err:
                raise RefreshError(f"{principal}: managed policy {name} is not in {repo}") from err
            version = raw["PolicyVersion"]
            policies[name] = {
                "arn_suffix": f"policy/service-role/{name}",
                "version": version["VersionId"],
                "created": version["CreateDate"],
                "document": version["Document"],
            }
    return {"source": source, "policies": policies}


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, required=True, help="clone of pulumi/pulumi-aws-native")
    parser.add_argument("--schemas-commit", default="HEAD")
    parser.add_argument("--policies", type=Path, required=True, help="clone of zoph-io/MAMIP")
    parser.add_argument("--policies-commit", default="HEAD")
    args = parser.parse_args(argv)
    try:
        for flag, repo in (("--schemas", args.schemas), ("--policies", args.policies)):
            if not repo.is_dir():
                raise RefreshError(f"{flag} {repo}: not a directory (a git clone is needed)")
        handlers = handler_data(args.schemas, args.schemas_commit, declared_types())
        policies = policy_data(args.policies, args.policies_commit)
    except RefreshError as err:
        print(f"refresh_aws_permissions: {err}", file=sys.stderr)
        return 2
    _write(HANDLER_PERMISSIONS_FILE, handlers)
    _write(MANAGED_POLICIES_FILE, policies)
    print(
        f"{len(handlers['types'])} pulumi types ({len(handlers['cfn'])} CloudFormation types) from "
        f"{handlers['source']['commit'][:8]}; {len(policies['policies'])} managed policies from "
        f"{policies['source']['commit'][:8]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

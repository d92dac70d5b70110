"""The first-deploy drill: the README's steps, from an empty account to healthy services, in moto.

It runs the real commands' code (bootstrap, the program through the emulator, preflight, secrets
set, wait, scale) against an in-process moto account, in the README's order, and then what the
first month brings: the master password rotates (no task holds it: nothing is redeployed) and
trading is stopped and resumed. What moto lacks (ECS scheduling) is modelled in `drill_models`.
In-process only: the models adjust moto's own state.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from arbiter_infra.config import SECRET_FIELDS, StackConfig
from arbiter_tools.drill_models import DrillError, master_secret_holders, settle
from arbiter_tools.runtime import PROJECT_DIR

#: What the drill "requests" in step 4 of the README (AWS's default is lower).
REQUESTED_FARGATE_VCPU = 64.0


# --- the steps --------------------------------------------------------------------------------


def image_manifest(image: str) -> str:
    """A minimal Docker v2 manifest, what `docker push` leaves in ECR (digests derived from the name)."""
    import hashlib

    digest = hashlib.sha256(image.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": f"sha256:{digest}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1,
                    "digest": f"sha256:{digest[::-1]}",
                }
            ],
        }
    )


@contextmanager
def _validation_done() -> Iterator[None]:
    """moto issues a requested certificate only after a wait; the drill's DNS validation is instant."""
    from moto import settings

    saved = settings.ACM_VALIDATION_WAIT
    settings.ACM_VALIDATION_WAIT = -1
    try:
        yield
    finally:
        settings.ACM_VALIDATION_WAIT = saved


def issue_certificate(session: Any, domain: str) -> str:
    """An ACM certificate as DNS validation leaves it (ISSUED while `_validation_done` is in force)."""
    return str(
        session.client("acm").request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    )


def push_images(session: Any, config: StackConfig) -> list[str]:
    ecr = session.client("ecr")
    pushed = []
    for svc in config.services.by_name().values():
        _registry, repo, tag = svc.image_parts
        ecr.put_image(repositoryName=repo, imageTag=tag, imageManifest=image_manifest(svc.image))
        pushed.append(svc.image)
    return pushed


def drill_secret_values() -> dict[str, dict[str, str]]:
    """Values of the right shape (never real credentials) for every application secret."""
    pem = "-----BEGIN PRIVATE KEY-----\nZHJpbGw=\n-----END PRIVATE KEY-----\n"
    special = {("polymarket", "private_key"): "ab" * 32, ("kalshi", "private_key"): pem}
    return {
        secret: {f: special.get((secret, f), f"drill-{secret}-{f}") for f in fields}
        for secret, fields in SECRET_FIELDS.items()
    }


class _RequestedQuota:
    """Service Quotas after the README's quota request (moto has no Fargate quota)."""

    def get_service_quota(self, **_: Any) -> dict[str, Any]:
        return {"Quota": {"Value": REQUESTED_FARGATE_VCPU}}


@dataclass
class Drill:
    """One run: the steps print as they go; `log` keeps them for the test."""

    session: Any
    stack: str
    project_dir: Path
    out: TextIO
    log: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)
        print(line, file=self.out, flush=True)

    def client(self, service: str, region_name: str | None = None) -> Any:
        if service == "service-quotas":
            return _RequestedQuota()
        return self.session.client(service, region_name=region_name)

    def preflight(self, expect_ok: bool) -> list[Any]:
        from arbiter_tools import preflight, stacks

        loaded = stacks.load_stack(self.stack, self.project_dir)
        identity = stacks.caller_identity(self.session)
        checks = preflight.run_checks(self.client, identity, loaded)
        failed = [c for c in checks if c.status == "FAIL"]
        for c in checks:
            self.say(f"    {c.line()}")
        if expect_ok and failed:
            raise DrillError(f"preflight failed: {failed[0].line()}")
        return checks

    def wait(self, config: StackConfig) -> None:
        from arbiter_tools.operations import describe_services, wait_stable

        outcome = settle(self.session, config.account_id, config.region)
        ecs = self.session.client("ecs")
        names = list(config.services.by_name())
        blocked = {k: v for k, v in outcome.items() if v}
        if blocked:
            raise DrillError(f"tasks cannot start: {blocked}")
        buf = io.StringIO()
        wait_stable(lambda: describe_services(ecs, config.prefix, names), timeout=0, out=buf)
        self.say(f"    {buf.getvalue().strip().splitlines()[-1]}")


def _deploy(session: Any, stack: str, project_dir: Path, **overrides: Any) -> Any:
    from arbiter_tools.emulator import EmulatorMocks, deploy

    return deploy(stack, EmulatorMocks(stack, session=session), project_dir=project_dir, **overrides)


def run_drill(session: Any, stack: str, project_dir: Path, out: TextIO) -> Drill:
    """The README's first deploy of `stack` (with the account stack first), then its first month."""
    with _validation_done():
        return _run_drill(session, stack, project_dir, out)


def _run_drill(session: Any, stack: str, project_dir: Path, out: TextIO) -> Drill:
    from arbiter_tools import bootstrap, scale, secrets_cli, stacks

    d = Drill(session, stack, project_dir, out)
    config = stacks.load_stack(stack, project_dir).config
    services = json.loads(json.dumps(config.services.model_dump(by_alias=True, exclude_none=True)))
    if config.services.certificate_arn is not None:
        arn = issue_certificate(session, f"{stack}.arbiter.example")
        d.say(f"0. values: an issued ACM certificate for the ALB: {arn}")
        services["certificateArn"] = arn
        _write_services(project_dir, stack, services)
        config = stacks.load_stack(stack, project_dir).config
    d.say("1. state backend: ./dev bootstrap --stack account; ./dev bootstrap --stack " + stack)
    for name in ("account", stack):
        bootstrap.bootstrap(session, stacks.load_backend(name, project_dir), io.StringIO())
    d.say("2. account stack: pulumi up --stack account")
    account = _deploy(session, "account", project_dir)
    d.say(
        f"    {len(account.resources)} resources; repositories {sorted(account.outputs['ecrRepositoryUrls'])}"
    )
    d.say("3. images: docker push (image manifests into ECR)")
    for image in push_images(session, config):
        d.say(f"    pushed {image}")
    services = json.loads(json.dumps(config.services.model_dump(by_alias=True, exclude_none=True)))
    d.say(
        f"4. environment, paused: pulumi config set --path arbiter:services.paused true; preflight; pulumi up --stack {stack}"
    )
    paused = {**services, "paused": True}
    _write_services(project_dir, stack, paused)
    d.preflight(expect_ok=True)
    env = _deploy(session, stack, project_dir)
    d.say(f"    {len(env.resources)} resources")
    d.say("5. secrets: ./dev secrets set (polymarket, kalshi, telegram)")
    sm = session.client("secretsmanager")
    for secret, values in drill_secret_values().items():
        secrets_cli.put_secret(sm, stack, secret, values)
        d.say(f"    {secrets_cli.secret_id(stack, secret)} has a value")
    d.say(
        "6. start: pulumi config set --path arbiter:services.paused false; preflight; pulumi up; ./dev wait"
    )
    _write_services(project_dir, stack, {**services, "paused": False})
    d.preflight(expect_ok=True)
    started = unpause(session, stacks.load_stack(stack, project_dir).config)
    d.say(f"    pulumi up changes only the counts: {started}")
    d.wait(config)
    d.say("7. a month later, RDS rotates the master password: no task holds it, nothing is redeployed")
    before = _deployment_ids(session, config)
    holders = master_secret_holders(session, config.prefix, env.outputs["databaseMasterSecretArn"])
    if holders:
        raise DrillError(f"task definitions still inject the master secret: {holders}")
    redeployed = sorted(s for s, dep in _deployment_ids(session, config).items() if dep != before[s])
    d.say(
        f"    task definitions holding the master secret: none; database users "
        f"{env.outputs['databaseUsers']}; new deployments: {redeployed}"
    )
    d.wait(config)
    resume = config.services.trading_core.desired_count
    d.say(
        f"8. stop trading, then resume: ./dev scale --stack {stack} --service trading-core --count 0, then {resume}"
    )
    for count in (0, resume):
        args = argparse.Namespace(
            stack=stack,
            service="trading-core",
            count=count,
            file_only=False,
            no_wait=True,
            timeout=0.0,
            project_dir=project_dir,
        )
        buf = io.StringIO()
        scale.cmd_scale(args, buf)
        d.say(f"    {buf.getvalue().strip().splitlines()[0]}")
        d.wait(stacks.load_stack(stack, project_dir).config)
    return d


def _write_services(project_dir: Path, stack: str, services: Mapping[str, Any]) -> None:
    """`pulumi config set --path arbiter:services.paused ...`: the stack file, as the CLI would leave it."""
    import yaml

    path = project_dir / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["config"]["arbiter:services"] = dict(services)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def unpause(session: Any, config: StackConfig) -> dict[str, int]:
    """What `pulumi up` does when `paused` goes false: set each service's count (and scaling range)."""
    ecs, scaling = session.client("ecs"), session.client("application-autoscaling")
    counts: dict[str, int] = {}
    for name, svc in config.services.by_name().items():
        ecs.update_service(cluster=config.prefix, service=name, desiredCount=svc.desired_count)
        counts[name] = svc.desired_count
        if svc.autoscaled:
            scaling.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/{config.prefix}/{name}",
                ScalableDimension="ecs:service:DesiredCount",
                MinCapacity=svc.min_count,
                MaxCapacity=svc.max_count,
            )
    return counts


def _deployment_ids(session: Any, config: StackConfig) -> dict[str, str]:
    ecs = session.client("ecs")
    services = ecs.describe_services(cluster=config.prefix, services=list(config.services.by_name()))[
        "services"
    ]
    return {s["serviceName"]: s["deployments"][0]["id"] for s in services}


def cmd_drill(args: argparse.Namespace) -> int:
    """`arbiter-infra drill`: the whole first deploy in an in-process moto account (nothing real)."""
    import boto3
    from moto import mock_aws

    from arbiter_tools.emulator import MOTO_CONFIG

    with tempfile.TemporaryDirectory() as tmp, _fake_credentials(), mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        project = Path(tmp)
        for item in PROJECT_DIR.glob("Pulumi*.yaml"):
            shutil.copy(item, project / item.name)
        shutil.copy(PROJECT_DIR / "__main__.py", project / "__main__.py")
        try:
            run_drill(boto3.Session(region_name="us-east-1"), args.stack, project, sys.stdout)
        except DrillError as err:
            from arbiter_tools.errors import UserError

            raise UserError(f"drill: {err}") from None
    print(
        "drill passed: empty account to healthy services, rotation without redeploys, trading stopped and resumed"
    )
    return 0


@contextmanager
def _fake_credentials() -> Iterator[None]:
    import os

    keys = (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
    )
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing"
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def register(sub: Any) -> None:
    p = sub.add_parser(
        "drill",
        help="the README's first deploy, rotation and stop/resume, in an in-process moto account",
    )
    p.add_argument("--stack", required=True, choices=("staging", "prod"), help="environment to drill")
    p.set_defaults(func=cmd_drill)

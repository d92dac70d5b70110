"""`EmulatorMocks` (each declared resource created through the AWS API) and `deploy`, the run.

A type without a handler gets the plain computed outputs and is listed in `fallback_types`: no
silent gaps. An AWS error for a declared resource becomes `EmulatorError`, one line naming the
resource, the AWS error and the declared resources whose ids the message mentions.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from pulumi.runtime import mocks as pmocks

from arbiter_tools.api_calls import CallRecorder
from arbiter_tools.emulator.acm import self_signed
from arbiter_tools.emulator.core import HANDLERS, EmulatorError, EmulatorUnreachable, Request, plain
from arbiter_tools.runtime import REGION, ArbiterMocks, Deployment, run_program


class EmulatorMocks(ArbiterMocks):
    """Mocks that create each declared resource through the AWS API (moto) and return its real outputs."""

    def __init__(
        self,
        environment: str = "staging",
        *,
        session: boto3.Session | None = None,
        region: str = REGION,
        stand_in_external: bool = True,
        recorder: CallRecorder | None = None,
    ) -> None:
        super().__init__(environment)
        #: Records every API call made through the emulator's clients (the IAM proof reads it).
        self.recorder = recorder
        self.region = region
        self.session = session or boto3.Session(region_name=region)
        self.endpoint_url = os.environ.get("AWS_ENDPOINT_URL")
        #: AWS types the emulator has no handler for: they got the plain mocked outputs.
        self.fallback_types: set[str] = set()
        #: Resources created through the API, per type.
        self.emulated: dict[str, int] = {}
        #: The one-line AWS errors, in order (the run stops at the first).
        self.errors: list[str] = []
        #: External resources (not owned by the stack) replaced by stand-ins: declared id -> emulated id.
        self.stand_ins: dict[str, str] = {}
        self.stand_in_external = stand_in_external
        #: Every resource id handed to the program -> `<type> <name>`: inputs reference resources
        #: by these ids (the provider's id conventions), and errors name what an id belongs to.
        self.ids: dict[str, str] = {}
        #: The first failure, raised by `deploy` whatever Pulumi wraps it in.
        self.failure: EmulatorError | None = None
        self._clients: dict[str, Any] = {}
        self._provider_tags: dict[str, dict[str, str]] = {}
        self._provider_regions: dict[str, str] = {}
        self._account_id: str | None = None
        # The SDK registers resources from worker threads; one call at a time keeps clients and moto sane.
        self._lock = threading.RLock()

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of `service` in `region` (default: the stack's region)."""
        region = region or self.region
        key = service if region == self.region else f"{service}@{region}"
        with self._lock:
            if key not in self._clients:
                # The endpoint is the one this run started with: a client made later by a thread
                # of an aborted run must not follow AWS_ENDPOINT_URL to whatever it names by then.
                self._clients[key] = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url
                )
                if self.recorder is not None:
                    self.recorder.attach(self._clients[key])
            return self._clients[key]

    def certificate(self, arn: str) -> str:
        """The ACM certificate to use for `arn`: itself if the account has it, else a listed stand-in.

        A certificate is issued outside the stack (DNS validation), so an empty emulated account
        cannot hold it; with `stand_in_external` a self-signed one is imported in its place and
        reported in `stand_ins`, otherwise the listener fails as it would in an account without it.
        """
        if arn in self.stand_ins:
            return self.stand_ins[arn]
        acm = self.client("acm")
        try:
            acm.describe_certificate(CertificateArn=arn)
            return arn
        except ClientError as err:
            if not self.stand_in_external or err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        cert, key = self_signed(f"{self.environment}.arbiter.invalid")
        self.stand_ins[arn] = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        return self.stand_ins[arn]

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = str(self.client("sts").get_caller_identity()["Account"])
        return self._account_id

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:providers:aws":
            tags = args.inputs.get("defaultTags") or {}
            if isinstance(tags, str):
                tags = json.loads(tags)
            self._provider_tags[args.name] = dict(tags.get("tags") or {})
            self._provider_regions[args.name] = str(args.inputs.get("region") or self.region)
            return super().new_resource(args)
        if self.failure is not None:
            # The run has failed (`deploy` raises that first failure): registrations still in
            # flight get plain mocked outputs and create nothing more in AWS.
            return super().new_resource(args)
        handler = HANDLERS.get(args.typ)
        if handler is None or not args.custom:
            rid, state = super().new_resource(args)
            if args.custom and not args.typ.startswith("pulumi:providers:"):
                self.fallback_types.add(args.typ)
                self.ids[str(rid)] = f"{args.typ} {args.name} (fallback: not in AWS)"
            return rid, state
        inputs = plain(dict(args.inputs))
        tags = {
            **self._provider_tags.get(self._provider_name(args.provider), {}),
            **(inputs.get("tags") or {}),
        }
        region = self._provider_regions.get(self._provider_name(args.provider), self.region)
        request = Request(
            emulator=self, type=args.typ, name=args.name, inputs=inputs, tags=tags, region=region
        )
        with self._lock:
            if self.recorder is not None:
                self.recorder.begin(f"{args.typ} {args.name}", tags)
            try:
                rid, outputs = handler(request)
            except ClientError as err:
                error = err.response.get("Error", {})
                message = " ".join(str(error.get("Message", err)).split())
                raise self._fail(f"{args.typ} {args.name}: {error.get('Code', 'Error')}: {message}") from None
            except EndpointConnectionError as err:
                raise self._unreachable(err) from None
            except (BotoCoreError, KeyError, StopIteration, TypeError, ValueError) as err:
                detail = " ".join(str(err).split())
                raise self._fail(f"{args.typ} {args.name}: {type(err).__name__}: {detail}") from None
            finally:
                if self.recorder is not None:
                    self.recorder.end()
            self.emulated[args.typ] = self.emulated.get(args.typ, 0) + 1
            self.ids[rid] = f"{args.typ} {args.name}"
        return rid, {**args.inputs, **{k: v for k, v in outputs.items() if v is not None}, "id": rid}

    @staticmethod
    def _provider_name(ref: str | None) -> str:
        """`urn:...::pulumi:providers:aws::<name>::<id>` -> `<name>`."""
        parts = (ref or "").split("::")
        return parts[-2] if len(parts) >= 2 else ""

    def _unreachable(self, err: EndpointConnectionError) -> EmulatorError:
        where = err.kwargs.get("endpoint_url") or self.endpoint_url or "the AWS API"
        failure = EmulatorUnreachable(f"cannot reach {where}: is the emulator (moto_server) running?")
        self.errors.append(str(failure))
        self.failure = self.failure or failure
        return failure

    def _fail(self, message: str) -> EmulatorError:
        """Record the error; name the declared resources whose ids the AWS message mentions."""
        named = [f"{rid} is {what}" for rid, what in self.ids.items() if rid in message.split(": ", 1)[-1]]
        if named:
            message += f" ({'; '.join(named)})"
        self.errors.append(message)
        failure = EmulatorError(message)
        self.failure = self.failure or failure
        return failure

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        try:
            return self._call(args)
        except EndpointConnectionError as err:
            raise self._unreachable(err) from None

    def _call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            me = self.client("sts").get_caller_identity()
            return {
                "accountId": me["Account"],
                "arn": me["Arn"],
                "userId": me["UserId"],
                "id": me["Account"],
            }, []
        if args.token == "aws:iam/getRoles:getRoles":
            prefix = args.args.get("pathPrefix") or "/"
            roles = self.client("iam").list_roles(PathPrefix=prefix)["Roles"]
            return {
                "names": [r["RoleName"] for r in roles],
                "arns": [r["Arn"] for r in roles],
                "id": prefix,
            }, []
        if args.token == "aws:iam/getRole:getRole":
            role = self.client("iam").get_role(RoleName=args.args["name"])["Role"]
            tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
            return {"name": role["RoleName"], "arn": role["Arn"], "tags": tags, "id": role["RoleName"]}, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = self.client("ec2").describe_availability_zones()["AvailabilityZones"]
            return {
                "names": [z["ZoneName"] for z in zones],
                "zoneIds": [z["ZoneId"] for z in zones],
                "id": self.region,
            }, []
        return super().call(args)


def deploy(stack: str, mocks: EmulatorMocks, **kwargs: Any) -> Deployment:
    """Run the program against the emulator; the first AWS error fails the run as `EmulatorError`."""
    try:
        deployment = run_program(stack, mocks=mocks, **kwargs)
    except Exception:
        if mocks.failure is not None:
            raise mocks.failure from None
        raise
    if mocks.failure is not None:
        raise mocks.failure
    return deployment

"""Run the real program (`__main__.py`) in-process under Pulumi's mock runtime.

This is what `arbiter-infra plan`, the tests and the policy checks share: the stack file is read
the way the Pulumi CLI reads it, the program registers its resources with a recording monitor,
and the result is a `Deployment`: every resource with its type, name, parent, inputs, options and
(mocked) outputs, plus the stack outputs. No credentials, no Pulumi CLI, no network.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from arbiter_infra.config import PROJECT, ConfigError
from arbiter_tools import local_tls

PROJECT_DIR = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
#: What an encrypted (`secure:`) stack value becomes offline: never the ciphertext, never a value.
SECRET_PLACEHOLDER = "[secret: encrypted in stack file, not decrypted offline]"


@dataclass
class DeclaredResource:
    """One registered resource, as the engine would see it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_inputs: frozenset[str]
    provider: str | None
    protect: bool
    dependencies: tuple[str, ...]
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    #: The `ignore_changes` and `replace_on_changes` options: the engine applies them when diffing.
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()

    @property
    def parent_name(self) -> str | None:
        return self.parent.rsplit("::", 1)[-1] if self.parent else None


@dataclass
class Deployment:
    """Everything one program run declared."""

    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]
    config: dict[str, Any] = field(default_factory=dict)
    #: What the program logged at warning level (`pulumi.log.warn`): shown by `pulumi preview` too.
    warnings: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> DeclaredResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(f"expected one {type_} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self, urn: str) -> DeclaredResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(urn)

    def by_id(self, id_: str) -> DeclaredResource:
        for r in self.resources:
            if r.id == id_:
                return r
        raise LookupError(id_)

    def children(self, parent: DeclaredResource) -> list[DeclaredResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.type] = out.get(r.type, 0) + 1
        return dict(sorted(out.items()))


def _unwrap(value: Any) -> Any:
    """Strip RPC secret wrappers (the mock monitor hands them over as-is)."""
    if rpc.is_rpc_secret(value):
        return _unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _has_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


STACK_TYPE = "pulumi:pulumi:Stack"


class RecordingMonitor(pmocks.MockMonitor):
    """A MockMonitor that also keeps what the engine would: parents, providers, options."""

    def __init__(self, mocks: pmocks.Mocks) -> None:
        super().__init__(mocks)
        self.declared: list[DeclaredResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's rule: the parent's qualified type chain, without the root Stack, then the type.

        Pulumi's MockMonitor keeps only the parent's last type and keeps the Stack, so its URNs
        differ from the ones `pulumi up` assigns (and `--target`/`state unprotect` need).
        """
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        reg = self.resources[response.urn]
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        self.declared.append(
            DeclaredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                id=reg.id or "",
                inputs=_unwrap(inputs),
                outputs=_unwrap(reg.state),
                secret_inputs=frozenset(k for k, v in inputs.items() if _has_secret(v)),
                provider=provider,
                protect=bool(request.protect),
                dependencies=tuple(request.dependencies),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=tuple(request.ignoreChanges),
                replace_on_changes=tuple(request.replaceOnChanges),
            )
        )
        return response


_SERVICE_OF_MODULE = {
    "ec2": "ec2",
    "vpc": "ec2",
    "rds": "rds",
    "elasticache": "elasticache",
    "ecs": "ecs",
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "iam": "iam",
    "kms": "kms",
    "secretsmanager": "secretsmanager",
    "cloudwatch": "cloudwatch",
    "sns": "sns",
    "s3": "s3",
    "ecr": "ecr",
    "servicediscovery": "servicediscovery",
    "appautoscaling": "application-autoscaling",
}


#: Inputs that carry a resource's physical name, most specific first (an instance's `identifier`
#: before the `clusterIdentifier` of the cluster it joins).
_PHYSICAL_NAME_KEYS = (
    "name",
    "identifier",
    "clusterIdentifier",
    "replicationGroupId",
    "bucket",
    "namePrefix",
)


class UnansweredInvokeError(LookupError):
    """The program called a data source the offline runtime cannot answer: fail, never guess."""


class ArbiterMocks(pmocks.Mocks):
    """Plain mocks: inputs echoed back plus the computed outputs the program reads.

    Every computed attribute that the program feeds into another resource or an `apply` is
    filled in per type, so no callback is silently skipped.
    """

    def __init__(self, environment: str = "staging") -> None:
        self.environment = environment
        #: Values these mocks made up for what AWS computes (ids, ARNs, endpoints): unknown in a
        #: real preview, so anything built from them is shown as known only after deploy.
        self.invented: set[str] = set()
        #: Provider name -> its region: resources of a provider in another region (the backup
        #: copy vault and its key) get ARNs of that region.
        self.provider_regions: dict[str, str] = {}

    def _id(self, args: pmocks.MockResourceArgs) -> str:
        digest = hashlib.sha1(f"{args.typ}/{args.name}".encode()).hexdigest()[:17]
        prefix = {
            "aws:ec2/vpc:Vpc": "vpc-",
            "aws:ec2/subnet:Subnet": "subnet-",
            "aws:ec2/securityGroup:SecurityGroup": "sg-",
            "aws:ec2/routeTable:RouteTable": "rtb-",
            "aws:ec2/internetGateway:InternetGateway": "igw-",
            "aws:ec2/natGateway:NatGateway": "nat-",
            "aws:ec2/eip:Eip": "eipalloc-",
            "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
            "aws:ec2/flowLog:FlowLog": "fl-",
            "aws:ec2/networkAcl:NetworkAcl": "acl-",
        }.get(args.typ, "")
        return prefix + digest

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        rid = self._id(args)
        if not args.custom:
            return rid, state
        if args.typ == "pulumi:providers:aws" and isinstance(args.inputs.get("region"), str):
            self.provider_regions[args.name] = args.inputs["region"]
        parts = (args.provider or "").split("::")
        region = self.provider_regions.get(parts[-2] if len(parts) >= 2 else "", REGION)
        token = args.typ
        module = token.split(":")[1].split("/")[0] if token.count(":") == 2 else ""
        name = next(
            (state[k] for k in _PHYSICAL_NAME_KEYS if isinstance(state.get(k), str) and state[k]),
            f"{args.name}-{rid[-7:]}",
        )
        service = _SERVICE_OF_MODULE.get(module, module)
        state.setdefault("id", rid)
        state.setdefault("arn", f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{module}/{name}")
        fill = COMPUTED.get(token)
        if fill is not None:
            state.update(fill(state, rid, str(name)))
            rid = str(state["id"])
        if region != REGION:
            state = {
                k: v.replace(f":{REGION}:", f":{region}:")
                if isinstance(v, str) and v.startswith("arn:aws:") and args.inputs.get(k) != v
                else v
                for k, v in state.items()
            }
        self.invented.add(rid)
        self.invented.update(
            v for k, v in state.items() if isinstance(v, str) and len(v) >= 8 and args.inputs.get(k) != v
        )
        return rid, state

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        answer = INVOKES.get(args.token)
        if answer is None:
            raise UnansweredInvokeError(
                f"the offline mocks have no answer for invoke {args.token}: add one to runtime.INVOKES"
            )
        return answer(dict(args.args)), []


def _service_linked_role(principal: str) -> dict[str, Any]:
    """AWS names the role after its service (`AWSServiceRoleFor...`) under a path of the principal."""
    from arbiter_infra.catalog import SERVICE_LINKED_ROLES

    name = next(n for p, n in SERVICE_LINKED_ROLES.values() if p == principal)
    path = f"/aws-service-role/{principal}/"
    return {
        "name": name,
        "path": path,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role{path}{name}",
        "uniqueId": name,
    }


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


Filler = Callable[[dict[str, Any], str, str], dict[str, Any]]

#: Computed outputs per resource type (only what the AWS API computes and the program reads).
COMPUTED: dict[str, Filler] = {
    "aws:ec2/vpc:Vpc": lambda s, rid, n: {
        "defaultSecurityGroupId": "sg-default" + rid[-8:],
        "defaultRouteTableId": "rtb-main" + rid[-8:],
        "mainRouteTableId": "rtb-main" + rid[-8:],
        "defaultNetworkAclId": "acl-" + rid[-8:],
        "arn": _arn("ec2", f"vpc/{rid}"),
    },
    "aws:ec2/subnet:Subnet": lambda s, rid, n: {"arn": _arn("ec2", f"subnet/{rid}")},
    "aws:ec2/securityGroup:SecurityGroup": lambda s, rid, n: {"arn": _arn("ec2", f"security-group/{rid}")},
    "aws:ec2/eip:Eip": lambda s, rid, n: {"publicIp": "203.0.113.10", "allocationId": rid},
    "aws:kms/key:Key": lambda s, rid, n: {"keyId": rid, "arn": _arn("kms", f"key/{rid}")},
    "aws:kms/alias:Alias": lambda s, rid, n: {"arn": _arn("kms", n)},
    "aws:backup/vault:Vault": lambda s, rid, n: {"id": n, "arn": _arn("backup", f"backup-vault:{n}")},
    "aws:backup/plan:Plan": lambda s, rid, n: {"arn": _arn("backup", f"backup-plan:{rid}"), "version": rid},
    "aws:rds/eventSubscription:EventSubscription": lambda s, rid, n: {"id": n, "arn": _arn("rds", f"es:{n}")},
    "aws:iam/role:Role": lambda s, rid, n: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{n}", "uniqueId": rid},
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda s, rid, n: _service_linked_role(
        s["awsServiceName"]
    ),
    "aws:iam/policy:Policy": lambda s, rid, n: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{n}"},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda s, rid, n: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(s.get('url', '')).removeprefix('https://')}"
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda s, rid, n: {"arn": _arn("logs", f"log-group:{n}")},
    "aws:secretsmanager/secret:Secret": lambda s, rid, n: {
        "arn": _arn("secretsmanager", f"secret:{n}-{rid[:6]}")
    },
    "aws:rds/cluster:Cluster": lambda s, rid, n: {
        "arn": _arn("rds", f"cluster:{n}"),
        "endpoint": f"{n}.cluster-abcdefghijkl.{REGION}.rds.amazonaws.com",
        "readerEndpoint": f"{n}.cluster-ro-abcdefghijkl.{REGION}.rds.amazonaws.com",
        "port": 5432,
        "clusterResourceId": "cluster-" + rid.upper(),
        "masterUserSecrets": [
            {
                "secretArn": _arn("secretsmanager", f"secret:rds!cluster-{rid}-AbCdEf"),
                "secretStatus": "active",
                "kmsKeyId": s.get("masterUserSecretKmsKeyId", ""),
            }
        ],
    },
    "aws:rds/clusterInstance:ClusterInstance": lambda s, rid, n: {
        "arn": _arn("rds", f"db:{n}"),
        "endpoint": f"{n}.abcdefghijkl.{REGION}.rds.amazonaws.com",
        "port": 5432,
        "writer": False,
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda s, rid, n: {
        "arn": _arn("elasticache", f"replicationgroup:{s.get('replicationGroupId', n)}"),
        "primaryEndpointAddress": f"master.{s.get('replicationGroupId', n)}.abcdef.use1.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{s.get('replicationGroupId', n)}.abcdef.use1.cache.amazonaws.com",
        "port": s.get("port", 6379),
        "memberClusters": [
            f"{s.get('replicationGroupId', n)}-00{i + 1}" for i in range(int(s.get("numCacheClusters", 1)))
        ],
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda s, rid, n: {
        "arn": _arn("elasticloadbalancing", f"loadbalancer/app/{n}/{rid[:16]}"),
        "arnSuffix": f"app/{n}/{rid[:16]}",
        "dnsName": f"{n}-1234567890.{REGION}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    },
    "aws:lb/targetGroup:TargetGroup": lambda s, rid, n: {
        "arn": _arn("elasticloadbalancing", f"targetgroup/{n}/{rid[:16]}"),
        "arnSuffix": f"targetgroup/{n}/{rid[:16]}",
    },
    "aws:lb/listener:Listener": lambda s, rid, n: {
        "arn": _arn("elasticloadbalancing", f"listener/app/{n}/{rid[:16]}")
    },
    "aws:ecs/cluster:Cluster": lambda s, rid, n: {"arn": _arn("ecs", f"cluster/{n}")},
    "aws:ecs/taskDefinition:TaskDefinition": lambda s, rid, n: {
        "arn": _arn("ecs", f"task-definition/{s.get('family', n)}:1"),
        "arnWithoutRevision": _arn("ecs", f"task-definition/{s.get('family', n)}"),
        "revision": 1,
    },
    # The provider's id of a service is its ARN, which names its cluster.
    "aws:ecs/service:Service": lambda s, rid, n: {
        "id": _arn("ecs", f"service/{str(s.get('cluster', '')).rsplit('/', 1)[-1]}/{n}")
    },
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": lambda s, rid, n: {
        "arn": _arn("servicediscovery", f"namespace/ns-{rid[:16]}"),
        "hostedZone": "Z" + rid[:13].upper(),
    },
    "aws:servicediscovery/service:Service": lambda s, rid, n: {
        "arn": _arn("servicediscovery", f"service/srv-{rid[:16]}")
    },
    "aws:sns/topic:Topic": lambda s, rid, n: {"arn": _arn("sns", str(n))},
    "aws:s3/bucket:Bucket": lambda s, rid, n: {
        "arn": f"arn:aws:s3:::{s.get('bucket', n)}",
        "bucket": s.get("bucket", n),
        "bucketDomainName": f"{n}.s3.amazonaws.com",
    },
    "aws:s3/bucketV2:BucketV2": lambda s, rid, n: {
        "arn": f"arn:aws:s3:::{n}",
        "bucket": s.get("bucket", n),
    },
    "aws:ecr/repository:Repository": lambda s, rid, n: {
        "arn": _arn("ecr", f"repository/{n}"),
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{n}",
        "registryId": ACCOUNT_ID,
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda s, rid, n: {"arn": _arn("cloudwatch", f"alarm:{n}")},
    "aws:sfn/stateMachine:StateMachine": lambda s, rid, n: {
        "arn": _arn("states", f"stateMachine:{n}"),
        "creationDate": "2026-01-01T00:00:00Z",
    },
    "aws:cloudwatch/eventRule:EventRule": lambda s, rid, n: {"arn": _arn("events", f"rule/{n}")},
    "aws:acm/certificate:Certificate": lambda s, rid, n: {
        "arn": _arn("acm", f"certificate/{rid[:8]}-{rid[8:12]}-{rid[12:16]}-0000-{rid[:12]}"),
        "status": "ISSUED",
    },
    "tls:index/privateKey:PrivateKey": lambda s, rid, n: _private_key(s),
    "tls:index/selfSignedCert:SelfSignedCert": lambda s, rid, n: _self_signed(s),
    "random:index/randomPassword:RandomPassword": lambda s, rid, n: {
        "result": (rid * 8)[: int(s.get("length", 32))],
        "bcryptHash": "$2a$10$offline",
    },
}


def _private_key(state: dict[str, Any]) -> dict[str, Any]:
    """A real key (pulumi-tls computes it locally; ACM checks what it imports)."""
    pem = local_tls.private_key_pem(
        str(state.get("algorithm", "RSA")),
        curve=str(state.get("ecdsaCurve", "P224")),
        rsa_bits=int(state.get("rsaBits", 2048)),
    )
    return {"privateKeyPem": pem, "privateKeyPemPkcs8": pem, "publicKeyPem": local_tls.public_key_pem(pem)}


def _self_signed(state: dict[str, Any]) -> dict[str, Any]:
    subject = state.get("subject") or {}
    pem, start, end = local_tls.self_signed_pem(
        str(_unwrap(state["privateKeyPem"])),
        str(subject.get("commonName", "self-signed")),
        [str(n) for n in state.get("dnsNames") or []],
        hours=int(state["validityPeriodHours"]),
    )
    return {
        "certPem": pem,
        "validityStartTime": start.isoformat(),
        "validityEndTime": end.isoformat(),
        "readyForRenewal": False,
    }


Answer = Callable[[dict[str, Any]], dict[str, Any]]

#: Invokes (data sources) the program uses, answered offline.
INVOKES: dict[str, Answer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
        "userId": "AIDAOFFLINE",
        "id": ACCOUNT_ID,
    },
    "aws:index/getRegion:getRegion": lambda a: {"name": REGION, "region": REGION, "id": REGION},
    # A fresh account: no service-linked role exists yet.
    "aws:iam/getRoles:getRoles": lambda a: {"names": [], "arns": [], "id": "roles"},
    "aws:index/getPartition:getPartition": lambda a: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
    },
    "aws:ecr/getRepository:getRepository": lambda a: {
        "name": a["name"],
        "arn": _arn("ecr", f"repository/{a['name']}"),
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{a['name']}",
        "registryId": ACCOUNT_ID,
        "id": a["name"],
    },
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": lambda a: {
        "arn": a.get("arn")
        or f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{a.get('url', '').removeprefix('https://')}",
        "url": a.get("url", "token.actions.githubusercontent.com"),
        "clientIdLists": ["sts.amazonaws.com"],
        "id": "oidc",
    },
}


def stack_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name.split(".")[1] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], set[str]]:
    """Stack-file config as the CLI passes it to programs: `ns:key` -> string (objects as JSON).

    Encrypted `secure:` values cannot be decrypted offline: they become a marked placeholder and
    are passed as secrets, so they are never printed.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", stack):
        raise ConfigError(f"--stack {stack!r}: not a stack name (letters, digits, '-', '_', '.')")
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = stack_names(project_dir)
        raise ConfigError(f"--stack {stack!r}: no {path.name}; known stacks: {', '.join(known)}")
    raw = _stack_file_config(path)
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key_, value in raw.items():
        key = str(key_)
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = SECRET_PLACEHOLDER
            secret_keys.add(full)
        elif isinstance(value, str):
            values[full] = value
        else:
            values[full] = json.dumps(value)
    return values, secret_keys


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads stack files: a key given twice is an error, not "last one wins"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _stack_file_config(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file; anything malformed is one line naming the file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path.name}: not UTF-8 text (byte {err.start}): a stack file is YAML") from None
    try:
        doc = yaml.load(text, Loader=_StrictLoader) or {}
    except ConfigError as err:
        raise ConfigError(f"{path.name}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path.name}: not valid YAML{where}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a 'config:' key, not a {type(doc).__name__}")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: 'config' must be a mapping of keys to values")
    return raw


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _isolated_runtime(
    mocks: pmocks.Mocks,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str],
    logger: logging.Logger,
    *,
    preview: bool = True,
) -> Iterator[RecordingMonitor]:
    saved_env = os.environ.pop("PULUMI_CONFIG", None)
    settings.ROOT.set(None)
    monitor = RecordingMonitor(mocks)
    pmocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor, logger=logger)
    set_all_config(dict(config), sorted(secret_keys))
    try:
        yield monitor
    finally:
        settings.ROOT.set(None)
        if saved_env is not None:
            os.environ["PULUMI_CONFIG"] = saved_env


def run_program(
    stack: str,
    *,
    mocks: pmocks.Mocks | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    secret_values: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    preview: bool = True,
) -> Deployment:
    """Evaluate `__main__.py` for `stack` under mocks and return what it declared.

    `preview=True` runs it as `pulumi preview` does; `False` as the update of `pulumi up`.

    `config_overrides` replaces top-level `arbiter:` keys (objects are JSON-encoded), for tests of
    bad input; `secret_values` sets secret keys (`arbiter:polyApiKey` ...) as the CLI would.
    """
    config, secret_keys = read_stack_file(stack, project_dir)
    for key, value in (config_overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    for key, value in (secret_values or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        config[full] = value
        secret_keys.add(full)
    program = str(project_dir / "__main__.py")
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def evaluate() -> None:
        runpy.run_path(program, run_name="__main__")

    return run_function(evaluate, stack, mocks=mocks, config=config, secret_keys=secret_keys, preview=preview)


def run_function(
    program: Callable[[], None],
    stack: str = "staging",
    *,
    mocks: pmocks.Mocks | None = None,
    config: Mapping[str, str] | None = None,
    secret_keys: set[str] | None = None,
    preview: bool = True,
) -> Deployment:
    """Run `program` as a Pulumi program of `stack` under mocks and return what it declared.

    Tests build one component alone this way, from hand-made args, with no stack file.
    """
    config = dict(config or {})
    mocks = mocks or ArbiterMocks(stack)
    logger = logging.getLogger(f"arbiter.program.{stack}")
    logger.propagate = False
    collector = _WarningCollector()
    logger.handlers = [collector]
    with _isolated_runtime(mocks, stack, config, set(secret_keys or ()), logger, preview=preview) as monitor:
        try:
            _sync_await(run_pulumi_func(program))
        except BaseException:
            # A failed run leaves its outstanding RPCs and first exception in Pulumi's global RPC
            # manager, and the next program run in this process would re-raise them: drop them.
            _discard_failed_run()
            raise
        root = settings.get_root_resource()
        raw_outputs: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
        outputs: dict[str, Any] = {}
        secret_outputs: set[str] = set()
        for name, value in raw_outputs.items():
            out = pulumi.Output.from_input(value)
            outputs[name] = _sync_await(out.future())
            if _sync_await(out.is_secret()):
                secret_outputs.add(name)
        return Deployment(
            stack=stack,
            resources=list(monitor.declared),
            outputs=outputs,
            secret_outputs=frozenset(secret_outputs),
            config=dict(config),
            warnings=list(dict.fromkeys(collector.messages)),
        )


def _discard_failed_run() -> None:
    """Forget a failed run's outstanding RPCs and outputs (marking their errors as seen)."""
    manager = settings._get_rpc_manager()
    with settings.SETTINGS.lock:
        pending = [*manager.rpcs, *settings.SETTINGS.outputs]
        settings.SETTINGS.outputs.clear()
    manager.clear()
    for item in pending:
        if not isinstance(item, asyncio.Future):
            continue
        if item.done():
            if not item.cancelled():
                item.exception()
        else:
            item.cancel()

"""The offline mocks: what AWS (and the TLS and random providers) would compute, made up locally.

Inputs are echoed back, plus the computed outputs the program reads, per resource type (keyed by
the shared type tokens of `policies/resource_types.py`), and the data sources the program calls.
Every computed attribute that the program feeds into another resource or an `apply` is filled in,
so no callback is silently skipped. Only the public mock API of the SDK is used here, and nothing
of the project's config: the plan benchmark's SDK floor runs under these same mocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from arbiter_tools.runtime.model import ACCOUNT_ID, REGION
from policies import resource_types as t

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


#: The prefix AWS gives the ids of a type (`vpc-...`); other ids are a bare hex digest.
_ID_PREFIXES = {
    t.VPC: "vpc-",
    t.SUBNET: "subnet-",
    t.SECURITY_GROUP: "sg-",
    t.ROUTE_TABLE: "rtb-",
    t.INTERNET_GATEWAY: "igw-",
    t.NAT_GATEWAY: "nat-",
    t.EIP: "eipalloc-",
    t.VPC_ENDPOINT: "vpce-",
    t.FLOW_LOG: "fl-",
    t.NETWORK_ACL: "acl-",
}


class UnansweredInvokeError(LookupError):
    """The program called a data source the offline runtime cannot answer: fail, never guess."""


class ArbiterMocks(Mocks):
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

    def _id(self, args: MockResourceArgs) -> str:
        digest = hashlib.sha1(f"{args.typ}/{args.name}".encode()).hexdigest()[:17]
        return _ID_PREFIXES.get(args.typ, "") + digest

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        rid = self._id(args)
        if not args.custom:
            return rid, state
        if args.typ == t.AWS_PROVIDER and isinstance(args.inputs.get("region"), str):
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

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        answer = INVOKES.get(args.token)
        if answer is None:
            raise UnansweredInvokeError(
                f"the offline mocks have no answer for invoke {args.token}: add one to runtime.mocks.INVOKES"
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
    t.VPC: lambda s, rid, n: {
        "defaultSecurityGroupId": "sg-default" + rid[-8:],
        "defaultRouteTableId": "rtb-main" + rid[-8:],
        "mainRouteTableId": "rtb-main" + rid[-8:],
        "defaultNetworkAclId": "acl-" + rid[-8:],
        "arn": _arn("ec2", f"vpc/{rid}"),
    },
    t.SUBNET: lambda s, rid, n: {"arn": _arn("ec2", f"subnet/{rid}")},
    t.SECURITY_GROUP: lambda s, rid, n: {"arn": _arn("ec2", f"security-group/{rid}")},
    t.EIP: lambda s, rid, n: {"publicIp": "203.0.113.10", "allocationId": rid},
    t.KMS_KEY: lambda s, rid, n: {"keyId": rid, "arn": _arn("kms", f"key/{rid}")},
    t.KMS_ALIAS: lambda s, rid, n: {"arn": _arn("kms", n)},
    t.BACKUP_VAULT: lambda s, rid, n: {"id": n, "arn": _arn("backup", f"backup-vault:{n}")},
    t.BACKUP_VAULT_LOCK: lambda s, rid, n: {
        "id": s["backupVaultName"],
        "backupVaultArn": _arn("backup", f"backup-vault:{s['backupVaultName']}"),
    },
    t.BACKUP_PLAN: lambda s, rid, n: {"arn": _arn("backup", f"backup-plan:{rid}"), "version": rid},
    t.RDS_EVENT_SUBSCRIPTION: lambda s, rid, n: {"id": n, "arn": _arn("rds", f"es:{n}")},
    t.IAM_ROLE: lambda s, rid, n: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{n}", "uniqueId": rid},
    t.IAM_SERVICE_LINKED_ROLE: lambda s, rid, n: _service_linked_role(s["awsServiceName"]),
    t.IAM_POLICY: lambda s, rid, n: {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{n}"},
    t.IAM_OIDC_PROVIDER: lambda s, rid, n: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(s.get('url', '')).removeprefix('https://')}"
    },
    t.LOG_GROUP: lambda s, rid, n: {"arn": _arn("logs", f"log-group:{n}")},
    t.SECRET: lambda s, rid, n: {"arn": _arn("secretsmanager", f"secret:{n}-{rid[:6]}")},
    t.RDS_CLUSTER: lambda s, rid, n: {
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
    t.RDS_CLUSTER_INSTANCE: lambda s, rid, n: {
        "arn": _arn("rds", f"db:{n}"),
        "endpoint": f"{n}.abcdefghijkl.{REGION}.rds.amazonaws.com",
        "port": 5432,
        "writer": False,
    },
    # ElastiCache ARNs name the kind with a colon (the generic `<module>/<name>` is not one).
    t.CACHE_PARAMETER_GROUP: lambda s, rid, n: {"arn": _arn("elasticache", f"parametergroup:{n}")},
    t.REPLICATION_GROUP: lambda s, rid, n: {
        "arn": _arn("elasticache", f"replicationgroup:{s.get('replicationGroupId', n)}"),
        "primaryEndpointAddress": f"master.{s.get('replicationGroupId', n)}.abcdef.use1.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{s.get('replicationGroupId', n)}.abcdef.use1.cache.amazonaws.com",
        "port": s.get("port", 6379),
        "memberClusters": [
            f"{s.get('replicationGroupId', n)}-00{i + 1}" for i in range(int(s.get("numCacheClusters", 1)))
        ],
    },
    t.CACHE_USER: lambda s, rid, n: {"arn": _arn("elasticache", f"user:{s.get('userId', n)}")},
    t.CACHE_USER_GROUP: lambda s, rid, n: {
        "arn": _arn("elasticache", f"usergroup:{s.get('userGroupId', n)}")
    },
    t.LOAD_BALANCERS[0]: lambda s, rid, n: {
        "arn": _arn("elasticloadbalancing", f"loadbalancer/app/{n}/{rid[:16]}"),
        "arnSuffix": f"app/{n}/{rid[:16]}",
        "dnsName": f"{n}-1234567890.{REGION}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    },
    t.TARGET_GROUPS[0]: lambda s, rid, n: {
        "arn": _arn("elasticloadbalancing", f"targetgroup/{n}/{rid[:16]}"),
        "arnSuffix": f"targetgroup/{n}/{rid[:16]}",
    },
    # AWS's shape: listener/app/<alb>/<alb id>/<listener id>, under its load balancer's ARN.
    t.LISTENERS[0]: lambda s, rid, n: {
        "arn": str(
            s.get("loadBalancerArn") or _arn("elasticloadbalancing", f"loadbalancer/app/{n}/{rid[:16]}")
        ).replace(":loadbalancer/", ":listener/", 1)
        + f"/{rid[:16]}"
    },
    # AWS's shape: listener-rule/app/<alb>/<alb id>/<listener id>/<rule id>, under its listener's ARN.
    t.LISTENER_RULES[0]: lambda s, rid, n: {
        "arn": str(
            s.get("listenerArn") or _arn("elasticloadbalancing", f"listener/app/{n}/{rid[:16]}")
        ).replace(":listener/", ":listener-rule/", 1)
        + f"/{rid[:16]}"
    },
    t.ECS_CLUSTER: lambda s, rid, n: {"arn": _arn("ecs", f"cluster/{n}")},
    t.TASK_DEFINITION: lambda s, rid, n: {
        "arn": _arn("ecs", f"task-definition/{s.get('family', n)}:1"),
        "arnWithoutRevision": _arn("ecs", f"task-definition/{s.get('family', n)}"),
        "revision": 1,
    },
    # The provider's id of a service is its ARN, which names its cluster.
    t.ECS_SERVICE: lambda s, rid, n: {
        "id": _arn("ecs", f"service/{str(s.get('cluster', '')).rsplit('/', 1)[-1]}/{n}")
    },
    t.SD_NAMESPACE: lambda s, rid, n: {
        "arn": _arn("servicediscovery", f"namespace/ns-{rid[:16]}"),
        "hostedZone": "Z" + rid[:13].upper(),
    },
    t.SD_SERVICE: lambda s, rid, n: {"arn": _arn("servicediscovery", f"service/srv-{rid[:16]}")},
    t.TOPIC: lambda s, rid, n: {"arn": _arn("sns", str(n))},
    t.BUCKETS[0]: lambda s, rid, n: {
        "arn": f"arn:aws:s3:::{s.get('bucket', n)}",
        "bucket": s.get("bucket", n),
        "bucketDomainName": f"{n}.s3.amazonaws.com",
    },
    t.BUCKETS[1]: lambda s, rid, n: {
        "arn": f"arn:aws:s3:::{n}",
        "bucket": s.get("bucket", n),
    },
    t.ECR_REPOSITORY: lambda s, rid, n: {
        "arn": _arn("ecr", f"repository/{n}"),
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{n}",
        "registryId": ACCOUNT_ID,
    },
    t.METRIC_ALARM: lambda s, rid, n: {"arn": _arn("cloudwatch", f"alarm:{n}")},
    t.LAMBDA_FUNCTION: lambda s, rid, n: {
        "arn": _arn("lambda", f"function:{n}"),
        "invokeArn": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"{_arn('lambda', f'function:{n}')}/invocations",
        "qualifiedArn": _arn("lambda", f"function:{n}:$LATEST"),
        "version": "$LATEST",
        "sourceCodeHash": hashlib.sha256(rid.encode()).hexdigest(),
        "codeSha256": hashlib.sha256(rid.encode()).hexdigest(),
    },
    t.LAMBDA_INVOCATION: lambda s, rid, n: {"result": '{"statements": 0}'},
    t.ACM_CERTIFICATES[0]: lambda s, rid, n: {
        "arn": _arn("acm", f"certificate/{rid[:8]}-{rid[8:12]}-{rid[12:16]}-0000-{rid[:12]}"),
        "status": "ISSUED",
    },
    t.TLS_PRIVATE_KEY: lambda s, rid, n: _private_key(s),
    t.SELF_SIGNED[0]: lambda s, rid, n: _self_signed(s),
    t.RANDOM_PASSWORD: lambda s, rid, n: {
        "result": (rid * 8)[: int(s.get("length", 32))],
        "bcryptHash": "$2a$10$offline",
    },
}


def _private_key(state: dict[str, Any]) -> dict[str, Any]:
    """A real key (pulumi-tls computes it locally; ACM checks what it imports)."""
    from arbiter_tools import local_tls  # cryptography: only stacks with a generated key load it

    pem = local_tls.private_key_pem(
        str(state.get("algorithm", "RSA")),
        curve=str(state.get("ecdsaCurve", "P224")),
        rsa_bits=int(state.get("rsaBits", 2048)),
    )
    return {"privateKeyPem": pem, "privateKeyPemPkcs8": pem, "publicKeyPem": local_tls.public_key_pem(pem)}


def _self_signed(state: dict[str, Any]) -> dict[str, Any]:
    from arbiter_tools import local_tls
    from arbiter_tools.runtime.engine import unwrap

    subject = state.get("subject") or {}
    pem, start, end = local_tls.self_signed_pem(
        str(unwrap(state["privateKeyPem"])),
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

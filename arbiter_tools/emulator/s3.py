"""S3 buckets and their configuration resources."""

from __future__ import annotations

from typing import Any

from arbiter_tools.emulator.core import Request, Result, as_json, clean, handles, pascal
from policies import resource_types as rt


@handles(*rt.BUCKETS)
def _s3_bucket(req: Request) -> Result:
    name = req.physical_name("bucket", max_len=63)
    s3 = req.client("s3")
    region = req.emulator.region
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    if req.tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": req.tag_list()})
    return name, {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
        "hostedZoneId": "Z3AQBSTGFYJSTF",
    }


@handles(rt.BUCKET_POLICY)
def _s3_policy(req: Request) -> Result:
    bucket = req.inputs["bucket"]
    req.client("s3").put_bucket_policy(Bucket=bucket, Policy=as_json(req.inputs["policy"]))
    return bucket, {}


@handles(rt.BUCKET_PAB)
def _s3_public_access(req: Request) -> Result:
    i = req.inputs
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    config = {k[:1].upper() + k[1:]: bool(i.get(k, False)) for k in keys}
    req.client("s3").put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration=config)
    return str(i["bucket"]), {}


@handles(rt.BUCKET_OWNERSHIP)
def _s3_ownership(req: Request) -> Result:
    i = req.inputs
    rule = i.get("rule") or {}
    req.client("s3").put_bucket_ownership_controls(
        Bucket=i["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": rule["objectOwnership"]}]}
    )
    return str(i["bucket"]), {}


@handles(*rt.BUCKET_SSE)
def _s3_encryption(req: Request) -> Result:
    i = req.inputs
    rules = []
    for r in i.get("rules") or []:
        default = r.get("applyServerSideEncryptionByDefault") or {}
        rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": clean(
                {"SSEAlgorithm": default.get("sseAlgorithm"), "KMSMasterKeyID": default.get("kmsMasterKeyId")}
            )
        }
        if r.get("bucketKeyEnabled") is not None:
            rule["BucketKeyEnabled"] = bool(r["bucketKeyEnabled"])
        rules.append(rule)
    req.client("s3").put_bucket_encryption(
        Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return str(i["bucket"]), {}


@handles(*rt.BUCKET_LIFECYCLE)
def _s3_lifecycle(req: Request) -> Result:
    i = req.inputs
    rules = []
    for r in i.get("rules") or []:
        rule: dict[str, Any] = {"ID": r["id"], "Status": r.get("status", "Enabled")}
        filt = r.get("filter")
        rule["Filter"] = clean({"Prefix": filt.get("prefix")}) if filt else {}
        if not rule["Filter"]:
            rule["Filter"] = {"Prefix": r.get("prefix", "")}
        if r.get("expiration"):
            rule["Expiration"] = clean(pascal(r["expiration"]))
        if r.get("abortIncompleteMultipartUpload"):
            rule["AbortIncompleteMultipartUpload"] = pascal(r["abortIncompleteMultipartUpload"])
        if r.get("noncurrentVersionExpiration"):
            rule["NoncurrentVersionExpiration"] = pascal(r["noncurrentVersionExpiration"])
        rules.append(rule)
    req.client("s3").put_bucket_lifecycle_configuration(
        Bucket=i["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return str(i["bucket"]), {}


@handles(*rt.BUCKET_VERSIONING)
def _s3_versioning(req: Request) -> Result:
    i = req.inputs
    status = (i.get("versioningConfiguration") or {}).get("status", "Enabled")
    req.client("s3").put_bucket_versioning(Bucket=i["bucket"], VersioningConfiguration={"Status": status})
    return str(i["bucket"]), {}

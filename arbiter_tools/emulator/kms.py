"""KMS keys and aliases."""

from __future__ import annotations

from arbiter_tools.emulator.core import Request, Result, clean, handles, opt_int
from policies import resource_types as rt


@handles(rt.KMS_KEY)
def _kms_key(req: Request) -> Result:
    kms = req.client("kms")
    i = req.inputs
    meta = kms.create_key(
        **clean(
            {
                "Description": i.get("description"),
                "KeyUsage": i.get("keyUsage"),
                "KeySpec": i.get("customerMasterKeySpec"),
                "Policy": i.get("policy"),
                "MultiRegion": i.get("multiRegion"),
                "Tags": req.tag_list("TagKey", "TagValue"),
            }
        )
    )["KeyMetadata"]
    if i.get("enableKeyRotation"):
        period = opt_int(i.get("rotationPeriodInDays"))
        kms.enable_key_rotation(KeyId=meta["KeyId"], **({"RotationPeriodInDays": period} if period else {}))
    return meta["KeyId"], {"keyId": meta["KeyId"], "arn": meta["Arn"]}


@handles(rt.KMS_ALIAS)
def _kms_alias(req: Request) -> Result:
    name = req.physical_name()
    kms = req.client("kms")
    kms.create_alias(AliasName=name, TargetKeyId=req.inputs["targetKeyId"])
    key = kms.describe_key(KeyId=req.inputs["targetKeyId"])["KeyMetadata"]
    return name, {
        "arn": f"arn:aws:kms:{req.region or req.emulator.region}:{key['AWSAccountId']}:{name}",
        "targetKeyArn": key["Arn"],
    }

"""IAM roles, policies, attachments, service-linked roles and the OIDC provider."""

from __future__ import annotations

from botocore.exceptions import ClientError

from arbiter_tools.emulator.core import (
    MANAGED_POLICIES_HINT,
    Request,
    Result,
    as_json,
    clean,
    digest,
    handles,
    opt_int,
)
from policies import resource_types as rt


@handles(rt.IAM_ROLE)
def _iam_role(req: Request) -> Result:
    iam = req.client("iam")
    i = req.inputs
    name = req.physical_name(max_len=64)
    role = iam.create_role(
        **clean(
            {
                "RoleName": name,
                "Path": i.get("path"),
                "AssumeRolePolicyDocument": as_json(i["assumeRolePolicy"]),
                "Description": i.get("description"),
                "MaxSessionDuration": opt_int(i.get("maxSessionDuration")),
                "PermissionsBoundary": i.get("permissionsBoundary"),
                "Tags": req.tag_list(),
            }
        )
    )["Role"]
    for policy in i.get("inlinePolicies") or []:
        if policy.get("name") and policy.get("policy"):
            iam.put_role_policy(RoleName=name, PolicyName=policy["name"], PolicyDocument=policy["policy"])
    for arn in i.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return name, {"name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


@handles(rt.IAM_ROLE_POLICY)
def _iam_role_policy(req: Request) -> Result:
    name = req.physical_name(max_len=128)
    role = req.inputs["role"]
    req.client("iam").put_role_policy(
        RoleName=role, PolicyName=name, PolicyDocument=as_json(req.inputs["policy"])
    )
    return f"{role}:{name}", {"name": name}


@handles(rt.IAM_POLICY)
def _iam_policy(req: Request) -> Result:
    name = req.physical_name(max_len=128)
    policy = req.client("iam").create_policy(
        **clean(
            {
                "PolicyName": name,
                "Path": req.inputs.get("path"),
                "PolicyDocument": as_json(req.inputs["policy"]),
                "Description": req.inputs.get("description"),
                "Tags": req.tag_list(),
            }
        )
    )["Policy"]
    return policy["Arn"], {"name": name, "arn": policy["Arn"], "policyId": policy["PolicyId"]}


@handles(rt.IAM_ROLE_POLICY_ATTACHMENT)
def _iam_attach(req: Request) -> Result:
    role, arn = req.inputs["role"], req.inputs["policyArn"]
    try:
        req.client("iam").attach_role_policy(RoleName=role, PolicyArn=arn)
    except ClientError as err:
        if err.response["Error"]["Code"] == "NoSuchEntity" and arn.startswith("arn:aws:iam::aws:policy/"):
            err.response["Error"]["Message"] += f" ({MANAGED_POLICIES_HINT})"
        raise
    return f"{role}-{digest(arn)}", {}


@handles(rt.IAM_SERVICE_LINKED_ROLE)
def _service_linked_role(req: Request) -> Result:
    iam = req.client("iam")
    role = iam.create_service_linked_role(
        **clean(
            {"AWSServiceName": req.inputs["awsServiceName"], "Description": req.inputs.get("description")}
        )
    )["Role"]
    if req.tags:
        iam.tag_role(RoleName=role["RoleName"], Tags=req.tag_list())
    # The provider's id is the role ARN.
    return role["Arn"], {
        "name": role["RoleName"],
        "path": role["Path"],
        "arn": role["Arn"],
        "uniqueId": role["RoleId"],
    }


@handles(rt.IAM_OIDC_PROVIDER)
def _oidc(req: Request) -> Result:
    arn = req.client("iam").create_open_id_connect_provider(
        **clean(
            {
                "Url": req.inputs["url"],
                "ClientIDList": req.inputs.get("clientIdLists"),
                "ThumbprintList": req.inputs.get("thumbprintLists"),
                "Tags": req.tag_list(),
            }
        )
    )["OpenIDConnectProviderArn"]
    return arn, {"arn": arn}

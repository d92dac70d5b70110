"""The IAM evaluator's rules, each shown to flip a decision."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_tools.iam_eval import Request, context_for, evaluate, evaluate_bounded

ROLE = "arn:aws:iam::111122223333:role/arbiter-staging-web-api-task"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Sid": "A", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def verdict(policy: dict[str, Any], action: str, resource: str = "*", **context: Any) -> str:
    return evaluate([policy], Request(action, resource, context)).verdict


def test_allow_is_needed_and_explicit_deny_wins() -> None:
    policy = doc(allow("iam:GetRole", ROLE))
    assert verdict(policy, "iam:GetRole", ROLE) == "allowed"
    assert verdict(policy, "iam:DeleteRole", ROLE) == "denied"  # implicit
    denied = doc(
        allow("iam:*", "*"), {"Sid": "D", "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": ROLE}
    )
    assert verdict(denied, "iam:GetRole", ROLE) == "allowed"
    decision = evaluate([denied], Request("iam:DeleteRole", ROLE))
    assert (decision.verdict, decision.reason) == ("denied", "explicit deny D")


def test_wildcards_actions_case_insensitive_arns_case_sensitive() -> None:
    policy = doc(
        allow("EC2:describe*", "*"),
        allow("s3:GetObject", "arn:aws:s3:::b/.pulumi/stacks/arbiter/staging.json*"),
    )
    assert verdict(policy, "ec2:DescribeVpcs") == "allowed"
    assert verdict(policy, "ec2:CreateVpc") == "denied"
    assert (
        verdict(policy, "s3:GetObject", "arn:aws:s3:::b/.pulumi/stacks/arbiter/staging.json.bak") == "allowed"
    )
    assert verdict(policy, "s3:GetObject", "arn:aws:s3:::b/.pulumi/stacks/arbiter/prod.json") == "denied"
    assert verdict(policy, "s3:GetObject", "arn:aws:s3:::b/.pulumi/stacks/arbiter/STAGING.json") == "denied"
    qmark = doc(allow("sns:Publish", "arn:aws:sns:us-east-1:1:t?"))
    assert verdict(qmark, "sns:Publish", "arn:aws:sns:us-east-1:1:t1") == "allowed"
    assert verdict(qmark, "sns:Publish", "arn:aws:sns:us-east-1:1:t12") == "denied"


def test_not_action_and_not_resource() -> None:
    policy = doc(
        {"Sid": "N", "Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    )
    assert verdict(policy, "s3:GetObject", "arn:aws:s3:::public/x") == "allowed"
    assert verdict(policy, "s3:GetObject", "arn:aws:s3:::secret/x") == "denied"
    assert verdict(policy, "iam:GetRole", ROLE) == "denied"


@pytest.mark.parametrize(
    ("operator", "wanted", "have", "expected"),
    [
        ("StringEquals", "arbiter", "arbiter", "allowed"),
        ("StringEquals", "arbiter", "Arbiter", "denied"),
        ("StringEqualsIgnoreCase", "arbiter", "Arbiter", "allowed"),
        ("StringNotEquals", "arbiter", "other", "allowed"),
        ("StringNotEquals", "arbiter", "arbiter", "denied"),
        ("StringNotEquals", "arbiter", None, "allowed"),  # a missing key satisfies a negated test
        ("StringLike", "arb*", "arbiter", "allowed"),
        ("StringLike", "arb*", None, "denied"),
        ("StringNotLike", "arb*", "arbiter", "denied"),
        ("StringEqualsIfExists", "arbiter", None, "allowed"),
        ("StringEqualsIfExists", "arbiter", "other", "denied"),
        ("Null", "true", None, "allowed"),
        ("Null", "false", None, "denied"),
        ("Null", "false", "x", "allowed"),
    ],
)
def test_string_and_null_operators(operator: str, wanted: str, have: str | None, expected: str) -> None:
    policy = doc(allow("ec2:CreateVpc", Condition={operator: {"aws:RequestTag/Project": wanted}}))
    context = {} if have is None else {"aws:RequestTag/Project": have}
    assert verdict(policy, "ec2:CreateVpc", **context) == expected


def test_arn_operators_and_bool() -> None:
    arn_like = doc(
        allow(
            "secretsmanager:GetSecretValue",
            Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*-exec"}},
        )
    )
    assert (
        verdict(
            arn_like, "secretsmanager:GetSecretValue", **{"aws:PrincipalArn": "arn:aws:iam::1:role/x-exec"}
        )
        == "allowed"
    )
    assert (
        verdict(
            arn_like, "secretsmanager:GetSecretValue", **{"aws:PrincipalArn": "arn:aws:iam::1:role/x-task"}
        )
        == "denied"
    )
    arn_eq = doc(
        allow(
            "iam:CreateRole", Condition={"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}
        )
    )
    assert (
        verdict(arn_eq, "iam:CreateRole", **{"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"})
        == "allowed"
    )
    assert verdict(arn_eq, "iam:CreateRole") == "denied"  # no boundary in the request
    # Bool on a supported key (the key set is what the evaluator knows, whatever the operator).
    boolean = doc(allow("kms:Decrypt", Condition={"Bool": {"kms:ViaService": "true"}}))
    assert verdict(boolean, "kms:Decrypt", **{"kms:ViaService": "true"}) == "allowed"
    assert verdict(boolean, "kms:Decrypt") == "denied"


def test_set_operators_on_multivalued_keys() -> None:
    all_values = doc(
        allow(
            "ec2:CreateTags",
            Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Environment"]}},
        )
    )
    assert verdict(all_values, "ec2:CreateTags", **{"aws:TagKeys": ["Project"]}) == "allowed"
    assert verdict(all_values, "ec2:CreateTags", **{"aws:TagKeys": ["Project", "Owner"]}) == "denied"
    assert verdict(all_values, "ec2:CreateTags") == "allowed"  # vacuously true: no keys at all
    any_value = doc(
        allow("kms:Decrypt", Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/a"}})
    )
    assert verdict(any_value, "kms:Decrypt", **{"kms:ResourceAliases": ["alias/b", "alias/a"]}) == "allowed"
    assert verdict(any_value, "kms:Decrypt", **{"kms:ResourceAliases": ["alias/b"]}) == "denied"
    assert verdict(any_value, "kms:Decrypt") == "denied"


def test_conditions_and_across_keys_or_within_values() -> None:
    policy = doc(
        allow(
            "iam:PassRole",
            Condition={
                "StringEquals": {
                    "iam:PassedToService": ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
                },
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/deploy"},
            },
        )
    )
    ok = {
        "iam:PassedToService": "vpc-flow-logs.amazonaws.com",
        "aws:PrincipalArn": "arn:aws:iam::1:role/deploy",
    }
    assert verdict(policy, "iam:PassRole", **ok) == "allowed"
    assert (
        verdict(policy, "iam:PassRole", **{**ok, "iam:PassedToService": "lambda.amazonaws.com"}) == "denied"
    )
    assert (
        verdict(policy, "iam:PassRole", **{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}) == "denied"
    )


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:GetObject", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),  # unknown key
        allow("s3:GetObject", Condition={"NumericLessThan": {"aws:RequestTag/n": "3"}}),  # unknown operator
        allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),  # policy variable
        allow("s3:GetObject", Principal={"AWS": "*"}),  # a resource-policy construct
    ],
)
def test_unsupported_is_reported_never_assumed(statement: dict[str, Any]) -> None:
    decision = evaluate([doc(statement)], Request("s3:GetObject", "arn:aws:s3:::b/alice/x"))
    assert decision.verdict == "unsupported", decision


def test_unsupported_never_hides_an_explicit_deny() -> None:
    policy = doc(
        allow("s3:GetObject", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        {"Sid": "D", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    )
    assert verdict(policy, "s3:GetObject", "arn:aws:s3:::b/x") == "denied"


def test_a_boundary_caps_what_the_policies_allow() -> None:
    policies = [doc(allow("*", "*"))]
    boundary = doc(allow("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:*"))
    put = Request("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:/ecs/x:log-stream:y")
    assert evaluate_bounded(policies, boundary, put).verdict == "allowed"
    escalate = evaluate_bounded(policies, boundary, Request("iam:CreateRole", ROLE))
    assert escalate.verdict == "denied" and escalate.reason.startswith("permissions boundary")
    # The boundary grants nothing by itself.
    assert evaluate_bounded([doc()], boundary, put).verdict == "denied"


def test_context_for_builds_tag_keys() -> None:
    ctx = context_for(
        request_tags={"Project": "arbiter", "Environment": "staging"}, resource_tags={"Service": "x"}
    )
    assert ctx["aws:TagKeys"] == ["Environment", "Project"]
    assert ctx["aws:RequestTag/Project"] == "arbiter" and ctx["aws:ResourceTag/Service"] == "x"

"""The public entry point in both stacks: ALB, access logs, target groups, listeners, certificates, WAF, outputs."""

from __future__ import annotations

from arbiter_tools.runtime import ACCOUNT_ID, Deployment, run_program
from tests.conftest import stack_sections
from tests.program.service_helpers import (
    ACM_CERT,
    CERT,
    LISTENER_RULE,
    SERVICES,
    TLS13,
    TLS_CERT,
    TLS_KEY,
    env_of,
    listeners,
    log_group,
    stack_key_arn,
    statements,
    target_group,
)

# --- ALB ---------------------------------------------------------------------------------------------


def test_alb_is_public_hardened_and_in_public_subnets(deployment: Deployment) -> None:
    alb = deployment.one("aws:lb/loadBalancer:LoadBalancer")
    short = {"staging": "stg", "prod": "prd"}[env_of(deployment)]
    assert alb.inputs["name"] == f"arb-{short}-alb" and len(alb.inputs["name"]) <= 32
    assert alb.inputs["internal"] is False
    assert alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["subnets"] == deployment.outputs["publicSubnetIds"]
    [alb_sg] = [
        s
        for s in deployment.of_type("aws:ec2/securityGroup:SecurityGroup")
        if s.inputs["name"].endswith("-alb")
    ]
    assert alb.inputs["securityGroups"] == [alb_sg.id]
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is (env_of(deployment) == "prod")
    bucket = deployment.one("aws:s3/bucket:Bucket")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    assert deployment.one("aws:s3/bucketPolicy:BucketPolicy").urn in alb.dependencies


def test_access_log_bucket(deployment: Deployment) -> None:
    env = env_of(deployment)
    bucket = deployment.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == f"arbiter-{env}-alb-logs-{ACCOUNT_ID}"
    assert bucket.protect is (env == "prod")
    assert bucket.inputs["forceDestroy"] is (env == "staging")
    pab = deployment.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert pab.inputs["bucket"] == bucket.id
    assert all(
        pab.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    own = deployment.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert own.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    sse = deployment.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    [rule] = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    life = deployment.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    days = {"staging": 30, "prod": 90}[env]
    assert [r["expiration"]["days"] for r in life.inputs["rules"]] == [days]
    assert [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in life.inputs["rules"]] == [days]
    versioning = deployment.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["bucket"] == bucket.id
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    policy = deployment.one("aws:s3/bucketPolicy:BucketPolicy")
    stmts = statements(policy)
    arn = bucket.outputs["arn"]
    assert stmts["ElbWritesAccessLogs"]["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert stmts["ElbWritesAccessLogs"]["Action"] == ["s3:PutObject"]
    assert stmts["ElbWritesAccessLogs"]["Resource"] == [f"{arn}/alb/AWSLogs/{ACCOUNT_ID}/*"]
    deny = stmts["DenyNonTlsRequests"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {arn, f"{arn}/*"}


def test_target_groups_rest_and_grpc(deployment: Deployment) -> None:
    short = {"staging": "stg", "prod": "prd"}[env_of(deployment)]
    vpc = deployment.outputs["vpcId"]
    rest, grpc = target_group(deployment, "HTTP1"), target_group(deployment, "GRPC")
    for tg in (rest, grpc):
        assert len(tg.inputs["name"]) <= 32 and tg.inputs["name"].startswith(f"arb-{short}-")
        assert tg.inputs["targetType"] == "ip"
        assert tg.inputs["protocol"] == "HTTP"
        assert tg.inputs["port"] == 8080
        assert tg.inputs["vpcId"] == vpc
        assert 0 < tg.inputs["deregistrationDelay"] <= 60
    assert rest.inputs["healthCheck"]["path"] == "/health"
    assert rest.inputs["healthCheck"]["matcher"] == "200"
    assert grpc.inputs["healthCheck"]["path"] == "/grpc.health.v1.Health/Check"
    assert grpc.inputs["healthCheck"]["matcher"] == "0"


def test_grpc_rule_on_the_https_listener(deployment: Deployment) -> None:
    """ALB forwards to a GRPC target group only from HTTPS: both stacks put the rule there."""
    [rule] = [r for r in deployment.of_type(LISTENER_RULE) if "httpHeader" in r.inputs["conditions"][0]]
    serving = listeners(deployment)[443]
    assert serving.inputs["protocol"] == "HTTPS"
    assert all(r.inputs["listenerArn"] == serving.outputs["arn"] for r in deployment.of_type(LISTENER_RULE))
    [cond] = rule.inputs["conditions"]
    assert cond["httpHeader"] == {"httpHeaderName": "content-type", "values": ["application/grpc*"]}
    [action] = rule.inputs["actions"]
    grpc = target_group(deployment, "GRPC").outputs["arn"]
    if deployment.stack == "prod":
        # The canary's production rule: all weight on the serving group, none on the alternate.
        weights = {t["arn"]: t["weight"] for t in action["forward"]["targetGroups"]}
        assert weights[grpc] == 100 and sorted(weights.values()) == [0, 100]
    else:
        assert action == {"type": "forward", "targetGroupArn": grpc}


def test_every_stack_serves_tls13_https_and_redirects_http(deployment: Deployment) -> None:
    by_port = listeners(deployment)
    assert set(by_port) == {80, 443}
    https, http = by_port[443], by_port[80]
    alb = deployment.one("aws:lb/loadBalancer:LoadBalancer")
    assert https.inputs["loadBalancerArn"] == http.inputs["loadBalancerArn"] == alb.outputs["arn"]
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == TLS13
    [fwd] = https.inputs["defaultActions"]
    assert fwd == {"type": "forward", "targetGroupArn": target_group(deployment, "HTTP1").outputs["arn"]}
    [redirect] = http.inputs["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert deployment.outputs["albUrl"] == f"https://{alb.outputs['dnsName']}"


def test_prod_uses_its_configured_certificate_and_generates_none(prod: Deployment) -> None:
    assert listeners(prod)[443].inputs["certificateArn"] == CERT
    assert prod.of_type(ACM_CERT) == [] and prod.of_type(TLS_KEY) == [] and prod.of_type(TLS_CERT) == []
    assert not [w for w in prod.warnings if "certificateArn" in w and "example" not in w]


def test_staging_without_certificate_imports_a_self_signed_one(staging: Deployment) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key, cert, acm = staging.one(TLS_KEY), staging.one(TLS_CERT), staging.one(ACM_CERT)
    alb = staging.one("aws:lb/loadBalancer:LoadBalancer")
    assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P256"
    assert cert.inputs["privateKeyPem"] == key.outputs["privateKeyPem"]
    assert cert.inputs["dnsNames"] == [alb.outputs["dnsName"]]
    assert cert.inputs["subject"]["commonName"] == "arbiter-staging-alb"
    assert cert.inputs["validityPeriodHours"] == 365 * 24
    assert 0 < cert.inputs["earlyRenewalHours"] < cert.inputs["validityPeriodHours"]
    assert "server_auth" in cert.inputs["allowedUses"]
    # ACM gets the certificate and its key; the key is a secret wherever it is held in state.
    assert acm.inputs["certificateBody"] == cert.outputs["certPem"]
    assert acm.inputs["privateKey"] == key.outputs["privateKeyPem"]
    assert "privateKey" in acm.secret_inputs
    # The certificate's input is the key's output: secret there means the key output is a secret
    # (additional_secret_outputs; the mocks mark nothing secret on their own).
    assert "privateKeyPem" in cert.secret_inputs
    assert listeners(staging)[443].inputs["certificateArn"] == acm.outputs["arn"]
    # What ACM would parse: a certificate for the ALB's name, signed by that key.
    parsed = x509.load_pem_x509_certificate(cert.outputs["certPem"].encode())
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [alb.outputs["dnsName"]]
    private = serialization.load_pem_private_key(key.outputs["privateKeyPem"].encode(), password=None)
    assert parsed.public_key() == private.public_key()
    assert any("self-signed" in w and "certificateArn" in w for w in staging.warnings)


def test_staging_with_a_certificate_uses_it() -> None:
    services = stack_sections("staging")["services"]
    services["certificateArn"] = CERT
    dep = run_program("staging", config_overrides={"services": services})
    assert set(listeners(dep)) == {80, 443}
    assert listeners(dep)[443].inputs["certificateArn"] == CERT
    assert dep.of_type(ACM_CERT) == [] and dep.of_type(TLS_KEY) == []
    assert not [w for w in dep.warnings if "certificateArn" in w and "example" not in w]


WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def test_waf_protects_the_alb_in_both_shipped_stacks(deployment: Deployment) -> None:
    env = env_of(deployment)
    waf = stack_sections(env)["services"]["waf"]
    acl = deployment.one(WEB_ACL)
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert sorted(rules, key=lambda n: rules[n]["priority"]) == [
        "AWSManagedRulesAmazonIpReputationList",
        "rate-limit-per-ip",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesCommonRuleSet",
    ]
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": waf["rateLimitPer5Min"],
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    assert rate["action"] == {"block": {"customResponse": {"responseCode": 429}}}
    for name in ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet"):
        group = rules[name]["statement"]["managedRuleGroupStatement"]
        assert group == {"name": name, "vendorName": "AWS"}  # every rule blocks
        assert rules[name]["overrideAction"] == {"none": {}}
    common = rules["AWSManagedRulesCommonRuleSet"]
    # Only the 8 KB body-size rule counts instead of blocking (gRPC-Web and large REST bodies).
    assert common["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
    ]
    assert common["overrideAction"] == {"none": {}}
    association = deployment.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    alb = deployment.one("aws:lb/loadBalancer:LoadBalancer")
    assert association.inputs["resourceArn"] == alb.outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]


def test_waf_logs_are_encrypted_retained_and_carry_no_authorization_header(deployment: Deployment) -> None:
    env = env_of(deployment)
    logging = deployment.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = log_group(deployment, f"aws-waf-logs-arbiter-{env}-alb")
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["resourceArn"] == deployment.one(WEB_ACL).outputs["arn"]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]
    assert group.inputs["kmsKeyId"] == stack_key_arn(deployment)
    assert group.inputs["retentionInDays"] == stack_sections(env)["services"]["waf"]["logRetentionDays"]


def test_staging_may_turn_waf_off() -> None:
    services = stack_sections("staging")["services"]
    services["waf"] = {"enabled": False}
    dep = run_program("staging", config_overrides={"services": services})
    assert dep.of_type(WEB_ACL) == []
    assert dep.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") == []
    assert not [g for g in dep.of_type("aws:cloudwatch/logGroup:LogGroup") if "waf" in g.inputs["name"]]


def test_stack_outputs(deployment: Deployment) -> None:
    alb = deployment.one("aws:lb/loadBalancer:LoadBalancer")
    assert deployment.outputs["albDnsName"] == alb.outputs["dnsName"]
    assert deployment.outputs["clusterName"] == f"arbiter-{env_of(deployment)}"
    assert deployment.outputs["serviceNames"] == list(SERVICES)

"""ACM certificates: imported (the stack's self-signed one) or requested."""

from __future__ import annotations

from arbiter_tools import local_tls
from arbiter_tools.emulator.core import Request, Result, clean, handles
from policies import resource_types as rt


@handles(*rt.ACM_CERTIFICATES)
def _acm_certificate(req: Request) -> Result:
    """Imported (private key + body) or requested (domain name, DNS validation)."""
    i, acm = req.inputs, req.client("acm")
    tags = req.tag_list() or None
    if i.get("privateKey") or i.get("certificateBody"):
        arn = acm.import_certificate(
            **clean(
                {
                    "Certificate": str(i["certificateBody"]).encode(),
                    "PrivateKey": str(i["privateKey"]).encode(),
                    "CertificateChain": str(i["certificateChain"]).encode()
                    if i.get("certificateChain")
                    else None,
                    "Tags": tags,
                }
            )
        )["CertificateArn"]
    else:
        arn = acm.request_certificate(
            **clean(
                {
                    "DomainName": i["domainName"],
                    "ValidationMethod": i.get("validationMethod", "DNS"),
                    "SubjectAlternativeNames": i.get("subjectAlternativeNames"),
                    "Tags": tags,
                }
            )
        )["CertificateArn"]
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    return arn, {"arn": arn, "status": cert.get("Status"), "domainName": cert.get("DomainName")}


def self_signed(domain: str) -> tuple[bytes, bytes]:
    """A throwaway self-signed certificate and its key (PEM) for the emulated account's ACM."""
    key = local_tls.private_key_pem("RSA")
    cert, _start, _end = local_tls.self_signed_pem(key, domain, [domain])
    return cert.encode(), key.encode()

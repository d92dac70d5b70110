"""Real PEM keys and self-signed certificates made locally, for the offline runtime and the emulator.

pulumi-tls resources are computed by the Pulumi TLS provider, not by AWS. Offline they must still
yield PEM that parses and matches, because ACM (moto's `ImportCertificate` in the emulator) checks
the certificate and key it is given.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def private_key_pem(algorithm: str = "ECDSA", *, curve: str = "P256", rsa_bits: int = 2048) -> str:
    """A new private key in PKCS#8 PEM, as tls.PrivateKey's `private_key_pem_pkcs8`."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ECDSA":
        curves = {"P224": ec.SECP224R1(), "P256": ec.SECP256R1(), "P384": ec.SECP384R1()}
        key = ec.generate_private_key(curves[curve])
    elif algorithm == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    else:
        raise ValueError(f"unsupported key algorithm {algorithm!r} (ECDSA or RSA)")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(key_pem: str) -> str:
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed_pem(
    key_pem: str, common_name: str, dns_names: Sequence[str] = (), *, hours: int = 24
) -> tuple[str, datetime.datetime, datetime.datetime]:
    """A certificate for `common_name` and `dns_names`, signed by `key_pem`: (PEM, not before, not after)."""
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("the private key must be ECDSA or RSA")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    end = now + datetime.timedelta(hours=hours)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(end)
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), now, end

"""Throw-away certificates for the signing tests: a root CA, end-entity signing certificates
(digitalSignature, nonRepudiation), self-signed and expired ones, exported to PKCS#12."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "北京测试客户服务有限公司"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(ca: bool, signs: bool = True) -> x509.KeyUsage:
    """A CA's (certificates, CRLs), a signer's (digitalSignature, nonRepudiation), or with
    `signs` False an encryption key's (keyEncipherment only)."""
    signer = not ca and signs
    return x509.KeyUsage(digital_signature=signer, content_commitment=signer, key_encipherment=not ca and not signs,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def root_ca(common_name: str = "测试根证书") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=30)).not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(key, cert)


def signing_cert(issuer: Issued | None, common_name: str = "北京测试客户服务有限公司电子签章",
                 not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
                 signs: bool = True, crl_url: str | None = None) -> Issued:
    """An end-entity signing certificate issued by `issuer` (None: self-signed); `signs` False:
    one whose key usage is encryption only; `crl_url`: its CRL distribution point."""
    key = ec.generate_private_key(ec.SECP256R1())
    signer_key = issuer.key if issuer else key
    builder = (x509.CertificateBuilder().subject_name(_name(common_name))
               .issuer_name(issuer.cert.subject if issuer else _name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - dt.timedelta(days=1))
               .not_valid_after(not_after or NOW + dt.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_key_usage(False, signs), critical=True))
    if issuer:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()), critical=False)
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    return Issued(key, builder.sign(signer_key, hashes.SHA256()))


def crl(issuer: Issued, revoked: tuple[Issued, ...] = ()) -> bytes:
    """The issuer's certificate revocation list (DER), valid for a week, listing `revoked`."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=7))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                              critical=False)
               .add_extension(x509.CRLNumber(1), critical=False))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.cert.serial_number)
            .revocation_date(NOW - dt.timedelta(hours=2)).build())
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def expired_cert(issuer: Issued) -> Issued:
    return signing_cert(issuer, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=35))


def write_p12(path: Path, holder: Issued, password: bytes | None, chain: tuple[Issued, ...] = (),
              with_key: bool = True) -> Path:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    data = pkcs12.serialize_key_and_certificates(
        b"provider", holder.key if with_key else None, holder.cert, [c.cert for c in chain] or None, encryption)
    path.write_bytes(data)
    return path


def timestamp_cert(issuer: Issued, crl_url: str | None = None) -> Issued:
    """A time-stamping authority's certificate (extended key usage timeStamping, critical); RSA,
    which pyHanko's in-process time stamper requires; `crl_url`: its CRL distribution point."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (x509.CertificateBuilder().subject_name(_name("测试时间戳服务")).issuer_name(issuer.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                           critical=False))
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    return Issued(key, builder.sign(issuer.key, hashes.SHA256()))

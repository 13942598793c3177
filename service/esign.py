"""The provider's digital seal (`seal`) and the signatures `verify` reports.

`seal` signs the provider's copy of a registered document's PDF (the agreement, or with
`--document` a 补充协议, 续签协议, 解除通知书 or 解除协议 of the contract) into its `provider`
signature field (renderers/sigfields.py), PAdES baseline B-B, or B-T with a time stamp from a
time-stamping authority. The certificate is checked first: self-signed, outside its validity
period or not chaining to a trusted root (the system's, and the profile's [signing] trust_roots)
is refused unless the clerk allows it. The signed copy is a new file, written and registered as
a `sealed` event through the same crash-ordered write path as every document (service.writes):
the document as issued stays as it was.

`signature_reports` validates every signature in a PDF with pyHanko: intact, valid, trusted,
when it was signed, and whether anything was changed after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from contracts import sealing
from contracts.dates import SHANGHAI
from contracts.errors import HistoryError, InvalidInput, Problem
from contracts.events import Event, FileHash, Sealed, seal, to_record
from contracts.profile import Profile
from contracts.register import ContractState, check_new_event, refuse
from contracts.sealing import IssuedDocument
from store import Store
from store.atomic import OutputExists
from store.fault import fault_point

from . import writes
from .output import WrittenFile

# pyHanko and its certificate validator log what they find (a path not built, an untrusted
# signer) as warnings with tracebacks; with no handler, Python would print them on the terminal.
# What matters is said in Chinese from the results instead. fontTools, reading the stamp's font
# for pyHanko, warns in English about the order of its layout tables ("GSUB/GPOS Coverage is not
# sorted"), which is harmless for the three lines the stamp shows.
for _name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

T = TypeVar("T")
FIELD = "provider"
SEALED_SUFFIX = "_甲方签章"
PKCS12_MAX_BYTES = 1 << 20


# ---------------------------------------------------------------- the certificate
@dataclass(frozen=True)
class SigningKey:
    """A certificate with its private key, read from a PKCS#12 file."""

    signer: Any  # pyhanko.sign.signers.SimpleSigner
    subject: str
    fingerprint: str  # sha256 of the certificate (DER), hex
    not_before: dt.datetime
    not_after: dt.datetime
    self_signed: bool
    chain: tuple[Any, ...]  # the other certificates in the file (asn1crypto), for the path

    @property
    def certificate(self) -> Any:
        return self.signer.signing_cert


def read_pkcs12(path: Path) -> bytes:
    try:
        if Path(path).stat().st_size > PKCS12_MAX_BYTES:
            raise InvalidInput(Problem("cert", f"证书文件 {path} 过大（超过 1 MB），不是 PKCS#12 证书文件"))
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(Problem("cert", f"找不到证书文件 {path}")) from None
    except IsADirectoryError:
        raise InvalidInput(Problem("cert", f"{path} 是目录，不是证书文件")) from None
    except PermissionError:
        raise InvalidInput(Problem("cert", f"没有读取证书文件 {path} 的权限")) from None
    except OSError:
        raise InvalidInput(Problem("cert", f"无法读取证书文件 {path}")) from None


def _is_pkcs12(data: bytes) -> bool:
    """Whether `data` is PKCS#12 at all: cryptography says the same thing for a wrong password
    and for a file that is no PKCS#12, and the clerk needs to know which."""
    from asn1crypto import pkcs12

    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        return pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native == "data"
    except (ValueError, TypeError, KeyError):
        return False


def needs_password(data: bytes) -> bool:
    """True when the file opens only with a password (asked for before anything else)."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    if not _is_pkcs12(data):
        return False  # said as such by load_signing_key
    try:
        pkcs12.load_key_and_certificates(data, None)
        return False
    except ValueError:
        return True


def load_signing_key(data: bytes, password: bytes | None, path: Path) -> SigningKey:
    """The key and certificate of a PKCS#12 file; one Chinese line for each way it fails."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    if not _is_pkcs12(data):
        raise InvalidInput(Problem("cert", f"{path} 不是 PKCS#12 证书文件（.p12 或 .pfx）"))
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        what = "密码不正确" if password else "有密码：请用 --password-file 指定密码文件，或在终端中运行以输入密码"
        raise InvalidInput(Problem("cert", f"证书文件 {path} {what}")) from None
    if key is None:
        raise InvalidInput(Problem("cert", f"证书文件 {path} 中没有私钥，不能用于签章"))
    if cert is None:
        raise InvalidInput(Problem("cert", f"证书文件 {path} 中没有证书，不能用于签章"))
    from asn1crypto import x509
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password)
    der = cert.public_bytes(Encoding.DER)
    subject = display_name(x509.Certificate.load(der))
    chain = tuple(x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in others or ())
    return SigningKey(
        signer=signer, subject=subject, fingerprint=hashlib.sha256(der).hexdigest(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        self_signed=cert.issuer == cert.subject and _signs_itself(cert), chain=chain)


def display_name(cert: Any) -> str:
    """The certificate's holder as a person reads it: its common name, with the organisation
    when that says more ("…电子签章（北京某某有限公司）")."""
    names = cert.subject.native
    common, organisation = names.get("common_name", ""), names.get("organization_name", "")
    if common and organisation and organisation not in common:
        return f"{common}（{organisation}）"
    return common or organisation or cert.subject.human_friendly


def _signs_itself(cert: Any) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        cert.verify_directly_issued_by(cert)
        return True
    except (ValueError, TypeError, InvalidSignature):  # named itself as issuer, signed by another key
        return False


def system_trust_roots() -> list[Any]:
    """The operating system's root certificates (asn1crypto): what Python's default TLS
    context loads (on Windows, the system store; on Debian, /etc/ssl/certs)."""
    from asn1crypto import x509

    roots = []
    for der in ssl.create_default_context().get_ca_certs(binary_form=True):
        with contextlib.suppress(ValueError, TypeError):
            roots.append(x509.Certificate.load(der))
    return roots


def trust_roots(profile: Profile, profile_dir: Path | None) -> list[Any]:
    """The system's roots and the profile's [signing] trust_roots (PEM or DER files, relative to
    the profile's folder)."""
    from asn1crypto import pem, x509

    roots = system_trust_roots()
    for name in profile.trust_roots:
        path = Path(name) if Path(name).is_absolute() or profile_dir is None else profile_dir / name
        try:
            data = path.read_bytes()
        except OSError:
            raise InvalidInput(Problem("signing.trust_roots", f"无法读取根证书文件 {path}")) from None
        try:
            blocks = [der for _t, _h, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            roots += [x509.Certificate.load(der) for der in blocks]
            for root in roots[-len(blocks):]:
                root.native  # noqa: B018 - parses it: a broken file is said now, not at signing
        except (ValueError, TypeError):
            raise InvalidInput(Problem("signing.trust_roots",
                                       f"根证书文件 {path} 不是 PEM 或 DER 格式的证书")) from None
    return roots


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def certificate_problems(key: SigningKey, roots: Sequence[Any], now: dt.datetime) -> list[str]:
    """Why the certificate cannot be trusted to seal (empty: it can)."""
    if key.self_signed:
        return [f"证书“{key.subject}”是自签名证书，不是电子认证服务机构签发的"]
    if now < key.not_before:
        return [f"证书“{key.subject}”尚未生效（有效期自 {_when(key.not_before)} 起）"]
    if now > key.not_after:
        return [f"证书“{key.subject}”已于 {_when(key.not_after)} 过期"]
    usage = key.certificate.key_usage_value
    if usage is not None and not {"digital_signature", "non_repudiation"} & set(usage.native):
        return [f"证书“{key.subject}”的密钥用途不包括数字签名，不能用于签章"]
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    context = ValidationContext(trust_roots=list(roots), other_certs=list(key.chain), moment=now,
                                allow_fetching=False, revocation_mode="soft-fail")
    try:
        validator = CertificateValidator(key.certificate, validation_context=context)
        asyncio.run(validator.async_validate_usage(set()))
    except PathBuildingError:
        return [f"证书“{key.subject}”不能追溯到受信任的根证书（操作系统的根证书或公司档案 [signing] trust_roots 中的）"]
    except PathValidationError:
        return [f"证书“{key.subject}”未通过证书链验证（证书链中有证书已过期、被吊销或用途不符）"]
    return []


# ---------------------------------------------------------------- revocation information
REVOCATION_TIMEOUT = 15  # seconds per request to a CRL distribution point or OCSP responder


async def fetching(work: Callable[[Any], Awaitable[T]]) -> T:
    """`work(fetchers)` with pyHanko's HTTP fetchers for CRLs and OCSP, closed after it (left
    open, asyncio would print a warning of its own on the terminal)."""
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    async with AIOHttpFetcherBackend(per_request_timeout=REVOCATION_TIMEOUT) as fetchers:
        return await work(fetchers)


def revocation_context(key: SigningKey, roots: Sequence[Any], fetchers: Any) -> Any:
    """A validation context that fetches the revocation information the certificates name (their
    CRL distribution points and OCSP responders) and requires it for every certificate but the
    root."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=list(roots), other_certs=list(key.chain), allow_fetching=True,
                             revocation_mode="require", fetchers=fetchers)


def revocation_problems(key: SigningKey, roots: Sequence[Any]) -> list[str]:
    """Why the certificate's revocation information cannot be had, or says it is revoked (empty:
    it was fetched and the certificate is not revoked)."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        InsufficientRevinfoError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )

    async def validate(fetchers: Any) -> Any:
        context = revocation_context(key, roots, fetchers)
        return await CertificateValidator(key.certificate, validation_context=context).async_validate_usage(set())

    try:
        asyncio.run(fetching(validate))
    except RevokedError:
        return [f"证书“{key.subject}”已被吊销（签发机构的吊销列表或 OCSP 应答如此），不能用于签章"]
    except InsufficientRevinfoError:
        return [f"无法取得证书“{key.subject}”的吊销信息：证书没有写明吊销列表（CRL）或 OCSP 的地址，"
                "或该地址从本机无法访问"]
    except (PathBuildingError, PathValidationError):
        return [f"证书“{key.subject}”未通过证书链验证（证书链中有证书已过期、被吊销或用途不符）"]
    return []


# ---------------------------------------------------------------- the document to seal
@dataclass(frozen=True)
class Agreement:
    """The registered PDF of the document to seal (the agreement, or a supplementary document)."""

    name: str  # the registered file name
    data: bytes
    document: IssuedDocument | None = None


def document_to_seal(state: ContractState, document_no: str | None) -> IssuedDocument:
    """The document `--document` names (None: the agreement); one Chinese line when there is no
    such document, its record was retracted or it has no PDF."""
    found = sealing.document_to_seal(state.contract_no, state.events, state.retracted, document_no)
    if isinstance(found, Problem):
        raise InvalidInput(found)
    return found


def registered_agreement(store: Store, state: ContractState, out_dir: Path) -> Agreement:
    """The contract's registered agreement PDF (see `registered_pdf`)."""
    return registered_pdf(store, state, document_to_seal(state, None), out_dir)


def registered_pdf(store: Store, state: ContractState, document: IssuedDocument, out_dir: Path) -> Agreement:
    """The document's registered PDF, as registered: the store's copy when it keeps documents
    (`get_document`), else the file of that name in `out_dir`, whose content must be the
    registered content."""
    item = document.pdf
    if item is None:  # document_to_seal refuses these
        raise HistoryError(f"{document.label} {document.doc_no} 登记时没有生成 PDF，没有可签章的 PDF")
    get_document = getattr(store, "get_document", None)
    if callable(get_document):
        with contextlib.suppress(LookupError, OSError):
            data = get_document(item.sha256)
            if isinstance(data, bytes) and hashlib.sha256(data).hexdigest() == item.sha256:
                return Agreement(item.name, data, document)
    path = Path(out_dir) / item.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        named = "协议" if document.is_agreement else f"{document.label} {document.doc_no}"
        raise InvalidInput(Problem("out", f"在 {out_dir} 中找不到合同 {state.contract_no} 登记的{named} {item.name}："
                                          "请用 --out 指定签发时的输出目录")) from None
    except PermissionError:
        raise InvalidInput(Problem("out", f"没有读取 {path} 的权限")) from None
    except OSError:
        raise InvalidInput(Problem("out", f"无法读取 {path}")) from None
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise HistoryError(f"{path} 与登记簿登记的{document.label}内容不同（SHA-256 不符），不能签章："
                           "请用 vipcontract verify 核对")
    return Agreement(item.name, data, document)


def sealed_name(state: ContractState, agreement: Agreement) -> str:
    """VIP-…_客户_甲方签章.pdf (…-B1_客户_甲方签章.pdf); a second seal of the same document
    …_甲方签章2.pdf."""
    doc_no = agreement.document.doc_no if agreement.document else state.contract_no
    count = sealing.seal_count(state.contract_no, state.events, doc_no)
    return f"{Path(agreement.name).stem}{SEALED_SUFFIX}{count + 1 if count else ''}.pdf"


# ---------------------------------------------------------------- signing
def sign_pdf(data: bytes, key: SigningKey, tsa_url: str | None, timestamper: Any = None,
             revocation_roots: Sequence[Any] | None = None) -> bytes:
    """`data` signed into its `provider` field: PAdES B-B, or B-T with a time stamp. With
    `revocation_roots`, the certificates' revocation information, fetched now, goes into the
    file's document security store in the signature's own revision, so that the signature covers
    it and nothing follows it (B-LT with a time stamp)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference

    if timestamper is None and tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(tsa_url, timeout=30)
    when = dt.datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    out = io.BytesIO()

    async def sign(fetchers: Any = None) -> None:
        validation: dict[str, Any] = {} if fetchers is None else {
            "embed_validation_info": True, "signer_key_usage": set(),
            "validation_context": revocation_context(key, revocation_roots or (), fetchers),
            "dss_settings": DSSContentSettings(placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                                               include_vri=False)}
        meta = signers.PdfSignatureMetadata(field_name=FIELD, subfilter=SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", reason="甲方电子签章", **validation)
        signer = signers.PdfSigner(meta, signer=key.signer, timestamper=timestamper, stamp_style=stamp_style())
        await signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), output=out,
                                    appearance_text_params={"signer": key.subject, "when": when})

    try:
        asyncio.run(sign() if revocation_roots is None else fetching(sign))
    except Exception:  # noqa: BLE001 - pyHanko's and the network's errors (in English): said in one line
        if timestamper is not None:
            raise HistoryError(f"时间戳服务 {tsa_url or ''} 未能提供时间戳（无法连接，或返回的不是有效的时间戳），"
                               "未签章") from None
        if revocation_roots is not None:
            raise HistoryError("签章失败：未能取得证书的吊销信息，未签章") from None
        raise HistoryError("签章失败：该证书的私钥不能用于签名，未签章") from None
    return out.getvalue()


STAMP_TEXT = "甲方电子签章\n%(signer)s\n%(when)s"


def stamp_style() -> Any:
    """What the signature shows in the `provider` field: 甲方电子签章, the holder and the time, in
    the agreement's own font. Without that font (or HarfBuzz for Python), nothing is shown rather
    than pyHanko's default, which is English in a font without hanzi."""
    from pyhanko.stamp import TextStampStyle

    font = _stamp_font()
    if font is None:
        return TextStampStyle(stamp_text="", border_width=0)
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle

    return TextStampStyle(stamp_text=STAMP_TEXT, border_width=0,
                          text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(font), font_size=7)))


def _stamp_font() -> Path | None:
    try:
        import uharfbuzz  # noqa: F401 - pyHanko shapes OpenType text with it
    except ImportError:
        return None
    from renderers.fonts import cached_subset

    return cached_subset(400)


def signing_time(data: bytes) -> dt.datetime:
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1]
    moment = sig.self_reported_timestamp
    return (moment or dt.datetime.now(dt.UTC)).astimezone(SHANGHAI)


@dataclass(frozen=True)
class SealResult:
    event: Event
    file: WrittenFile
    problems: tuple[str, ...]  # why the certificate is not trusted (accepted with allow_untrusted)
    document: IssuedDocument  # the document sealed


def seal_contract(
    store: Store, profile: Profile, contract_no: str, key: SigningKey, out_dir: Path, *,
    roots: Sequence[Any], allow_untrusted: bool = False, tsa_url: str | None = None,
    timestamper: Any = None, now: dt.datetime | None = None, document_no: str | None = None,
    with_revocation: bool = False,
) -> SealResult:
    """Sign the registered PDF of one of `contract_no`'s documents (`document_no`, as `show`
    prints it; None: the agreement) and register the signed copy."""
    from .register import load_state, now_shanghai

    if tsa_url and not tsa_url.lower().startswith(("http://", "https://")):
        raise InvalidInput(Problem("tsa", f"时间戳服务的地址应以 http:// 或 https:// 开头：{tsa_url}"))
    writes.recover(store)
    moment = now or now_shanghai()
    problems = certificate_problems(key, roots, moment)
    if problems and not allow_untrusted:
        raise InvalidInput(Problem("cert", "；".join(problems) + "。确认仍要用它签章请加 --allow-untrusted"))
    revoked = revocation_problems(key, roots) if with_revocation else []
    if revoked:  # asked for: never signed without it, nor with a revoked certificate
        raise InvalidInput(Problem("with_revocation", "；".join(revoked) + "，未签章"))
    state = load_state(store, profile, contract_no)
    recorded_by = store.recorder()  # a read-only account is refused here, before any signing
    document = document_to_seal(state, document_no)
    agreement = registered_pdf(store, state, document, out_dir)
    stamped = bool(tsa_url or timestamper)
    level = ("B-LT" if with_revocation else "B-T") if stamped else "B-B"

    def body(signed: bytes, files: tuple[FileHash, ...] = ()) -> Sealed:
        return Sealed(hashlib.sha256(agreement.data).hexdigest(), signing_time(signed) if signed else moment,
                      key.subject, key.fingerprint, level, not problems, files, document.doc_no,
                      with_revocation)

    def event_on(current: ContractState, sealed: Sealed) -> Event:
        # recorded when the signature is there: never before its own signing time
        recorded = max(moment, sealed.signed_at)
        return seal(current.contract_no, current.last_seq + 1, recorded, sealed, current.last_hash,
                    recorded_by)

    refuse(check_new_event(state, event_on(state, body(b"")), profile))  # refused before signing
    target = writes.Target(Path(out_dir) / sealed_name(state, agreement), "pdf")
    with writes.Staging(store, contract_no, [target], profile.document_mode) as stage:
        stage.render([agreement.data], lambda data, _fmt, path: Path(path).write_bytes(
            sign_pdf(data, key, tsa_url, timestamper, roots if with_revocation else None)))
        return _commit(store, profile, stage, contract_no, body, event_on, problems, document)


def _commit(store: Store, profile: Profile, stage: writes.Staging, contract_no: str, body: Any,
            event_on: Any, problems: list[str], document: IssuedDocument) -> SealResult:
    """Under the lock: the event with the signed file's hash, one append; then its name."""
    from .register import load_state

    with writes.interrupt_guard() as guard:
        with store.locked():
            (written,) = stage.files()
            signed = stage.temps[0].read_bytes()
            current = load_state(store, profile, contract_no)
            event = event_on(current, body(signed, (FileHash("pdf", written.path.name, written.sha256),)))
            refuse(check_new_event(current, event, profile))
            stage.check_free()
            stage.keep()  # the bytes first: an event never names bytes the register lacks
            guard.hold()
            store.append(contract_no, current.last_seq, [to_record(event)])
            stage.committed = True
            fault_point("appended")
        try:
            stage.place()
        except OutputExists as exc:
            raise HistoryError(f"{contract_no} 的签章已登记，但{exc}。签章的文件仍在临时文件中，vipcontract check "
                               "会列出；移走占用该名称的文件后运行 vipcontract check --repair") from None
    return SealResult(event, written, tuple(problems), document)


# ---------------------------------------------------------------- verify: the signatures
@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str
    signed_at: dt.datetime | None
    timestamped: bool  # a time stamp from a time-stamping authority (PAdES B-T)
    intact: bool  # the signed bytes are as they were signed
    valid: bool  # the signature over them verifies with the certificate
    trusted: bool  # the certificate chains to a trusted root
    covers_file: bool  # nothing was appended after this signature
    modification: str  # "none" | "form_filling" (fields filled, signatures added) | "other" | "unknown"
    revision_sha256: str  # sha256 of the file as it was when signed (the bytes up to the signature's end)
    # What the revocation information kept in the file (its DSS) says of the certificates at the
    # signing time: "good", "revoked", "incomplete" (not enough to tell), "none" (the file keeps
    # none), "unchecked" (the certificate is not trusted: there is nothing to check it against).
    revocation: str = "unchecked"

    @property
    def ok(self) -> bool:
        return (self.intact and self.valid and self.modification in ("none", "form_filling")
                and self.revocation != "revoked")


def signature_reports(path: Path, roots: Sequence[Any]) -> list[SignatureReport] | None:
    """Every signature of the PDF at `path`, validated; None when the file is not a PDF pyHanko
    can read (a DOCX, or a PDF damaged where its structure is)."""
    found = embedded_signatures(path)
    if found is None:
        return None
    data, signatures = found
    return [_report(sig, data, roots) for sig in signatures]


def embedded_signatures(path: Path) -> tuple[bytes, list[Any]] | None:
    """The file's bytes and its signatures (not validated); None when it is not a PDF pyHanko
    can read."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF"):
        return None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        return data, list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return None


def _report(sig: Any, data: bytes, roots: Sequence[Any]) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    end = sig.byte_range[2] + sig.byte_range[3] if len(sig.byte_range) == 4 else len(data)
    revision = hashlib.sha256(data[:end]).hexdigest()
    try:
        signer = display_name(sig.signer_cert)
    except (ValueError, KeyError, AttributeError):
        signer = "（无法读取证书）"
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail")
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context, key_usage_settings=usage)
    except Exception:  # noqa: BLE001 - a signature pyHanko cannot even evaluate is not a valid one
        return SignatureReport(sig.field_name, signer, None, False, False, False, False, False, "unknown", revision)
    level = status.modification_level
    modification = "unknown" if level is None else {"NONE": "none", "LTA_UPDATES": "none",
                                                     "FORM_FILLING": "form_filling"}.get(level.name, "other")
    ts = status.timestamp_validity
    when = ts.timestamp if ts is not None else status.signer_reported_dt
    revocation = kept_revocation_says(sig, roots, when) if status.trusted and status.valid else "unchecked"
    return SignatureReport(
        sig.field_name, signer, when.astimezone(SHANGHAI) if when else None, ts is not None,
        bool(status.intact), bool(status.valid), bool(status.trusted),
        status.coverage is not None and status.coverage.name == "ENTIRE_FILE", modification, revision, revocation)


def kept_revocation_says(sig: Any, roots: Sequence[Any], signed_at: dt.datetime | None) -> str:
    """The signature validated again, offline, with revocation checked against only what the file
    keeps in its document security store (`seal --with-revocation`, B-LT), as of the signing time:
    a CRL or OCSP response fetched when sealing may be dated a little after it."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(sig.reader)
    except NoDSSFoundError:
        return "none"
    if not dss.crls and not dss.ocsps:
        return "none"
    options: dict[str, Any] = {"trust_roots": list(roots), "allow_fetching": False, "revocation_mode": "hard-fail",
                               "retroactive_revinfo": True}
    if signed_at is not None:
        options["moment"] = signed_at
    try:
        status = validate_pdf_signature(sig, signer_validation_context=dss.as_validation_context(options))
    except Exception:  # noqa: BLE001 - revocation information pyHanko cannot read tells nothing
        return "incomplete"
    if status.revoked:
        return "revoked"
    return "good" if status.trusted else "incomplete"

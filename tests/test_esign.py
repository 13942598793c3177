"""seal and verify of signatures, with a throw-away CA: the provider's seal validates against the
CA, a changed byte or an update after signing is reported, untrusted certificates are refused
unless allowed, and every certificate problem is one Chinese line with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

import cli
from cli import main
from store.fault import ENV as FAULT_ENV
from tests import pki
from tests.conftest import INDIVIDUAL, TEST_PROFILE
from tests.forked_cli import run_forked

NO = "VIP-2025-000001"
AGREEMENT = f"{NO}_张三.pdf"
SEALED = f"{NO}_张三_甲方签章.pdf"
PASSWORD = b"s3cret-\xe5\xaf\x86"  # a password with non-ASCII bytes (密) read from the file as UTF-8


@dataclass(frozen=True)
class Place:
    root: Path
    ca: pki.Issued

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def db(self) -> Path:
        return self.root / "register.json"

    def run(self, *args: str, profile: Path | None = None, input: str | None = None):
        env = {"VIPCONTRACT_PROFILE": str(profile or self.root / "profile.toml"), "COLUMNS": "200"}
        return CliRunner().invoke(main, ["--db", str(self.db), *args], env=env, input=input)

    def seal(self, cert: str = "good.p12", *extra: str, **options):
        return self.run("seal", NO, "--cert", str(self.root / cert), "--password-file",
                        str(self.root / "password.txt"), "--out", str(self.out), *extra, **options)

    def files(self) -> dict[str, bytes]:
        """Every file of the place (the register too), to prove nothing was written. The register's
        index beside it is left out: a cache any reader may bring up to date (store.sidecar)."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() and not p.name.endswith(".json.index")}


def signing_office(root: Path) -> pki.Issued:
    """A folder with what sealing needs: a test CA (returned) that the profile trusts, the
    provider's certificate under it (good.p12) and a self-signed one (self.p12), the password
    file, and a customer for `issue --from`."""
    ca = pki.root_ca()
    (root / "ca.pem").write_bytes(ca.pem())
    profile = TEST_PROFILE.read_text(encoding="utf-8") + '\n[signing]\ntrust_roots = ["ca.pem"]\n'
    (root / "profile.toml").write_text(profile, encoding="utf-8")
    (root / "password.txt").write_bytes(PASSWORD + b"\n")
    pki.write_p12(root / "good.p12", pki.signing_cert(ca), PASSWORD, (ca,))
    pki.write_p12(root / "self.p12", pki.signing_cert(None), PASSWORD)
    (root / "customer.yaml").write_text(
        "\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()), encoding="utf-8")
    return ca


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Place:
    """A register with one issued agreement (a real PDF, with its signature fields), a CA, the
    provider's certificates, and a profile that trusts the CA."""
    root = tmp_path_factory.mktemp("esign")
    ca = signing_office(root)
    pki.write_p12(root / "expired.p12", pki.expired_cert(ca), PASSWORD, (ca,))
    pki.write_p12(root / "nokey.p12", pki.signing_cert(ca), PASSWORD, (ca,), with_key=False)
    pki.write_p12(root / "encrypts.p12", pki.signing_cert(ca, signs=False), PASSWORD, (ca,))
    pki.write_p12(root / "other-ca.p12", pki.signing_cert(pki.root_ca("另一个根证书")), PASSWORD)
    pki.write_p12(root / "customer.p12", pki.signing_cert(ca, "张三"), PASSWORD, (ca,))
    place = Place(root, ca)
    result = place.run("--new-register", "issue", "--type", "individual", "--from", str(root / "customer.yaml"),
                       "--issued-on", "2025-03-01", "--format", "pdf", "--out", str(place.out))
    assert result.exit_code == 0, result.output
    return place


def copy_of(prepared: Place, tmp_path: Path) -> Place:
    """The prepared place copied for one test (each test writes in its own)."""
    root = tmp_path / "place"
    shutil.copytree(prepared.root, root)
    return type(prepared)(root, prepared.ca)


@pytest.fixture
def place(prepared, tmp_path) -> Place:
    return copy_of(prepared, tmp_path)


def validate(path: Path, roots) -> object:
    with open(path, "rb") as fh:
        (sig,) = PdfFileReader(fh).embedded_signatures
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        return sig.field_name, sig.sig_object["/SubFilter"], validate_pdf_signature(sig, context)


def history(place: Place) -> list[dict]:
    return json.loads(place.run("show", NO, "--json").output)["history"]


def test_seal_signs_the_registered_agreement_and_registers_the_copy(place):
    agreement = (place.out / AGREEMENT).read_bytes()
    result = place.seal()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"已为合同 {NO} 加盖甲方电子签章（PAdES B-B，第 2 条记录）：{place.out / SEALED}"
    assert lines[1].startswith("证书：北京测试客户服务有限公司电子签章（SHA-256 指纹 ")
    assert (place.out / AGREEMENT).read_bytes() == agreement  # the issued agreement stays as issued
    signed = (place.out / SEALED).read_bytes()
    assert signed.startswith(agreement)  # an incremental update: the agreement as issued, then the seal

    field, subfilter, status = validate(place.out / SEALED, [load_asn1(place.ca)])
    assert (field, subfilter) == ("provider", "/ETSI.CAdES.detached")  # PAdES
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"

    sealed = history(place)[-1]
    assert sealed["kind"] == "sealed" and sealed["label"] == "甲方电子签章"
    assert sealed["files"] == [{"format": "pdf", "name": SEALED, "sha256": hashlib.sha256(signed).hexdigest()}]
    assert sealed["source_sha256"] == hashlib.sha256(agreement).hexdigest()
    assert sealed["level"] == "B-B" and sealed["trusted"] is True
    assert sealed["certificate_fingerprint"] == leaf_fingerprint(place.root / "good.p12")
    assert sealed["certificate_subject"] == "北京测试客户服务有限公司电子签章"
    assert place.run("check").exit_code == 0
    shown = place.run("show", NO).output
    assert "甲方电子签章" in shown and "证书 北京测试客户服务有限公司电子签章" in shown


def leaf_fingerprint(p12: Path) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    _key, cert, _chain = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSWORD)
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def load_asn1(issued: pki.Issued):
    from asn1crypto import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.Certificate.load(issued.cert.public_bytes(Encoding.DER))


def test_verify_says_which_contract_and_each_signature(place):
    assert place.seal().exit_code == 0
    result = place.run("verify", str(place.out / SEALED))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (f"{place.out / SEALED}：本登记簿签发的文书 {NO}（合同 {NO}，第 2 条记录：甲方电子签章，"
                        "登记簿第 3 行）")
    assert lines[1] == "登记簿中保存有该文书的内容（vipcontract documents get 可取回）。"
    assert lines[2] == "文件中有 1 个电子签名："
    assert lines[3].startswith("  签名 1（签名栏 provider）：签署人 北京测试客户服务有限公司电子签章；签署时间 ")
    assert lines[3].endswith("（北京时间，签署人电脑的时间）；签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后文件未被改动")
    # the unsigned agreement: registered and kept, and no signature to speak of
    plain = place.run("verify", str(place.out / AGREEMENT))
    assert plain.exit_code == 0 and len(plain.output.splitlines()) == 2


def first_stream_byte(data: bytes) -> int:
    """An offset inside the first content stream's data: inside the signed range, and a change
    there keeps the file readable."""
    start = data.index(b"stream\n", data.index(b"/Length")) + len(b"stream\n")
    return start + 5


def test_a_changed_byte_in_the_signed_range_is_reported(place):
    assert place.seal().exit_code == 0
    path = place.out / SEALED
    data = bytearray(path.read_bytes())
    offset = first_stream_byte(bytes(data))
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    result = place.run("verify", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{path}：不是本登记簿签发的文件"
    assert "签名无效：签名所覆盖的内容已被改动" in result.output
    assert "Traceback" not in result.output


def append_annotation(path: Path) -> None:
    """An incremental update after the signature: a note added to the first page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    page_ref = writer.find_page_for_modification(0)[0]
    note = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Text"),
        generic.pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(x) for x in (10, 10, 50, 50)]),
        generic.pdf_name("/Contents"): generic.TextStringObject("已改"),
    })
    page_ref.get_object()["/Annots"] = generic.ArrayObject([writer.add_object(note)])
    writer.mark_update(page_ref)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())


def test_an_update_after_signing_is_reported_as_a_modification(place):
    assert place.seal().exit_code == 0
    path = place.out / SEALED
    append_annotation(path)
    result = place.run("verify", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (f"{path}：不是本登记簿签发的文件本身，但其中签名 1 所签的版本是本登记簿签发的文书 {NO}"
                        f"（合同 {NO}，第 2 条记录：甲方电子签章，登记簿第 3 行）")
    assert lines[2].endswith("签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后文件被改动（签名之后追加了表单填写和签名以外的修改）")


def test_a_countersignature_in_the_customer_field_is_an_allowed_change(place):
    """A signing platform adds the customer's signature after the provider's: both listed, the
    provider's revision found in the register, exit 0."""
    assert place.seal().exit_code == 0
    path = place.out / SEALED
    signer = signers.SimpleSigner.load_pkcs12(str(place.root / "customer.p12"), passphrase=PASSWORD)
    meta = signers.PdfSignatureMetadata(field_name="customer", subfilter=SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(path.read_bytes())),
                                                    output=out)
    both = place.out / "countersigned.pdf"
    both.write_bytes(out.getvalue())
    result = place.run("verify", str(both))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "签名 1 所签的版本是本登记簿签发的文书" in lines[0]
    assert lines[1] == "文件中有 2 个电子签名："
    assert lines[2].endswith("签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后只填写了表单或增加了其他签名（允许的改动）")
    assert lines[3].startswith("  签名 2（签名栏 customer）：签署人 张三（北京测试客户服务有限公司）；")
    assert lines[3].endswith("签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后文件未被改动")


@pytest.mark.parametrize(("cert", "why"), [
    ("self.p12", "是自签名证书，不是电子认证服务机构签发的"),
    ("expired.p12", "过期"),
    ("other-ca.p12", "不能追溯到受信任的根证书"),
    ("encrypts.p12", "的密钥用途不包括数字签名，不能用于签章"),
])
def test_an_untrusted_certificate_is_refused_unless_allowed(place, cert, why):
    before = place.files()
    refused = place.seal(cert)
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and why in refused.output
    assert refused.output.startswith("错误：--cert：证书“") and "--allow-untrusted" in refused.output
    assert place.files() == before  # no file, no record

    allowed = place.seal(cert, "--allow-untrusted")
    assert allowed.exit_code == 0, allowed.output
    assert allowed.output.splitlines()[-1].startswith("注意：证书“") and why in allowed.output
    verified = place.run("verify", str(place.out / SEALED))
    assert verified.exit_code == 0
    assert "签名有效；证书不受信任（自签名、已过期，或不能追溯到受信任的根证书）" in verified.output
    assert history(place)[-1]["trusted"] is False


def test_without_the_profiles_root_the_ca_is_not_trusted(place):
    refused = place.seal(profile=TEST_PROFILE)
    assert refused.exit_code == 1 and "不能追溯到受信任的根证书" in refused.output


@pytest.mark.parametrize(("setup", "message"), [
    ("wrong-password", "错误：--cert：证书文件 {root}/good.p12 密码不正确"),
    ("not-p12", "错误：--cert：{root}/profile.toml 不是 PKCS#12 证书文件（.p12 或 .pfx）"),
    ("missing", "错误：--cert：找不到证书文件 {root}/missing.p12"),
    ("no-key", "错误：--cert：证书文件 {root}/nokey.p12 中没有私钥，不能用于签章"),
    ("directory", "错误：--cert：{root}/out 是目录，不是证书文件"),
])
def test_certificate_file_problems_are_one_chinese_line(place, setup, message):
    cert = {"wrong-password": "good.p12", "not-p12": "profile.toml", "missing": "missing.p12",
            "no-key": "nokey.p12", "directory": "out"}[setup]
    if setup == "wrong-password":
        (place.root / "password.txt").write_text("wrong\n", encoding="utf-8")
    before = place.files()
    result = place.seal(cert)
    assert (result.exit_code, result.output) == (1, message.format(root=place.root) + "\n")
    assert place.files() == before


def test_a_password_is_never_an_option_value(place, monkeypatch):
    no_file = place.run("seal", NO, "--cert", str(place.root / "good.p12"), "--out", str(place.out))
    assert (no_file.exit_code, no_file.output) == (
        1, "错误：证书文件有密码：请用 --password-file 指定密码文件，或在终端中运行以输入密码\n")
    bad = place.run("seal", NO, "--cert", str(place.root / "good.p12"), "--password", "x", "--out", str(place.out))
    assert bad.exit_code == 2
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    asked = place.run("seal", NO, "--cert", str(place.root / "good.p12"), "--out", str(place.out),
                      input=PASSWORD.decode() + "\n")
    assert asked.exit_code == 0, asked.output
    assert asked.output.startswith("证书密码: \n") and PASSWORD.decode() not in asked.output  # hidden


def test_the_register_s_copy_is_signed_wherever_the_output_went(place, tmp_path):
    # the register keeps the agreement's bytes: the copy in --out is not needed, and a changed
    # copy there is not what gets signed
    path = place.out / AGREEMENT
    path.write_bytes(path.read_bytes() + b"\n")
    elsewhere = place.run("seal", NO, "--cert", str(place.root / "good.p12"), "--password-file",
                          str(place.root / "password.txt"), "--out", str(tmp_path))
    assert elsewhere.exit_code == 0, elsewhere.output
    assert (tmp_path / SEALED).exists()


def test_a_register_without_the_bytes_signs_only_the_registered_file(place, tmp_path):
    # a register made before documents were kept with it: the file in --out, hash checked
    kept = place.db.with_name(place.db.name + ".documents")
    for stored in kept.rglob("*"):
        if stored.is_file():
            stored.unlink()  # the test stands in for an older register, which never held them
    elsewhere = place.run("seal", NO, "--cert", str(place.root / "good.p12"), "--password-file",
                          str(place.root / "password.txt"), "--out", str(tmp_path))
    assert elsewhere.exit_code == 1
    assert elsewhere.output == (f"错误：--out：在 {tmp_path} 中找不到合同 {NO} 登记的协议 {AGREEMENT}："
                                "请用 --out 指定签发时的输出目录\n")
    path = place.out / AGREEMENT
    path.write_bytes(path.read_bytes() + b"\n")
    changed = place.seal()
    assert changed.exit_code == 1 and "与登记簿登记的协议内容不同（SHA-256 不符），不能签章" in changed.output
    assert not (place.out / SEALED).exists()


def test_a_second_seal_is_a_second_file_never_over_the_first(place):
    assert place.seal().exit_code == 0
    first = (place.out / SEALED).read_bytes()
    again = place.seal()
    assert again.exit_code == 0, again.output
    assert f"{NO}_张三_甲方签章2.pdf" in again.output
    assert (place.out / SEALED).read_bytes() == first
    assert [r["kind"] for r in history(place)] == ["issued", "sealed", "sealed"]


def test_a_voided_contract_is_not_sealed(place):
    assert place.run("void", NO, "--on", "2025-03-05").exit_code == 0
    before = place.files()
    result = place.seal()
    assert (result.exit_code, result.output) == (1, f"错误：合同 {NO} 已于 2025-03-05 作废，不能再登记任何事项\n")
    assert place.files() == before


@pytest.fixture
def time_stamp_service(place):
    """An RFC 3161 time-stamping service on localhost (pyHanko's in-process stamper behind HTTP),
    its certificate issued by the test CA."""
    url, server = serve_time_stamps(place.ca, pki.timestamp_cert(place.ca))
    yield url
    server.shutdown()
    server.server_close()


def serve_time_stamps(ca: pki.Issued, tsa: pki.Issued):
    """(URL, server) of a time-stamping service answering with `tsa`'s certificate."""
    import http.server
    import threading

    from asn1crypto import keys, tsp
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from pyhanko.sign.timestamps import DummyTimeStamper

    stamper = DummyTimeStamper(tsa_cert=load_asn1(tsa), tsa_key=keys.PrivateKeyInfo.load(
        tsa.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())), certs_to_embed=[load_asn1(ca)])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/tsa", server


def test_a_time_stamp_makes_it_pades_b_t(place, time_stamp_service):
    """--tsa: a time stamp from a time-stamping authority; verify says the signing time is the
    authority's."""
    result = place.seal("good.p12", "--tsa", time_stamp_service)
    assert result.exit_code == 0, result.output
    assert "（PAdES B-T，第 2 条记录）" in result.output
    assert history(place)[-1]["level"] == "B-T"
    verified = place.run("verify", str(place.out / SEALED))
    assert verified.exit_code == 0, verified.output
    assert "（北京时间，时间戳服务机构的时间）；签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后文件未被改动" in verified.output
    _field, _subfilter, status = validate(place.out / SEALED, [load_asn1(place.ca)])
    assert status.timestamp_validity is not None and status.timestamp_validity.intact


def test_seal_has_chinese_help(place):
    result = place.run("seal", "--help")
    assert result.exit_code == 0 and "用法：" in result.output and "--allow-untrusted" in result.output


def test_an_unreachable_time_stamp_service_writes_nothing(place):
    before = place.files()
    down = place.seal("good.p12", "--tsa", "http://127.0.0.1:9/tsa")
    assert (down.exit_code, down.output) == (
        1, "错误：时间戳服务 http://127.0.0.1:9/tsa 未能提供时间戳（无法连接，或返回的不是有效的时间戳），未签章\n")
    assert place.files() == before
    bad = place.seal("good.p12", "--tsa", "ftp://tsa.example.com")
    assert (bad.exit_code, bad.output) == (1, "错误：--tsa：时间戳服务的地址应以 http:// 或 https:// 开头：ftp://tsa.example.com\n")
    assert place.files() == before


@pytest.mark.parametrize("step", ["noted", "staged", "rendered", "appended", "placed"])
def test_seal_killed_at_each_step_is_undone_or_completed(place, step):
    """Killed (SIGKILL) at each step of the write path: before the append nothing stays; after
    it the next `check --repair` names the signed file; either way `check` is clean after."""
    env = {**os.environ, "VIPCONTRACT_PROFILE": str(place.root / "profile.toml"), FAULT_ENV: step,
           "VIPCONTRACT_LOG": str(place.root / "error.log")}
    killed = run_forked(
        ["--db", str(place.db), "seal", NO, "--cert", str(place.root / "good.p12"),
         "--password-file", str(place.root / "password.txt"), "--out", str(place.out)], env)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    repaired = place.run("check", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert [p.name for p in place.out.iterdir() if p.name.startswith(".")] == []  # no temporary file
    assert [p.name for p in place.root.iterdir() if ".pending-" in p.name] == []  # no note
    sealed = [h for h in history(place) if h["kind"] == "sealed"]
    if step in ("appended", "placed"):
        assert len(sealed) == 1
        assert hashlib.sha256((place.out / SEALED).read_bytes()).hexdigest() == sealed[0]["files"][0]["sha256"]
        assert place.run("verify", str(place.out / SEALED)).exit_code == 0
    else:
        assert sealed == [] and not (place.out / SEALED).exists()
        assert place.seal().exit_code == 0  # and the clerk simply runs it again


def test_a_file_under_the_name_is_never_overwritten(place):
    (place.out / SEALED).write_bytes(b"someone else's file")
    before = place.files()
    result = place.seal()
    assert result.exit_code == 1 and result.output.startswith("错误：") and SEALED in result.output
    assert result.output.count("\n") == 1
    assert place.files() == before


def test_the_agreement_comes_from_the_store_when_it_keeps_documents(place, tmp_path):
    """A store that keeps the documents' bytes (`get_document(sha256)`) is asked first; bytes
    that are not the registered content are not believed, and the file on disk is looked for."""
    from contracts.errors import InvalidInput
    from service.esign import registered_agreement
    from service.register import load_state
    from service.sources import load_profile
    from store import open_store

    data = (place.out / AGREEMENT).read_bytes()
    store = open_store(place.db)
    try:
        state = load_state(store, load_profile(place.root / "profile.toml"), NO)
    finally:
        store.close()

    class Keeping:
        @staticmethod
        def get_document(sha256: str) -> bytes:
            return data if sha256 == hashlib.sha256(data).hexdigest() else b""

    class Wrong:
        @staticmethod
        def get_document(sha256: str) -> bytes:
            return b"%PDF another file"

    found = registered_agreement(Keeping(), state, tmp_path)  # tmp_path holds no file: only the store has it
    assert (found.name, found.data) == (AGREEMENT, data)
    with pytest.raises(InvalidInput, match="找不到合同"):
        registered_agreement(Wrong(), state, tmp_path)
    assert registered_agreement(Wrong(), state, place.out).data == data


def seal_appearance(path: Path) -> tuple[str, str]:
    """(font, text) of what the provider's signature shows on the page: its appearance stream's
    font and the ActualText of its lines."""
    import codecs
    import re

    with open(path, "rb") as fh:
        field = PdfFileReader(fh).embedded_signatures[-1].sig_field
        appearance = field["/AP"]["/N"]
        fonts = [str(f.get_object()["/BaseFont"]) for f in appearance["/Resources"]["/Font"].values()]
        texts = re.findall(rb"/ActualText \((.*?)\)\s*>>", appearance.data, re.S)
    raw = [codecs.escape_decode(t)[0] for t in texts]  # a PDF text string: UTF-16 with its BOM, or ASCII
    lines = [t.decode("utf-16") if t.startswith(codecs.BOM_UTF16_BE) else t.decode("latin-1") for t in raw]
    return " ".join(fonts), "\n".join(lines)


def test_the_seal_shows_in_chinese_in_the_agreements_font(place):
    """Not pyHanko's default appearance ("Digitally signed by", in Courier, without hanzi)."""
    assert place.seal().exit_code == 0
    font, text = seal_appearance(place.out / SEALED)
    assert "VIPContract" in font and "Courier" not in font
    lines = text.splitlines()
    assert lines[:2] == ["甲方电子签章", "北京测试客户服务有限公司电子签章"]
    assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", lines[2])

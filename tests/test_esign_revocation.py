"""seal --with-revocation: the certificate's revocation information, fetched from the CRL
distribution point it names (here a throw-away CA's CRL served on localhost), goes into the
signed file's document security store within the signature; a revoked certificate, or one whose
CRL cannot be had, is refused with nothing written."""

from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asn1crypto import crl
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko_certvalidator import ValidationContext

from tests import pki
from tests.test_esign import NO, PASSWORD, SEALED, Place, copy_of, load_asn1, serve_time_stamps
from tests.test_esign import prepared as prepared  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def crl_server():
    """An HTTP server on localhost answering GET /ca.crl with whatever `served` holds, and
    counting the requests."""
    served: dict[str, bytes] = {}
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            asked.append(self.path)
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served, asked
    server.shutdown()
    server.server_close()


@pytest.fixture
def place(prepared, crl_server, tmp_path) -> Place:  # noqa: F811
    place = copy_of(prepared, tmp_path)
    root = place.root
    url, served, asked = crl_server
    served.clear()
    asked.clear()
    good = pki.signing_cert(prepared.ca, crl_url=f"{url}/ca.crl")
    revoked = pki.signing_cert(prepared.ca, crl_url=f"{url}/ca.crl")
    pki.write_p12(root / "crl.p12", good, PASSWORD, (prepared.ca,))
    pki.write_p12(root / "revoked.p12", revoked, PASSWORD, (prepared.ca,))
    pki.write_p12(root / "missing.p12", pki.signing_cert(prepared.ca, crl_url=f"{url}/missing.crl"), PASSWORD,
                  (prepared.ca,))
    served["/ca.crl"] = pki.crl(prepared.ca, (revoked,))
    return place


def test_the_crl_is_embedded_within_the_signature(place, crl_server):
    _url, served, asked = crl_server
    # a process of its own: what reaches the terminal is all Chinese (no warning of asyncio's or
    # aiohttp's about a connection left open)
    env = {**os.environ, "VIPCONTRACT_PROFILE": str(place.root / "profile.toml")}
    result = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "--db", str(place.db), "seal", NO, "--cert",
         str(place.root / "crl.p12"), "--password-file", str(place.root / "password.txt"), "--out", str(place.out),
         "--with-revocation"], env=env, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert (result.returncode, result.stderr) == (0, ""), result.stdout + result.stderr
    assert "（PAdES B-B，第 2 条记录）" in result.stdout and "已嵌入证书的吊销信息（签名之内）。" in result.stdout
    assert "/ca.crl" in asked
    with open(place.out / SEALED, "rb") as fh:
        reader = PdfFileReader(fh)
        dss = DocumentSecurityStore.read_dss(reader)
        assert [c.get_object().data for c in dss.crls] == [served["/ca.crl"]]
        (sig,) = reader.embedded_signatures
        # offline, revocation checked: only the embedded CRL can say the certificate is not revoked
        context = ValidationContext(trust_roots=[load_asn1(place.ca)], crls=[c.get_object().data for c in dss.crls],
                                    allow_fetching=False,
                                    revocation_mode="hard-fail")
        status = validate_pdf_signature(sig, context)
        assert status.intact and status.valid and status.trusted
        assert status.coverage.name == "ENTIRE_FILE"  # the store is inside the signed revision
    sealed = json.loads(place.run("show", NO, "--json").output)["history"][-1]
    assert sealed["revocation_info"] is True and sealed["level"] == "B-B"
    verified = place.run("verify", str(place.out / SEALED))
    assert verified.exit_code == 0 and "签名后文件未被改动" in verified.output
    assert "证书受信任；文件内保存的吊销信息表明签署时证书未被吊销；" in verified.output, verified.output
    assert place.run("check").exit_code == 0


@pytest.mark.parametrize(("cert", "message"), [
    ("revoked.p12", "错误：--with-revocation：证书“北京测试客户服务有限公司电子签章”已被吊销（签发机构的吊销列表或 OCSP "
                    "应答如此），不能用于签章，未签章\n"),
    ("missing.p12", "错误：--with-revocation：无法取得证书“北京测试客户服务有限公司电子签章”的吊销信息：证书没有写明吊销列表"
                    "（CRL）或 OCSP 的地址，或该地址从本机无法访问，未签章\n"),
    ("good.p12", "错误：--with-revocation：无法取得证书“北京测试客户服务有限公司电子签章”的吊销信息：证书没有写明吊销列表"
                 "（CRL）或 OCSP 的地址，或该地址从本机无法访问，未签章\n"),
])
def test_a_revoked_certificate_or_one_without_revocation_information_is_refused(place, cert, message):
    before = place.files()
    result = place.seal(cert, "--with-revocation")
    assert (result.exit_code, result.output) == (1, message)
    assert place.files() == before


def test_without_the_option_nothing_is_fetched(place, crl_server):
    _url, _served, asked = crl_server
    result = place.seal("crl.p12")
    assert result.exit_code == 0, result.output
    assert asked == []
    with pytest.raises(NoDSSFoundError):
        DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO((place.out / SEALED).read_bytes())))
    verified = place.run("verify", str(place.out / SEALED))
    assert verified.exit_code == 0, verified.output
    assert "证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；" in verified.output, verified.output
    assert asked == []  # verify fetches nothing either


def test_verify_says_a_signature_is_invalid_when_the_revocation_information_kept_in_the_file_revokes_it(
    place, crl_server
):
    """Sealed without --with-revocation by a certificate its CA had revoked; the CA's CRL added to
    the file afterwards (an update allowed after signing, as an archive adds revocation data)."""
    _url, served, _asked = crl_server
    assert place.seal("revoked.p12").exit_code == 0
    sealed = place.out / SEALED
    with open(sealed, "rb") as fh:
        (sig,) = PdfFileReader(fh).embedded_signatures
        contents = sig.pkcs7_content
    with open(sealed, "r+b") as fh:
        DocumentSecurityStore.add_dss(fh, contents, crls=[crl.CertificateList.load(served["/ca.crl"])])
    verified = place.run("verify", str(sealed))
    assert verified.exit_code == 1, verified.output
    assert "证书受信任；签名无效：文件内保存的吊销信息表明签署时证书已被吊销；" in verified.output, verified.output


def test_with_a_time_stamp_it_is_pades_b_lt(place, crl_server):
    """The time-stamping authority's certificate names the CRL too: its revocation information
    goes in with the signer's, and verify reads the time stamp."""
    url, _served, asked = crl_server
    tsa_url, server = serve_time_stamps(place.ca, pki.timestamp_cert(place.ca, crl_url=f"{url}/ca.crl"))
    try:
        result = place.seal("crl.p12", "--with-revocation", "--tsa", tsa_url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert "（PAdES B-LT，第 2 条记录）" in result.output and asked
    sealed = json.loads(place.run("show", NO, "--json").output)["history"][-1]
    assert sealed["level"] == "B-LT" and sealed["revocation_info"] is True
    verified = place.run("verify", str(place.out / SEALED))
    assert verified.exit_code == 0, verified.output
    assert ("（北京时间，时间戳服务机构的时间）；签名有效；证书受信任；文件内保存的吊销信息表明签署时证书未被吊销；"
            "签名后文件未被改动") in verified.output, verified.output
    with open(place.out / SEALED, "rb") as fh:
        reader = PdfFileReader(fh)
        dss = DocumentSecurityStore.read_dss(reader)
        assert len(dss.crls) >= 1 and len(dss.certs) >= 2  # the CA's CRL; the signer's and the authority's path
        # revocation checked with what the file holds only, for the signer and the time stamp
        (sig,) = reader.embedded_signatures
        context = ValidationContext(trust_roots=[load_asn1(place.ca)], crls=[c.get_object().data for c in dss.crls],
                                    allow_fetching=False, revocation_mode="hard-fail")
        status = validate_pdf_signature(sig, context, ts_validation_context=context)
        assert status.intact and status.valid and status.trusted
        assert status.timestamp_validity is not None and status.timestamp_validity.trusted

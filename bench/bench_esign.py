"""Section 1b of `make bench`: the signature fields every signable PDF gets, `seal` (plain, and
with the CA's CRL fetched from a local HTTP server and embedded) and the signature part of
`verify`, on the corporate agreement, with a throw-away CA (tests/pki.py). A supplementary
document is sealed by the same code; its file is shorter, so hashing it costs less still."""

from __future__ import annotations

from pathlib import Path

from benchlib import FIG, median_time, row, say

from tests import pki
from tests.conftest import make_agreement

PASSWORD = b"bench"


def run(repeat: int, work: Path) -> None:
    from asn1crypto import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from renderers import pdf as pdf_renderer
    from renderers import sigfields
    from service import esign

    doc = make_agreement("corporate")
    layout = pdf_renderer.get_renderer().layout(doc)
    base = layout.write_pdf()
    boxes = sigfields.signature_boxes(layout)
    say("## 1b. Signature fields, seal, verify (corporate variant, warm process)")
    say("| what | median | note |")
    say("|---|---|---|")
    t_boxes = median_time(lambda: sigfields.signature_boxes(layout), repeat)
    row("field boxes read from the layout", t_boxes, f"{len(boxes)} fields")
    t_fields = median_time(lambda: sigfields.add_signature_fields(base, boxes), repeat)
    fielded = sigfields.add_signature_fields(base, boxes)
    pdf = FIG.get("pdf")
    share = f"; {t_fields / pdf:.1%} of a PDF render ({pdf * 1000:.0f} ms)" if pdf else ""
    row("signature fields added (pyHanko incremental update)", t_fields,
        f"+{(len(fielded) - len(base)) / 1024:.1f} KB{share}")

    ca = pki.root_ca()
    p12 = pki.write_p12(work / "bench.p12", pki.signing_cert(ca), PASSWORD, (ca,))
    key = esign.load_signing_key(p12.read_bytes(), PASSWORD, p12)
    t_load = median_time(lambda: esign.load_signing_key(p12.read_bytes(), PASSWORD, p12), repeat)
    row("certificate loaded from PKCS#12", t_load)
    t_seal = median_time(lambda: esign.sign_pdf(fielded, key, None), repeat)
    signed = work / "sealed.pdf"
    signed.write_bytes(esign.sign_pdf(fielded, key, None))
    row("seal: PAdES B-B signature into the provider field", t_seal,
        f"+{(signed.stat().st_size - len(fielded)) / 1024:.1f} KB")
    roots = [x509.Certificate.load(ca.cert.public_bytes(Encoding.DER))]
    t_revocation, t_cpu_seal, t_cpu_revocation, grown = seal_with_revocation(fielded, ca, work, roots, repeat)
    row("seal --with-revocation: the CA's CRL fetched (local HTTP) and embedded", t_revocation,
        f"{t_revocation / t_seal:.2f}x the plain seal; CPU {t_cpu_revocation * 1000:.0f} ms vs "
        f"{t_cpu_seal * 1000:.0f} ms; +{grown / 1024:.1f} KB")
    t_verify = median_time(lambda: esign.signature_reports(signed, roots), repeat)
    row("verify: the signature validated (chain, integrity, changes after it)", t_verify)
    FIG.update(sigfields=t_fields, seal=t_seal, verify_signature=t_verify, seal_revocation=t_revocation)


def seal_with_revocation(fielded: bytes, ca: pki.Issued, work: Path, roots: list,
                         repeat: int) -> tuple[float, float, float, int]:
    """(median wall time of a seal with the CRL embedded, median CPU time of a plain seal and of
    one with the CRL, the bytes it adds over the plain seal), the CRL served from localhost."""
    import http.server
    import threading
    import time

    from service import esign

    crl = pki.crl(ca)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Length", str(len(crl)))
            self.end_headers()
            self.wfile.write(crl)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ca.crl"
        p12 = pki.write_p12(work / "bench-crl.p12", pki.signing_cert(ca, crl_url=url), PASSWORD, (ca,))
        key = esign.load_signing_key(p12.read_bytes(), PASSWORD, p12)

        def cpu(fn) -> float:
            times = []
            for _ in range(max(repeat, 1)):
                start = time.process_time()
                fn()
                times.append(time.process_time() - start)
            return sorted(times)[len(times) // 2]

        def plain() -> bytes:
            return esign.sign_pdf(fielded, key, None)

        def revoked_checked() -> bytes:
            return esign.sign_pdf(fielded, key, None, revocation_roots=roots)

        wall = median_time(revoked_checked, repeat)
        grown = len(revoked_checked()) - len(plain())
        return wall, cpu(plain), cpu(revoked_checked), grown
    finally:
        server.shutdown()
        server.server_close()

"""Section 1b of `make bench`: the signature fields every signable PDF gets, `seal` and the
signature part of `verify`, on the corporate agreement, with a throw-away CA (tests/pki.py)."""

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
    t_verify = median_time(lambda: esign.signature_reports(signed, roots), repeat)
    row("verify: the signature validated (chain, integrity, changes after it)", t_verify)
    FIG.update(sigfields=t_fields, seal=t_seal, verify_signature=t_verify)

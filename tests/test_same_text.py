"""One source of clause text: the DOCX, the PDF and the resolved tree say the same thing."""

import datetime as dt

import pytest
from click.testing import CliRunner

from cli import main
from contracts.document import Document
from tests.conftest import CORPORATE, INDIVIDUAL, make_agreement
from tests.readback_docx import bold_run_texts, docx_body_lines
from tests.readback_pdf import pdf_body_text, squash

pytestmark = pytest.mark.slow


def generate(tmp_path, kind: str, *extra: str):
    data = INDIVIDUAL if kind == "individual" else CORPORATE
    args = ["--db", str(tmp_path / "db.json"), "--new-register", "generate", "--type", kind,
            "--contract-no", "VIP-2026-000001", "--annual-fee", "12800", "--out", str(tmp_path), *extra]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-"), value]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def tree_text(doc: Document) -> str:
    return squash("".join(doc.text_lines()))


@pytest.mark.parametrize("kind", ["individual", "corporate"])
@pytest.mark.parametrize("effective", [None, dt.date(2024, 2, 29)])
def test_docx_pdf_and_tree_say_the_same_thing(tmp_path, kind, effective):
    extra = ("--effective-date", effective.isoformat()) if effective else ()
    generate(tmp_path, kind, *extra)
    name = "张三" if kind == "individual" else "北京某某科技有限公司"
    docx = tmp_path / f"VIP-2026-000001_{name}.docx"
    pdf = tmp_path / f"VIP-2026-000001_{name}.pdf"
    doc = make_agreement(kind, effective)
    expected = tree_text(doc)
    assert squash("".join(docx_body_lines(docx))) == expected
    assert squash(pdf_body_text(pdf)) == expected
    assert sorted(t.strip() for t in bold_run_texts(docx)) == sorted(t.strip() for t in doc.bold_texts())
    if effective:
        assert "2024年2月29日起至2029年2月28日止" in expected


def test_nothing_but_the_requested_formats_is_written(tmp_path):
    generate(tmp_path, "individual", "--format", "pdf")
    assert sorted(p.suffix for p in tmp_path.iterdir() if p.name != "db.json") == [".pdf"]
    assert not list(tmp_path.glob("*.part"))


def test_failed_render_leaves_no_file(tmp_path, monkeypatch):
    import service.output

    real = service.output.render_to

    def failing(doc, fmt, path):
        if fmt == "pdf":
            raise RuntimeError("disk full")
        real(doc, fmt, path)

    monkeypatch.setattr(service.output, "render_to", failing)
    with pytest.raises(RuntimeError):
        service.output.write_documents(make_agreement("individual"), tmp_path, ("docx", "pdf"), "x")
    assert list(tmp_path.iterdir()) == []


def test_customer_name_cannot_escape_the_output_folder(tmp_path):
    from service.output import safe_stem

    assert safe_stem("VIP-2026-000001", "../../etc/passwd") == "VIP-2026-000001_.._.._etc_passwd"
    assert "/" not in safe_stem("a/b", "c\\d")

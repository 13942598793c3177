"""The archival PDF: PDF/A-3b with the document's data attached, read back by `vipcontract data`
and by `issue --from FILE.pdf`.

No PDF/A validator can be installed here (veraPDF is on none of the reachable registries), so the
PDF/A-3b requirements the files must meet are checked one by one with pikepdf: the XMP
identification (pdfaid:part 3, conformance B), an sRGB output intent with its ICC profile, every
font embedded, no encryption, the data file an associated file of the catalog (/AF) with
/AFRelationship /Data, its MIME type and dates, and Info dates equal to the XMP ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

import cli
from cli import main
from contracts.archive import DATA_FILE_NAME, SCHEMA_VERSION, canonical_json
from tests.conftest import CORPORATE, INDIVIDUAL, TEST_PROFILE

NO = "VIP-2025-000001"
FULL_ID = INDIVIDUAL["id_number"]


def write_customer(path: Path, fields: dict[str, str], fee: str = "12800") -> Path:
    path.write_text("\n".join(f'{k}: "{v}"' for k, v in {**fields, "annual_fee": fee}.items()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """A register with one individual agreement and its 补充协议, both as real PDFs."""
    folder = tmp_path_factory.mktemp("pdfa")
    db = folder / "register.json"
    customer = write_customer(folder / "customer.yaml", INDIVIDUAL)
    mp = pytest.MonkeyPatch()
    mp.setenv("VIPCONTRACT_PROFILE", str(TEST_PROFILE))
    try:
        def run(*args: str):
            result = CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])
            assert result.exit_code == 0, result.output
            return result

        run("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
            "--format", "pdf", "--out", str(folder / "out"))
        run("sign", NO, "--on", "2025-03-10")
        run("amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-11",
            "--set", "annual_fee=15800", "--format", "pdf", "--out", str(folder / "out"))
    finally:
        mp.undo()
    agreement = folder / "out" / f"{NO}_张三.pdf"
    amendment = folder / "out" / f"{NO}-B1_张三.pdf"
    return {"db": db, "folder": folder, "agreement": agreement, "amendment": amendment}


def data_of(path: Path) -> dict:
    result = CliRunner().invoke(main, ["data", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("which", ["agreement", "amendment"])
def test_pdfa_3b_requirements(issued, which):
    assert_pdfa_3b(issued[which], "2025-03-01" if which == "agreement" else "2026-01-05", DATA_FILE_NAME)


def assert_pdfa_3b(path: Path, day: str, data_name: str) -> bytes:
    """The PDF/A-3b requirements one by one (see the module's note), the file dated `day`, its
    one associated file named `data_name`; returns the attached data."""
    with pikepdf.open(path) as pdf:
        assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "B"
            created = xmp["xmp:CreateDate"]
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        profile = intent.DestOutputProfile
        assert profile.N == 3 and profile.read_bytes()[36:40] == b"acsp"  # an ICC profile
        fonts = 0
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.FontDescriptor
                    assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
                    fonts += 1
        assert fonts >= 2
        (spec,) = pdf.Root.AF
        assert spec.Type == "/Filespec" and spec.AFRelationship == "/Data"
        assert str(spec.F) == str(spec.UF) == data_name
        names = pdf.Root.Names.EmbeddedFiles.Names
        assert str(names[0]) == data_name and names[1].objgen == spec.objgen
        embedded = spec.EF.F
        assert embedded.Subtype == "/application#2Fjson" or str(embedded.Subtype) == "/application/json"
        assert embedded.Params.Size == len(embedded.read_bytes())
        assert created.startswith(day)
        compact = day.replace("-", "")
        assert str(pdf.docinfo["/CreationDate"]).startswith(f"D:{compact}")
        assert str(embedded.Params.ModDate).startswith(f"D:{compact}")
        assert pdf.pdf_version == "1.7"
        assert len(pdf.trailer.ID) == 2
        return embedded.read_bytes()


def test_the_agreement_carries_its_issue(issued):
    data = data_of(issued["agreement"])
    assert data["schema"] == "vipcontract-data" and data["schema_version"] == SCHEMA_VERSION
    assert data["event"] == {"seq": 1, "kind": "issued"}
    assert data["document"] == {"kind": "agreement", "contract_no": NO, "doc_no": NO, "date": "2025-03-01"}
    assert data["customer"]["name"] == "张三"
    assert data["customer"]["id_number"] == FULL_ID[:6] + "********" + FULL_ID[-4:]
    assert data["customer"]["id_number_masked"] is True
    assert FULL_ID not in issued["agreement"].read_bytes().decode("latin-1")  # not even compressed away
    assert data["issued"]["annual_fee"] == "12800.00" and data["issued"]["issued_on"] == "2025-03-01"
    assert data["issued"]["term_years"] == 5 and "files" not in data["issued"]
    assert data["record"] is None
    assert data["program"]["name"] == "vipcontract"


def test_the_amendment_carries_its_own_event(issued):
    data = data_of(issued["amendment"])
    assert data["event"] == {"seq": 3, "kind": "amended"}
    assert data["document"]["doc_no"] == f"{NO}-B1" and data["document"]["kind"] == "amendment"
    changes = data["record"]["changes"]
    assert [(c["field"], c["old"], c["new"]) for c in changes] == [("annual_fee", "12800.00", "15800.00")]
    assert data["record"]["effective_on"] == "2026-03-11"


def test_the_data_matches_the_register(issued):
    from store import open_store

    store = open_store(issued["db"])
    try:
        (record, *_rest) = store.history(NO)
    finally:
        store.close()
    stored = {k: v for k, v in record["data"].items() if k not in ("files", "batch", "customer")}
    assert data_of(issued["agreement"])["issued"] == stored


def test_data_refuses_what_it_cannot_read(issued, tmp_path):
    not_pdf = tmp_path / "合同.pdf"
    not_pdf.write_text("这不是 PDF", encoding="utf-8")
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)
    newer = tmp_path / "newer.pdf"
    with pikepdf.open(issued["agreement"]) as pdf:
        spec = pdf.Root.AF[0]
        data = json.loads(spec.EF.F.read_bytes())
        data["schema_version"] = SCHEMA_VERSION + 1
        spec.EF.F.write(canonical_json(data).encode())
        pdf.save(newer)
    cases = {
        tmp_path / "missing.pdf": "找不到文件",
        not_pdf: "不是 PDF 文件",
        plain: "中没有本程序附带的数据",
        newer: f"由较新版本的程序写入（数据格式第 {SCHEMA_VERSION + 1} 版",
    }
    for path, said in cases.items():
        result = CliRunner().invoke(main, ["data", str(path)])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("错误：") and str(path) in result.output and said in result.output, \
            result.output
        assert "Traceback" not in result.output


def test_reissue_from_a_pdf_asks_for_the_masked_id_number(issued, tmp_path, monkeypatch):
    db = tmp_path / "register.json"
    db.write_bytes(issued["db"].read_bytes())
    before = db.read_bytes()

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, ["--db", str(db), *args], input=input)

    refused = run("issue", "--from", str(issued["agreement"]), "--allow-second", "--format", "pdf",
                  "--out", str(tmp_path / "out"))
    assert refused.exit_code == 1
    assert refused.output == (f"错误：--id-number：{issued['agreement']} 中附带的身份证号已遮蔽"
                              f"（{FULL_ID[:6]}********{FULL_ID[-4:]}），请用 --id-number 给出完整号码\n")
    assert db.read_bytes() == before and not (tmp_path / "out").exists()

    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    asked = run("issue", "--from", str(issued["agreement"]), "--allow-second", "--format", "docx",
                "--out", str(tmp_path / "out"), input=FULL_ID + "\n")
    assert asked.exit_code == 0, asked.output
    assert "身份证号已遮蔽" in asked.output and "请输入完整号码" in asked.output
    assert "已签发并登记合同" in asked.output
    from store import open_store

    store = open_store(db)
    try:
        numbers = [no for no, _records in store.histories()]
        reissued = store.history(numbers[-1])[0]["data"]
    finally:
        store.close()
    assert len(numbers) == 2
    assert reissued["customer"]["id_number"] == FULL_ID and reissued["customer"]["name"] == "张三"
    assert reissued["annual_fee"] == "12800.00"


def test_reissue_a_corporate_customer_from_its_pdf(tmp_path, monkeypatch):
    """No ID number to mask: the PDF alone is enough; an option still wins over the file."""
    monkeypatch.setattr("service.output.render_to", _pdf_only)
    db = tmp_path / "register.json"
    customer = write_customer(tmp_path / "corp.yaml", CORPORATE, fee="98000")

    def run(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    first = run("issue", "--type", "corporate", "--from", str(customer), "--format", "pdf", "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    (pdf,) = (tmp_path / "a").glob("*.pdf")
    again = run("issue", "--from", str(pdf), "--allow-second", "--annual-fee", "99000", "--format", "pdf",
                "--out", str(tmp_path / "b"))
    assert again.exit_code == 0, again.output
    (second,) = (tmp_path / "b").glob("*.pdf")
    data = data_of(second)
    assert data["customer"]["credit_code"] == CORPORATE["credit_code"]
    assert data["customer"]["id_number_masked"] is False
    assert data["issued"]["annual_fee"] == "99000.00"


def _pdf_only(doc, fmt, path):
    """The real PDF renderer without the slow layout: the data file in a one-page PDF/A file."""
    from weasyprint import HTML

    from renderers.pdf import archival_options

    HTML(string="<p>x</p>").write_pdf(path, **archival_options(doc))


def test_the_full_id_number_when_the_profile_says_so(tmp_path, monkeypatch):
    profile = tmp_path / "profile.toml"
    profile.write_text(TEST_PROFILE.read_text(encoding="utf-8") + "\n[output]\ndata_full_id_number = true\n",
                       encoding="utf-8")
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(profile))
    monkeypatch.setattr("service.output.render_to", _pdf_only)
    customer = write_customer(tmp_path / "customer.yaml", INDIVIDUAL)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "r.json"), "--new-register", "issue", "--type",
                                       "individual", "--from", str(customer), "--format", "pdf", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    data = data_of(pdf)
    assert data["customer"]["id_number"] == FULL_ID and data["customer"]["id_number_masked"] is False


def test_a_wrong_data_setting_is_named(tmp_path, monkeypatch):
    profile = tmp_path / "profile.toml"
    profile.write_text(TEST_PROFILE.read_text(encoding="utf-8") + '\n[output]\ndata_full_id_number = "yes"\n',
                       encoding="utf-8")
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(profile))
    result = CliRunner().invoke(main, ["data", str(tmp_path / "x.pdf")])  # needs no profile
    assert "data_full_id_number" not in result.output
    customer = write_customer(tmp_path / "customer.yaml", INDIVIDUAL)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "r.json"), "--new-register", "issue", "--type",
                                       "individual", "--from", str(customer), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists() and not (tmp_path / "r.json").exists()
    assert "output.data_full_id_number" in result.output and "true 或 false" in result.output


def test_a_preview_names_no_event(tmp_path, monkeypatch):
    monkeypatch.setattr("service.output.render_to", _pdf_only)
    customer = write_customer(tmp_path / "customer.yaml", INDIVIDUAL)
    result = CliRunner().invoke(main, ["generate", "--type", "individual", "--from", str(customer), "--format",
                                       "pdf", "--out", str(tmp_path / "preview")])
    assert result.exit_code == 0, result.output
    (pdf,) = (tmp_path / "preview").glob("*.pdf")
    data = data_of(pdf)
    assert data["event"] is None and data["document"]["kind"] == "agreement"


def test_the_document_tree_carries_the_data_not_the_renderer(profile):
    """The renderer attaches what the tree holds and nothing else."""
    from renderers.pdf import archival_options
    from tests.conftest import make_agreement

    doc = make_agreement("individual")
    assert doc.data_file is None and "attachments" not in archival_options(doc)
    with_data = dataclasses.replace(doc, issued_on=dt.date(2026, 1, 2))
    assert archival_options(with_data)["pdf_variant"] == "pdf/a-3b"


def test_reprint_from_the_register_gives_the_registered_bytes(issued, tmp_path):
    result = CliRunner().invoke(main, ["--db", str(issued["db"]), "reprint", NO, "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again" / issued["agreement"].name
    assert result.output == f"已重新生成：{again}：与登记的哈希一致\n"
    assert again.read_bytes() == issued["agreement"].read_bytes()


def test_reprint_says_when_the_profile_changed(issued, tmp_path, monkeypatch):
    profile = tmp_path / "profile.toml"
    text = TEST_PROFILE.read_text(encoding="utf-8")
    changed = text.replace('bank_account = "0200 0049 0920 0012 345"', 'bank_account = "0200 0049 0920 0012 999"')
    assert changed != text
    profile.write_text(changed, encoding="utf-8")
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(profile))
    result = CliRunner().invoke(main, ["--db", str(issued["db"]), "reprint", NO, "--out", str(tmp_path / "again")])
    assert result.exit_code == 1
    assert "与登记的哈希不一致" in result.output and "公司档案" in result.output


def test_every_supplementary_document_carries_its_event(tmp_path, monkeypatch):
    """续签协议, 解除通知书 and 解除协议 carry the data of the event they record."""
    monkeypatch.setattr("service.output.render_to", _pdf_only)
    db, out = tmp_path / "register.json", str(tmp_path / "out")
    customer = write_customer(tmp_path / "customer.yaml", INDIVIDUAL)

    def run(*args: str):
        result = CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])
        assert result.exit_code == 0, result.output
        return result

    run("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01", "--format", "pdf",
        "--out", out)
    run("sign", NO, "--on", "2025-03-10")
    run("renew", NO, "--signed-on", "2026-10-20", "--format", "pdf", "--out", out)
    run("notice", "send", NO, "--kind", "termination", "--method", "email", "--on", "2026-11-01T17:30Z",
        "--reason", "breach", "--note", "违约", "--format", "pdf", "--out", out)
    run("terminate", NO, "--on", "2026-12-01", "--reason", "mutual", "--signed-on", "2026-11-20",
        "--with-renewal", "--format", "pdf", "--out", out)
    renewal = data_of(tmp_path / "out" / f"{NO}-X1_张三.pdf")
    assert renewal["event"] == {"seq": 3, "kind": "renewed"} and renewal["document"]["kind"] == "renewal"
    assert renewal["record"]["first_day"] == "2030-03-10" and renewal["record"]["years"] == 5
    notice = data_of(tmp_path / "out" / f"{NO}-J1_张三.pdf")
    assert notice["event"] == {"seq": 4, "kind": "notice_sent"}
    assert notice["record"]["notice_id"] == "N-000001" and notice["record"]["reason"] == "breach"
    agreed = data_of(tmp_path / "out" / f"{NO}-J2_张三.pdf")
    assert agreed["event"] == {"seq": 5, "kind": "terminated"} and agreed["document"]["date"] == "2026-11-20"
    assert agreed["record"]["effective_on"] == "2026-12-01"
    assert {d["issued"]["issued_on"] for d in (renewal, notice, agreed)} == {"2025-03-01"}

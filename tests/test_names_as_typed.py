"""Names and addresses reach the agreement, the file name and the register exactly as typed:
full-width brackets, full-width digits and · are kept; only look-alike hanzi (Kangxi radicals,
CJK compatibility ideographs) become the ordinary ones. Codes are still read in ASCII."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from contracts.batch_rows import cell_value
from contracts.customer import CustomerType, customer_from_mapping
from contracts.register import normalise_change
from contracts.validation import as_typed
from tests.conftest import TODAY
from tests.readback_docx import docx_body_lines
from tests.readback_pdf import pdf_body_text, squash

COMPANY = "西安曲江旅游投资（集团）有限公司"
ADDRESS = "陕西省西安市曲江新区芙蓉西路１８８号（曲江国际会展中心）Ａ座"
PERSON = "阿依古丽·买买提"
CONTACT = "迪丽娜尔·艾力（行政部）"

CORPORATE_TYPED = {
    "name": f"  {COMPANY}\u3000",
    "credit_code": "９１１１００００６０００３７３４１Ｌ",  # full-width: a code, read in ASCII
    "legal_representative": PERSON,
    "contact_person": CONTACT,
    "phone": "０２９-８５４２１２３４",
    "address": ADDRESS,
    "email": "office@example.com",
    "annual_fee": "98000",
}
INDIVIDUAL_TYPED = {
    "name": PERSON,
    "id_number": "11010519491231002X",
    "phone": "13800000000",
    "address": "北京市朝阳区建国路８８号（SOHO现代城）３号楼",
    "email": "a@example.com",
    "annual_fee": "12800",
}


def test_as_typed_maps_only_look_alike_hanzi():
    # U+2F08 KANGXI RADICAL MAN, U+F9DC a compatibility ideograph of 隆, U+2F800 of 丽.
    assert as_typed(" 张\u2f08\uf9dc\U0002f800 ") == "张人隆丽"
    for kept in ("（集团）", "１８８号", "·", "Ａ座", "＃", "－"):
        assert as_typed(kept) == kept


def test_customer_keeps_names_and_addresses_and_reads_codes_in_ascii():
    customer = customer_from_mapping(CustomerType.CORPORATE, CORPORATE_TYPED, TODAY)
    assert customer.name == COMPANY  # trimmed, U+3000 included
    assert (customer.legal_representative, customer.contact_person) == (PERSON, CONTACT)
    assert customer.address == ADDRESS
    assert customer.credit_code == "91110000600037341L"
    assert customer.phone == "029-85421234"


def test_amended_name_and_address_are_kept_as_typed():
    assert normalise_change("name", f" {COMPANY} ") == COMPANY
    assert normalise_change("address", ADDRESS) == ADDRESS
    assert normalise_change("phone", "１３８００００００００") == "13800000000"


def test_batch_cells_keep_names_and_addresses():
    assert cell_value("name", COMPANY) == (COMPANY, None)
    assert cell_value("address", ADDRESS) == (ADDRESS, None)
    assert cell_value("phone", "１３８００００００００") == ("13800000000", None)


def _args(data: dict[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in data.items():
        args += ["--" + key.replace("_", "-"), value]
    return args


def _read_back(path: Path) -> str:
    return squash("\n".join(docx_body_lines(path))) if path.suffix == ".docx" else squash(pdf_body_text(path))


@pytest.mark.parametrize(("kind", "data", "typed"), [
    ("corporate", CORPORATE_TYPED, (COMPANY, PERSON, CONTACT, ADDRESS)),
    ("individual", INDIVIDUAL_TYPED, (PERSON, INDIVIDUAL_TYPED["address"])),
])
def test_generate_prints_them_as_typed_in_both_formats_and_the_file_name(tmp_path, kind, data, typed):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", "generate", "--type", kind,
                                       *_args(data), "--effective-date", "2025-03-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    name = typed[0]
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".docx", ".pdf"]
    assert all(f.name.endswith(f"_{name}{f.suffix}") for f in files)
    for path in files:
        text = _read_back(path)
        for value in typed:
            assert squash(value) in text, (path.suffix, value)
        assert "(集团)" not in text and "188号" not in text


def test_issue_registers_them_as_typed(tmp_path):
    db = str(tmp_path / "db.json")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "--new-register", "issue", "--type", "corporate", *_args(CORPORATE_TYPED),
                                  "--issued-on", "2025-03-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    no = result.output.splitlines()[0].removeprefix("已签发并登记合同 ").strip()
    assert {f.name for f in out.iterdir()} == {f"{no}_{COMPANY}.docx", f"{no}_{COMPANY}.pdf"}
    view = json.loads(runner.invoke(main, ["--db", db, "--new-register", "show", no, "--json"]).output)
    assert view["customer"]["name"] == COMPANY
    assert view["customer"]["address"] == ADDRESS
    assert view["customer"]["legal_representative"] == PERSON
    assert view["customer"]["contact_person"] == CONTACT
    assert view["customer"]["credit_code"] == "91110000600037341L"
    listing = json.loads(runner.invoke(main, ["--db", db, "--new-register", "list", "--json"]).output)
    assert [c["customer"]["name"] for c in listing] == [COMPANY]
    for path in out.iterdir():
        assert squash(COMPANY) in _read_back(path)


def test_batch_issue_keeps_them_as_typed(tmp_path):
    header = ["单位名称", "统一社会信用代码", "法定代表人", "联系人", "联系电话", "通讯地址", "电子邮箱", "年服务费"]
    keys = ["name", "credit_code", "legal_representative", "contact_person", "phone", "address", "email",
            "annual_fee"]
    rows = [",".join(header), ",".join(CORPORATE_TYPED[k].strip() for k in keys)]
    sheet = tmp_path / "customers.csv"
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db, out = str(tmp_path / "db.json"), tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "--new-register", "batch", "issue", str(sheet), "--type", "corporate", "--jobs", "1",
                                  "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (view,) = json.loads(runner.invoke(main, ["--db", db, "--new-register", "list", "--json"]).output)
    assert (view["customer"]["name"], view["customer"]["address"]) == (COMPANY, ADDRESS)
    (docx,) = out.glob("*.docx")
    assert docx.name.endswith(f"_{COMPANY}.docx")
    text = _read_back(docx)
    assert squash(COMPANY) in text and squash(ADDRESS) in text and squash(CONTACT) in text

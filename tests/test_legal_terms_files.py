"""The late-payment rate, the one delivery rule and the personal-information notice, as they
come out of `vipcontract generate`: read back from the PDF and the DOCX, not the tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import CORPORATE, INDIVIDUAL
from tests.readback_docx import bold_run_texts, docx_body_lines
from tests.readback_pdf import pdf_body_text, squash

pytestmark = pytest.mark.slow

RATE = ("以年利率4.5%按日计算（每日为年利率的三百六十五分之一），向甲方支付逾期付款违约金。该年利率为全国银行间同业"
        "拆借中心于2025年5月20日公布的一年期贷款市场报价利率（LPR）3.0%的1.5倍，在本协议期限内不变")
PRIORITY = "一份通知有两个以上可以作为送达日的日期的，以其中最早的一日为送达日"
CONSENT = "乙方同意甲方为上述目的处理乙方的居民身份证号码（个人信息保护法第二十八条、第二十九条）"
WARRANTY = "乙方保证：向甲方提供相关个人的个人信息前，已经依照《中华人民共和国个人信息保护法》第十七条、第二十三条"


def generate(tmp_path: Path, kind: str, method: str) -> tuple[Path, Path]:
    profile = tmp_path / "profile.toml"
    profile.write_text(f'[disputes]\nmethod = "{method}"\n', encoding="utf-8")
    data = {**(INDIVIDUAL if kind == "individual" else CORPORATE), "annual_fee": "12800"}
    args = ["--profile", str(profile), "--db", str(tmp_path / "db.json"), "generate", "--type", kind]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-"), value]
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return next(out.glob("*.pdf")), next(out.glob("*.docx"))


@pytest.mark.parametrize("method", ["arbitration", "litigation"])
@pytest.mark.parametrize("kind", ["individual", "corporate"])
def test_generated_files_carry_the_new_terms(tmp_path, kind, method):
    pdf, docx = generate(tmp_path, kind, method)
    pdf_text = squash(pdf_body_text(pdf))
    docx_text = squash("\n".join(docx_body_lines(docx)))
    bold = squash("".join(bold_run_texts(docx)))
    for body in (pdf_text, docx_text):
        assert squash(RATE) in body
        assert squash(PRIORITY) in body
        assert "万分之五" not in body
        assert ("附件四个人信息处理告知书" in body) is (kind == "individual")
        assert (squash(CONSENT) in body) is (kind == "individual")
        assert (squash(WARRANTY) in body) is (kind == "corporate")
    # bold in the DOCX: the rate, the delivery priority, the consent or the warranty
    assert squash(RATE)[:40] in bold and squash(PRIORITY)[:30] in bold
    assert (squash(CONSENT)[-30:] in bold) is (kind == "individual")
    assert (squash(WARRANTY)[:30] in bold) is (kind == "corporate")
    if kind == "individual":
        annex = pdf_text[pdf_text.index("附件四个人信息处理告知书", pdf_text.index("附件三通知送达地址确认书")):]
        assert annex.endswith("乙方（签字）：日期：年月日")
        assert "北京示例客户服务有限公司（即甲方）" in annex and "七日内答复并办理" in annex

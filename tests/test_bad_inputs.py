"""Every bad input, on every command: one Chinese message naming the field, exit code 1 (2 for a
usage error click itself reports, such as an unknown --kind), nothing written, no traceback.

Each case runs in a folder of its own holding a copy of a small register (one signed contract, one
notice); every file under the folder is compared byte for byte before and after.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from tests.conftest import INDIVIDUAL, TEST_PROFILE
from tests.test_register_fixtures import fake_render

NO = "VIP-2025-000001"
NOTICE = "N-000001"
ENGLISH = re.compile(r"Traceback|\b[A-Za-z]*(Error|Exception|Interrupt|Warning)\b|\bFile \"")
CJK = re.compile(r"[\u4e00-\u9fff]")

PERSON = ["--type", "individual", *[x for k, v in INDIVIDUAL.items()
                                    for x in (f"--{k.replace('_', '-')}", v)], "--annual-fee", "12800"]
CORPORATE = ["--type", "corporate", "--name", "北京某某科技有限公司", "--credit-code", "91110000600037341L",
             "--legal-representative", "李四", "--phone", "010-80000000", "--address", "北京市海淀区上地十街10号",
             "--email", "it@example.com", "--annual-fee", "98000"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A register with contract NO issued (2025-03-01), signed (2025-03-10) and notice N-000001 sent."""
    from contracts.customer import CustomerType
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind
    from service import output
    from service.generate import parse_request
    from service.register import NoticeRequest, issue, send_notice, sign
    from service.sources import load_profile
    from store import open_store

    folder = tmp_path_factory.mktemp("seed")
    profile = load_profile(TEST_PROFILE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(output, "render_to", fake_render)
        store = open_store(folder / "register.json")
        try:
            request = parse_request(CustomerType.INDIVIDUAL, {**INDIVIDUAL, "annual_fee": "12800"},
                                    dt.date(2025, 3, 1))
            issue(store, profile, request, folder / "docs", ("docx",), issued_on=dt.date(2025, 3, 1))
            sign(store, profile, NO, dt.date(2025, 3, 10))
            sent = dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
            send_notice(store, profile, NO, NoticeRequest(NoticeKind.OTHER, DeliveryMethod.COURIER, sent))
        finally:
            store.close()
    return folder / "register.json"


# ---------------------------------------------------------------- input files the cases use
ALIAS_BOMB = ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
              "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
              "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
              "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n")
CUSTOMER_YAML = "".join(f'{k}: "{v}"\n' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items())
HEADER = "类型,姓名,身份证号,联系电话,通讯地址,电子邮箱,年服务费\n"
ROW = "个人,张三,11010519491231002X,13800000000,北京市朝阳区建国路88号,zhangsan@example.com,12800\n"


# An agreement already signed, brought in: issued_on, signed_on, effective_date, paid_until, paid_on
# that disagree with each other or with today.
SIGNED_ROWS = {
    "before-issue": "2025-03-01,2025-02-28,,,",
    "future": "2025-03-01,2099-03-08,,,",
    "effective-first": "2025-03-01,2025-03-08,2025-03-05,,",
    "beyond": "2025-03-01,2025-03-08,,5,2025-03-20",
    "no-paid-on": "2025-03-01,2025-03-08,,1,",
    "years-text": "2025-03-01,2025-03-08,,两年,2025-03-20",
    "unsigned-paid": "2025-03-01,,,1,2025-03-20",
    "no-issued-on": ",2025-03-08,,,",
    "bad-date": "2025-03-01,20250308,,,",
    "paid-first": "2025-03-01,2025-03-08,,1,2025-03-02",
}
SIGNED_NAMED = {"before-issue": "签署日期", "future": "签署日期", "effective-first": "生效日期",
                "beyond": "已付清至服务年度", "no-paid-on": "付款日期", "years-text": "已付清至服务年度",
                "unsigned-paid": "已付清至服务年度", "no-issued-on": "签发日期", "bad-date": "签署日期",
                "paid-first": "付款日期"}


def _csv(row: str = ROW, encoding: str = "utf-8") -> bytes:
    return (HEADER + row).encode(encoding)


def _profile(extra: str) -> bytes:
    return (TEST_PROFILE.read_text(encoding="utf-8") + "\n" + extra).encode("utf-8")


FILES: dict[str, bytes] = {
    "bomb.yaml": ALIAS_BOMB.encode(),
    "anchor.yaml": CUSTOMER_YAML.replace('name: "张三"', 'name: &n "张三"\ncontact_person: *n').encode(),
    "typo.yaml": CUSTOMER_YAML.encode() + b"effective_dat: 2025-03-10\n",
    "typo.toml": b'name = "\xe5\xbc\xa0\xe4\xb8\x89"\nphoen = "13800000000"\n',
    "typo.json": b'{"name": "x", "emial": "a@example.com"}',
    "big.yaml": CUSTOMER_YAML.encode() + b"#" * (2 * 1024 * 1024),
    "list.yaml": b"- a\n- b\n",
    "deep.yaml": b"name: " + b"[" * 100000 + b"]" * 100000,
    "deep.json": b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    "deep.toml": b"name = " + b"[" * 100000 + b"]" * 100000,
    "broken.yaml": b"name: [\n",
    "broken.toml": b"name = \n",
    "broken.json": b"{name: 1}",
    "gbk.yaml": CUSTOMER_YAML.encode("gb18030"),
    "fee.yaml": CUSTOMER_YAML.replace("12800", "1e30").encode(),
    "date.yaml": CUSTOMER_YAML.encode() + b"effective_date: 9995-01-01\n",
    "date2.yaml": CUSTOMER_YAML.encode() + b"effective_date: 20250401\n",
    "zw.yaml": CUSTOMER_YAML.replace("张三", "张\u200b三").encode(),
    "ok.csv": _csv(),
    "big5.csv": ("姓名,通訊地址,年服務費\n陳大文,臺北市中正區重慶南路一段122號,12800\n").encode("big5"),
    "sjis.csv": "氏名,身分証番号,電話,住所,メール,年会費\n山田太郎,11010519491231002X,13800000000,東京都千代田区丸の内1丁目,a@example.com,12800\n".encode("shift_jis"),
    "fee.csv": _csv(ROW.replace(",12800", ",1e30")),
    "date.csv": (HEADER.strip() + ",生效日期\n" + ROW.strip() + ",9995-01-01\n").encode(),
    "date2.csv": (HEADER.strip() + ",生效日期\n" + ROW.strip() + ",20250401\n").encode(),
    "bidi.csv": _csv(ROW.replace("张三", "张\u202e三")),
    "dot.csv": _csv(ROW.replace("张三", "..")),
    "ctrl.csv": _csv(ROW.replace("张三", "张\x07三")),
    "badid.csv": _csv(ROW.replace("11010519491231002X", "110105194912310021")),
    "huge.csv": _csv() + b"," * (17 * 1024 * 1024),
    **{f"signed-{name}.csv": (HEADER.strip() + ",签发日期,签署日期,生效日期,已付清至服务年度,付款日期\n"
                              + ROW.strip() + "," + columns + "\n").encode()
       for name, columns in SIGNED_ROWS.items()},
    "empty.txt": b"",
    "notzip.xlsx": b"PK\x03\x04garbage",
    "weird.xlsx": b"",  # written by the workspace fixture (a workbook with an impossible date serial)
    "notes.txt": b"hello",
    "prefix.toml": _profile('[contract]\nnumber_prefix = "A/../B"\n'),
    "prefix2.toml": _profile('[contract]\nnumber_prefix = "VIP 2025"\n'),
    "lpr.toml": _profile('[contract]\nlpr_published_on = "9999-01-01"\n'),
    "bigprofile.toml": _profile("#" + "x" * (2 * 1024 * 1024)),
    "blocker": b"x",
    "broken.pdf": b"%PDF-1.7\n%broken",
}

NAME_74 = "测" * 74
BAD_NAMES = [("zero-width", "张\u200b三"), ("bidi", "张\u202e三"), ("isolate", "张\u2066三"), ("bell", "张\x07三"),
             ("del", "张\x7f三"), ("dot", "."), ("dotdot", ".."), ("slash", "张/三"), ("long", "测" * 101),
             ("bom", "\ufeff张三")]
BAD_DATES = [("basic", "20250401"), ("month13", "2025-13-01"), ("feb30", "2025-02-30"), ("y9999", "9999-12-31"),
             ("y9995", "9995-01-01"), ("y1999", "1999-12-31"), ("y2200", "2100-01-01"), ("words", "明天")]
BAD_FEES = ["1e30", "-1", "0", "abc", "12800.001", "NaN", "Infinity", "1e12", "100000001", "1e-30"]


def swap(args: list[str], option: str, value: str) -> list[str]:
    """ARGS with the value after OPTION replaced."""
    at = args.index(option) + 1
    return [*args[:at], value, *args[at + 1:]]


def _case(case_id: str, args: list[str], *named: str, code: int = 1):
    return pytest.param(args, named, code, id=case_id)


def _date_cases() -> list:
    """Every date option of every command, with each kind of bad date."""
    options = [
        ("issue-issued-on", ["issue", *PERSON, "--issued-on", "{}"], "--issued-on"),
        ("generate-effective", ["generate", *PERSON, "--effective-date", "{}"], "--effective-date"),
        ("sign-on", ["sign", NO, "--on", "{}"], "--on"),
        ("amend-signed", ["amend", NO, "--signed-on", "{}", "--effective-on", "2026-03-01",
                          "--set", "phone=13900000000"], "--signed-on"),
        ("amend-effective", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on", "{}",
                             "--set", "phone=13900000000"], "--effective-on"),
        ("renew-signed", ["renew", NO, "--signed-on", "{}"], "--signed-on"),
        ("notice-send-on", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--on", "{}"], "--on"),
        ("delivered-on", ["notice", "delivered", NOTICE, "--on", "{}"], "--on"),
        ("returned-on", ["notice", "returned", NOTICE, "--on", "{}", "--reason", "refused"], "--on"),
        ("terminate-on", ["terminate", NO, "--on", "{}", "--reason", "mutual"], "--on"),
        ("terminate-signed", ["terminate", NO, "--on", "2026-06-30", "--reason", "mutual", "--signed-on", "{}"],
         "--signed-on"),
        ("void-on", ["void", NO, "--on", "{}"], "--on"),
        ("show-as-of", ["show", NO, "--as-of", "{}"], "--as-of"),
        ("list-as-of", ["list", "--as-of", "{}"], "--as-of"),
        ("expiring-as-of", ["report", "expiring", "--as-of", "{}"], "--as-of"),
        ("renewals-from", ["report", "renewals", "--from", "{}"], "--from"),
        ("amendments-to", ["report", "amendments", "--to", "{}"], "--to"),
        ("notices-as-of", ["report", "notices", "--as-of", "{}"], "--as-of"),
        ("deadlines-from", ["report", "deadlines", "--from", "{}"], "--from"),
        ("deadlines-to", ["report", "deadlines", "--to", "{}"], "--to"),
        ("consolidated-as-of", ["consolidated", NO, "--as-of", "{}", "--out", "out"], "--as-of"),
    ]
    cases = []
    for name, args, option in options:
        # every option with the three kinds that crashed or slipped through; a few with all kinds
        kinds = BAD_DATES if name in ("sign-on", "notice-send-on", "expiring-as-of", "issue-issued-on") else \
            [d for d in BAD_DATES if d[0] in ("basic", "y9999", "y2200", "month13")]
        for kind, value in kinds:
            cases.append(_case(f"{name}-{kind}", [a.replace("{}", value) for a in args], option))
    return cases


def _name_cases() -> list:
    cases = []
    for kind, value in BAD_NAMES:
        person = swap(PERSON, "--name", value)
        cases.append(_case(f"issue-name-{kind}", ["issue", *person], "--name"))
        cases.append(_case(f"generate-name-{kind}", ["generate", *person, "--out", "out"], "--name"))
        cases.append(_case(f"amend-name-{kind}", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on",
                                                  "2026-03-01", "--set", f"name={value}"], "name"))
    cases.append(_case("issue-legal-representative", ["issue", *swap(CORPORATE, "--legal-representative",
                                                                     "张\u202e三")], "--legal-representative"))
    cases.append(_case("issue-contact-person", ["issue", *CORPORATE, "--contact-person", "张\u200b三"],
                       "--contact-person"))
    cases.append(_case("issue-address-control", ["issue", *swap(PERSON, "--address", "北京\x1b[2J")], "--address"))
    return cases


def _fee_cases() -> list:
    cases = []
    for fee in BAD_FEES:
        cases.append(_case(f"issue-fee-{fee}", ["issue", *swap(PERSON, "--annual-fee", fee)], "--annual-fee"))
        cases.append(_case(f"renew-fee-{fee}", ["renew", NO, "--signed-on", "2029-12-01", "--annual-fee", fee],
                           "--annual-fee"))
    for fee in ("1e30", "-5", "100000001"):
        cases.append(_case(f"amend-fee-{fee}", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on",
                                                "2026-03-01", "--set", f"annual_fee={fee}"], "annual"))
        cases.append(_case(f"generate-fee-{fee}", ["generate", *swap(PERSON, "--annual-fee", fee), "--out", "out"],
                           "--annual-fee"))
    return cases


def _file_cases() -> list:
    cases = []
    for command in ("issue", "generate"):
        for name, named in [("bomb.yaml", "别名"), ("anchor.yaml", "别名"), ("typo.yaml", "effective_date"),
                            ("typo.toml", "phone"), ("typo.json", "email"), ("big.yaml", "过大"),
                            ("list.yaml", "键值对"), ("broken.yaml", "格式错误"), ("broken.toml", "格式错误"),
                            ("broken.json", "格式错误"), ("gbk.yaml", "UTF-8"), ("fee.yaml", "annual"),
                            ("date.yaml", "effective"), ("date2.yaml", "effective"),
                            ("zw.yaml", "name"), ("missing.yaml", "找不到"), ("deep.yaml", "嵌套过深"),
                            ("deep.json", "嵌套过深"), ("deep.toml", "嵌套过深")]:
            cases.append(_case(f"{command}-from-{name}", [command, "--type", "individual", "--from", name],
                               "--from" if named in ("别名", "过大", "键值对", "格式错误", "UTF-8", "找不到", "嵌套过深") else named,
                               named))
    cases.append(_case("issue-typo-suggests", ["issue", "--type", "individual", "--from", "typo.yaml"],
                       "effective_dat：未知的字段，是否想写 effective_date？"))
    return cases


def _batch_cases() -> list:
    cases = []
    for name, named in [("big5.csv", "Big5"), ("sjis.csv", "Shift"), ("fee.csv", "年服务费"),
                        ("date.csv", "生效日期"), ("date2.csv", "生效日期"), ("bidi.csv", "姓名"),
                        ("dot.csv", "姓名"), ("ctrl.csv", "姓名"), ("huge.csv", "过大"), ("notes.txt", "hello"),
                        ("notzip.xlsx", "不是有效的 .xlsx"), ("weird.xlsx", "生效日期"),
                        ("empty.txt", "没有")]:
        for command in ("check", "issue"):
            extra = ["--out", "out"] if command == "issue" else []
            cases.append(_case(f"batch-{command}-{name}", ["batch", command, name, *extra], named))
    for name, named in SIGNED_NAMED.items():
        for command in ("check", "issue"):
            extra = ["--out", "out"] if command == "issue" else []
            cases.append(_case(f"batch-{command}-signed-{name}", ["batch", command, f"signed-{name}.csv", *extra],
                               "第2行", named))
    cases.append(_case("batch-issue-signed-render", ["batch", "issue", "signed-future.csv", "--out", "out",
                                                     "--render"], "签署日期"))
    cases.append(_case("batch-check-masks-id", ["batch", "check", "badid.csv"], "110105********0021"))
    cases.append(_case("batch-issue-jobs-0", ["batch", "issue", "ok.csv", "--out", "out", "--jobs", "0"], "--jobs",
                       code=2))
    cases.append(_case("batch-issue-out-file", ["batch", "issue", "ok.csv", "--out", "blocker"], "--out"))
    cases.append(_case("batch-issue-out-under-file", ["batch", "issue", "ok.csv", "--out", "blocker/out"], "--out"))
    cases.append(_case("batch-issue-format", ["batch", "issue", "ok.csv", "--out", "out", "--format", "odt"],
                       "--format"))
    cases.append(_case("batch-issue-type", ["batch", "issue", "ok.csv", "--out", "out", "--type", "家庭"], "type"))
    cases.append(_case("batch-template-suffix", ["batch", "template", "names.txt"], "模板"))
    cases.append(_case("batch-template-under-file", ["batch", "template", "blocker/names.xlsx"], "blocker"))
    cases.append(_case("batch-template-exists", ["batch", "template", "blocker.xlsx"], "已存在"))
    cases.append(_case("batch-issue-key-control", ["batch", "issue", "ok.csv", "--out", "out", "--batch-key",
                                                   "2026\x1b[2J"], "--batch-key"))
    cases.append(_case("batch-issue-key-long", ["batch", "issue", "ok.csv", "--out", "out", "--batch-key", "批" * 101],
                       "--batch-key"))
    cases.append(_case("batch-check-missing", ["batch", "check", "nothing.csv"], "nothing.csv", code=2))
    return cases


def _out_cases() -> list:
    cases = []
    targets = [("file", "blocker", "blocker"), ("under-file", "blocker/out", "blocker")]
    for kind, out, named in targets:
        cases.append(_case(f"issue-out-{kind}", ["issue", *PERSON, "--out", out], "--out", named))
        cases.append(_case(f"generate-out-{kind}", ["generate", *PERSON, "--out", out], "--out", named))
        cases.append(_case(f"consolidated-out-{kind}", ["consolidated", NO, "--out", out], "--out", named))
        cases.append(_case(f"amend-out-{kind}", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on",
                                                 "2026-03-01", "--set", "phone=13900000000", "--out", out], "--out"))
        cases.append(_case(f"report-out-{kind}", ["report", "expiring", "--format", "csv", "--out",
                                                  out + "/r.csv"], "--out", named))
    cases.append(_case("demo-out-file", ["demo", "--out", "blocker"], "--out", "blocker"))
    cases.append(_case("generate-contract-no", ["generate", *PERSON, "--contract-no", "VIP\u202e-1", "--out", "out"],
                       "--contract-no"))
    cases.append(_case("init-under-file", ["init", "blocker/profile.toml"], "blocker"))
    cases.append(_case("init-directory", ["init", "."], "目录"))
    cases.append(_case("init-exists", ["init", "blocker"], "已存在"))
    cases.append(_case("report-csv-no-out", ["report", "expiring", "--format", "csv"], "--out"))
    cases.append(_case("report-ics-renewals", ["report", "renewals", "--format", "ics", "--out", "x.ics"],
                       "--format"))
    cases.append(_case("report-format", ["report", "notices", "--format", "docx"], "--format"))
    return cases


def _other_cases() -> list:
    long_to = "北京市" * 120
    return [
        _case("send-to-long", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--to", long_to],
              "--to"),
        _case("send-to-control", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--to",
                                  "北京\x1b]8;;http://x\x07"], "--to"),
        _case("send-to-newline", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--to",
                                  "北京\n上海"], "--to"),
        _case("send-to-bidi", ["notice", "send", NO, "--kind", "other", "--method", "email", "--to",
                               "a\u202e@example.com"], "--to"),
        _case("send-kind", ["notice", "send", NO, "--kind", "love-letter", "--method", "courier"], "--kind", code=2),
        _case("send-method", ["notice", "send", NO, "--kind", "other", "--method", "pigeon"], "--method", code=2),
        _case("send-on-time", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--on",
                               "2026-01-05T25:00"], "--on"),
        _case("send-on-basic-time", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--on",
                                     "20260105T0900"], "--on"),
        _case("send-new-address-control", ["notice", "send", NO, "--kind", "address-change", "--method", "courier",
                                           "--new-address", "上海\x00市"], "--new-address"),
        _case("send-note-control", ["notice", "send", NO, "--kind", "other", "--method", "courier", "--note",
                                    "说明\x1b[31m"], "--note"),
        _case("send-unknown", ["notice", "send", "VIP-2025-999999", "--kind", "other", "--method", "courier"],
              "VIP-2025-999999"),
        _case("delivered-unknown", ["notice", "delivered", "N-999999", "--on", "2026-01-06"], "N-999999"),
        _case("delivered-no-on", ["notice", "delivered", NOTICE], "--on"),
        _case("returned-reason", ["notice", "returned", NOTICE, "--on", "2026-01-06", "--reason", "lost"],
              "--reason", code=2),
        _case("sign-twice", ["sign", NO, "--on", "2025-03-11"], "签署"),
        _case("sign-unknown", ["sign", "VIP-2099-000001", "--on", "2025-03-11"], "VIP-2099-000001"),
        _case("amend-set-shape", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-01",
                                  "--set", "annual_fee"], "--set"),
        _case("amend-set-field", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-01",
                                  "--set", "id_number=110105194912310021"], "id_number"),
        _case("amend-phone", ["amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-01",
                              "--set", "phone=12345"], "phone"),
        _case("renew-years", ["renew", NO, "--signed-on", "2029-12-01", "--years", "99"], "--years", code=2),
        _case("terminate-reason", ["terminate", NO, "--on", "2026-06-30", "--reason", "boredom"], "--reason", code=2),
        _case("terminate-note-control", ["terminate", NO, "--on", "2026-06-30", "--reason", "mutual",
                                         "--note", "x\x1b[2J"], "--note"),
        _case("void-signed", ["void", NO, "--on", "2026-01-01"], NO),
        _case("correct-seq", ["correct", NO, "--seq", "99", "--set", "on=2025-03-11"], "99"),
        _case("correct-seq-text", ["correct", NO, "--seq", "two"], "--seq", code=2),
        _case("correct-set-date", ["correct", NO, "--seq", "2", "--set", "on=9999-12-31"], "on"),
        _case("correct-set-basic-date", ["correct", NO, "--seq", "2", "--set", "on=20250311"], "on"),
        _case("show-unknown", ["show", "VIP-2025-999999"], "VIP-2025-999999"),
        _case("receivables-as-of", ["report", "receivables", "--as-of", "9999-12-31"], "--as-of"),
        _case("receivables-format", ["report", "receivables", "--format", "ics", "--out", "r.ics"], "--format"),
        _case("db-receivables-missing", ["--db", "wrong.json", "report", "receivables"], "wrong.json"),
        _case("late-fee-unknown", ["late-fee", "pay", "VIP-2025-999999", "--on", "2026-03-20", "--amount", "10"],
              "VIP-2025-999999"),
        _case("late-fee-no-amount", ["late-fee", "pay", NO, "--on", "2026-03-20"], "--amount"),
        _case("late-fee-no-on", ["late-fee", "pay", NO, "--amount", "10"], "--on"),
        _case("late-fee-amount-text", ["late-fee", "pay", NO, "--on", "2026-03-20", "--amount", "十"], "--amount"),
        _case("late-fee-future", ["late-fee", "pay", NO, "--on", "2099-03-20", "--amount", "10"], "--on"),
        _case("late-fee-beyond-owed", ["late-fee", "pay", NO, "--on", "2026-03-20", "--amount", "99999"], "--amount"),
        _case("late-fee-waive-no-by", ["late-fee", "waive", NO, "--on", "2026-03-20", "--note", "首次逾期"], "--by"),
        _case("late-fee-waive-no-note", ["late-fee", "waive", NO, "--on", "2026-03-20", "--by", "王经理"], "--note"),
        _case("late-fee-waive-year", ["late-fee", "waive", NO, "--on", "2026-03-20", "--by", "王经理", "--note", "首次逾期",
                                      "--year", "99"], "--year"),
        _case("pay-unknown", ["pay", "VIP-2025-999999", "--on", "2025-03-20", "--amount", "100"], "VIP-2025-999999"),
        _case("pay-no-on", ["pay", NO, "--amount", "100"], "--on"),
        _case("pay-no-amount", ["pay", NO, "--on", "2025-03-20"], "--amount"),
        _case("pay-amount-text", ["pay", NO, "--on", "2025-03-20", "--amount", "一百"], "--amount"),
        _case("pay-amount-huge", ["pay", NO, "--on", "2025-03-20", "--amount", "1e30"], "--amount"),
        _case("pay-future", ["pay", NO, "--on", "2099-03-20", "--amount", "100"], "--on"),
        _case("pay-basic-date", ["pay", NO, "--on", "20250320", "--amount", "100"], "--on"),
        _case("pay-year", ["pay", NO, "--on", "2025-03-20", "--amount", "100", "--year", "99"], "--year"),
        _case("pay-method", ["pay", NO, "--on", "2025-03-20", "--amount", "100", "--method", "bitcoin"],
              "--method", code=2),
        _case("pay-reference-control", ["pay", NO, "--on", "2025-03-20", "--amount", "100",
                                        "--reference", "x\x1b[2J"], "--reference"),
        _case("pay-refund-no-note", ["pay", NO, "--on", "2025-03-20", "--amount", "-100"], "--note"),
        _case("find-empty", ["find", " "], "查找的内容"),
        _case("find-control", ["find", "张\x1b[2J"], "查找内容"),
        _case("find-long", ["find", "长" * 101], "查找内容"),
        _case("db-find-missing", ["--db", "wrong.json", "find", "张三"], "wrong.json"),
        _case("list-status", ["list", "--status", "happy"], "--status", code=2),
        _case("check-head", ["check", "--expect-head", "abc"], "--expect-head"),
        _case("verify-missing", ["verify", "nothing.pdf"], "nothing.pdf", code=2),
        _case("verify-head", ["verify", "blocker", "--expect-head", "x:y"], "--expect-head"),
        _case("data-missing", ["data", "nothing.pdf"], "nothing.pdf", "找不到"),
        _case("data-not-pdf", ["data", "blocker"], "blocker", "不是 PDF"),
        _case("data-broken", ["data", "broken.pdf"], "broken.pdf"),
        _case("issue-from-broken-pdf", ["issue", "--type", "individual", "--from", "broken.pdf"], "--from",
              "broken.pdf"),
        _case("reprint-unknown", ["reprint", "VIP-2025-999999", "--out", "out"], "VIP-2025-999999"),
        _case("reprint-no-out", ["reprint", NO], "--out", code=2),
        _case("db-reprint-missing", ["--db", "wrong.json", "reprint", NO, "--out", "out"], "wrong.json"),
        _case("seal-no-cert", ["seal", NO], "--cert", code=2),
        _case("seal-cert-missing", ["seal", NO, "--cert", "nothing.p12"], "--cert", "nothing.p12"),
        _case("seal-cert-not-p12", ["seal", NO, "--cert", "typo.json"], "--cert", "PKCS#12"),
        _case("seal-cert-directory", ["seal", NO, "--cert", "."], "--cert", "目录"),
        _case("seal-password-option", ["seal", NO, "--cert", "typo.json", "--password", "x"], "--password", code=2),
        _case("seal-password-file-missing", ["seal", NO, "--cert", "typo.json", "--password-file", "nothing.txt"],
              "--password-file", "nothing.txt"),
        _case("seal-out-file", ["seal", NO, "--cert", "typo.json", "--out", "blocker"], "--out", "blocker"),
        _case("db-seal-missing", ["--db", "wrong.json", "seal", NO, "--cert", "typo.json"], "typo.json"),
        _case("expiring-within", ["report", "expiring", "--within", "-1"], "--within", code=2),
        _case("amendments-contract", ["report", "amendments", "--contract", "VIP-2025-999999"], "VIP-2025-999999"),
        _case("consolidated-unknown", ["consolidated", "VIP-2025-999999", "--out", "out"], "VIP-2025-999999"),
        _case("consolidated-format", ["consolidated", NO, "--format", "odt", "--out", "out"], "--format"),
        _case("generate-format", ["generate", *PERSON, "--format", "doc", "--out", "out"], "--format"),
        _case("generate-type", ["generate", "--type", "家庭", "--name", "x", "--out", "out"], "type"),
        _case("generate-id", ["generate", *swap(PERSON, "--id-number", "110105194912310021"), "--out", "out"],
              "--id-number"),
        _case("generate-phone", ["generate", *swap(PERSON, "--phone", "12345"), "--out", "out"], "--phone"),
        _case("generate-email", ["generate", *swap(PERSON, "--email", "a@b"), "--out", "out"], "--email"),
        _case("generate-credit", ["generate", *swap(CORPORATE, "--credit-code", "91110000600037341X"),
                                  "--out", "out"], "--credit-code"),
        _case("issue-no-type", ["issue", "--name", "张三"], "--type"),
        # an agreement already signed on paper, brought in by a single issue
        _case("issue-signed-before-issue", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on",
                                            "2025-02-28"], "--signed-on"),
        _case("issue-signed-future", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on", "2099-03-01"],
              "--signed-on"),
        _case("issue-signed-basic-date", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on",
                                          "20250308"], "--signed-on"),
        _case("issue-signed-no-issued-on", ["issue", *PERSON, "--signed-on", "2025-03-08"], "--issued-on"),
        _case("issue-signed-effective-first", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on",
                                               "2025-03-08", "--effective-date", "2025-03-05"], "--effective-date"),
        _case("issue-paid-until-text", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on", "2025-03-08",
                                        "--paid-until", "两年", "--paid-on", "2025-03-20"], "--paid-until"),
        _case("issue-paid-beyond", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on", "2025-03-08",
                                    "--paid-until", "5", "--paid-on", "2025-03-20", "--render"], "--paid-until"),
        _case("issue-paid-no-on", ["issue", *PERSON, "--issued-on", "2025-03-01", "--signed-on", "2025-03-08",
                                   "--paid-until", "1"], "--paid-on"),
        _case("issue-paid-unsigned", ["issue", *PERSON, "--paid-until", "1", "--paid-on", "2025-03-20"],
              "--paid-until"),
        _case("issue-prefix", ["--profile", "prefix.toml", "issue", *PERSON], "number_prefix"),
        _case("issue-prefix-space", ["--profile", "prefix2.toml", "issue", *PERSON], "number_prefix"),
        _case("issue-lpr-date", ["--profile", "lpr.toml", "issue", *PERSON], "lpr_published_on"),
        _case("issue-profile-big", ["--profile", "bigprofile.toml", "issue", *PERSON], "过大"),
        _case("issue-profile-deep", ["--profile", "deep.toml", "issue", *PERSON], "嵌套过深"),
        _case("issue-profile-missing", ["--profile", "nothing.toml", "issue", *PERSON], "nothing.toml"),
        # a wrong --db: never an empty register shown, never a new one started silently
        _case("db-list-missing", ["--db", "wrong.json", "list"], "wrong.json"),
        _case("db-show-missing", ["--db", "wrong.json", "show", NO], "wrong.json"),
        _case("db-check-missing", ["--db", "wrong.json", "check"], "wrong.json"),
        _case("db-report-missing", ["--db", "wrong.json", "report", "expiring"], "wrong.json"),
        _case("db-consolidated-missing", ["--db", "wrong.json", "consolidated", NO, "--out", "out"], "wrong.json"),
        _case("db-verify-missing", ["--db", "wrong.json", "verify", "blocker"], "wrong.json"),
        _case("db-issue-new", ["--db", "wrong.json", "issue", *PERSON], "--new-register"),
        _case("db-sign-new", ["--db", "wrong.json", "sign", NO, "--on", "2025-03-10"], "wrong.json"),
        _case("db-batch-new", ["--db", "wrong.json", "batch", "issue", "ok.csv", "--out", "out"], "--new-register"),
        _case("db-directory", ["--db", ".", "list"], "目录"),
        _case("db-foreign", ["--db", "blocker", "list"], "blocker"),
        _case("db-under-file", ["--db", "blocker/register.json", "issue", *PERSON], "blocker"),
        _case("db-under-file-new", ["--db", "blocker/register.json", "--new-register", "issue", *PERSON],
              "blocker/register.json"),
        _case("db-new-in-missing-folder-read", ["--db", "nofolder/register.json", "list"], "nofolder"),
        # the documents kept with the register, and a register copied elsewhere
        _case("documents-list-unknown", ["documents", "list", "VIP-2025-999999"], "VIP-2025-999999"),
        _case("documents-get-unknown", ["documents", "get", "VIP-2025-999999", "--out", "out"], "VIP-2025-999999"),
        _case("documents-get-sha256", ["documents", "get", NO, "--sha256", "zz", "--out", "out"], "--sha256"),
        _case("documents-get-file", ["documents", "get", NO, "--file", "nothing.pdf", "--out", "out"], "--file"),
        _case("documents-get-out-file", ["documents", "get", NO, "--out", "blocker"], "blocker"),
        _case("documents-get-not-kept", ["documents", "get", NO, "--out", "out"], "documents add"),
        _case("documents-add-stranger", ["documents", "add", "blocker"], "blocker"),
        _case("documents-add-missing", ["documents", "add", "nothing.pdf"], "nothing.pdf", code=2),
        _case("db-copy-missing-from", ["db", "copy", "--from", "nothing.json", "--to", "copy.json"], "--from"),
        _case("db-copy-same", ["db", "copy", "--from", "register.json", "--to", "./register.json"], "同一本"),
        _case("db-copy-foreign-to", ["db", "copy", "--from", "register.json", "--to", "blocker"], "blocker"),
        _case("db-copy-under-file", ["db", "copy", "--from", "register.json", "--to", "blocker/r.json"], "blocker"),
        _case("db-copy-no-to", ["db", "copy", "--from", "register.json"], "--to", code=2),
        # the db commands are for a server's register; a server that cannot be reached is said, its password not
        _case("db-init-file", ["db", "init"], "--db", "postgresql://"),
        _case("db-upgrade-file", ["db", "upgrade"], "--db", "postgresql://"),
        _case("db-url-other", ["--db", "mysql://clerk:s3cret@localhost/register", "list"], "postgresql://"),
        _case("db-url-down", ["--db", "postgresql://clerk:s3cret@127.0.0.1:1/register", "list"],
              "服务器没有运行或拒绝连接", "clerk:***@"),
    ]


CASES = [*_date_cases(), *_name_cases(), *_fee_cases(), *_file_cases(), *_batch_cases(), *_out_cases(),
         *_other_cases()]


def _weird_workbook(path: Path) -> None:
    """A list whose 生效日期 is a date serial no calendar has (openpyxl warns in English about it)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "个人客户"
    ws.append(["姓名", "身份证号", "联系电话", "通讯地址", "电子邮箱", "年服务费", "生效日期"])
    ws.append(["张三", "11010519491231002X", "13800000000", "北京市朝阳区", "a@example.com", 12800, 1e10])
    ws["G2"].number_format = "yyyy-mm-dd"
    wb.save(path)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and its bytes, but the register's sidecar index (a cache any reader may build:
    store/sidecar.py)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*")) if ".json.index" not in p.name}


@pytest.fixture(scope="module")
def input_files(tmp_path_factory) -> Path:
    """The cases' input files, written once (22 MB, most of it in three files over the limits)."""
    folder = tmp_path_factory.mktemp("inputs")
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    (folder / "blocker.xlsx").write_bytes(b"x")
    _weird_workbook(folder / "weird.xlsx")
    return folder


LINKED = 100_000  # input files this large are hard links to the one copy (a write would replace them)


@pytest.fixture
def workspace(tmp_path, seeded, input_files, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(seeded, work / "register.json")
    for source in input_files.iterdir():
        if source.stat().st_size >= LINKED:
            os.link(source, work / source.name)
        else:
            shutil.copy(source, work / source.name)
    monkeypatch.chdir(work)
    monkeypatch.setenv("VIPCONTRACT_LOG", str(tmp_path / "log" / "error.log"))
    monkeypatch.delenv("VIPCONTRACT_DB", raising=False)
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: False)
    return work


def _command_paths(group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    paths = set()
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        paths |= _command_paths(command, (*prefix, name)) if sub else {(*prefix, name)}
    return paths


def _case_command(args: list[str]) -> tuple[str, ...]:
    while args[0] in ("--db", "--profile", "--new-register"):
        args = args[1:] if args[0] == "--new-register" else args[2:]
    return tuple(args[:2]) if args[0] in ("batch", "notice", "report", "documents", "db", "late-fee") else (args[0],)


def test_the_table_is_large_enough_and_covers_every_command():
    assert len(CASES) >= 150
    assert _command_paths(cli.main) <= {_case_command(list(p.values[0])) for p in CASES}


@pytest.mark.parametrize("args, named, code", CASES)
def test_bad_input(workspace, tmp_path, args, named, code):
    before = snapshot(workspace)
    root = [] if args[0] in ("--db", "--profile") else ["--db", "register.json"]
    result = CliRunner().invoke(cli.main, [*root, *args], catch_exceptions=False)
    output = result.output
    assert result.exit_code == code, output
    assert CJK.search(output), output
    for text in named:
        assert text in output, output
    assert not ENGLISH.search(output), output
    assert snapshot(workspace) == before
    assert not (tmp_path / "log").exists(), output  # a bad input is not an internal error

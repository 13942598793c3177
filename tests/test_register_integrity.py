"""What `check` and `verify` catch in a register file that was changed behind the program's back:
lines removed, a contract removed, a forged event with every hash recomputed, a second line for
a seq, a file cut short; the head kept outside the file; version-1 registers; files that are not
registers; torn lines set aside, as the command line tells them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from contracts.dates import DeliveryMethod
from contracts.events import NoticeKind, content_hash
from service import register as R
from store import StoreError, TinyDBStore
from store.chain import GENESIS, sealed_line
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)
from tests.test_register_service import NOW, D, issue, when

HEADER_V1 = b'{"format":"vipcontract-register","version":1}\n'


@pytest.fixture
def register(tmp_path, profile, fake_renderer) -> Path:  # noqa: F811
    """A (lines 2-3), B (4-5), C (6-7): a contract's last event is in the middle of the file."""
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    a = issue(store, profile, tmp_path / "out").contract_no
    R.sign(store, profile, a, D("2025-03-10"), now=NOW)
    b = issue(store, profile, tmp_path / "out", kind="corporate").contract_no
    R.sign(store, profile, b, D("2025-03-12"), now=NOW)
    R.void(store, profile, issue(store, profile, tmp_path / "out", day="2025-03-02").contract_no,
           D("2025-03-05"), now=NOW)
    return path


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().split(b"\n")[1:-1]]


def write(path: Path, entries: list[dict], header: bytes | None = None) -> None:
    header = header or path.read_bytes().split(b"\n", 1)[0] + b"\n"
    path.write_bytes(header + b"".join(orjson.dumps(e) + b"\n" for e in entries))


def reseal(entries: list[dict]) -> list[dict]:
    """Every hash recomputed, per contract and over the journal: what a forger with this
    program's code can do."""
    last: dict[str, str] = {}
    sealed, prev = [], GENESIS
    for position, entry in enumerate(entries, start=2):
        docs = {}
        for key, record in entry["d"].items():
            record = {**record, "prev_hash": last.get(record["contract_no"], GENESIS)}
            record["hash"] = last[record["contract_no"]] = content_hash(record)
            docs[key] = record
        line = sealed_line(position, prev, entry["t"], docs)
        sealed.append(line)
        prev = line["h"]
    return sealed


def check(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), "check", *args])


def head_of(path: Path) -> str:
    return TinyDBStore(path).head().token()


def test_a_register_as_written_checks_and_prints_its_head(register):
    result = check(register)
    assert result.exit_code == 0, result.output
    head = TinyDBStore(register).head()
    assert head.position == 7 and len(head.hash) == 64
    assert f"登记簿末端：第 7 行 {head.hash}" in result.output
    assert check(register, "--expect-head", head.token()).exit_code == 0
    assert check(register, "--expect-head", f"5:{lines(register)[3]['h'][:16]}").exit_code == 0


def test_deleting_a_contracts_last_event_is_found(register):
    entries = lines(register)
    write(register, entries[:3] + entries[4:])  # B's signing, line 5
    result = check(register)
    assert result.exit_code == 1
    assert "第 5 行：这一行记载自己是第 6 行（前面有行被删除或插入）" in result.output


def test_deleting_the_last_line_is_found_by_the_head_kept_outside(register):
    kept = head_of(register)
    write(register, lines(register)[:-1])
    assert check(register).exit_code == 0  # what is left is a register in its own right
    result = check(register, "--expect-head", kept)
    assert result.exit_code == 1
    assert "登记簿不再延续给定的末端：给定的是第 7 行，登记簿现在只到第 6 行" in result.output


def test_deleting_a_whole_contract_is_found(register):
    entries = lines(register)
    write(register, entries[:2] + entries[4:])  # B, lines 4-5
    result = check(register)
    assert result.exit_code == 1 and "第 4 行：这一行记载自己是第 6 行" in result.output


def forged_correction(entries: list[dict]) -> dict:
    """A third event for A, recorded as if made before C was issued: a correction of its signing."""
    signing = entries[1]["d"]["2"]
    return {"t": signing["contract_no"], "d": {"3": {
        **signing, "seq": 3, "kind": "corrected",
        "data": {"corrects_seq": 2, "retract": False, "note": "",
                 "changes": [{"field": "signed_on", "old": "2025-03-10", "new": "2025-03-09"}]}}}}


def test_a_forged_event_with_every_hash_recomputed_is_caught_by_an_earlier_head(register):
    kept = head_of(register)
    entries = lines(register)
    write(register, reseal(entries[:4] + [forged_correction(entries)] + entries[4:]))
    quiet = check(register)
    assert quiet.exit_code == 0, quiet.output  # consistent in itself: every hash recomputed
    result = check(register, "--expect-head", kept)
    assert result.exit_code == 1
    assert "登记簿不再延续给定的末端：第 7 行的哈希现为" in result.output
    assert "（该行或其前面的登记被改动、删除、插入或整体重算）" in result.output


def test_a_chain_re_hashed_after_a_change_is_caught_by_an_earlier_head(register):
    kept = head_of(register)
    entries = lines(register)
    entries[1]["d"]["2"]["data"]["signed_on"] = "2025-03-11"
    entries[1]["d"]["2"]["data"]["effective_date"] = "2025-03-11"
    write(register, reseal(entries))
    assert check(register).exit_code == 0
    assert check(register, "--expect-head", kept).exit_code == 1
    assert check(register, "--expect-head", "2:" + entries[0]["h"]).exit_code == 0  # before the change


def test_a_second_line_for_a_seq_is_reported_and_not_preferred(register, profile):
    entries = lines(register)
    again = {"t": entries[1]["t"], "d": {"2": {**entries[1]["d"]["2"], "data": {
        "signed_on": "2025-03-11", "effective_date": "2025-03-11"}}}}
    write(register, reseal(entries + [again]))
    result = check(register)
    assert result.exit_code == 1
    assert f"第 8 行重复登记了合同 {again['t']} 第 2 条记录（第 3 行已有该条）" in result.output
    shown = CliRunner().invoke(main, ["--db", str(register), "show", again["t"]])
    assert (shown.exit_code, "第 8 行重复登记" in shown.output) == (1, True)


def test_a_file_cut_in_the_middle_of_a_line_is_reported(register):
    kept = head_of(register)
    data = register.read_bytes()
    register.write_bytes(data[: len(data) // 2])
    result = check(register, "--expect-head", kept)
    assert result.exit_code == 1
    assert "登记簿现在只到第" in result.output
    assert "没有换行符的内容" in result.output  # the cut line: never read, never silently cut


def test_a_file_cut_between_lines_is_found_by_the_head(register):
    kept = head_of(register)
    write(register, lines(register)[:3])
    result = check(register, "--expect-head", kept)
    assert result.exit_code == 1 and "登记簿现在只到第 4 行" in result.output


def test_a_line_edited_by_hand_is_not_acted_on_by_the_commands_that_read_that_contract(register):
    """Not only `check`: `show` and every writer verify the contract's own chain before they act."""
    entries = lines(register)
    a = entries[0]["t"]
    entries[0]["d"]["1"]["data"]["customer"]["name"] = "李四"  # hashes left as they were
    write(register, entries)
    edited = register.read_bytes()
    for args in (["show", a], ["pay", a, "--on", "2025-03-20", "--amount", "100"],
                 ["notice", "send", a, "--kind", "other", "--method", "email", "--on", "2025-04-01"]):
        result = CliRunner().invoke(main, ["--db", str(register), *args])
        assert result.exit_code == 1, (args, result.output)
        assert f"合同 {a} 的登记不可信：哈希链断裂：第 1 条事件的内容与其哈希值不符" in result.output, result.output
        assert "请运行 vipcontract check" in result.output and "Traceback" not in result.output
        assert "李四" not in result.output
    assert register.read_bytes() == edited


def test_a_copy_put_back_checks_against_the_head_kept_with_it_and_goes_on(register, profile, tmp_path):
    """The README's restore: the copy and the head printed when it was made; events recorded
    after the copy are missing (a later head says so) until entered again."""
    import shutil

    copy, kept_with_copy = tmp_path / "copy.json", head_of(register)
    shutil.copy2(register, copy)
    a = lines(register)[0]["t"]
    notice = R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, when("2025-04-01"))
    R.send_notice(TinyDBStore(register), profile, a, notice, now=NOW)  # after the copy
    kept_later = head_of(register)
    shutil.copyfile(copy, register)  # the file lost; its copy put back
    assert check(register, "--expect-head", kept_with_copy).exit_code == 0
    later = check(register, "--expect-head", kept_later)
    assert later.exit_code == 1 and "给定的是第 8 行，登记簿现在只到第 7 行" in later.output
    again = R.send_notice(TinyDBStore(register), profile, a, notice, now=NOW)  # entered again
    assert again.event.body.notice_id == "N-000001"
    assert check(register, "--expect-head", kept_with_copy).exit_code == 0


def test_a_damaged_line_is_reported_and_the_head_is_unknown(register):
    data = register.read_bytes().split(b"\n")
    data[3] = data[3][:20]
    register.write_bytes(b"\n".join(data))
    result = check(register)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["已检查 0 份合同、0 条记录，发现 1 个问题：", "  登记簿文件第 4 行已损坏，无法读取",
                                          "登记簿末端：无法确定（文件中有无法读取的行）"]


def test_a_bad_expected_head_is_one_message(register):
    for bad in ("7", "x:abc", "7:abc", "7:" + "g" * 64):
        result = check(register, "--expect-head", bad)
        assert result.exit_code == 1 and result.output.startswith("错误：--expect-head：应为“行号:哈希”")
        assert "Traceback" not in result.output


# ---------------------------------------------------------------- verify
def test_verify_trusts_a_file_only_while_the_chain_holds(register, tmp_path):
    pdf = next((tmp_path / "out").glob("*.pdf"))
    ok = CliRunner().invoke(main, ["--db", str(register), "verify", str(pdf)])
    assert ok.exit_code == 0 and "本登记簿签发的文书" in ok.output
    before = CliRunner().invoke(main, ["--db", str(register), "verify", str(pdf), "--expect-head", "2:" + "0" * 16])
    assert before.exit_code == 1 and "不可信" in before.output
    entries = lines(register)
    entries[-1]["d"]["2"]["data"]["reason"] = "改动"  # a later line: the chain breaks after the file's
    write(register, entries)
    doubted = CliRunner().invoke(main, ["--db", str(register), "verify", str(pdf)])
    assert doubted.exit_code == 1
    assert "但该登记不可信：登记簿的哈希链有问题（第 7 行：这一行的内容与其哈希不符" in doubted.output


# ---------------------------------------------------------------- version 1
def test_a_version_1_register_opens_and_the_chain_covers_it_from_the_next_append(register, profile):
    old = [{"t": e["t"], "d": e["d"]} for e in lines(register)]
    write(register, old, header=HEADER_V1)
    before = register.read_bytes()
    first = check(register)
    assert first.exit_code == 0 and "尚无全登记簿哈希链：下一次登记时开始" in first.output
    kept = head_of(register)  # computed over the old lines
    R.send_notice(TinyDBStore(register), profile, old[0]["t"], R.NoticeRequest(
        NoticeKind.OTHER, DeliveryMethod.EMAIL, when("2025-04-01")), now=NOW)
    assert register.read_bytes().startswith(before)  # no committed line rewritten
    after = check(register, "--expect-head", kept)
    assert after.exit_code == 0, after.output
    assert "第 2–7 行写于全登记簿哈希链之前，由第 8 行起的哈希链一并覆盖" in after.output
    assert lines(register)[-1]["p"] == kept.split(":")[1]
    entries = lines(register)
    entries[3]["d"]["2"]["data"]["signed_on"] = "2025-03-13"  # an old line changed and re-hashed
    entries[3]["d"]["2"]["hash"] = content_hash(entries[3]["d"]["2"])
    write(register, entries)
    result = check(register)
    assert result.exit_code == 1
    assert "第 8 行：这一行记载的前一行哈希与实际不符" in result.output


# ---------------------------------------------------------------- files the register must not touch
@pytest.mark.parametrize("content", [b'{"_default": {"1": {"a": 1}}}', b'{"_default": {}}\n', b"hello\n"])
def test_a_file_that_is_not_a_register_is_left_byte_for_byte(tmp_path, content):
    path = tmp_path / "db.json"
    path.write_bytes(content)
    for args in (["check"], ["list"], ["sign", "VIP-2025-000001", "--on", "2025-03-10"]):
        result = CliRunner().invoke(main, ["--db", str(path), *args])
        assert result.exit_code == 1, args
        assert result.output == (f"错误：{path} 不是 vipcontract 登记簿文件（第一行不是登记簿标识），"
                                 "未作任何改动；请检查 --db 或环境变量 VIPCONTRACT_DB 指向的文件\n")
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]


def test_a_write_that_finds_a_whole_event_without_its_newline_stops_and_says_so(register):
    entries = lines(register)
    register.write_bytes(register.read_bytes()[:-1])  # C's voiding lost its newline
    c = entries[-1]["t"]
    listed = check(register)
    assert listed.exit_code == 1 and f"内容是一条完整的登记：合同 {c} 第 2 条" in listed.output
    refused = CliRunner().invoke(main, ["--db", str(register), "void", c, "--on", "2025-03-06"])
    [aside] = register.parent.glob("register.json.torn-*")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"警告：登记簿末尾没有换行符的内容（{aside.stat().st_size} 字节，内容是一条完整的登记：合同 {c} 第 2 条）已另存为 "
        f"{aside}，并从登记簿中移除；请核对其内容（vipcontract check 会一直列出该文件，直到它被移走）",
        f"错误：本次操作未执行：登记簿末尾的一条完整登记（合同 {c} 第 2 条）缺少换行符，已另存为 {aside}"
        "并从登记簿中移除。请核对：如它是已发生的事项，请先按其内容重新登记，再重试本次操作"]
    result = check(register)
    assert result.exit_code == 1
    assert f"{aside}：登记簿末尾的残行" in result.output and "尚待处理" in result.output
    again = CliRunner().invoke(main, ["--db", str(register), "void", c, "--on", "2025-03-05"])
    assert again.exit_code == 0 and again.stderr == ""  # re-registered as it was; told once


def test_a_notice_number_is_not_given_again_behind_the_clerks_back(tmp_path, profile, fake_renderer):  # noqa: F811
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    no = issue(store, profile, tmp_path / "out").contract_no
    R.sign(store, profile, no, D("2025-03-10"), now=NOW)
    notice = R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, when("2025-04-01"))
    assert R.send_notice(store, profile, no, notice, now=NOW).event.body.notice_id == "N-000001"
    path.write_bytes(path.read_bytes()[:-1])  # the notice's line lost its newline
    with pytest.raises(StoreError, match=f"合同 {no} 第 3 条"):
        R.send_notice(TinyDBStore(path), profile, no, notice, now=NOW)
    assert TinyDBStore(path).history(no)[-1]["seq"] == 2  # nothing registered in its place

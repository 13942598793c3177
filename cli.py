"""vipcontract 命令行：VIP 客户服务协议的生成、登记与跟踪。

This module parses, calls the service layer, and prints. Business rules live in contracts/.
"""

from __future__ import annotations

import signal
import sys
import threading


def _interrupted_while_starting(signum: int, frame: object) -> None:
    sys.stderr.write("\n已中断。\n")
    raise SystemExit(130)


# Loading the libraries below takes most of a second: a Ctrl-C then ends the command with the
# same line and code as later, not with a traceback of whichever import it cut.
_IMPORTED_IN_MAIN_THREAD = threading.current_thread() is threading.main_thread()  # where signals are set
_SIGINT_BEFORE_START = (signal.signal(signal.SIGINT, _interrupted_while_starting)
                        if _IMPORTED_IN_MAIN_THREAD else None)

import contextlib
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click
from platformdirs import user_config_dir

from contracts.customer import CustomerType, field_label, required_fields
from contracts.dates import SHANGHAI, DeliveryMethod, local_date
from contracts.errors import ContractError, InvalidInput, Problem
from contracts.events import (
    Amended,
    Corrected,
    LateFeePaid,
    LateFeeWaived,
    NoticeKind,
    NoticeSent,
    Paid,
    PaymentMethod,
    Renewed,
    ReturnReason,
    Terminated,
    TerminationReason,
)
from contracts.register import Status
from service.output import parse_formats
from service.sources import DEFAULT_PROFILE, load_profile

# ---------------------------------------------------------------- click in Chinese
_ZH = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "输入 '{command} {option}' 查看帮助。",
    "No such command {name!r}.": "没有名为 {name!r} 的命令。",
    "No such option {name!r}.": "没有名为 {name!r} 的选项。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Aborted!": "已取消。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "Error: invalid input": "错误：输入无效",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字。",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选值 {choices} 之中。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    # every other message of click 8.5 a user can see (its gettext strings)
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Did you mean {possibility}?": "是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否要输入以下之一：{possibilities}？）",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要写 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能写值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 要写 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Choose from:\n\t{choices}": "可选：{choices}",
    "required": "必填",
    "deprecated": "已停用",
    "(dynamic)": "（运行时确定）",
    "Positional arguments": "参数",
    "{value} is not in the range {range}.": "{value} 超出允许的范围（{range}）。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，应为文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取（没有权限）。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入（没有权限）。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不能执行。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，只写了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.": "需要 {len_type} 个值，写了 {len_value} 个。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只写了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，写了 {len} 个。",
    "Value must be an iterable.": "应为多个值。",
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不询问，直接确认。",
    "Press any key to continue...": "按任意键继续……",
    "unknown error": "未知错误",
    "Windows error: {error}": "Windows 错误：{error}",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "注意：命令 {name!r} 已停用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "注意：{param_type} {name!r} 已停用。{extra_message}",
}


def _zh(message: str) -> str:
    return _ZH.get(message, message)


def _zh_plural(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


for _module in ("core", "exceptions", "formatting", "decorators", "parser", "types", "termui"):
    # a click module: the gettext hooks it calls are its own, not in its types
    _target: Any = getattr(click, _module, None) or __import__(f"click.{_module}")
    _target._ = _zh
    if hasattr(_target, "ngettext"):
        _target.ngettext = _zh_plural

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ---------------------------------------------------------------- help that fits the terminal
# click measures text in characters and wraps at spaces; a Chinese character takes two columns
# and Chinese has no spaces, so its help overflowed 80 columns, placeholders such as 字段=新值
# pushed the help column out of line and field names were cut mid-word. These two functions are
# click's own, measuring in terminal cells and breaking lines where Chinese text may break.
def _cells(x: str) -> int:  # stands in for click's term_len: the same parameter name
    from click._compat import strip_ansi

    from contracts.report_model import text_width

    return text_width(strip_ansi(x))


def _join_lines(lines: Sequence[str]) -> str:
    """A paragraph's lines as one: a space between Latin words, none between Chinese ones."""
    text = ""
    for line in lines:
        if text and not (_cells(text[-1]) == 2 or _cells(line[0]) == 2):
            text += " "
        text += line
    return text


def _fill(text: str, width: int, first: str, rest: str) -> str:
    from renderers.report_table import wrap_cell

    lines = wrap_cell(text, max(width - max(_cells(first), _cells(rest)), 10)).split("\n")
    return "\n".join((first if i == 0 else rest) + line for i, line in enumerate(lines))


def _wrap_help(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
               preserve_paragraphs: bool = False) -> str:
    """click.formatting.wrap_text in terminal cells; a paragraph after a line of "\\b" is kept as written."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return _fill(_join_lines(text.splitlines()) if text else "", width, initial_indent, subsequent_indent)
    paragraphs: list[tuple[int, list[str]]] = []
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            paragraphs.append((0, []))
        elif not paragraphs or not paragraphs[-1][1]:
            paragraphs[-1:] = [(_cells(line) - _cells(line.lstrip()), [line.lstrip()])]
        else:
            paragraphs[-1][1].append(line.lstrip() if paragraphs[-1][1][0] != "\b" else line)
    out = []
    for indent, lines in (p for p in paragraphs if p[1]):
        pad = " " * indent
        if lines[0] == "\b":
            out.append("\n".join(subsequent_indent + pad + line[indent:] if i else initial_indent + pad
                                 + line[indent:] for i, line in enumerate(lines[1:])))
        else:
            out.append(_fill(_join_lines(lines), width, initial_indent + pad, subsequent_indent + pad))
    return "\n\n".join(out)


class _ZhHelpFormatter(click.HelpFormatter):
    """Headings with a full-width colon, "用法：" without a gap after it."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)


click.formatting.term_len = _cells
click.formatting.wrap_text = _wrap_help
click.Context.formatter_class = _ZhHelpFormatter


# ---------------------------------------------------------------- choices typed in Chinese
class LabelChoice(click.ParamType):
    """One of an enum's members, typed by its Chinese label (续签提醒), its code
    (renewal-reminder) or a short form (快递); the command receives the member."""

    def __init__(self, enum: type[Enum], what: str, allowed: tuple[Any, ...] | None = None):
        self.enum, self.what, self.allowed = enum, what, allowed
        self.name = what

    @property
    def members(self) -> tuple[Any, ...]:
        return tuple(self.enum) if self.allowed is None else self.allowed

    def help(self, lead: str) -> str:
        from contracts.labels import choices_text

        return f"{lead}：{choices_text(self.members)}。"

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        from contracts.labels import choices_text

        return f"可选：{choices_text(self.members)}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from contracts.labels import parse_choice

        if isinstance(value, self.enum):
            return value
        try:
            return parse_choice(self.enum, value, param.name if param else "", self.what, self.allowed)
        except InvalidInput as exc:
            self.fail(exc.problems[0].message, param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(m.value) for m in self.members if m.value.startswith(incomplete)]


class ZhIntRange(click.IntRange):
    """click.IntRange saying its range in Chinese (1 至 30) rather than as 1<=x<=30."""

    def _describe_range(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min} 至 {self.max}"
        return f"不小于 {self.min}" if self.min is not None else f"不大于 {self.max}"


# ---------------------------------------------------------------- shared plumbing
def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


def domain_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the domain's errors into a click error: message in Chinese, exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            raise click.ClickException("\n".join(map(describe_problem, exc.problems))) from exc
        except ContractError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


click.ClickException.exit_code = 1


def describe_problem(problem) -> str:
    """Name the option the clerk typed: `--id-number：…` rather than the internal field."""
    if not problem.field or "." in problem.field:
        return str(problem)
    return f"--{problem.field.replace('_', '-')}：{problem.message}"


def profile_path_default() -> Path:
    return Path(user_config_dir("vipcontract")) / "profile.toml"


class Settings:
    """Where the register and the company profile are, resolved once per invocation."""

    def __init__(self, db: str | None, profile: str | None, new_register: bool = False):
        self.db_option = db
        self.profile_option = profile
        self.new_register = new_register

    @functools.cached_property
    def profile_path(self) -> Path | None:
        if self.profile_option:
            return Path(self.profile_option)
        default = profile_path_default()
        return default if default.exists() else None

    @functools.cached_property
    def profile(self):
        return load_profile(self.profile_path)

    @functools.cached_property
    def db_path(self) -> Path | str:
        """The register's file, or a server's address as typed (a URL or libpq's key=value
        parameters: text, since a Path would fold a URL's "//")."""
        from store import register_target

        return register_target(self.db_option or None)


pass_settings = click.make_pass_decorator(Settings)


def require_issuing_profile(settings: Settings) -> None:
    """A registered contract never carries the built-in sample provider: say where the
    profile goes and how to make it."""
    from contracts.profile import sample_refusal

    problem = sample_refusal(settings.profile)
    if problem:
        where = settings.profile_path or profile_path_default()
        state = "仍是内置示例，未修改" if settings.profile_path else "尚未建立"
        raise click.ClickException(
            f"公司档案{state}，不能签发正式合同：请先运行 vipcontract init（档案写入 {where}），"
            f"把其中的甲方名称、统一社会信用代码和收款账户改为贵公司的真实信息后再签发。")


def stop_listening_for_ctrl_c() -> None:
    """The command is ending after a Ctrl-C: a second one (a user pressing twice) must not turn
    its exit with one line and code 130 into death by signal half-way through."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Main(click.Group):
    """The command group: whatever escapes a command ends in one Chinese line and an exit
    code, never in a traceback (that goes to the log the line names)."""

    def invoke(self, ctx: click.Context) -> Any:
        from service import failures

        try:
            return super().invoke(ctx)
        except click.exceptions.Exit as exc:
            if exc.exit_code == failures.INTERRUPTED_EXIT:  # e.g. a batch stopped by Ctrl-C, now ending
                stop_listening_for_ctrl_c()
            raise
        except click.ClickException:
            raise
        except (KeyboardInterrupt, click.Abort):
            # Ctrl-C, or the end of input at a prompt: every write is all-or-nothing.
            stop_listening_for_ctrl_c()
            click.echo("\n已中断。", err=True)
            raise click.exceptions.Exit(failures.INTERRUPTED_EXIT) from None
        except BrokenPipeError:
            raise  # the reader went away (e.g. `| head`): click quiets it
        except OSError as exc:
            failures.write_log(exc, " ".join(sys.argv))
            raise click.ClickException(failures.os_error_message(exc)) from None
        except MemoryError as exc:  # an input larger than the limits allow for reached a library
            log = failures.write_log(exc, " ".join(sys.argv))
            raise click.ClickException(failures.memory_message(log)) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log = failures.write_log(exc, " ".join(sys.argv))
            raise click.ClickException(failures.unexpected_message(log)) from None


@click.group(cls=_Main, context_settings=CONTEXT)
@click.option("--db", envvar="VIPCONTRACT_DB", metavar="PATH|URL",
              help="登记簿文件，或 PostgreSQL 服务器上的登记簿 postgresql://账户@主机/数据库"
                   "（也可写成“键=值”形式的连接参数，见说明书）"
                   "（默认：环境变量 VIPCONTRACT_DB，否则用户数据目录下的 register.json）。")
@click.option("--profile", envvar="VIPCONTRACT_PROFILE", metavar="PATH",
              help="公司档案文件（默认：用户配置目录下的 profile.toml，没有则用内置默认值）。")
@click.option("--new-register", is_flag=True,
              help="--db 或 VIPCONTRACT_DB 指向的登记簿还不存在时，在那里新建（否则拒绝，以免写进拼错的路径）。")
@click.version_option(package_name="vipcontract", message="vipcontract %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None, profile: str | None, new_register: bool) -> None:
    """VIP 客户服务协议：生成协议（DOCX/PDF）、登记签署与变更、跟踪到期与通知。

    第一次使用：先运行 `vipcontract init` 生成公司档案，修改后即可生成协议。
    """
    ctx.obj = Settings(db, profile, new_register)


# ---------------------------------------------------------------- init
@main.command(context_settings=CONTEXT)
@click.argument("path", required=False, metavar="[档案文件]")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@domain_errors
def init(path: str | None, force: bool) -> None:
    """生成一份公司档案（甲方信息与合同参数），供修改。

    不指定档案文件时写入用户配置目录，之后每个命令都会自动使用它。
    """
    from service.targets import check_out_file

    target = Path(path) if path else profile_path_default()
    if target.exists() and not target.is_dir() and not force:
        raise click.ClickException(f"{target} 已存在；如需覆盖请加 --force")
    check_out_file(target, "")
    from store.atomic import atomic_write

    # 0600: the profile holds the company's bank account
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=force)
    click.echo(f"已生成公司档案：{target}")
    click.echo("请用文本编辑器修改其中的甲方名称、地址、银行账户和争议解决方式。")


# ---------------------------------------------------------------- customer input
FIELD_OPTIONS = [
    ("name", "姓名（个人）或单位名称（单位）"),
    ("id_number", "身份证号（个人客户）"),
    ("credit_code", "统一社会信用代码（单位客户）"),
    ("legal_representative", "法定代表人（单位客户）"),
    ("contact_person", "联系人（单位客户，可选）"),
    ("phone", "联系电话"),
    ("address", "通讯地址（通知送达地址）"),
    ("email", "电子邮箱（通知送达邮箱）"),
    ("annual_fee", "年服务费（元），如 12800"),
    ("effective_date", "生效日期 YYYY-MM-DD（已签署时填写，协议将写明起止日期）"),
]


def customer_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--type, --from and one option per customer field."""
    for field, help_text in reversed(FIELD_OPTIONS):
        fn = click.option("--" + field.replace("_", "-"), field, metavar="TEXT", help=help_text)(fn)
    fn = click.option("--from", "from_file", type=click.Path(dir_okay=False), metavar="FILE",
                      help="从 YAML/TOML/JSON 文件读取客户信息（键名与选项相同，用下划线）；也可以是本程序签发的 "
                           "PDF，读取其中附带的客户信息和年服务费。")(fn)
    fn = click.option("--type", "kind", metavar="个人|单位",
                      help="客户类型：个人客户（个人、individual）或单位客户（单位、corporate）。")(fn)
    return fn


def read_data_file(path: str) -> dict[str, Any]:
    """A `--from` file, refused whole when it is too large, uses YAML aliases or misspells a key.
    A PDF this program issued gives the customer and the fee its embedded data holds."""
    from contracts.validation import unknown_keys
    from service.sources import read_data_file as read

    if path.lower().endswith(".pdf"):
        return read_pdf_customer(path)
    data = read(path)
    problems = unknown_keys(data, [*(name for name, _help in FIELD_OPTIONS), "type"])
    if problems:
        raise InvalidInput(problems)
    return data


MASKED_KEY = "_masked_id_number"  # set by read_pdf_customer, never a customer field


def read_pdf_customer(path: str) -> dict[str, Any]:
    """The customer fields and fee of an issued document's embedded data (contracts.archive)."""
    from contracts.archive import customer_fields, masked_id_number
    from service.archive import read_pdf_data

    data = read_pdf_data(path, "from")
    fields = customer_fields(data)
    masked = masked_id_number(data)
    if masked:
        fields[MASKED_KEY] = masked
    return fields


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def collect_customer(kind: str | None, from_file: str | None, options: Mapping[str, Any]):
    """Merge file and options (options win); prompt for what is missing on a terminal."""
    data: dict[str, Any] = read_data_file(from_file) if from_file else {}
    masked = data.pop(MASKED_KEY, None)
    data.update({k: v for k, v in options.items() if v not in (None, "")})
    kind = kind or data.pop("type", None)
    data.pop("type", None)
    interactive = stdin_is_terminal()
    if masked and not data.get("id_number"):
        if not interactive:
            raise InvalidInput(Problem("id_number", f"{from_file} 中附带的身份证号已遮蔽（{masked}），"
                                                    "请用 --id-number 给出完整号码"))
        click.echo(f"{from_file} 中附带的身份证号已遮蔽（{masked}），请输入完整号码。")
    if not kind and interactive:
        customer_type = click.prompt("客户类型（individual 个人 / corporate 单位）", default="individual",
                                     value_proc=answer_check(CustomerType.parse))
    elif not kind:
        raise click.ClickException("type：请用 --type 指明客户类型：individual（个人）或 corporate（单位）")
    else:
        customer_type = CustomerType.parse(kind)
    if interactive:
        for field in [*required_fields(customer_type), "annual_fee"]:
            if data.get(field) in (None, ""):
                label, check = field_prompt(customer_type, field)
                data[field] = click.prompt(label, value_proc=check)
    return customer_type, data


def answer_check(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A prompt's value_proc: a wrong answer is said at once and asked again."""

    def check(answer: str) -> Any:
        try:
            return parse(answer)
        except InvalidInput as exc:
            raise click.BadParameter("；".join(p.message for p in exc.problems)) from None

    return check


def field_prompt(kind: CustomerType, field: str) -> tuple[str, Any]:
    """The label and checked value_proc of one prompt, by the rules the whole record obeys."""
    from contracts.amounts import parse_amount
    from contracts.customer import field_problems

    if field == "annual_fee":
        return "年服务费（元）", answer_check(lambda s: str(parse_amount(s, "annual_fee")))

    def parse(answer: str) -> str:
        problems = field_problems(kind, field, answer, today())
        if problems:
            raise InvalidInput(problems)
        return answer

    return field_label(kind, field), answer_check(parse)


# ---------------------------------------------------------------- generate
@main.command(context_settings=CONTEXT)
@customer_options
@click.option("--contract-no", metavar="TEXT", help="合同编号（默认：登记簿中下一个可用编号，但不占用）。")
@click.option("--format", "formats", default="docx,pdf", show_default=True, metavar="docx,pdf",
              help="输出格式，用逗号分隔。")
@click.option("--out", default=".", show_default=True, help="输出目录。")
@click.option("--force", is_flag=True, help="覆盖已存在的预览文件（登记簿中登记的文书不会被覆盖）。")
@pass_settings
@domain_errors
def generate(settings: Settings, kind, from_file, contract_no, formats, out, force, **fields) -> None:
    """生成一份协议（不登记）。正式签发并登记请用 `vipcontract issue`。

    \b
    示例：
      vipcontract generate --type 个人 --name 张三 \\
          --id-number 11010519491231002X --phone 13800000000 \\
          --address "北京市朝阳区……" --email zhangsan@example.com \\
          --annual-fee 12800 --out ./out
      vipcontract generate --type 单位 --from customer.yaml \\
          --format pdf --out ./out
    """
    from contracts.validation import optional_text
    from service.generate import agreement_paths, build_agreement, parse_request, write_agreement
    from service.register import check_preview

    chosen = parse_formats(formats)
    out_dir(out)
    contract_no = optional_text(contract_no, "contract_no", "合同编号", 40)
    customer_type, data = collect_customer(kind, from_file, fields)
    profile = settings.profile
    request = parse_request(customer_type, data, today())
    number = contract_no or preview_contract_no(settings, profile.number_prefix)
    doc = build_agreement(profile, request, number, today(), registered=False)
    check_preview(settings.db_path, contract_no, agreement_paths(doc, request.customer, Path(out), chosen), force)
    written = write_agreement(doc, request.customer, Path(out), chosen, overwrite=force, mode=profile.document_mode)
    for item in written:
        click.echo(f"已生成：{item.path}")
    if not contract_no:
        click.echo(f"合同编号 {number} 仅为预览，未登记；正式签发请用 vipcontract issue。")


def preview_contract_no(settings: Settings, prefix: str) -> str:
    from service.register import peek_contract_no

    return peek_contract_no(settings.db_path, prefix, today())


# ---------------------------------------------------------------- the register
# Each command parses, calls service.register, prints. The rules are in contracts.register.
DATE_HELP = "日期 YYYY-MM-DD"
NOTICE_KINDS = [k.value for k in NoticeKind]
METHODS = [m.value for m in DeliveryMethod]
STATUSES = [s.value for s in Status]
KIND_CHOICE = LabelChoice(NoticeKind, "通知类型")
METHOD_CHOICE = LabelChoice(DeliveryMethod, "送达方式")
STATUS_CHOICE = LabelChoice(Status, "状态")
RETURN_CHOICE = LabelChoice(ReturnReason, "退回原因")
END_CHOICE = LabelChoice(TerminationReason, "解除原因")
# a notice terminates for a breach, a late payment or another cause; agreeing is a 解除协议
NOTICE_END_CHOICE = LabelChoice(TerminationReason, "解除原因",
                                tuple(r for r in TerminationReason if r is not TerminationReason.MUTUAL))


def register_ready(settings: Settings, create: bool = False) -> None:
    """A register that is not there is never shown as empty, and never started by a typo in --db
    or VIPCONTRACT_DB: a command that reads it says so; `issue` and `batch issue` start a new one
    only at the default path, with --new-register, or when the clerk confirms at a terminal."""
    from store import MEMORY

    if isinstance(settings.db_path, str):
        return  # an address: a server's register says when the database holds none (db init)
    path = settings.db_path
    if str(path) == MEMORY or path.exists() or path.is_symlink():
        return  # a folder or a foreign file is refused by the store, naming it
    where = "--db 或环境变量 VIPCONTRACT_DB"
    if not create:
        raise click.ClickException(f"登记簿 {path} 不存在：请检查 {where} 是否写错；"
                                   "还没有签发过合同时请先用 vipcontract issue 签发")
    from service.targets import check_out_file

    check_out_file(path, "db")  # a folder that cannot be made or written is said before any work
    if settings.db_option is None or settings.new_register:
        # the default register of this user: its first use starts it, in a data folder a new
        # clerk's account does not have yet (the write path puts its notes beside the register)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    if stdin_is_terminal() and click.confirm(f"登记簿 {path} 不存在，要在这里新建一本登记簿吗？", default=False):
        settings.new_register = True  # asked once per command
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    raise click.ClickException(f"登记簿 {path} 不存在，未作任何改动：请检查 {where} 是否写错；"
                               "确要在这里新建登记簿时请加 --new-register（如 vipcontract --db "
                               f"{path} --new-register issue …）")


def out_dir(out: str) -> Path:
    """--out as a folder, checked before anything is rendered or recorded."""
    from service.targets import check_out_dir

    return check_out_dir(out, "out")


def notice_texts(to: str, note: str, new_address: str, new_email: str) -> tuple[str, str, str, str]:
    """A notice's free texts: bounded, no hidden or control characters (they are printed in the
    notice, the register and every report)."""
    from contracts.limits import ADDRESS_MAX_CHARS
    from contracts.validation import optional_text

    return (optional_text(to, "to", "寄往的地址或邮箱", ADDRESS_MAX_CHARS), note_text(note),
            optional_text(new_address, "new_address", "新通讯地址", ADDRESS_MAX_CHARS),
            optional_text(new_email, "new_email", "新电子邮箱", ADDRESS_MAX_CHARS))


def note_text(note: str) -> str:
    from contracts.limits import NOTE_MAX_CHARS
    from contracts.validation import optional_text

    return optional_text(note, "note", "说明", NOTE_MAX_CHARS)


@contextlib.contextmanager
def opened_store(settings: Settings, create: bool = False) -> Iterator[Any]:
    from store import open_store

    register_ready(settings, create)
    store = open_store(settings.db_path)
    try:
        yield store
    finally:
        # The store never prints: a torn line it set aside is said here, whatever happened next.
        from service.integrity import set_aside_warning

        for torn in store.set_aside():
            click.echo(set_aside_warning(torn), err=True)
        store.close()


def day_option(value: str | None, field: str) -> dt.date | None:
    """A YYYY-MM-DD option, checked where the domain's errors are turned into messages."""
    from contracts.validation import iso_date

    return None if value in (None, "") else iso_date(value, field)


def required_day(value: str | None, field: str) -> dt.date:
    parsed = day_option(value, field)
    if parsed is None:
        raise click.ClickException(f"请用 --{field.replace('_', '-')} 写明日期（YYYY-MM-DD）")
    return parsed


def echo_files(files: Sequence[Any]) -> None:
    for item in files:
        click.echo(f"已生成：{item.path}")


def set_options(values: Sequence[str], option: str = "--set") -> dict[str, str]:
    """--set field=value, repeated."""
    result = {}
    for item in values:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise click.ClickException(f"{option} 应写成 字段=新值，如 {option} 年服务费=15800")
        result[field.strip()] = value.strip()
    return result


def amend_changes(values: Sequence[str]) -> dict[str, str]:
    """--set 年服务费=15800 or --set annual_fee=15800: the field by its Chinese name or its code."""
    from contracts.labels import amendable_field

    return {amendable_field(field): value for field, value in set_options(values).items()}


def correct_changes(values: Sequence[str]) -> dict[str, str]:
    """--set 签署日期=2025-03-11 as well as --set signed_on=2025-03-11: the names are read by
    contracts.labels (the names show prints), here only split."""
    return dict(set_options(values))


def clerk_name() -> str:
    """Who records a correction, when --by is not given: the account running the command."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container): say nothing rather than fail
        return ""


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def wide_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--wide", is_flag=True,
                        help="终端表格显示全部各列，不按 80 列排版（行可能超出终端宽度）。")(fn)


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--out", default=".", show_default=True, help="文书输出目录。")(fn)
    return click.option("--format", "formats", default="docx,pdf", show_default=True,
                        metavar="docx,pdf", help="文书格式，用逗号分隔。")(fn)


@main.command(context_settings=CONTEXT)
@customer_options
@click.option("--issued-on", metavar="YYYY-MM-DD", help="签发日期（默认今天；补登已签发的协议时填写）。")
@click.option("--signed-on", metavar="YYYY-MM-DD",
              help="已签署的纸质协议：签署日期（不晚于今天），登记签发和签署，默认不生成文件。")
@click.option("--paid-until", metavar="N", help="已签署的协议：已付清至第几服务年度（0：未付款）。")
@click.option("--paid-on", metavar="YYYY-MM-DD", help="已签署的协议：收到其中最后一笔款项的日期。")
@click.option("--render", "render_signed", is_flag=True, help="已签署的协议也生成协议文件。")
@click.option("--allow-second", "allow_second", is_flag=True,
              help="客户（同一身份证号或统一社会信用代码）已有未终止的合同时仍签发（终端中会询问）。")
@format_option
@pass_settings
@domain_errors
def issue(settings: Settings, kind, from_file, issued_on, signed_on, paid_until, paid_on, render_signed,
          allow_second, formats, out, **fields) -> None:
    """签发协议：分配合同编号、生成协议文件并登记。

    \b
    示例：
      vipcontract issue --type individual --from customer.yaml --out ./out
      vipcontract issue --type individual --from customer.yaml \\
          --issued-on 2024-03-01 --signed-on 2024-03-08 \\
          --paid-until 1 --paid-on 2024-03-20
    """
    import dataclasses

    from contracts.signed_rows import parse_signed_columns
    from service.generate import parse_request
    from service.register import issue as issue_contract
    from service.register import issue_signed

    require_issuing_profile(settings)  # before any prompt: nothing typed in vain
    chosen = parse_formats(formats)
    out_dir(out)
    day = day_option(issued_on, "issued_on")
    facts = None
    if signed_on or paid_until or paid_on:  # an agreement already signed on paper
        columns = {"issued_on": issued_on, "signed_on": signed_on, "paid_until": paid_until, "paid_on": paid_on}
        day, facts = parse_signed_columns(columns, today())
    register_ready(settings, create=True)  # asked before the customer's fields, like the profile
    customer_type, data = collect_customer(kind, from_file, fields)
    request = parse_request(customer_type, data, day or today())
    with opened_store(settings, create=True) as store:
        if facts is None:
            allow_second = allow_second or confirm_second(store, settings, request.customer)
            done = issue_contract(store, settings.profile, request, Path(out), chosen, issued_on=day,
                                  allow_second=allow_second)
        else:
            signed = dataclasses.replace(request, issued_on=day, signed=facts)
            done = issue_signed(store, settings.profile, signed, Path(out), chosen, render=render_signed,
                                now=now())
    click.echo(f"已签发并登记合同 {done.contract_no}"
               + (f"（已签署：{facts.signed_on}，登记了签发、签署{'和付款' if facts.paid_until else ''}）"
                  if facts else ""))
    echo_files(done.files)


def confirm_second(store: Any, settings: Settings, customer: Any) -> bool:
    """On a terminal, ask before a second contract for a customer with one not ended (the
    question is contracts.commands' answer); elsewhere leave the refusal to the service."""
    from service.register import second_contract

    if not stdin_is_terminal():
        return False
    problems = second_contract(store, settings.profile, customer, today())
    if not problems:
        return False
    question = problems[0].message.split("；")[0]
    return click.confirm(f"{question}。仍要再签发一份吗？", default=False)


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="签署日期（协议自签署之日起生效）。")
@pass_settings
@domain_errors
def sign(settings: Settings, contract_no: str, on: str | None) -> None:
    """登记协议已签署；生效日期为签署日期（协议已写明生效日期的，以协议为准）。

    \b
    示例：
      vipcontract sign VIP-2025-000123 --on 2025-03-10
    """
    from service.register import show
    from service.register import sign as sign_contract

    signed_on = required_day(on, "on")
    with opened_store(settings) as store:
        done = sign_contract(store, settings.profile, contract_no, signed_on)
        view = show(store, settings.profile, contract_no, signed_on)
    click.echo(f"已登记合同 {contract_no} 签署：签署日期 {signed_on}，"
               f"生效日期 {view['effective_date']}，期限至 {view['term_last_day']}（第 {done.event.seq} 条记录）")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--signed-on", metavar="YYYY-MM-DD", help="补充协议签署日期。")
@click.option("--effective-on", metavar="YYYY-MM-DD", help="变更生效日期（须在协议期限内）。")
@click.option("--set", "changes", multiple=True, metavar="字段=新值",
              help="要变更的内容，可重复；字段写中文名或代码：年服务费（annual_fee）、客户名称（name）、"
                   "联系电话（phone）、通讯地址（address）、电子邮箱（email）、法定代表人（legal_representative）、"
                   "联系人（contact_person）。")
@format_option
@pass_settings
@domain_errors
def amend(settings: Settings, contract_no, signed_on, effective_on, changes, formats, out) -> None:
    """变更协议：生成补充协议并登记（自生效日起适用新约定）。

    \b
    示例：
      vipcontract amend VIP-2025-000123 --signed-on 2026-01-05 \\
          --effective-on 2026-03-11 --set 年服务费=15800 --out ./out
    """
    from service.register import amend as amend_contract

    chosen = parse_formats(formats)
    out_dir(out)
    signed = required_day(signed_on, "signed_on")
    effective = required_day(effective_on, "effective_on")
    with opened_store(settings) as store:
        done = amend_contract(store, settings.profile, contract_no, signed_on=signed,
                              effective_on=effective, changes=amend_changes(changes),
                              out_dir=Path(out), formats=chosen)
    from contracts.register import AMENDABLE

    body = done.event.body_as(Amended)
    click.echo(f"已登记补充协议 {body.doc_no}，自 {body.effective_on} 起生效：")
    for change in body.changes:
        click.echo(f"  {AMENDABLE[change.field]}：{change.old or '（无）'} → {change.new}")
    echo_files(done.files)


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--signed-on", metavar="YYYY-MM-DD", help="续签协议签署日期（须在现期限届满之前）。")
@click.option("--years", type=ZhIntRange(1, 30), metavar="年数", help="续签年限（默认与原协议相同）。")
@click.option("--annual-fee", metavar="金额", help="续签期间的年服务费（默认沿用现行费用）。")
@format_option
@pass_settings
@domain_errors
def renew(settings: Settings, contract_no, signed_on, years, annual_fee, formats, out) -> None:
    """续签协议：新期限自现期限最后一日的次日起算，生成续签协议并登记。

    \b
    示例：
      vipcontract renew VIP-2025-000123 --signed-on 2030-01-20 --years 5 \\
          --out ./out
    """
    from service.register import renew as renew_contract

    chosen = parse_formats(formats)
    out_dir(out)
    signed = required_day(signed_on, "signed_on")
    with opened_store(settings) as store:
        done = renew_contract(store, settings.profile, contract_no, signed_on=signed, years=years,
                              annual_fee=annual_fee, out_dir=Path(out), formats=chosen)
    body = done.event.body_as(Renewed)
    click.echo(f"已登记续签协议 {body.doc_no}：续签期限 {body.first_day} 至 {body.last_day}，"
               f"年服务费 {body.annual_fee} 元")
    echo_files(done.files)


@main.group(context_settings=CONTEXT)
def notice() -> None:
    """通知：登记发出、送达、被拒收或退回（协议第 13.5 条的送达规则）。"""


@notice.command("send", context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--kind", type=KIND_CHOICE, required=True, metavar="类型", help=KIND_CHOICE.help("通知类型"))
@click.option("--method", type=METHOD_CHOICE, required=True, metavar="方式",
              help=METHOD_CHOICE.help("送达方式（快递/EMS 也可写“快递”）"))
@click.option("--to", default="", help="寄往的地址或邮箱（默认：当日有效的客户地址或邮箱）。")
@click.option("--on", "on", metavar="日期或时间",
              help="发出时间：YYYY-MM-DD 或带时区的 ISO 时间（不带时区按北京时间），默认现在。")
@click.option("--reason", type=NOTICE_END_CHOICE, metavar="原因", help=NOTICE_END_CHOICE.help("解除通知的解除原因"))
@click.option("--note", default="", help="说明（解除通知：解除理由）。")
@click.option("--new-address", default="", help="变更通知地址：客户的新通讯地址。")
@click.option("--new-email", default="", help="变更通知地址：客户的新电子邮箱。")
@format_option
@pass_settings
@domain_errors
def notice_send(settings: Settings, contract_no, kind, method, to, on, reason, note, new_address,
                new_email, formats, out) -> None:
    """登记发出一份通知；解除通知同时生成解除通知书。

    \b
    示例：
      vipcontract notice send VIP-2025-000123 --kind 续签提醒 --method 快递 \\
          --to "北京市…" --on 2029-12-01
    """
    from contracts.validation import moment
    from service.register import NoticeRequest, send_notice, show

    chosen = parse_formats(formats)
    out_dir(out)
    sent_at = moment(on, "on", SHANGHAI) if on else now()
    to, note, new_address, new_email = notice_texts(to, note, new_address, new_email)
    request = NoticeRequest(NoticeKind(kind), DeliveryMethod(method), sent_at, to, note,
                            new_address, new_email, reason or "", note)
    with opened_store(settings) as store:
        done = send_notice(store, settings.profile, contract_no, request, out_dir=Path(out),
                           formats=chosen)
        view = show(store, settings.profile, contract_no, local_date(sent_at))
    body = done.event.body_as(NoticeSent)
    item = next(n for n in view["notices"] if n["notice_id"] == body.notice_id)
    click.echo(f"已登记通知 {body.notice_id}（{body.notice_kind.label}，{DeliveryMethod(method).label}）"
               f"寄往：{body.to}")
    click.echo(f"视为送达日：{item['deemed_delivered_on'] or '待登记送达'}")
    if not item["to_address_in_force"]:
        click.echo(f"注意：寄往的不是当日有效的通知地址（{item['address_in_force']}）")
        if item["undeemed_reason"]:
            click.echo(f"注意：{item['undeemed_reason']}")
    echo_files(done.files)


@notice.command("delivered", context_settings=CONTEXT)
@click.argument("notice_id", metavar="通知编号")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="签收或送达日期。")
@pass_settings
@domain_errors
def notice_delivered(settings: Settings, notice_id: str, on: str | None) -> None:
    """登记通知已送达（签收）。

    \b
    示例：
      vipcontract notice delivered N-000045 --on 2029-12-03
    """
    from service.register import record_delivery

    day = required_day(on, "on")
    with opened_store(settings) as store:
        done = record_delivery(store, settings.profile, notice_id, day)
    click.echo(f"已登记通知 {notice_id} 于 {day} 送达（合同 {done.contract_no}）")


@notice.command("returned", context_settings=CONTEXT)
@click.argument("notice_id", metavar="通知编号")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="拒收或退回日期。")
@click.option("--reason", type=RETURN_CHOICE, required=True, metavar="原因", help=RETURN_CHOICE.help("退回原因"))
@pass_settings
@domain_errors
def notice_returned(settings: Settings, notice_id: str, on: str | None, reason: str) -> None:
    """登记通知被拒收或退回（视为送达日为拒收、退回之日，快递/EMS 最迟为约定的交邮后那日；邮件被退回的不视为送达）。

    \b
    示例：
      vipcontract notice returned N-000045 --on 2029-12-04 --reason 拒收
    """
    from service.register import record_return

    day = required_day(on, "on")
    with opened_store(settings) as store:
        done = record_return(store, settings.profile, notice_id, day, ReturnReason(reason))
    click.echo(f"已登记通知 {notice_id} 于 {day} {ReturnReason(reason).label}（合同 {done.contract_no}）")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--by-notice", metavar="N-NNNNNN", help="据以解除的解除通知编号（通知送达时解除）。")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="解除生效日期（协商解除时必填）。")
@click.option("--reason", type=END_CHOICE, metavar="原因", help=END_CHOICE.help("解除原因"))
@click.option("--note", default="", help="解除理由的说明。")
@click.option("--signed-on", "signed_on", metavar="YYYY-MM-DD",
              help="解除协议的签署日期（协商解除；默认今天，不得晚于今天或早于合同的签署日期）。")
@click.option("--with-renewal", "with_renewal", is_flag=True,
              help="已续签而续签期限尚未开始时解除：确认续签随之失效（不加则拒绝）。")
@format_option
@pass_settings
@domain_errors
def terminate(settings: Settings, contract_no, by_notice, on, reason, note, signed_on, with_renewal,
              formats, out) -> None:
    """解除协议：依已送达的解除通知（民法典第五百六十五条），或协商一致（生成解除协议）。

    \b
    示例：
      vipcontract terminate VIP-2025-000123 --by-notice N-000046
      vipcontract terminate VIP-2025-000123 --on 2027-06-30 --reason 协商一致
      vipcontract terminate VIP-2025-000123 --on 2027-06-30 --reason 协商一致 \\
          --signed-on 2027-06-20
    """
    from service.register import terminate as terminate_contract

    chosen = parse_formats(formats)
    out_dir(out)
    day = day_option(on, "on")
    signed = day_option(signed_on, "signed_on")
    note = note_text(note)
    with opened_store(settings) as store:
        done = terminate_contract(store, settings.profile, contract_no, on=day, reason=reason,
                                  reason_text=note, by_notice=by_notice, signed_on=signed,
                                  renewals_fall=with_renewal, out_dir=Path(out), formats=chosen)
    body = done.event.body_as(Terminated)
    how = f"依通知 {body.by_notice_id}" if body.by_notice_id else body.reason.label
    signed_text = f"，解除协议签署日期 {body.signed_on}" if body.signed_on else ""
    click.echo(f"已登记合同 {contract_no} 解除（{how}），自 {body.effective_on} 起解除{signed_text}")
    if body.renewals_fall:
        click.echo("已续签而尚未开始的续签期限随之失效")
    echo_files(done.files)


PAY_METHOD_CHOICE = LabelChoice(PaymentMethod, "付款方式")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="付款日期（款项进入甲方账户之日，不得晚于今天）。")
@click.option("--amount", metavar="金额", help="金额（元），如 12800；退款或冲正登记错误的付款写负数，如 -500。")
@click.option("--year", type=int, metavar="N", help="付给第几个服务年度（默认：最早尚未付清的服务年度起依次冲抵）。")
@click.option("--method", type=PAY_METHOD_CHOICE, default="transfer", show_default=True, metavar="方式",
              help=PAY_METHOD_CHOICE.help("付款方式（现金仅限个人客户）"))
@click.option("--reference", default="", metavar="TEXT", help="银行流水号或收据号。")
@click.option("--note", default="", help="说明（退款或冲正时必填）。")
@pass_settings
@domain_errors
def pay(settings: Settings, contract_no, on, amount, year, method, reference, note) -> None:
    """登记一笔付款（协议第 8.3 条），或以负数金额登记退款、冲正登记错误的付款（原记录不改）。

    \b
    示例：
      vipcontract pay VIP-2025-000123 --on 2025-03-20 --amount 12800 \\
          --reference 银行流水号
      vipcontract pay VIP-2025-000123 --on 2025-04-02 --amount -500 \\
          --note "多收退还"
    """
    from contracts.commands import PaymentRequest, parse_signed_amount
    from service.payments import pay as record_payment

    day = required_day(on, "on")
    if amount in (None, ""):
        raise click.ClickException("请用 --amount 写明金额（元），如 --amount 12800")
    request = PaymentRequest(day, parse_signed_amount(amount), year, method, reference, note)
    with opened_store(settings) as store:
        done = record_payment(store, settings.profile, contract_no, request, now=now())
    body = done.event.body_as(Paid)
    what = "付款" if body.amount > 0 else "退款或冲正"
    parts = "，".join(f"第 {a.service_year} 服务年度 {a.amount} 元" for a in body.allocations)
    click.echo(f"已登记合同 {contract_no} {what} {body.amount} 元（{body.on}，{body.method.label}）：{parts}"
               f"（第 {done.event.seq} 条记录）")


@main.group("late-fee", context_settings=CONTEXT)
def late_fee_group() -> None:
    """逾期付款违约金（协议第 8.4 条）：登记收到的违约金，或甲方减免违约金。

    违约金按日计算至服务费付清之日（show 中每个服务年度的“违约金”）；付款和减免都是新的记录，
    不改原记录，都不能超过截至该日尚未结清的违约金。不写 --year 时从最早的服务年度起依次冲抵。

    \b
    示例：
      vipcontract late-fee pay VIP-2025-000123 --on 2026-06-01 \\
          --amount 120.50
      vipcontract late-fee waive VIP-2025-000123 --on 2026-06-01 \\
          --by 王经理 --note "首次逾期，予以减免"
    """


def late_fee_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.argument("contract_no", metavar="合同编号"),
        click.option("--on", "on", metavar="YYYY-MM-DD", help="日期（收款或决定减免之日，不得晚于今天）。"),
        click.option("--year", type=int, metavar="N",
                     help="第几个服务年度的违约金（默认：最早尚未结清的服务年度起依次冲抵）。"),
    )):
        fn = option(fn)
    return fn


@late_fee_group.command("pay", context_settings=CONTEXT)
@late_fee_options
@click.option("--amount", metavar="金额", help="收到的违约金（元），如 120.50。")
@click.option("--method", type=PAY_METHOD_CHOICE, default="transfer", show_default=True, metavar="方式",
              help=PAY_METHOD_CHOICE.help("付款方式（现金仅限个人客户）"))
@click.option("--reference", default="", metavar="TEXT", help="银行流水号或收据号。")
@click.option("--note", default="", help="说明。")
@pass_settings
@domain_errors
def late_fee_pay(settings: Settings, contract_no, on, year, amount, method, reference, note) -> None:
    """登记收到的逾期付款违约金。"""
    from contracts.amounts import parse_amount
    from contracts.commands import LateFeeRequest

    if amount in (None, ""):
        raise click.ClickException("请用 --amount 写明收到的违约金（元），如 --amount 120.50")
    request = LateFeeRequest(False, required_day(on, "on"), parse_amount(amount, "amount"), year, method,
                             reference, note)
    record_late_fee(settings, contract_no, request)


@late_fee_group.command("waive", context_settings=CONTEXT)
@late_fee_options
@click.option("--amount", metavar="金额", help="减免的违约金（元）；不写时减免截至该日尚未结清的全部违约金。")
@click.option("--by", "by", default="", metavar="姓名", help="决定减免的人（必填）。")
@click.option("--note", default="", help="减免的原因（必填）。")
@pass_settings
@domain_errors
def late_fee_waive(settings: Settings, contract_no, on, year, amount, by, note) -> None:
    """登记甲方减免逾期付款违约金：写明谁决定、为什么。"""
    from contracts.amounts import parse_amount
    from contracts.commands import LateFeeRequest

    figure = None if amount in (None, "") else parse_amount(amount, "amount")
    request = LateFeeRequest(True, required_day(on, "on"), figure, year, note=note, by=by)
    record_late_fee(settings, contract_no, request)


def record_late_fee(settings: Settings, contract_no: str, request: Any) -> None:
    from service.payments import settle_late_fee

    with opened_store(settings) as store:
        done = settle_late_fee(store, settings.profile, contract_no, request, now=now())
    body = done.event.body
    assert isinstance(body, LateFeePaid | LateFeeWaived)
    what = f"违约金减免（决定人 {body.by}）" if isinstance(body, LateFeeWaived) else "违约金付款"
    parts = "，".join(f"第 {a.service_year} 服务年度 {a.amount} 元" for a in body.allocations)
    click.echo(f"已登记合同 {contract_no} {what} {body.amount} 元（{body.on}）：{parts}（第 {done.event.seq} 条记录）")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="作废日期（默认今天）。")
@click.option("--note", default="", help="作废原因。")
@pass_settings
@domain_errors
def void(settings: Settings, contract_no: str, on: str | None, note: str) -> None:
    """作废已签发但未签署的协议。"""
    from service.register import void as void_contract

    day = day_option(on, "on") or today()
    note = note_text(note)
    with opened_store(settings) as store:
        void_contract(store, settings.profile, contract_no, day, note)
    click.echo(f"已登记合同 {contract_no} 作废（{day}）")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--seq", type=int, required=True, metavar="序号", help="要更正的记录序号（见 show 的历史记录）。")
@click.option("--set", "changes", multiple=True, metavar="字段=正确值",
              help="更正的内容，可重复；字段写 show 中的中文名（如 签署日期、付款日期）或代码（如 signed_on）。")
@click.option("--retract", is_flag=True, help="撤销该条记录（记录仍保留，但不再计入）。")
@click.option("--note", default="", help="更正原因（必填）。")
@click.option("--by", "by", default=None, metavar="姓名", help="更正人（默认：运行命令的系统用户名）。")
@pass_settings
@domain_errors
def correct(settings: Settings, contract_no: str, seq: int, changes, retract: bool, note: str,
            by: str | None) -> None:
    """更正一条登记错误的记录：追加一条更正记录，原记录不改不删。

    \b
    示例：
      vipcontract correct VIP-2025-000123 --seq 4 --set 签收日期=2029-12-04 \\
          --note "签收日期登记错误"
    """
    from contracts.labels import field_label
    from contracts.limits import ADDRESS_MAX_CHARS
    from contracts.validation import optional_text
    from service.register import correct as correct_event

    note = note_text(note)
    who = optional_text(clerk_name() if by is None else by, "by", "更正人", ADDRESS_MAX_CHARS)
    with opened_store(settings) as store:
        done = correct_event(store, settings.profile, contract_no, seq,
                             changes=correct_changes(changes), retract=retract, note=note, by=who)
    what = "撤销" if retract else "更正"
    click.echo(f"已登记{what}合同 {contract_no} 第 {seq} 条记录（第 {done.event.seq} 条记录）")
    for change in done.event.body_as(Corrected).changes:
        click.echo(f"  {field_label(change.field)}：{change.old or '（无）'} → {change.new}")


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--as-of", metavar="YYYY-MM-DD", help="按该日期计算状态（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（字段说明见 README.md）。")
@pass_settings
@domain_errors
def show(settings: Settings, contract_no: str, as_of: str | None, as_json: bool) -> None:
    """查看一份合同：状态、现行约定、期限、付款期限、通知与全部历史记录。"""
    from service.register import show as show_contract

    day = day_option(as_of, "as_of") or today()
    with opened_store(settings) as store:
        view = show_contract(store, settings.profile, contract_no, day)
    if as_json:
        print_json(view)
    else:
        render_contract(view)


LIST_FORMATS = ["table", "csv", "xlsx", "json", "pdf"]


@main.command("list", context_settings=CONTEXT)
@click.option("--status", type=STATUS_CHOICE, metavar="状态", help=STATUS_CHOICE.help("只列出该状态的合同"))
@click.option("--as-of", metavar="YYYY-MM-DD", help="按该日期计算状态（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每份合同与 show --json 相同）。")
@click.option("--format", "fmt", default="table", show_default=True, metavar="格式",
              help="输出格式：table（终端表格）；csv、xlsx、json、pdf 把登记簿输出为表格文件"
                   "（每份合同一行、全部各列，与报表相同）。")
@click.option("--out", metavar="FILE", type=click.Path(),
              help="输出文件（csv、xlsx、pdf 必填）；给已存在的目录时，文件名如 report-register-2026-11-24.xlsx。")
@click.option("--no-timestamp", is_flag=True, help="不写生成时间：同一登记簿、同一基准日的输出逐字节相同。")
@wide_option
@pass_settings
@domain_errors
def list_command(settings: Settings, status: Status | None, as_of: str | None, as_json: bool, fmt: str,
                 out: str | None, no_timestamp: bool, wide: bool) -> None:
    """列出登记簿中的合同；也可输出为 CSV、XLSX、JSON 或 PDF 文件。

    \b
    示例：
      vipcontract list --status 履行中
      vipcontract list --format xlsx --out 登记簿.xlsx
    """
    from service.register import list_contracts
    from service.reports import check_output, print_table, register_from_store, render, save

    day = day_option(as_of, "as_of") or today()
    fmt = fmt.strip().lower()
    if as_json:
        with opened_store(settings) as store:
            print_json(list_contracts(store, settings.profile, day, status))
        return
    check_output("register", fmt, out)
    if fmt == "table" and not out and not wide and _print_register(settings, day, status):
        return
    with opened_store(settings) as store:
        report = register_from_store(store, settings.profile, day, status=status,
                                     generated_at=None if no_timestamp or fmt == "table" else now())
    if out:
        click.echo(f"已生成：{save(report, fmt, out)}")
    elif fmt == "json":
        click.echo(render(report, fmt).decode("utf-8"), nl=False)
    else:
        print_table(report, wide=wide)


def _print_register(settings: Settings, day: dt.date, status: Status | None) -> bool:
    """The register's table printed as it is read (service.register_stream): False when it is
    better printed from the whole report (a short register, a terminal too narrow for a table)."""
    from rich.console import Console

    from service.register_stream import print_register

    console = Console(highlight=False, soft_wrap=False)  # as service.reports.print_table makes it
    with opened_store(settings) as store:
        return print_register(store, settings.profile, day, status, console if console.is_terminal else None)


@main.command(context_settings=CONTEXT)
@click.argument("query", metavar="查找内容")
@click.option("--as-of", metavar="YYYY-MM-DD", help="按该日期计算状态（默认今天）。")
@wide_option
@pass_settings
@domain_errors
def find(settings: Settings, query: str, as_of: str | None, wide: bool) -> None:
    """查找合同：按姓名、电话、证件号码或合同编号的一部分。

    查找内容可以是姓名或单位名称、电话、身份证号、统一社会信用代码、电子邮箱或合同编号的一部分
    （也查找变更前的名称和电话）；列出合同编号、客户、证件号码（身份证号遮蔽显示）、电话和状态。

    \b
    示例：
      vipcontract find 张三
      vipcontract find 1380000
      vipcontract find 110105
    """
    from contracts.validation import text
    from service.reports import find_in_store, print_table

    try:  # printed back in the title: no hidden or control characters, bounded
        query = text(query, "query", "查找内容", 100) if query.strip() else query
    except InvalidInput as exc:
        raise click.ClickException(str(exc.problems[0].message)) from None
    day = day_option(as_of, "as_of") or today()
    with opened_store(settings) as store:
        report = find_in_store(store, settings.profile, query, day)
    print_table(report, wide=wide)


EXPECT_HEAD_HELP = ("上次记下的登记簿末端“行号:哈希”（check 打印的那一行；哈希至少 16 位）："
                    "登记簿不再延续它时报告问题。")


@main.command(context_settings=CONTEXT)
@click.option("--expect-head", metavar="POS:HASH", help=EXPECT_HEAD_HELP)
@click.option("--repair", is_flag=True,
              help="先完成被中断的写入：已登记的文书改为正式文件名，删除未登记的临时文件。")
@pass_settings
@domain_errors
def check(settings: Settings, expect_head: str | None, repair: bool) -> None:
    """检查登记簿：核对全登记簿哈希链、逐份重放历史、核对每份合同的哈希链、记录序号和各项规则，
    列出末尾的残行和被中断的写入，核对登记簿保存的每份文书（损坏的报告为问题，未保存的作为注）；
    打印登记簿末端。发现问题时退出码为 1。"""
    from service.integrity import expected_head
    from service.register import check as check_register
    from service.writes import recover

    expect = expected_head(expect_head)
    with opened_store(settings) as store:
        if repair:
            recover(store)
        report = check_register(store, settings.profile, expect)
    counted = f"已检查 {report.contracts} 份合同、{report.events} 条记录"
    click.echo(f"{counted}，未发现问题。" if report.ok else f"{counted}，发现 {len(report.problems)} 个问题：")
    for problem in report.problems:
        click.echo(f"  {problem}")
    for note in report.notes:
        click.echo(f"注：{note}")
    if not report.readable:
        click.echo("登记簿末端：无法确定（文件中有无法读取的行）")
    else:
        echo_head(report.head, expect is not None and report.ok)
    if not report.ok:
        raise SystemExit(1)


def echo_head(head: Any, confirmed: bool) -> None:
    if head is None:
        click.echo("登记簿末端：（登记簿为空）")
        return
    click.echo(f"登记簿末端：{head.text()}")
    if confirmed:
        click.echo("登记簿延续给定的末端。")
    click.echo(f"请在登记簿之外记下末端（如写在月报上），下次核对：vipcontract check --expect-head {head.token()}")


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False), metavar="文件")
@click.option("--expect-head", metavar="POS:HASH", help=EXPECT_HEAD_HELP)
@pass_settings
@domain_errors
def verify(settings: Settings, file: str, expect_head: str | None) -> None:
    """核验一个 DOCX 或 PDF 文件是否为本登记簿签发的文书（按文件内容的 SHA-256；只信任哈希链核对无误的登记），
    并说明登记簿是否保存有该文书的内容。

    PDF 中有电子签名时，逐个列出：签名栏、签署人、签署时间、签名是否有效、证书是否受信任、签名后文件是否被改动。
    签名无效或签名后文件被改动时退出码为 1。
    """
    from service.integrity import expected_head
    from service.register import verify as verify_file

    expect = expected_head(expect_head)
    with opened_store(settings) as store:
        found = verify_file(store, Path(file), expect)
        signed = signature_lines(settings, store, Path(file), expect)
    if found is None and not signed.registered:
        click.echo(f"{file}：不是本登记簿签发的文件")
    elif found is None:
        click.echo(f"{file}：不是本登记簿签发的文件本身，但其中{signed.registered}")
    elif not found.trusted:
        click.echo(f"{file}：登记簿中有{registered_text(found)}，但该登记不可信：{found.doubt}。"
                   "请运行 vipcontract check")
    else:
        click.echo(f"{file}：本登记簿签发的{registered_text(found)}")
        if found.kept:
            click.echo("登记簿中保存有该文书的内容（vipcontract documents get 可取回）。")
        else:
            click.echo(f"登记簿中没有保存该文书的内容：可用 vipcontract documents add {file} 补入。")
    for line in signed.lines:
        click.echo(line)
    if (found is None and not signed.registered) or (found is not None and not found.trusted) or not signed.ok:
        raise SystemExit(1)


def registered_text(found: Any) -> str:
    return (f"文书 {found.doc_no}（合同 {found.contract_no}，第 {found.seq} 条记录：{found.kind.label}，"
            f"登记簿第 {found.position} 行）")


@dataclass(frozen=True)
class SignedLines:
    lines: tuple[str, ...] = ()
    ok: bool = True  # every signature valid and nothing changed after it
    registered: str = ""  # which registered document a signature signed, when the file itself is not registered


def signature_lines(settings: Settings, store: Any, path: Path, expect: Any) -> SignedLines:
    """What `verify` says of the digital signatures in a PDF (none: nothing)."""
    from service.esign import embedded_signatures, signature_reports, trust_roots
    from service.integrity import verify_digest

    found = embedded_signatures(path)
    if found is None or not found[1]:
        return SignedLines()
    profile_dir = settings.profile_path.parent if settings.profile_path else None
    reports = signature_reports(path, trust_roots(settings.profile, profile_dir)) or []
    lines, registered = [f"文件中有 {len(reports)} 个电子签名："], ""
    for number, report in enumerate(reports, 1):
        lines.append(f"  签名 {number}（签名栏 {report.field}）：" + "；".join(signature_facts(report)))
        revision = verify_digest(store, report.revision_sha256, expect)
        if revision is not None and revision.trusted and not registered:
            registered = f"签名 {number} 所签的版本是本登记簿签发的{registered_text(revision)}"
    last = reports[-1]
    ok = all(r.ok for r in reports) and last.covers_file
    if not last.covers_file and last.modification in ("none", "form_filling"):
        lines.append("  最后一个签名之后文件又被追加了内容，追加的部分不在任何签名之内")
    return SignedLines(tuple(lines), ok, registered)


REVOCATION_TEXT = {
    "good": "文件内保存的吊销信息表明签署时证书未被吊销",
    "revoked": "签名无效：文件内保存的吊销信息表明签署时证书已被吊销",
    "incomplete": "文件内保存的吊销信息不足以判断签署时证书是否被吊销",
    "none": "文件内未保存吊销信息（未核对证书是否被吊销）",
}

MODIFICATION_TEXT = {
    "none": "签名后文件未被改动",
    "form_filling": "签名后只填写了表单或增加了其他签名（允许的改动）",
    "other": "签名后文件被改动（签名之后追加了表单填写和签名以外的修改）",
    "unknown": "无法判断签名后文件是否被改动",
}


def signature_facts(report: Any) -> list[str]:
    facts = [f"签署人 {report.signer}"]
    if report.signed_at is not None:
        source = "时间戳服务机构的时间" if report.timestamped else "签署人电脑的时间"
        facts.append(f"签署时间 {report.signed_at:%Y-%m-%d %H:%M:%S}（北京时间，{source}）")
    if not report.intact:
        facts.append("签名无效：签名所覆盖的内容已被改动")
    elif not report.valid:
        facts.append("签名无效：签名与证书不符")
    else:
        facts.append("签名有效")
    facts.append("证书受信任" if report.trusted else
                 "证书不受信任（自签名、已过期，或不能追溯到受信任的根证书）")
    if report.revocation in REVOCATION_TEXT:
        facts.append(REVOCATION_TEXT[report.revocation])
    if report.intact:
        facts.append(MODIFICATION_TEXT[report.modification])
    return facts


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--cert", required=True, type=click.Path(dir_okay=True), metavar="证书文件",
              help="甲方的签章证书：含私钥的 PKCS#12 证书文件。")
@click.option("--password-file", type=click.Path(), metavar="文件",
              help="证书密码所在的文本文件（第一行）；不写时在终端中询问（输入不显示）。")
@click.option("--tsa", metavar="URL", help="时间戳服务的地址：加盖时间戳服务机构的时间戳，签名为 PAdES B-T 级；"
                                          "不写为 B-B 级。")
@click.option("--allow-untrusted", is_flag=True,
              help="证书是自签名的、已过期或尚未生效，或不能追溯到受信任的根证书时，"
                   "仍用它签章（verify 会标为不受信任）。")
@click.option("--with-revocation", is_flag=True,
              help="把证书的吊销信息（从证书写明的地址取得的吊销列表或证书状态应答）嵌入签章文件，供日后核验；"
                   "取不到或证书已被吊销时不签章。与 --tsa 一起为 PAdES B-LT 级。")
@click.option("--document", "document_no", metavar="文书编号",
              help="要签章的文书：show 列出的文书编号，如补充协议 VIP-2025-000123-B1、续签协议 …-X1、"
                   "解除通知书或解除协议 …-J1；不写时为协议本身。")
@click.option("--out", default=".", show_default=True, metavar="目录",
              help="签发时文书所在的输出目录（登记簿保存有文书的内容时不需要）；签章后的文件也写在这里。")
@pass_settings
@domain_errors
def seal(settings: Settings, contract_no: str, cert: str, password_file: str | None, tsa: str | None,
         allow_untrusted: bool, with_revocation: bool, document_no: str | None, out: str) -> None:
    """甲方电子签章：用甲方的证书对登记的协议 PDF（或用 --document 指定的补充协议、续签协议、解除通知书、
    解除协议）作数字签名（签入甲方签字栏），另存一份并登记。

    证书须由电子认证服务机构签发、在有效期内，并能追溯到受信任的根证书（操作系统的根证书，或公司档案
    [signing] trust_roots 中的根证书）。

    \b
    示例：
      vipcontract seal VIP-2025-000123 --cert 甲方签章.p12 \\
          --password-file 密码.txt --out ./out
      vipcontract seal VIP-2025-000123 --document VIP-2025-000123-B1 \\
          --cert 甲方签章.p12 --password-file 密码.txt --out ./out
    """
    from service.esign import load_signing_key, needs_password, read_pkcs12, seal_contract, trust_roots

    out_dir(out)
    data = read_pkcs12(Path(cert))
    key = load_signing_key(data, certificate_password(password_file, needs_password(data)), Path(cert))
    profile_dir = settings.profile_path.parent if settings.profile_path else None
    roots = trust_roots(settings.profile, profile_dir)
    with opened_store(settings) as store:
        done = seal_contract(store, settings.profile, contract_no, key, Path(out), roots=roots,
                             allow_untrusted=allow_untrusted, tsa_url=tsa, document_no=document_no,
                             with_revocation=with_revocation)
    body = done.event.body
    what = "" if done.document.is_agreement else f"的{done.document.label} {done.document.doc_no}"
    click.echo(f"已为合同 {done.event.contract_no}{what} 加盖甲方电子签章（PAdES {getattr(body, 'level', '')}，"
               f"第 {done.event.seq} 条记录）：{done.file.path}")
    click.echo(f"证书：{key.subject}（SHA-256 指纹 {key.fingerprint[:16]}…）")
    if getattr(body, "revocation_info", False):
        click.echo("已嵌入证书的吊销信息（签名之内）。")
    for problem in done.problems:
        click.echo(f"注意：{problem}；已按 --allow-untrusted 签章，verify 会标为不受信任")


def certificate_password(password_file: str | None, needed: bool) -> bytes | None:
    """From --password-file (its first line) or asked for, hidden; never from an option's value."""
    if password_file:
        from service.sources import read_text_file

        text = read_text_file(Path(password_file), "password_file", "密码文件")
        if not needed:
            return None  # a file without a password opens only without one
        return text.splitlines()[0].encode() if text.splitlines() else b""
    if not needed:
        return None
    if not stdin_is_terminal():
        raise click.ClickException("证书文件有密码：请用 --password-file 指定密码文件，或在终端中运行以输入密码")
    return click.prompt("证书密码", hide_input=True, default="", show_default=False).encode()


# ---------------------------------------------------------------- documents kept with the register
@main.group(context_settings=CONTEXT)
def documents() -> None:
    """登记簿保存的文书（签发时连同登记一起保存的 DOCX 和 PDF）：列出、取回、补入。"""


@documents.command("list", context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@pass_settings
@domain_errors
def documents_list(settings: Settings, contract_no: str) -> None:
    """列出一份合同登记的全部文书：文件名、格式、所属记录、SHA-256 前 12 位、大小（或“未保存”）。"""
    from service.documents import registered_documents

    with opened_store(settings) as store:
        found = registered_documents(store, contract_no.strip())
    if not found:
        click.echo(f"合同 {contract_no} 没有登记任何文书。")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("文件名", "格式", "记录", "SHA-256", "大小"):
        table.add_column(column, no_wrap=column != "文件名")
    for doc in found:
        table.add_row(doc.name, doc.format.upper(), doc.event_text, doc.sha256[:12],
                      "未保存" if doc.size is None else size_text(doc.size))
    console().print(table)
    missing = sum(doc.size is None for doc in found)
    if missing:
        click.echo(f"其中 {missing} 份的内容未保存在登记簿中：找到原件后可用 vipcontract documents add 文件 补入。")


def size_text(size: int) -> str:
    return f"{size:,} 字节" if size < 1024 else f"{size / 1024:,.1f} KB"


@documents.command("get", context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--out", default=".", show_default=True, help="输出目录（已有同名文件时不写，也不覆盖）。")
@click.option("--sha256", metavar="HASH", help="只取这一份：SHA-256（至少前 8 位，见 documents list）。")
@click.option("--file", "name", metavar="文件名", help="只取这一份：登记的文件名（见 documents list）。")
@pass_settings
@domain_errors
def documents_get(settings: Settings, contract_no: str, out: str, sha256: str | None, name: str | None) -> None:
    """把一份合同登记的文书从登记簿写到 --out，用登记的文件名，逐份核对 SHA-256；
    不覆盖已有文件（有同名文件时一份也不写）。"""
    from service.documents import pick, registered_documents, write_out

    folder = out_dir(out)
    with opened_store(settings) as store:
        chosen = pick(registered_documents(store, contract_no.strip()), contract_no.strip(), sha256, name)
        written = write_out(store, chosen, folder, settings.profile.document_mode)
    for item in written:
        click.echo(f"已取回：{item.path}（SHA-256 {item.sha256[:12]}… 与登记相符）")


@documents.command("add", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True), metavar="文件或目录…")
@pass_settings
@domain_errors
def documents_add(settings: Settings, files: tuple[str, ...]) -> None:
    """把文书的原件存入登记簿：只收登记簿登记过的文件（SHA-256 与某条登记相符）；用于早于文书随登记簿
    保存的登记簿，或 check 报告损坏的文书。逐个写明的文件须都是登记的文书（否则一个也不存入）；
    写目录时在其中（含子目录）查找，其他文件略过。"""
    from service.documents import add_files

    with opened_store(settings) as store:
        result = add_files(store, [Path(f) for f in files])
    for item in result.added:
        state = "登记簿中已保存，未改动" if item.already else "已存入登记簿"
        click.echo(f"{item.path}：{state}（{'；'.join(item.names)}）")
    if result.ignored:
        click.echo(f"另有 {result.ignored} 个文件不是本登记簿登记的文书，未存入。")
    if not result.added:
        click.echo("没有找到本登记簿登记的文书。")


# ---------------------------------------------------------------- moving a register
@main.group("db", context_settings=CONTEXT)
def db_group() -> None:
    """登记簿本身：在服务器上建立、升级（管理员运行），或整本复制到另一处。

    \b
    示例：
      vipcontract --db postgresql://管理员@主机/数据库 db init
      vipcontract --db postgresql://管理员@主机/数据库 db upgrade
      vipcontract db copy --from register.json --to postgresql://账户@主机/库
    """


@db_group.command("copy", context_settings=CONTEXT)
@click.option("--from", "source", required=True, metavar="PATH|URL",
              help="源登记簿：文件路径或 postgresql:// 地址（只读取，不改动）。")
@click.option("--to", "target", required=True, metavar="PATH|URL",
              help="目标登记簿：文件不存在时新建（不需要 --new-register）；服务器上的须先 db init；"
                   "已有同一登记簿的前一部分时接着复制；有其他内容时拒绝，不作改动。")
@domain_errors
def db_copy(source: str, target: str) -> None:
    """把整本登记簿（全部登记和保存的文书）复制到另一处，逐条按原顺序登记，最后核对两本登记簿的末端相同，
    并打印这个末端。

    可重复运行：中断后再运行同一命令，从中断处继续；已复制完的再运行不再登记。源登记簿的哈希链有问题时不复制。
    """
    from service.copy import CopyRefused, copy_register, same_place
    from store import MEMORY, is_database_url, open_store

    if same_place(source, target):
        raise CopyRefused("--from 和 --to 是同一本登记簿")
    if source != MEMORY and "://" not in source and not is_database_url(source) and not Path(source).exists():
        raise CopyRefused(f"源登记簿 {source} 不存在：请检查 --from")
    if target != MEMORY and "://" not in target and not is_database_url(target):
        from service.targets import check_out_file

        check_out_file(target, "to")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            bar = CopyProgress() if sys.stderr.isatty() else None
            try:
                result = copy_register(src, dst, start=bar.start if bar else None,
                                       advance=bar.advance if bar else None)
            finally:
                if bar:
                    bar.stop()
        finally:
            from service.integrity import set_aside_warning

            for torn in dst.set_aside():  # a torn last line of the target, set aside under its lock
                click.echo(set_aside_warning(torn), err=True)
            dst.close()
    finally:
        src.close()
    if result.copied:
        earlier = f"（目标中此前已有 {result.already} 条，本次接着复制）" if result.already else ""
        click.echo(f"已复制 {result.copied} 条登记{earlier}，目标登记簿共保存文书 {result.documents} 份。")
    else:
        click.echo(f"目标登记簿已有源登记簿的全部 {result.already} 条登记，未再复制；"
                   f"目标登记簿共保存文书 {result.documents} 份。")
    if result.documents_missing:
        click.echo(f"注：源登记簿没有保存其中 {result.documents_missing} 份已登记文书的内容，未能复制"
                   "（vipcontract check 会列出；找到原件后可用 documents add 补入）。")
    click.echo(f"两本登记簿的末端相同：{result.head.text()}")


class CopyProgress:
    """A rich progress bar on stderr for `db copy` (only at a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("[bold]复制中"), BarColumn(), MofNCompleteColumn(), TextColumn("剩余"),
                             TimeRemainingColumn(), console=Console(stderr=True))
        self._task: Any = None

    def start(self, total: int, already: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("", total=total, completed=already)

    def advance(self, done: int) -> None:
        self._bar.advance(self._task, done)

    def stop(self) -> None:
        self._bar.stop()


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False), metavar="文件")
@domain_errors
def data(file: str) -> None:
    """显示本程序签发的 PDF 中附带的数据（vipcontract-data.json：合同编号、文书、登记记录序号、客户、签发参数）。

    \b
    示例：
      vipcontract data ./out/VIP-2026-000001_张三.pdf
    """
    from contracts.archive import canonical_json
    from service.archive import read_pdf_data

    click.echo(canonical_json(read_pdf_data(file)), nl=False)


# ---------------------------------------------------------------- register tables
def console() -> Any:
    """Rich output at the terminal's width; written to a file or a pipe, at $COLUMNS or 80
    columns (what the reports print there too)."""
    import os

    from rich.console import Console

    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) >= 40 else 80
        out = Console(highlight=False, soft_wrap=False, width=width, color_system=None)
    return out


def late_fee_line(rate: Mapping[str, str] | None) -> str:
    if rate is None:
        # recorded before the rate was kept: the register cannot say which rate was printed
        return "逾期付款违约金：登记簿未记录，以签署的协议文本为准"
    return (f"逾期付款违约金：年利率 {rate['annual_rate']}%（{rate['lpr_published_on']} 公布的一年期LPR "
            f"{rate['lpr_one_year']}% × {rate['lpr_multiple']}，期限内不变）")


def stated_effective_date(view: Mapping[str, Any]) -> str:
    """The effective date the agreement itself states (issued with --effective-date), if any."""
    issued: Mapping[str, Any] = next((h for h in view["history"] if h["kind"] == "issued"), {})
    return issued.get("effective_date") or ""


def contract_lines(view: Mapping[str, Any]) -> list[str]:
    """The head of `show`: who the customer is and how to reach them (the ID masked), the dates
    and the fee. Before the signing is recorded, the date the agreement states is shown as such."""
    from contracts.report_model import amount_figures

    customer = view["customer"]
    kind = "个人客户" if view["customer_type"] == "individual" else "单位客户"
    identity = (f"身份证号 {customer['id_number']}" if customer.get("id_number")
                else f"统一社会信用代码 {customer.get('credit_code', '')}")
    people = "  ".join(f"{label}：{customer[k]}" for k, label in
                       (("legal_representative", "法定代表人"), ("contact_person", "联系人")) if customer.get(k))
    effective = view["effective_date"]
    if not effective and stated_effective_date(view):
        effective = f"{stated_effective_date(view)}（协议写明，尚未登记签署）"
    lines = [
        f"客户：{customer['name']}（{kind}）  {identity}",
        *([people] if people else []),
        f"电话：{customer['phone']}  电子邮箱：{customer['email']}",
        f"通讯地址：{customer['address']}",
        f"签发日期：{view['issued_on'] or '—'}  签署日期：{view['signed_on'] or '—'}",
        f"生效日期：{effective or '—'}  期限至：{view['term_last_day'] or '—'}  "
        f"年服务费：{amount_figures(Decimal(view['terms_in_force']['annual_fee']))} 元",
        late_fee_line(view["terms_in_force"]["late_fee"]),
    ]
    if view["terminated"]:
        reason = TerminationReason(view["terminated"]["reason"]).label
        fallen = "、".join(view["terminated"]["renewals_fallen"])
        lines.append(f"解除：自 {view['terminated']['effective_on']} 起（{reason}）"
                     + (f"；续签协议 {fallen} 随之失效" if fallen else ""))
    if view["settlement"]:
        lines.append(settlement_line(view["settlement"]))
    if view["voided_on"]:
        lines.append(f"作废：{view['voided_on']}")
    if view["arrears"]["days_overdue"]:
        lines.append(arrears_line(view["arrears"], view["as_of"]))
    return lines


def contract_tables(view: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str, str]], list[dict[str, Any]]]]:
    """(title, columns as (key, label, kind), rows) of the payment deadlines with what is paid, the
    payments, the notices and the history."""
    from contracts.report_model import amount_figures

    deadlines = [{"year": d["service_year"], "period": f"{d['first_day']} 至 {d['last_day']}" + prorated_text(d),
                  "due": due_text(d), "amount": Decimal(d["amount"]), "paid": Decimal(d["paid"]),
                  "outstanding": Decimal(d["outstanding"]),
                  "overdue": f"{d['days_overdue']} 日" if d["days_overdue"] else None,
                  # None: contracts issued before the register kept the rate
                  "late_fee": late_fee_cell(d)}
                 for d in view["payment_deadlines"]]
    payments = [{"on": p["on"], "amount": Decimal(p["amount"]), "method": PaymentMethod(p["method"]).label,
                 "reference": p["reference"] or None,
                 "allocations": "，".join(f"第{a['service_year']}年度 {amount_figures(Decimal(a['amount']))}"
                                         for a in p["allocations"]),
                 "note": p["note"] or None} for p in view["payments"]]
    notices = [{"id": n["notice_id"], "kind": NoticeKind(n["kind"]).label, "method": DeliveryMethod(n["method"]).label,
                "sent": n["sent_on"],
                "deemed": n["deemed_delivered_on"] or ("无（仅凭签收）" if n["undeemed_reason"] else "—"),
                "to": "有效" if n["to_address_in_force"] else "非有效地址"} for n in view["notices"]]
    history = [{"seq": h["seq"], "what": h["label"] + history_mark(h),
                "at": h["recorded_at"][:16].replace("T", " "),
                "note": (correction_note(h) if h["kind"] == "corrected" else history_note(h)
                         + waiver_note(h)) or None}
               for h in view["history"]]
    return [
        ("付款期限与付款情况", [("year", "服务年度", "int"), ("period", "年度起止", "text"), ("due", "应付日", "text"),
                                ("amount", "金额（元）", "amount"), ("paid", "已付", "amount"),
                                ("outstanding", "尚欠", "amount"), ("overdue", "逾期", "text"),
                                ("late_fee", "违约金", "text")], deadlines),
        ("付款记录", [("on", "日期", "text"), ("amount", "金额（元）", "amount"), ("method", "方式", "text"),
                      ("reference", "流水号", "id"), ("allocations", "冲抵", "text"), ("note", "说明", "text")],
         payments),
        ("通知", [("id", "编号", "text"), ("kind", "类型", "text"), ("method", "方式", "text"),
                  ("sent", "发出", "text"), ("deemed", "视为送达", "text"), ("to", "地址", "text")],
         notices),
        # the time of recording is kept whole on one line, as an ID is ("id" kind)
        ("历史记录", [("seq", "序号", "int"), ("what", "事项", "text"), ("at", "登记时间", "id"),
                      ("note", "说明", "text")], history),
    ]


def render_contract(view: Mapping[str, Any]) -> None:
    """`show` at the terminal's width (80 columns when piped): lines wrapped where Chinese may
    break, tables laid out as the reports' (renderers/report_table.py), nothing cut."""
    from rich.text import Text

    from contracts.report_model import Column, ColumnKind, Report
    from renderers.report_table import build_records, build_table, wrap_cell

    out = console()
    out.print(Text(f"{view['contract_no']}  {view['status_label']}（{view['as_of']}）", style="bold"))
    for line in contract_lines(view):
        out.print(Text(wrap_cell(line, out.width)))
    for title, columns, rows in contract_tables(view):
        if not rows:
            continue
        table = Report(name="show", title=title, as_of=dt.date.fromisoformat(view["as_of"]),
                       columns=tuple(Column(key, label, ColumnKind(kind)) for key, label, kind in columns),
                       rows=tuple(rows))
        out.print(Text(title, style="bold"))
        out.print(build_table(table, out.width) or build_records(table))
    recorders = recorders_line(view["history"])
    if recorders:
        out.print(Text(wrap_cell(recorders, out.width)))


def late_fee_cell(deadline: Mapping[str, Any]) -> str | None:
    """The late fee accrued, and what of it was paid or waived; "—" when the rate is unknown."""
    from contracts.report_model import amount_figures

    if deadline["late_fee"] is None:
        return "—"
    accrued = Decimal(deadline["late_fee"])
    if not accrued and not deadline["days_overdue"]:
        return None
    settled = [f"{label} {amount_figures(Decimal(deadline[key]))}" for key, label in
               (("late_fee_paid", "已付"), ("late_fee_waived", "减免")) if Decimal(deadline[key])]
    return amount_figures(accrued) + (f"（{'，'.join(settled)}）" if settled else "")


def waiver_note(item: Mapping[str, Any]) -> str:
    if item["kind"] != "late_fee_waived":
        return ""
    return f"，决定人 {item['by']}，原因 {item['note']}"


def prorated_text(deadline: Mapping[str, Any]) -> str:
    cut = deadline["prorated"]
    return f"（解除，按 {cut['days_served']}/{cut['days_in_year']} 日折算）" if cut else ""


def due_text(deadline: Mapping[str, Any]) -> str:
    text = deadline["due_on"]
    if deadline["shifted_from"]:
        text += f"（由 {deadline['shifted_from']} 顺延）"
    return text + ("（暂定）" if deadline["provisional"] else "")


def settlement_line(item: Mapping[str, Any]) -> str:
    """Clause 12.3 in one line: the year in progress pro rata, what was paid, who owes whom."""
    from contracts.report_model import amount_figures

    def yuan(key: str) -> str:
        return amount_figures(Decimal(item[key]))

    parts = []
    if item["service_year"] is not None:
        served, days = item["days_served"], item["days_in_year"]
        share = "全年" if served == days else f"{yuan('annual_fee')} × {served}/{days}"
        parts.append(f"第 {item['service_year']} 服务年度（{item['first_day']} 至 {item['last_day']}）"
                     f"服务至 {item['last_service_day']}，共 {served} 日，应付 {share} = {yuan('earned')} 元，"
                     f"已付 {yuan('paid')} 元")
    else:
        parts.append("解除生效时尚未开始任何服务年度")
    if Decimal(item["unbegun_paid"]):
        parts.append(f"未开始的服务年度已付 {yuan('unbegun_paid')} 元")
    owed, refund = Decimal(item["still_owed"]), Decimal(item["refund_owed"])
    if refund:
        parts.append(f"甲方应退乙方 {yuan('refund_owed')} 元")
    if owed:
        parts.append(f"乙方尚欠 {yuan('still_owed')} 元")
    parts.append(f"应于 {item['settle_by']} 前结清" if owed or refund else "已结清")
    return "解除结算（第 12.3 条）：" + "；".join(parts)


def arrears_line(arrears: Mapping[str, Any], as_of: str) -> str:
    from contracts.report_model import amount_figures

    fee = ("违约金未能计算（登记簿未记录利率）" if arrears["late_fee"] is None
           else f"违约金 {amount_figures(Decimal(arrears['late_fee']))} 元")
    rights = []
    if arrears["suspension_right"]:
        rights.append(f"已超过协议约定的 {arrears['suspend_days']} 日，甲方可书面通知暂停服务")
    if arrears["termination_right"]:
        rights.append(f"已超过 {arrears['terminate_days']} 日，甲方可书面通知解除协议")
    tail = "；" + "；".join(rights) if rights else ""
    return (f"逾期付款：截至 {as_of} 逾期 {arrears['days_overdue']} 日，"
            f"尚欠 {amount_figures(Decimal(arrears['outstanding']))} 元，"
            f"{fee}{tail}")


HISTORY_LABELS = {
    "issued_on": "签发日", "signed_on": "签署日", "effective_on": "生效日", "effective_date": "生效日期",
    "first_day": "起始日", "last_day": "最后一日", "notice_id": "通知", "on": "日期", "reason": "原因",
    "doc_no": "文书", "corrects_seq": "更正第几条", "amount": "金额", "certificate_subject": "证书",
    "document_no": "签章的文书",
}


REASON_LABELS = {r.value: r.label for r in (*TerminationReason, *ReturnReason)}


def history_mark(item: Mapping[str, Any]) -> str:
    """The original stays as it was recorded; the mark says it no longer counts as written."""
    if item["retracted"]:
        return "（已撤销）"
    if item["corrected_by"]:
        return "（已更正）"  # the correction's own row says which record it corrects, and how
    return ""


def correction_note(item: Mapping[str, Any]) -> str:
    """更正第 2 条：签署日期 2025-03-10 → 2025-03-12；原因 …；更正人 …"""
    from contracts.labels import field_label

    what = "撤销" if item.get("retract") else "更正"
    parts = [f"{what}第 {item['corrects_seq']} 条"
             + ("：" + "，".join(f"{field_label(c['field'])} {c['old'] or '（无）'} → {c['new']}"
                                for c in item.get("changes") or ()) if item.get("changes") else "")]
    if item.get("note"):
        parts.append(f"原因 {item['note']}")
    if item.get("by"):
        parts.append(f"更正人 {item['by']}")
    return "；".join(parts)


def recorders_line(history: Sequence[Mapping[str, Any]]) -> str:
    """Who recorded which records, under the history table (a column of its own would squeeze
    the others at 80 columns): "登记人：vip（张三）第 1、2 条；vip（李四）第 3 条". Records made
    before it was kept name nobody."""
    seqs: dict[str, list[str]] = {}
    for item in history:
        if item.get("recorded_by"):
            seqs.setdefault(str(item["recorded_by"]), []).append(str(item["seq"]))
    if not seqs:
        return ""
    return "登记人：" + "；".join(f"{who} 第 {'、'.join(numbers)} 条" for who, numbers in seqs.items())


def history_note(item: Mapping[str, Any]) -> str:
    def shown(key: str) -> str:  # a reason is read as its label, never as its code
        return REASON_LABELS.get(item[key], item[key]) if key == "reason" else item[key]

    return "，".join(f"{label} {shown(k)}" for k, label in HISTORY_LABELS.items()
                    if item.get(k) not in (None, "", [], {}))


# ---------------------------------------------------------------- batch
@main.group("batch", context_settings=CONTEXT)
def batch_group() -> None:
    """批量签发：按客户名单（.xlsx 或 .csv）一次签发多份协议。

    \b
    vipcontract batch template customers.xlsx            生成空白客户名单
    vipcontract batch check customers.xlsx               逐行检查，不写任何文件
    vipcontract batch issue customers.xlsx --out ./out   签发并登记每一行
    """


@batch_group.command("template", context_settings=CONTEXT)
@click.argument("file", metavar="文件")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@domain_errors
def batch_template(file: str, force: bool) -> None:
    """生成空白客户名单文件（.xlsx，也可 .csv）。

    个人客户、单位客户各一个工作表（工作表名决定客户类型），另有带“类型”列的混合名单和
    含示例的填写说明；表头带说明，年服务费、生效日期、类型有数据验证。
    """
    from service.batch import check_template_name, run_template
    from service.targets import check_out_file

    check_template_name(Path(file))
    if Path(file).exists() and not Path(file).is_dir() and not force:
        raise click.ClickException(f"{file} 已存在；如需覆盖请加 --force")
    check_out_file(file, "")
    for line in run_template(file):
        click.echo(line)


@batch_group.command("check", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False), metavar="文件")
@click.option("--type", "kind", metavar="个人|单位",
              help="整个文件的客户类型：个人（individual）或单位（corporate）；文件没有“类型”列、"
                   "工作表也不叫“个人客户”“单位客户”时用。")
@click.option("--allow-second", "allow_second", is_flag=True,
              help="客户（同一身份证号或统一社会信用代码）已有未终止的合同时，仍为其签发（默认该行有误）。")
@pass_settings
@domain_errors
def batch_check(settings: Settings, file: str, kind: str | None, allow_second: bool) -> None:
    """逐行检查客户名单文件：列出每个问题（行号、列名、原因），不写任何文件；有问题时退出码为 1。

    登记簿存在时，也指出已有未终止合同的客户（与 batch issue 相同）。
    """
    from service.batch import run_check

    code, lines = run_check(file, profile=settings.profile, today=today(), default_type=kind,
                            db_path=settings.db_path, allow_second=allow_second)
    for line in lines:
        click.echo(line)
    click.get_current_context().exit(code)


@batch_group.command("issue", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False), metavar="文件")
@click.option("--out", required=True,
              help="输出目录：协议文件、签发清单（‹批次>-index.csv/.xlsx）和错误名单。")
@click.option("--jobs", type=ZhIntRange(min=1), default=None, metavar="N",
              help="并行进程数（默认：CPU 核数）。")
@click.option("--format", "formats", default="docx,pdf", show_default=True, metavar="docx,pdf",
              help="输出格式，用逗号分隔。")
@click.option("--skip-invalid", is_flag=True,
              help="有误的行不签发、写入 ‹文件名>-errors.xlsx（改正后可直接再用它签发），其余照常签发。")
@click.option("--type", "kind", metavar="个人|单位",
              help="整个文件的客户类型：个人（individual）或单位（corporate）；文件没有“类型”列、"
                   "工作表也不叫“个人客户”“单位客户”时用。")
@click.option("--batch-key", metavar="TEXT",
              help="批次标识（默认：文件名去掉扩展名和 -errors）；同一批次中每位客户只签发一次。")
@click.option("--render", "render_signed", is_flag=True,
              help="已签署的合同（填写了签署日期的行）也生成协议文件（默认只登记：纸质协议已经存在）。")
@click.option("--allow-second", "allow_second", is_flag=True,
              help="客户（同一身份证号或统一社会信用代码）已有未终止的合同时，仍为其签发（默认该行有误）。")
@pass_settings
@domain_errors
def batch_issue(settings: Settings, file: str, out: str, jobs: int | None, formats: str, skip_invalid: bool,
                kind: str | None, batch_key: str | None, render_signed: bool, allow_second: bool) -> None:
    """先检查客户名单文件的每一行，再签发并登记每一行（已签发的跳过）。

    默认只要有一行有误就整批不签发、列出全部问题；中断（Ctrl-C）后重新运行同一命令即可继续，
    不会重复签发。退出码：0 全部完成（--skip-invalid 时跳过的有误行不计），1 有误或有失败
    （--skip-invalid 而没有一行无误时也是 1），130 被中断。
    """
    from contracts.validation import optional_text
    from service.batch import run_issue

    require_issuing_profile(settings)
    parse_formats(formats)
    out_dir(out)
    batch_key = optional_text(batch_key, "batch_key", "批次标识", 100) or None
    register_ready(settings, create=True)
    code, lines = run_issue(file, db_path=settings.db_path, profile=settings.profile, out_dir=out, today=today(),
                            formats=formats, jobs=jobs, skip_invalid=skip_invalid, batch_key=batch_key,
                            default_type=kind, render_signed=render_signed, allow_second=allow_second)
    for line in lines:
        click.echo(line)
    click.get_current_context().exit(code)


# ---------------------------------------------------------------- reports
# Each report command parses its options and calls service.reports; the reports themselves are
# pure functions in contracts/reports.py.
REPORT_FORMATS = ["table", "csv", "xlsx", "json", "pdf", "ics"]


def report_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--as-of, --format, --out, --no-timestamp and --wide, the same on every report."""
    fn = wide_option(fn)
    fn = click.option("--no-timestamp", is_flag=True,
                      help="不写生成时间：同一登记簿、同一基准日的输出逐字节相同。")(fn)
    fn = click.option("--out", metavar="FILE", type=click.Path(),
                      help="输出文件（csv、xlsx、pdf、ics 必填；table、json 不给时打印到终端）；"
                           "给已存在的目录时，文件名如 report-notices-2026-11-24.csv（报表名、基准日）。")(fn)
    fn = click.option("--format", "fmt", default="table", show_default=True, metavar="格式",
                      help="输出格式：table（终端表格）、csv、xlsx、json、pdf、"
                           "ics（日历，仅 expiring 和 deadlines）。")(fn)
    return click.option("--as-of", metavar="YYYY-MM-DD", help="基准日（默认今天）。")(fn)


def period_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option("--to", "date_to", metavar="YYYY-MM-DD", help=f"{what}截止日（含）。")(fn)
        return click.option("--from", "date_from", metavar="YYYY-MM-DD", help=f"{what}起始日（含）。")(fn)
    return decorate


def run_report(settings: Settings, name: str, as_of: str | None, fmt: str, out: str | None,
               no_timestamp: bool, wide: bool = False, **filters: Any) -> None:
    from service.reports import check_output, print_table, render, report_from_store, save
    from service.targets import check_out_file

    fmt = fmt.strip().lower()
    check_output(name, fmt, out)
    if out:
        check_out_file(out, "out", dir_ok=True)
    day = day_option(as_of, "as_of") or today()
    for key in ("date_from", "date_to"):
        if key in filters:
            filters[key] = day_option(filters[key], key.removeprefix("date_"))
    with opened_store(settings) as store:
        report = report_from_store(store, settings.profile, name, day,
                                   generated_at=None if no_timestamp else now(), **filters)
    if out:
        click.echo(f"已生成：{save(report, fmt, out)}")
        if report.is_empty:
            click.echo(f"{report.empty_message}（文件中只有表头）")
    elif fmt == "json":
        click.echo(render(report, "json").decode("utf-8"), nl=False)
    else:
        print_table(report, wide=wide)


@main.group("report", context_settings=CONTEXT)
def report_group() -> None:
    """报表：即将到期、续签、补充协议、通知送达、付款期限及其他期限、应收服务费及账龄。

    \b
    每个报表都可以：
      --as-of 日期        按该日计算（默认今天）
      --format 格式       table（默认，终端表格）、csv、xlsx、json、pdf；
                          expiring 和 deadlines 还有 ics
      --out 文件          写入文件（csv、xlsx、pdf、ics 必须给出）
      --no-timestamp      不写生成时间，同样的输入得到逐字节相同的文件
    """


@report_group.command("expiring", context_settings=CONTEXT)
@click.option("--within", type=ZhIntRange(0, 3660), metavar="天数",
              help="到期窗口：期限最后一日在基准日起多少日内（默认为公司档案的到期预警天数，90）。")
@report_options
@pass_settings
@domain_errors
def report_expiring(settings: Settings, within: int | None, as_of, fmt, out, no_timestamp,
                     wide) -> None:
    """即将到期的协议：期限最后一日、是否已续签、各次到期提醒（已发 / 应发 / 漏发 / 未到）。

    \b
    示例：
      vipcontract report expiring --as-of 2029-12-31 --within 90
      vipcontract report expiring --format pdf --out expiring.pdf
      vipcontract report expiring --format ics --out expiring.ics
    """
    run_report(settings, "expiring", as_of, fmt, out, no_timestamp, wide, within=within)


@report_group.command("renewals", context_settings=CONTEXT)
@period_options("签署日期")
@report_options
@pass_settings
@domain_errors
def report_renewals(settings: Settings, date_from, date_to, as_of, fmt, out, no_timestamp,
                     wide) -> None:
    """续签协议：签署日期在期间内的续签，原期限与续签期限的最后一日、续签后的年服务费。

    \b
    示例：
      vipcontract report renewals --from 2026-01-01 --to 2026-12-31
    """
    run_report(settings, "renewals", as_of, fmt, out, no_timestamp, wide, date_from=date_from, date_to=date_to)


@report_group.command("amendments", context_settings=CONTEXT)
@click.option("--contract", metavar="合同编号", help="只列出该合同的补充协议。")
@period_options("签署日期")
@report_options
@pass_settings
@domain_errors
def report_amendments(settings: Settings, contract, date_from, date_to, as_of, fmt, out, no_timestamp,
                     wide) -> None:
    """补充协议（变更记录）：编号、变更内容（原约定 → 变更后）、签署日期、生效日期。

    \b
    示例：
      vipcontract report amendments --contract VIP-2025-000123
      vipcontract report amendments --from 2026-01-01 --to 2026-06-30 \\
          --format xlsx --out amendments.xlsx
    """
    run_report(settings, "amendments", as_of, fmt, out, no_timestamp, wide, contract=contract,
               date_from=date_from, date_to=date_to)


@report_group.command("notices", context_settings=CONTEXT)
@click.option("--pending", is_flag=True, help="只列出尚无签收或退回记录的通知（快递、直接送达）。")
@report_options
@pass_settings
@domain_errors
def report_notices(settings: Settings, pending: bool, as_of, fmt, out, no_timestamp,
                     wide) -> None:
    """通知送达情况：发出、方式、寄往、视为送达日、签收或退回；标出已过视为送达日仍无签收记录的通知，
    以及寄往非有效地址的通知。

    \b
    示例：
      vipcontract report notices --pending
      vipcontract report notices --as-of 2026-12-31 --format csv --out notices.csv
    """
    run_report(settings, "notices", as_of, fmt, out, no_timestamp, wide, pending=pending)


@report_group.command("deadlines", context_settings=CONTEXT)
@period_options("期间（默认自基准日起一年）")
@report_options
@pass_settings
@domain_errors
def report_deadlines(settings: Settings, date_from, date_to, as_of, fmt, out, no_timestamp,
                     wide) -> None:
    """付款期限及其他期限：各服务年度的付款截止日（遇法定休假日顺延，注明依据与暂定）、续签意向截止日、
    到期提醒日。

    \b
    示例：
      vipcontract report deadlines --from 2026-09-01 --to 2026-12-31
      vipcontract report deadlines --format ics --out deadlines.ics
    """
    run_report(settings, "deadlines", as_of, fmt, out, no_timestamp, wide, date_from=date_from, date_to=date_to)


@report_group.command("receivables", context_settings=CONTEXT)
@report_options
@pass_settings
@domain_errors
def report_receivables(settings: Settings, as_of, fmt, out, no_timestamp, wide) -> None:
    """应收服务费及账龄：已开始而未付清的每个服务年度的应付、已付、尚欠、逾期天数、账龄（30 日以内、
    31-60、61-90、90 日以上）和违约金，逾期最久的在前；合计在表下方。

    \b
    示例：
      vipcontract report receivables --as-of 2026-12-31
      vipcontract report receivables --format xlsx --out receivables.xlsx
    """
    run_report(settings, "receivables", as_of, fmt, out, no_timestamp, wide)


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--as-of", metavar="YYYY-MM-DD", help="按该日有效的约定合并（默认今天）。")
@click.option("--format", "formats", default="docx,pdf", show_default=True, metavar="docx,pdf",
              help="文件格式，用逗号分隔。")
@click.option("--out", default=".", show_default=True, help="输出目录。")
@pass_settings
@domain_errors
def consolidated(settings: Settings, contract_no: str, as_of: str | None, formats: str, out: str) -> None:
    """生成协议的阅读本：并入基准日有效的补充协议、续签和地址变更，每页标明“仅供阅读”，
    并列出所并入的文件。

    \b
    示例：
      vipcontract consolidated VIP-2025-000123 --as-of 2026-12-31 --out ./out
    """
    from service.reports import write_consolidated

    chosen = parse_formats(formats)
    out_dir(out)
    day = day_option(as_of, "as_of") or today()
    with opened_store(settings) as store:
        written = write_consolidated(store, settings.profile, contract_no, day, Path(out), chosen)
    echo_files(written)


@main.command(context_settings=CONTEXT)
@click.argument("contract_no", metavar="合同编号")
@click.option("--out", required=True, help="输出目录（不覆盖已有文件；不要用存放正式文书的目录）。")
@pass_settings
@domain_errors
def reprint(settings: Settings, contract_no: str, out: str) -> None:
    """按登记簿中的签发记录重新生成协议，并与签发时登记的 SHA-256 逐个核对（同一版本的程序、公司档案和字体
    生成的文件逐字节相同）。

    \b
    示例：
      vipcontract reprint VIP-2025-000001 --out ./reprint
    """
    from service.reprint import reprint_agreement, sealed_copies

    out_dir(out)
    with opened_store(settings) as store:
        results = reprint_agreement(store, settings.profile, contract_no, Path(out))
        sealed = sealed_copies(store, settings.profile, contract_no)
    for item in results:
        verdict = "与登记的哈希一致" if item.same else (
            f"与登记的哈希不一致（登记 {item.recorded_sha256[:16]}…，现为 {item.sha256[:16]}…）")
        click.echo(f"已重新生成：{item.path}：{verdict}")
    if sealed:
        click.echo(f"甲方签章件 {'、'.join(sealed)} 不重新生成（签名含签署时间，每次签章都不同）；"
                   f"取回登记的签章件：vipcontract documents get {contract_no.strip()} --file 文件名")
    if not all(item.same for item in results):
        click.echo("不一致说明签发之后公司档案（甲方信息）、程序版本或字体已经改变；"
                   "登记的文书以 vipcontract verify 核对。")
        raise SystemExit(1)


def server_register(settings: Settings) -> str:
    from store import is_database_url

    target = settings.db_path
    if not is_database_url(target):
        raise click.ClickException("db 命令只用于 PostgreSQL 服务器上的登记簿：请用 --db 或环境变量 "
                                   "VIPCONTRACT_DB 给出 postgresql://账户@主机/数据库 地址"
                                   "或 host=主机 dbname=数据库 user=账户 形式的连接参数"
                                   "（本机文件登记簿在第一次签发时自动建立）")
    return str(target)


@db_group.command("init", context_settings=CONTEXT)
@pass_settings
@domain_errors
def db_init(settings: Settings) -> None:
    """在数据库中建立登记簿的表和索引（已建立时不作改动），并显示结构版本。

    需要在该数据库中建表的权限（数据库的所有者或管理员账户）。
    """
    from store.postgres import initialise, masked_dsn

    dsn = server_register(settings)
    version, created = initialise(dsn)
    if created:
        click.echo(f"已在 {masked_dsn(dsn)} 建立登记簿，结构版本 {version}")
    else:
        click.echo(f"{masked_dsn(dsn)} 已有登记簿，结构版本 {version}，未作改动")


@db_group.command("upgrade", context_settings=CONTEXT)
@pass_settings
@domain_errors
def db_upgrade(settings: Settings) -> None:
    """把数据库中的登记簿升级到本程序的结构版本（已是最新时不作改动）。"""
    from store.postgres import masked_dsn, upgrade

    dsn = server_register(settings)
    before, after = upgrade(dsn)
    if before == after:
        click.echo(f"{masked_dsn(dsn)} 的登记簿已是结构版本 {after}，无需升级")
    else:
        click.echo(f"{masked_dsn(dsn)} 的登记簿已由结构版本 {before} 升级到 {after}")


# ---------------------------------------------------------------- demo
@main.command(context_settings=CONTEXT)
@click.option("--out", default="demo-out", show_default=True,
              help="示例文件的输出目录；示例登记簿为其中的 demo-register.json（每次重新生成）。")
@pass_settings
@domain_errors
def demo(settings: Settings, out: str) -> None:
    """生成示例：个人、单位客户协议各一份（DOCX 与 PDF），以及一本包含各种状态合同的示例登记簿。

    \b
    示例：
      vipcontract demo --out demo-out
      VIPCONTRACT_DB=demo-out/demo-register.json vipcontract list
    """
    from service.demo import clear_demo_register, fill_demo_register, write_sample_agreements

    folder = out_dir(out)
    samples = folder / "samples"
    click.echo("正在生成示例协议（个人客户、单位客户；DOCX 与 PDF）……")
    for item in write_sample_agreements(settings.profile, samples, today()):
        click.echo(f"  {item.path}")
    register = folder / "demo-register.json"
    clear_demo_register(register, folder / "register")
    Path(f"{register}.lock").unlink(missing_ok=True)
    click.echo("正在建立示例登记簿（签署、补充协议、续签、通知、解除）……")
    for contract_no, what in fill_demo_register(register, settings.profile, folder / "register", today()):
        click.echo(f"  {contract_no}  {what}")
    click.echo(f"示例登记簿：{register}")
    click.echo(f"查看：VIPCONTRACT_DB={register} .venv/bin/vipcontract list")


# ---------------------------------------------------------------- usage lines and command lists
def _first_paragraph(help_text: str) -> str:
    """A command's line in its group's list: the first paragraph whole (click would cut it after
    45 characters, 90 columns of Chinese, and leave "..."), its lines joined without a gap."""
    import inspect

    lines = inspect.cleandoc(help_text).split("\n\n")[0].splitlines()
    return _join_lines([line.strip() for line in lines])


def _chinese_usage(command: click.Command) -> None:
    command.options_metavar = "[选项]"
    if command.help and not command.short_help:
        command.short_help = _first_paragraph(command.help)
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            _chinese_usage(sub)


_chinese_usage(main)


if _IMPORTED_IN_MAIN_THREAD:  # started: Ctrl-C as it was
    signal.signal(signal.SIGINT, signal.SIG_DFL if _SIGINT_BEFORE_START is None else _SIGINT_BEFORE_START)

if __name__ == "__main__":  # pragma: no cover
    main()

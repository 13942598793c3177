"""vipcontract 命令行：VIP 客户服务协议的生成、登记与跟踪。

This module parses, calls the service layer, and prints. Business rules live in contracts/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from platformdirs import user_config_dir

from contracts.customer import CustomerType, field_label, required_fields
from contracts.dates import SHANGHAI, DeliveryMethod, local_date
from contracts.errors import ContractError, InvalidInput
from contracts.events import (
    Amended,
    Corrected,
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
    _target = getattr(click, _module, None) or __import__(f"click.{_module}")
    _target._ = _zh
    if hasattr(_target, "ngettext"):
        _target.ngettext = _zh_plural

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ---------------------------------------------------------------- help that fits the terminal
# click measures text in characters and wraps at spaces; a Chinese character takes two columns
# and Chinese has no spaces, so its help overflowed 80 columns, placeholders such as 字段=新值
# pushed the help column out of line and field names were cut mid-word. These two functions are
# click's own, measuring in terminal cells and breaking lines where Chinese text may break.
def _cells(text: str) -> int:
    from click._compat import strip_ansi

    from contracts.report_model import text_width

    return text_width(strip_ansi(text))


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

    def __init__(self, enum: type, what: str, allowed: tuple[Any, ...] | None = None):
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
        """The register's file, or a postgresql:// URL as typed (text: a Path would fold its "//")."""
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


class _Main(click.Group):
    """The command group: whatever escapes a command ends in one Chinese line and an exit
    code, never in a traceback (that goes to the log the line names)."""

    def invoke(self, ctx: click.Context) -> Any:
        from service import failures

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except (KeyboardInterrupt, click.Abort):
            # Ctrl-C, or the end of input at a prompt: every write is all-or-nothing.
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
                      help="从 YAML/TOML/JSON 文件读取客户信息（键名与选项相同，用下划线）。")(fn)
    fn = click.option("--type", "kind", metavar="个人|单位",
                      help="客户类型：个人客户（个人、individual）或单位客户（单位、corporate）。")(fn)
    return fn


def read_data_file(path: str) -> dict[str, Any]:
    """A `--from` file, refused whole when it is too large, uses YAML aliases or misspells a key."""
    from contracts.validation import unknown_keys
    from service.sources import read_data_file as read

    data = read(path)
    problems = unknown_keys(data, [*(name for name, _help in FIELD_OPTIONS), "type"])
    if problems:
        raise InvalidInput(problems)
    return data


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def collect_customer(kind: str | None, from_file: str | None, options: Mapping[str, Any]):
    """Merge file and options (options win); prompt for what is missing on a terminal."""
    data: dict[str, Any] = read_data_file(from_file) if from_file else {}
    data.update({k: v for k, v in options.items() if v not in (None, "")})
    kind = kind or data.pop("type", None)
    data.pop("type", None)
    interactive = stdin_is_terminal()
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
    doc = build_agreement(profile, request, number, today())
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
    with opened_store(settings) as store:
        report = register_from_store(store, settings.profile, day, status=status,
                                     generated_at=None if no_timestamp or fmt == "table" else now())
    if out:
        click.echo(f"已生成：{save(report, fmt, out)}")
    elif fmt == "json":
        click.echo(render(report, fmt).decode("utf-8"), nl=False)
    else:
        print_table(report, wide=wide)


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
    列出末尾的残行和被中断的写入；打印登记簿末端。发现问题时退出码为 1。"""
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
    """核验一个 DOCX 或 PDF 文件是否为本登记簿签发的文书（按文件内容的 SHA-256；只信任哈希链核对无误的登记）。"""
    from service.integrity import expected_head
    from service.register import verify as verify_file

    expect = expected_head(expect_head)
    with opened_store(settings) as store:
        found = verify_file(store, Path(file), expect)
    if found is None:
        click.echo(f"{file}：不是本登记簿签发的文件")
        raise SystemExit(1)
    what = (f"文书 {found.doc_no}（合同 {found.contract_no}，第 {found.seq} 条记录：{found.kind.label}，"
            f"登记簿第 {found.position} 行）")
    if not found.trusted:
        click.echo(f"{file}：登记簿中有{what}，但该登记不可信：{found.doubt}。请运行 vipcontract check")
        raise SystemExit(1)
    click.echo(f"{file}：本登记簿签发的{what}")


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
    issued = next((h for h in view["history"] if h["kind"] == "issued"), {})
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
    if view["voided_on"]:
        lines.append(f"作废：{view['voided_on']}")
    if view["arrears"]["days_overdue"]:
        lines.append(arrears_line(view["arrears"], view["as_of"]))
    return lines


def contract_tables(view: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str, str]], list[dict[str, Any]]]]:
    """(title, columns as (key, label, kind), rows) of the payment deadlines with what is paid, the
    payments, the notices and the history."""
    from contracts.report_model import amount_figures

    deadlines = [{"year": d["service_year"], "period": f"{d['first_day']} 至 {d['last_day']}",
                  "due": due_text(d), "amount": Decimal(d["amount"]), "paid": Decimal(d["paid"]),
                  "outstanding": Decimal(d["outstanding"]),
                  "overdue": f"{d['days_overdue']} 日" if d["days_overdue"] else None,
                  # None: contracts issued before the register kept the rate
                  "late_fee": "—" if d["late_fee"] is None else
                  (amount_figures(Decimal(d["late_fee"])) if d["days_overdue"] else None)}
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
                "note": (correction_note(h) if h["kind"] == "corrected" else history_note(h)) or None}
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

    from contracts.report_model import Column, Report
    from renderers.report_table import build_records, build_table, wrap_cell

    out = console()
    out.print(Text(f"{view['contract_no']}  {view['status_label']}（{view['as_of']}）", style="bold"))
    for line in contract_lines(view):
        out.print(Text(wrap_cell(line, out.width)))
    for title, columns, rows in contract_tables(view):
        if not rows:
            continue
        table = Report(name="show", title=title, as_of=dt.date.fromisoformat(view["as_of"]),
                       columns=tuple(Column(*c) for c in columns), rows=tuple(rows))
        out.print(Text(title, style="bold"))
        out.print(build_table(table, out.width) or build_records(table))
    recorders = recorders_line(view["history"])
    if recorders:
        out.print(Text(wrap_cell(recorders, out.width)))


def due_text(deadline: Mapping[str, Any]) -> str:
    text = deadline["due_on"]
    if deadline["shifted_from"]:
        text += f"（由 {deadline['shifted_from']} 顺延）"
    return text + ("（暂定）" if deadline["provisional"] else "")


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
    "doc_no": "文书", "corrects_seq": "更正第几条", "amount": "金额",
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
@pass_settings
@domain_errors
def batch_check(settings: Settings, file: str, kind: str | None) -> None:
    """逐行检查客户名单文件：列出每个问题（行号、列名、原因），不写任何文件；有问题时退出码为 1。"""
    from service.batch import run_check

    code, lines = run_check(file, profile=settings.profile, today=today(), default_type=kind)
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
@pass_settings
@domain_errors
def batch_issue(settings: Settings, file: str, out: str, jobs: int | None, formats: str, skip_invalid: bool,
                kind: str | None, batch_key: str | None, render_signed: bool) -> None:
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
                            default_type=kind, render_signed=render_signed)
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


# ---------------------------------------------------------------- db (a register on a PostgreSQL server)
@main.group("db", context_settings=CONTEXT)
def db_group() -> None:
    """PostgreSQL 服务器上的登记簿：建立与升级数据库结构（由管理员运行）。

    \b
    示例：
      vipcontract --db postgresql://管理员@主机/数据库 db init
      vipcontract --db postgresql://管理员@主机/数据库 db upgrade
    """


def server_register(settings: Settings) -> str:
    from store import is_database_url

    target = settings.db_path
    if not is_database_url(target):
        raise click.ClickException("db 命令只用于 PostgreSQL 服务器上的登记簿：请用 --db 或环境变量 "
                                   "VIPCONTRACT_DB 给出 postgresql://账户@主机/数据库 地址"
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


if __name__ == "__main__":  # pragma: no cover
    main()

"""vipcontract 命令行：VIP 客户服务协议的生成、登记与跟踪。

This module parses, calls the service layer, and prints. Business rules live in contracts/.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import yaml
from platformdirs import user_config_dir

from contracts.customer import CUSTOMER_FIELDS, CustomerType, required_fields
from contracts.dates import SHANGHAI
from contracts.errors import ContractError, InvalidInput
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
}


def _zh(message: str) -> str:
    return _ZH.get(message, message)


for _module in ("core", "exceptions", "formatting", "decorators", "parser", "types", "termui"):
    (getattr(click, _module, None) or __import__(f"click.{_module}"))._ = _zh

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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

    def __init__(self, db: str | None, profile: str | None):
        self.db_option = db
        self.profile_option = profile

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
    def db_path(self) -> Path:
        from store import default_db_path

        return Path(self.db_option) if self.db_option else default_db_path()


pass_settings = click.make_pass_decorator(Settings)


@click.group(context_settings=CONTEXT)
@click.option("--db", envvar="VIPCONTRACT_DB", metavar="PATH",
              help="登记簿文件（默认：环境变量 VIPCONTRACT_DB，否则用户数据目录下的 register.json）。")
@click.option("--profile", envvar="VIPCONTRACT_PROFILE", metavar="PATH",
              help="公司档案文件（默认：用户配置目录下的 profile.toml，没有则用内置默认值）。")
@click.version_option(package_name="vipcontract", message="vipcontract %(version)s")
@click.pass_context
def main(ctx: click.Context, db: str | None, profile: str | None) -> None:
    """VIP 客户服务协议：生成协议（DOCX/PDF）、登记签署与变更、跟踪到期与通知。

    第一次使用：先运行 `vipcontract init` 生成公司档案，修改后即可生成协议。
    """
    ctx.obj = Settings(db, profile)


# ---------------------------------------------------------------- init
@main.command(context_settings=CONTEXT)
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@domain_errors
def init(path: str | None, force: bool) -> None:
    """生成一份公司档案（甲方信息与合同参数），供修改。

    不指定 PATH 时写入用户配置目录，之后每个命令都会自动使用它。
    """
    target = Path(path) if path else profile_path_default()
    if target.exists() and not force:
        raise click.ClickException(f"{target} 已存在；如需覆盖请加 --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
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
    fn = click.option("--type", "kind", metavar="individual|corporate",
                      help="客户类型：individual（个人客户）或 corporate（单位客户）。")(fn)
    return fn


def read_data_file(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise click.ClickException(f"找不到文件 {path}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"文件 {path} 不是 UTF-8 编码") from None
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif file.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"文件 {path} 格式错误：{exc}") from None
    if not isinstance(data, Mapping):
        raise click.ClickException(f"文件 {path} 应包含键值对（如 name: 张三）")
    return {str(k).strip(): v for k, v in data.items()}


def collect_customer(kind: str | None, from_file: str | None, options: Mapping[str, Any]):
    """Merge file and options (options win); prompt for what is missing on a terminal."""
    data: dict[str, Any] = read_data_file(from_file) if from_file else {}
    data.update({k: v for k, v in options.items() if v not in (None, "")})
    kind = kind or data.pop("type", None)
    data.pop("type", None)
    interactive = sys.stdin.isatty()
    if not kind and interactive:
        kind = click.prompt("客户类型（individual 个人 / corporate 单位）", default="individual")
    if not kind:
        raise click.ClickException("type：请用 --type 指明客户类型：individual（个人）或 corporate（单位）")
    customer_type = CustomerType.parse(kind)
    if interactive:
        for field in [*required_fields(customer_type), "annual_fee"]:
            if data.get(field) in (None, ""):
                label = CUSTOMER_FIELDS[field][0] if field in CUSTOMER_FIELDS else "年服务费（元）"
                data[field] = click.prompt(label)
    return customer_type, data


# ---------------------------------------------------------------- generate
@main.command(context_settings=CONTEXT)
@customer_options
@click.option("--contract-no", metavar="TEXT", help="合同编号（默认：登记簿中下一个可用编号，但不占用）。")
@click.option("--format", "formats", default="docx,pdf", show_default=True, metavar="docx,pdf",
              help="输出格式，用逗号分隔。")
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="输出目录。")
@pass_settings
@domain_errors
def generate(settings: Settings, kind, from_file, contract_no, formats, out, **fields) -> None:
    """生成一份协议（不登记）。正式签发并登记请用 `vipcontract issue`。

    \b
    示例：
      vipcontract generate --type individual --name 张三 --id-number 11010519491231002X \\
          --phone 13800000000 --address "北京市朝阳区……" --email zhangsan@example.com \\
          --annual-fee 12800 --out ./out
      vipcontract generate --type corporate --from customer.yaml --format pdf --out ./out
    """
    from service.generate import build_agreement, parse_request, write_agreement

    chosen = parse_formats(formats)
    customer_type, data = collect_customer(kind, from_file, fields)
    profile = settings.profile
    request = parse_request(customer_type, data, today())
    number = contract_no or preview_contract_no(settings, profile.number_prefix)
    doc = build_agreement(profile, request, number, today())
    written = write_agreement(doc, request.customer, Path(out), chosen)
    for item in written:
        click.echo(f"已生成：{item.path}")
    if not contract_no:
        click.echo(f"合同编号 {number} 仅为预览，未登记；正式签发请用 vipcontract issue。")


def preview_contract_no(settings: Settings, prefix: str) -> str:
    try:
        from service.register import peek_contract_no
    except ImportError:
        return f"{prefix}-{today().year}-000001"
    return peek_contract_no(settings.db_path, prefix, today())


if __name__ == "__main__":  # pragma: no cover
    main()

"""TOML, YAML and JSON parser errors in Chinese, with the line (and column) they point at.

The parsers speak English ("Expected '=' after a key in a key/value pair (at line 3, column 5)");
a clerk reads "第 3 行第 5 列：键名后面应有“=”". A message not in the tables below is still
placed by its line, with a general description, so no English reaches the user.
"""

from __future__ import annotations

import json
import re
import tomllib

import yaml

# tomllib (Python 3.11–3.13) messages, by their start; the rest of the message names a key or
# a character, which the Chinese text does not need.
_TOML = (
    ("Expected '=' after a key", "键名后面应有“=”，如 name = \"张三\""),
    ("Expected ']' at the end of a table", "表名缺少结尾的“]”"),
    ("Expected ']]' at the end of an array", "表数组名缺少结尾的“]]”"),
    ("Expected newline or end of document", "一行只能写一项，该项之后应换行"),
    ("Expected", "缺少应有的符号"),
    ("Cannot overwrite a value", "同一项写了两次"),
    ("Cannot declare", "同一个表或项写了两次"),
    ("Cannot mutate immutable namespace", "不能在已写完的表或数组中再添加项"),
    ("Cannot redefine namespace", "同一个表写了两次"),
    ("Duplicate inline table key", "同一项写了两次"),
    ("Escaped character is not a Unicode", "转义字符无效"),
    ("Invalid date or datetime", "日期或时间无效"),
    ("Invalid hex value", "转义字符无效"),
    ("Invalid initial character for a key", "键名中有不允许的字符（中文键名或含空格的键名要加引号）"),
    ("Invalid statement", "无法识别这一行"),
    ("Invalid value", "值无效（文字要加引号，如 name = \"张三\"）"),
    ("Unclosed array", "数组缺少结尾的“]”"),
    ("Unclosed inline table", "内联表缺少结尾的“}”"),
    ("Unescaped '\\'", "字符串中的“\\”要写成“\\\\”"),
    ("Unterminated string", "字符串缺少结尾的引号"),
    ("Found invalid character", "有不允许的字符"),
    ("Illegal character", "字符串中有不允许的控制字符"),
)
_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")

_YAML = (
    ("could not find expected ':'", "缺少“:”（应写成 键: 值）"),
    ("mapping values are not allowed here", "这里不能有“:”（含“:”的值要加引号）"),
    ("found character '\\t' that cannot start any token", "不能用制表符（Tab）缩进，请用空格"),
    ("found character", "有不允许的字符"),
    ("found undefined alias", "引用了未定义的锚点"),
    ("found unexpected end of stream", "文件意外结束（引号或括号未闭合）"),
    ("found unknown escape character", "转义字符无效"),
    ("expected <block end>", "缩进不一致"),
    ("expected ',' or ']'", "列表缺少“,”或结尾的“]”"),
    ("expected ',' or '}'", "缺少“,”或结尾的“}”"),
    ("expected", "格式不符合 YAML 语法"),
    ("found duplicate anchor", "锚点重复"),
    ("while scanning a quoted scalar", "引号未闭合"),
)

_JSON = (
    ("Expecting property name enclosed in double quotes", "键名要用英文双引号括起来"),
    ("Expecting ',' delimiter", "缺少“,”"),
    ("Expecting ':' delimiter", "缺少“:”"),
    ("Expecting value", "缺少值，或值无效（文字要用英文双引号括起来）"),
    ("Extra data", "数据之后还有多余的内容"),
    ("Unterminated string", "字符串缺少结尾的引号"),
    ("Invalid control character", "字符串中有不允许的控制字符"),
    ("Invalid \\escape", "转义字符无效"),
    ("Invalid \\uXXXX escape", "转义字符无效"),
)


def _lookup(table: tuple[tuple[str, str], ...], message: str, fallback: str) -> str:
    return next((zh for start, zh in table if message.startswith(start)), fallback)


def _where(line: int | None, column: int | None = None) -> str:
    if line is None:
        return "文件末尾"
    return f"第 {line} 行第 {column} 列" if column else f"第 {line} 行"


def describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """"第 3 行第 5 列：键名后面应有“=”…"."""
    message = str(exc)
    found = _TOML_WHERE.search(message)
    line = column = None
    if found:
        message = message[: found.start()]
        if found.group(1):
            line, column = int(found.group(1)), int(found.group(2))
    return f"{_where(line, column)}：{_lookup(_TOML, message, '不符合 TOML 格式')}"


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """The line of the problem (PyYAML counts from 0), and what it is."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return "不符合 YAML 格式"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    texts = [t for t in (exc.problem, exc.context) if t]
    described = next((_lookup(_YAML, t, "") for t in texts if _lookup(_YAML, t, "")), "不符合 YAML 格式")
    return f"{_where(line, column)}：{described}"


def describe_json_error(exc: json.JSONDecodeError) -> str:
    return f"{_where(exc.lineno, exc.colno)}：{_lookup(_JSON, exc.msg, '不符合 JSON 格式')}"


def describe_parse_error(exc: Exception) -> str:
    """Any of the three; an unknown error is said without its English text."""
    if isinstance(exc, tomllib.TOMLDecodeError):
        return describe_toml_error(exc)
    if isinstance(exc, json.JSONDecodeError):
        return describe_json_error(exc)
    if isinstance(exc, yaml.YAMLError):
        return describe_yaml_error(exc)
    return "无法读取"

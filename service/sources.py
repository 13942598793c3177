"""Load clause sources and the company profile from files under templates/ (and the user's)."""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import InvalidInput, Problem
from contracts.limits import DATA_FILE_MAX_BYTES, check_file_size
from contracts.profile import Profile, merge, profile_from_mapping
from renderers import locations

TEMPLATES = locations.TEMPLATES
DEFAULT_PROFILE = TEMPLATES / "profile.toml"


@functools.cache
def load_source(name: str) -> dict[str, Any]:
    """templates/NAME/document.yaml with the chapters of templates/NAME/chapters/*.yaml in order."""
    folder = TEMPLATES / name
    source = yaml.safe_load((folder / "document.yaml").read_text(encoding="utf-8"))
    chapter_dir = folder / "chapters"
    if chapter_dir.is_dir():
        source["chapters"] = [
            yaml.safe_load(path.read_text(encoding="utf-8"))
            for path in sorted(chapter_dir.glob("*.yaml"))
        ]
    return source


def load_profile(path: Path | None = None) -> Profile:
    """The default profile overlaid with the user's file, if any."""
    defaults = tomllib.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    data = defaults
    if path is not None:
        text = read_text_file(Path(path), "profile", "公司档案文件")
        try:
            user = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            from .parse_errors import describe_toml_error

            where = describe_toml_error(exc)
            raise InvalidInput(Problem("profile", f"公司档案文件 {path} 格式错误，{where}")) from None
        except RecursionError:  # brackets nested thousands deep
            raise InvalidInput(Problem("profile", f"公司档案文件 {path} 嵌套过深")) from None
        data = merge(data, user)
    return profile_from_mapping(data, sample_provider=defaults["provider"])


def read_text_file(path: Path, field: str, what: str) -> str:
    """A small UTF-8 input file (a profile, a `--from` file), refused whole when it is missing,
    not a regular file, too large or not UTF-8: checked before it is read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput(Problem(field, f"找不到{what} {path}")) from None
    except NotADirectoryError:
        raise InvalidInput(Problem(field, f"找不到{what} {path}（路径中有一项不是目录）")) from None
    if path.is_dir():
        raise InvalidInput(Problem(field, f"{path} 是目录，不是{what}"))
    if not path.is_file():  # a pipe or a device could be endless
        raise InvalidInput(Problem(field, f"{path} 不是普通文件"))
    check_file_size(info.st_size, field, f"{what} {path} ", DATA_FILE_MAX_BYTES)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(Problem(field, f"{what} {path} 不是 UTF-8 编码，请另存为 UTF-8")) from None



MAX_YAML_DEPTH = 20


class TooDeep(Exception):
    """Nesting deeper than MAX_YAML_DEPTH, at this line."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class AliasRefused(Exception):
    """A YAML anchor or alias, at this line."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _PlainYaml(yaml.SafeLoader):
    """YAML without anchors and aliases: nine lines of aliases expand to billions of items (the
    "billion laughs"), and a customer record never needs them."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise AliasRefused(event.start_mark.line + 1)
        # A record is flat; thousands of nested brackets would exhaust the parser's recursion.
        if self.depth >= MAX_YAML_DEPTH:
            raise TooDeep(event.start_mark.line + 1)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_data_file(path: str | Path, field: str = "from") -> dict[str, Any]:
    """A customer record from a YAML, TOML or JSON file: its keys (trimmed) and values."""
    file = Path(path)
    text = read_text_file(file, field, "文件")
    try:
        if file.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif file.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_PlainYaml)  # noqa: S506 - a SafeLoader without aliases
    except AliasRefused as exc:
        raise InvalidInput(Problem(field, f"文件 {path} 第 {exc.line} 行使用了 YAML 锚点或别名（& 或 *），"
                                          "为安全起见不予接受；请把内容直接写出")) from None
    except TooDeep as exc:
        raise InvalidInput(Problem(field, f"文件 {path} 第 {exc.line} 行嵌套过深（超过 {MAX_YAML_DEPTH} 层）")
                           ) from None
    except RecursionError:  # JSON nested thousands deep
        raise InvalidInput(Problem(field, f"文件 {path} 嵌套过深")) from None
    except (ValueError, yaml.YAMLError) as exc:
        from .parse_errors import describe_parse_error

        raise InvalidInput(Problem(field, f"文件 {path} 格式错误，{describe_parse_error(exc)}")) from None
    if not isinstance(data, Mapping):
        raise InvalidInput(Problem(field, f"文件 {path} 应包含键值对（如 name: 张三）"))
    return {str(k).strip(): v for k, v in data.items()}

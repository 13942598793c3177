"""Load clause sources and the company profile from files under templates/ (and the user's)."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import InvalidInput, Problem
from contracts.profile import Profile, merge, profile_from_mapping

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
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
        try:
            user = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidInput(Problem("profile", f"找不到公司档案文件 {path}")) from None
        except tomllib.TOMLDecodeError as exc:
            from .parse_errors import describe_toml_error

            where = describe_toml_error(exc)
            raise InvalidInput(Problem("profile", f"公司档案文件 {path} 格式错误，{where}")) from None
        data = merge(data, user)
    return profile_from_mapping(data, sample_provider=defaults["provider"])

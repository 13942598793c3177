"""Where output goes (`--out`, `init PATH`, `batch template FILE`), checked before any work is
done: a folder that is a file, a path through a file, a folder without write permission or a name
longer than the file system allows is said at once, naming the option, and nothing is created.
"""

from __future__ import annotations

import os
from pathlib import Path

from contracts.errors import InvalidInput, Problem

NAME_MAX_BYTES = 255  # one path component, on the file systems offices use


def check_out_dir(path: str | os.PathLike[str], field: str = "out") -> Path:
    """A folder that exists, or can be made (its nearest existing ancestor is a writable folder)."""
    target = Path(path)
    _check_names(target, field)
    if target.exists():
        if not target.is_dir():
            raise InvalidInput(Problem(field, f"{target} 已存在且不是目录，请指定一个目录"))
        _check_writable(target, target, field)
        return target
    _check_writable(_existing_ancestor(target, field), target, field)
    return target


def check_out_file(path: str | os.PathLike[str], field: str, *, dir_ok: bool = False) -> Path:
    """A file to be written: not a folder (unless DIR_OK, where a default name is used inside
    it), in a folder that exists or can be made and that may be written."""
    target = Path(path)
    _check_names(target, field)
    if target.is_dir():
        if not dir_ok:
            raise InvalidInput(Problem(field, f"{target} 是目录，请写出文件名"))
        _check_writable(target, target, field)
        return target
    if target.exists() and not os.access(target, os.W_OK):
        raise InvalidInput(Problem(field, f"没有权限写入 {target}"))
    _check_writable(_existing_ancestor(target, field), target, field)
    return target


def _existing_ancestor(target: Path, field: str) -> Path:
    """The nearest ancestor that exists; refused when it is not a folder (a path through a file)."""
    for ancestor in Path(os.path.abspath(target)).parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise InvalidInput(Problem(field, f"无法写入 {target}：{ancestor} 是文件，不是目录"))
            return ancestor
    return Path(os.path.abspath(os.sep))


def _check_writable(folder: Path, target: Path, field: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput(Problem(field, f"无法写入 {target}：没有目录 {folder} 的写入权限"))


def _check_names(target: Path, field: str) -> None:
    for part in target.parts:
        if len(os.fsencode(part)) > NAME_MAX_BYTES:
            raise InvalidInput(Problem(field, f"{target}：其中的名称过长（一个文件名或目录名最多 "
                                              f"{NAME_MAX_BYTES} 字节）"))

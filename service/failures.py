"""What the command line says when a command fails for a reason that is not the clerk's input.

Every such failure ends in one Chinese line and an exit code; the traceback, which means
nothing to a clerk and something to a technician, goes to a log file the line names.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import tempfile
import traceback
from pathlib import Path

from platformdirs import user_log_dir

INTERRUPTED_EXIT = 130  # what a shell reports for a process ended by Ctrl-C (128 + SIGINT)

_OS_REASONS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "所在磁盘为只读",
    errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一项不是目录",
    errno.EISDIR: "这是一个目录，不是文件",
    errno.EEXIST: "文件已存在",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EMFILE: "同时打开的文件过多",
    errno.EIO: "磁盘读写错误",
    errno.ENOTEMPTY: "目录不为空",
    errno.EBUSY: "文件正被占用",
}


def log_path() -> Path:
    return Path(os.environ.get("VIPCONTRACT_LOG") or Path(user_log_dir("vipcontract")) / "error.log")


def write_log(exc: BaseException, command: str) -> Path | None:
    """Append the traceback to the log; None when even that cannot be written."""
    text = "".join(traceback.format_exception(exc))
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for path in (log_path(), Path(tempfile.gettempdir()) / "vipcontract-error.log"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as log:
                log.write(f"--- {stamp} {command}\n{text}\n")
            return path
        except OSError:
            continue
    return None


def os_error_message(exc: OSError) -> str:
    reason = _OS_REASONS.get(exc.errno or 0, f"读写文件出错（错误码 {exc.errno}）")
    where = exc.filename if exc.filename is not None else ""
    return f"{where}：{reason}" if where else reason


def unexpected_message(log: Path | None) -> str:
    if log is None:
        return "程序内部错误，且无法写入错误日志；请联系技术支持。"
    return f"程序内部错误，未完成本次操作；详细信息已写入 {log}，请把该文件交给技术支持。"


def memory_message(log: Path | None) -> str:
    where = f"；详细信息已写入 {log}" if log else ""
    return f"内存不足，未完成本次操作（输入的文件可能过大或嵌套过深）{where}。"

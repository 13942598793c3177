"""What the benchmark sections share: the output lines, medians, the figures for the targets
table, the machine's description and generated customers with valid identity numbers."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The benchmarks issue under a provider of their own: the built-in sample may never issue.
BENCH_PROFILE = Path(__file__).resolve().parent / "profile.toml"

LINES: list[str] = []
# Figures kept for the targets table (seconds, bytes or ratios; see run.targets()).
FIG: dict[str, Any] = {}
START = time.monotonic()


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def elapsed() -> float:
    """Seconds since the benchmark started."""
    return time.monotonic() - START


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(label: str, seconds: float, extra: str = "") -> None:
    say(f"| {label} | {seconds * 1000:,.1f} ms | {extra} |")


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def secs(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:,.2f} s"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


# ---------------------------------------------------------------- the machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine_lines() -> list[str]:
    mem = memory_gib()
    return [
        f"machine: {cpu_model()}, {os.cpu_count()} CPUs (os.cpu_count), "
        f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} usable, "
        f"{f'{mem:.1f} GiB' if mem else '? GiB'} RAM, {os_name()}, kernel {platform.release()}, "
        f"Python {platform.python_version()}",
        f"load average (1/5/15 min) at start: {load_average()}",
    ]


# ---------------------------------------------------------------- other load on the machine
def machine_busy_s() -> float | None:
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat; idle and iowait excluded)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU-seconds of this process and of every child process it has waited for."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Load:
    """How much CPU other processes used while a measurement ran (machine busy time minus ours)."""

    def __init__(self) -> None:
        self.wall0, self.busy0, self.own0 = time.monotonic(), machine_busy_s(), own_cpu_s()

    def result(self) -> dict[str, float | None]:
        wall, busy, own = time.monotonic() - self.wall0, machine_busy_s(), own_cpu_s() - self.own0
        other = max(0.0, busy - self.busy0 - own) if busy is not None and self.busy0 is not None else None
        return {"wall": wall, "own_cpu": own, "other_cpu": other,
                "other_cores": other / wall if other is not None and wall > 0 else None}

    def describe(self) -> str:
        r = self.result()
        if r["other_cpu"] is None:
            return "other load: unknown"
        return (f"our CPU {r['own_cpu']:.0f} s; other processes {r['other_cpu']:.0f} CPU-s "
                f"(on average {r['other_cores']:.2f} of the {os.cpu_count()} cores) over {r['wall']:.0f} s")


# ---------------------------------------------------------------- generated customers
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红文博宇浩然思远雨欣子涵晨阳"
COMPANY_WORDS = ("华信", "远航", "启明", "恒通", "嘉禾", "瑞丰", "汇智", "新元", "博远", "安泰", "同创", "九州")
COMPANY_KINDS = ("科技有限公司", "贸易有限公司", "咨询有限公司", "文化传媒有限公司", "医疗器械有限公司")
DISTRICTS = ("朝阳区建国路", "海淀区中关村大街", "东城区东直门南大街", "西城区金融大街", "丰台区南四环西路")
# Region codes of Beijing districts (a real birth place: python-stdnum checks it).
REGIONS = ("110101", "110102", "110105", "110106", "110108")


def person_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + (
        GIVEN[(i * 13 + 5) % len(GIVEN)] if i % 3 else "")


def id_number(i: int) -> str:
    """A valid 身份证号 (birth date in the past, the check digit by python-stdnum)."""
    from stdnum.cn import ric

    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(i * 37) % 18000)
    body = f"{REGIONS[i % len(REGIONS)]}{birth:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(i: int) -> str:
    """A valid 统一社会信用代码 (digits only, the check character by python-stdnum)."""
    from stdnum.cn import uscc

    body = f"91{REGIONS[i % len(REGIONS)]}{(i * 7919) % 1_000_000_000:09d}"
    return body + uscc.calc_check_digit(body)


def customer_fields(i: int, corporate: bool) -> dict[str, Any]:
    """The fields of customer number `i`, as a spreadsheet row or `--from` file holds them."""
    street = f"北京市{DISTRICTS[i % len(DISTRICTS)]}{1 + i % 300}号{1 + i % 20}单元{101 + i % 30}室"
    if corporate:
        words, kinds = len(COMPANY_WORDS), len(COMPANY_KINDS)
        name = (f"北京{COMPANY_WORDS[i % words]}{COMPANY_WORDS[(i // words) % words]}"
                f"{COMPANY_KINDS[(i // words // words) % kinds]}")
        return {"name": name, "credit_code": credit_code(i), "legal_representative": person_name(i + 1),
                "contact_person": person_name(i + 2), "phone": f"010-{80000000 + i % 9999999:08d}",
                "address": street, "email": f"office{i}@example.com", "annual_fee": 60000 + (i % 40) * 1000}
    return {"name": person_name(i), "id_number": id_number(i), "phone": f"138{i % 100000000:08d}",
            "address": street, "email": f"customer{i}@example.com", "annual_fee": 12800 + (i % 20) * 100}

"""The package outside a checkout: build the wheel, install it into a fresh venv and generate and
issue an agreement there, as on a clerk's own PC (`pipx install vipcontract-….whl`).

Offline: the wheel goes in with --no-deps --no-index; the fresh venv sees the libraries of the
venv running the tests through a .pth line (not --system-site-packages, which would give the
base interpreter's packages, nor this venv's editable install, whose hook a .pth path does not
run). The checkout is never on the fresh venv's path, so templates/ must come from the wheel,
where it is the package vipcontract_templates (a top-level `templates` could collide with
another project's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import TEST_PROFILE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FILES = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0:  # no setuptools to build with (pip fetches it into an isolated env)
        pytest.skip(f"the wheel cannot be built here (pip wheel: {build.stderr.strip()[-300:]})")
    [found] = out.glob("vipcontract-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_carries_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    installed = {f"vipcontract_templates/{name}" for name in TEMPLATE_FILES}
    assert installed <= names, sorted(installed - names)
    assert not any(n.startswith("templates/") for n in names)  # no top-level `templates` package
    assert "cli.py" in names and not any(n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_installed_wheel_generates_an_agreement(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    fresh_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                              "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    if install.returncode != 0 and "no such option: --python" in install.stderr:
        pytest.skip("pip is older than 22.3 (no --python)")
    assert install.returncode == 0, install.stderr
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIPCONTRACT_DB")}
    env["VIPCONTRACT_PROFILE"] = str(TEST_PROFILE)
    where = subprocess.run([str(python), "-c", "import service.sources as s; print(s.TEMPLATES)"],
                           capture_output=True, text=True, cwd=work, env=env, check=True).stdout.strip()
    assert Path(where) == fresh_site / "vipcontract_templates", where
    assert (Path(where) / "agreement" / "document.yaml").is_file() and not (fresh_site / "templates").exists()
    program = env_dir / ("Scripts/vipcontract.exe" if os.name == "nt" else "bin/vipcontract")
    result = subprocess.run(
        [str(program), "generate", "--type", "个人", "--name", "张三", "--id-number", "11010519491231002X",
         "--phone", "13800000000", "--address", "北京市朝阳区建国路88号", "--email", "zhangsan@example.com",
         "--annual-fee", "12800", "--out", "out"],
        capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    made = sorted(p.suffix for p in (work / "out").iterdir())
    assert made == [".docx", ".pdf"]
    # and issued into a register, as a clerk does: numbered, written, registered, checked
    issued = subprocess.run(
        [str(program), "--db", "register.json", "--new-register", "issue", "--type", "单位",
         "--name", "北京某某科技有限公司", "--credit-code", "91110000600037341L", "--legal-representative", "李四",
         "--phone", "010-80000000", "--address", "北京市海淀区上地十街10号", "--email", "it@example.com",
         "--annual-fee", "98000", "--out", "issued"],
        capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    assert sorted(p.suffix for p in (work / "issued").iterdir()) == [".docx", ".pdf"]
    check = subprocess.run([str(program), "--db", "register.json", "check"], capture_output=True, text=True,
                           cwd=work, env=env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr

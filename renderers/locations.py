"""Where the clause sources, the default profile and the renderers' templates are.

In a source checkout they are the repository's `templates/` folder. A wheel installs that folder
as the package `vipcontract_templates` (pyproject.toml maps it: a top-level `templates` package in
site-packages could collide with another project's), and an editable install maps the same name
to the checkout's folder, so the package is looked up first (importlib.resources) and the
checkout's folder is what is left when the project is run without being installed.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGE = "vipcontract_templates"


def _templates() -> Path:
    try:
        found = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "templates"
    # installed unpacked (pip, pipx): a folder on disk, which the renderers and LibreOffice read
    return Path(str(found))


TEMPLATES = _templates()

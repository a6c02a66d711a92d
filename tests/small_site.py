"""A small site (tests/site/), built in-process with the real configuration and extensions."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from copies import IGNORED, ROOT, Build, Copy

SITE = ROOT / "tests" / "site"
SITE_CONF = '''\
"""The real docs/conf.py, with its relative paths pointed back at docs/."""

import os

__file__ = {conf!r}  # the real conf.py finds docs/_ext from here
with open(__file__) as real:
    exec(compile(real.read(), __file__, "exec"))
DOCS = os.path.dirname(__file__)
html_static_path = [os.path.join(DOCS, p) for p in html_static_path]
html_templates_path = templates_path = [os.path.join(DOCS, p) for p in templates_path]
html_favicon = html_logo = os.path.join(DOCS, html_favicon)
intersphinx_mapping = {{k: (url, (os.path.join(DOCS, inv[0]), None)) for k, (url, inv) in intersphinx_mapping.items()}}
'''


@dataclass
class Site(Copy):
    """A copy of tests/site/ (plus the real claims and versions pages) to build and plant failures in.

    Laid out like the repository: ``examples/`` beside ``docs/``.
    """

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    def build(self, builder: str = "html", *, parallel: int = 0, preview: bool = True) -> Build:
        """sphinx-build -W --keep-going -n -T, in this process (the ledger variable is restored after).

        ``preview``: as `nox -s docs -- preview`, no NumPy matrix (the versions page says so).
        """
        import traceback
        from io import StringIO

        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        from viewcopy.claims import ledger as _ledger

        log = StringIO()
        saved_preview = os.environ.get("VIEWCOPY_PREVIEW")
        os.environ["VIEWCOPY_PREVIEW"] = "1" if preview else "0"
        with _ledger.unrecorded(), patch_docutils(self.docs), docutils_namespace():  # as sphinx-build does
            try:
                app = Sphinx(
                    self.docs, self.docs, self.docs / "_build" / builder, self.docs / "_build" / "doctrees", builder,
                    status=log, warning=log, warningiserror=True, keep_going=True, parallel=parallel,
                )  # fmt: skip
                app.build()
                code = app.statuscode
            except Exception:  # noqa: BLE001 (what sphinx-build -T prints, then exit 2)
                log.write(traceback.format_exc())
                code = 2
            finally:
                os.environ.pop("VIEWCOPY_PREVIEW")
                if saved_preview is not None:
                    os.environ["VIEWCOPY_PREVIEW"] = saved_preview
        return Build(code, re.sub(r"\x1b\[[0-9;]*m", "", log.getvalue()))  # no colours: tracebacks as text


def make_site(folder: Path) -> Site:
    shutil.copytree(SITE, folder, ignore=IGNORED)
    for page in ("claims.md", "versions.md"):
        shutil.copy2(ROOT / "docs" / page, folder / "docs" / page)
    (folder / "docs" / "conf.py").write_text(SITE_CONF.format(conf=str(ROOT / "docs" / "conf.py")))
    return Site(folder)

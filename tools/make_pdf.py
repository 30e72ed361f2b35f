"""Print the whole course to one PDF, for a classroom without screens or without a network.

    python -m tools.make_pdf [--root ROOT] [--out build/course.pdf]

Renders the site (make_html.py) into a temporary folder, prints the index and every notebook page
with headless Chromium, after MathJax has typeset the formulas and with every folded solution
opened, and joins the pages with pdfunite. The PDF is written in one step. Needs Debian's
chromium and poppler-utils, and libjs-mathjax for formulas offline. ``browse`` is also how
tests/test_html.py drives the browser.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import course, files
from . import make_html
from .course import CourseError

# No network, no profile state, no first-run dialogs; 20 s of page time for MathJax to typeset.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=20000"]
# Printed, a folded solution would be lost: open them all before the page is printed.
OPEN_SOLUTIONS = ("<script>window.addEventListener('load', () => "
                  "document.querySelectorAll('details.solution').forEach(d => d.open = true));</script>")


def find(program: str, package: str, *other_names: str) -> str:
    found = next(filter(None, map(shutil.which, (program, *other_names))), None)
    if not found:
        raise CourseError(f"{program} is not installed; on Debian/Ubuntu: apt-get install -y {package}")
    return found


def browse(page: Path, *action: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Open `page` in headless Chromium with a fresh profile and do `action` (--print-to-pdf=..., --dump-dom)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([find("chromium", "chromium", "chromium-browser"), *CHROMIUM_FLAGS,
                               f"--user-data-dir={profile}", *action, page.as_uri()],
                              capture_output=True, text=True, timeout=timeout)


def print_pages(pages: list[Path], out: Path) -> int:
    """Print each page to PDF and join them into ``out``; the number of pages printed."""
    pdfunite = find("pdfunite", "poppler-utils")
    with tempfile.TemporaryDirectory(prefix="course-pdf-") as work:
        pdfs = [Path(work) / f"{k:02d}.pdf" for k in range(len(pages))]
        for page, pdf in zip(pages, pdfs):
            printable = page.with_name(f"{page.stem}.print.html")
            printable.write_text(page.read_text(encoding="utf-8").replace("</body>", OPEN_SOLUTIONS + "</body>"),
                                 encoding="utf-8")
            result = browse(printable, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
            if result.returncode != 0 or not pdf.exists():
                raise CourseError(f"chromium could not print {page.name}:\n{result.stderr[-2000:]}")
        joined = Path(work) / "course.pdf"
        result = subprocess.run([pdfunite, *map(str, pdfs), str(joined)], capture_output=True, text=True)
        if result.returncode != 0:
            raise CourseError(f"pdfunite could not join the pages:\n{result.stderr[-2000:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        files.write_bytes(out, joined.read_bytes())  # the previous PDF stays until the new one is complete
    return len(pdfs)


def build(root: Path, out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="course-site-") as site:
        pages = make_html.build(root, Path(site) / "html")
        return print_pages([page for page in pages if page.name != "status.html"], out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=course.ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "course.pdf")
    args = parser.parse_args(argv)
    return files.run_and_report("make_pdf", lambda: build(args.root.resolve(), args.out),
                         lambda count: f"course PDF: {count} web pages printed into one file, {args.out}")


if __name__ == "__main__":
    sys.exit(main())

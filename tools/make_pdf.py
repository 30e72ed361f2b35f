"""Print the whole course to one PDF, for a classroom without screens or without a network.

    python tools/make_pdf.py [--out build/course.pdf]

Renders the site (tools/make_html.py) into a temporary folder, prints the index and every notebook
page with headless Chromium, after MathJax has typeset the formulas and with every folded worked
solution opened, and joins the pages with pdfunite (Debian's poppler-utils). The PDF is written
in one step. Needs Debian's chromium and poppler-utils; libjs-mathjax for formulas offline.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import make_html  # a sibling in tools/, on the path of every script run from there

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer", "--virtual-time-budget=20000"]
# Printed, a folded solution would be lost: open them all before the page is printed.
OPEN_SOLUTIONS = ("<script>window.addEventListener('load', () => "
                  "document.querySelectorAll('details.solution').forEach(d => d.open = true));</script>")


def find(program: str, package: str, *other_names: str) -> str:
    found = next(filter(None, map(shutil.which, (program, *other_names))), None)
    if not found:
        raise SystemExit(f"make_pdf: {program} is not installed; on Debian/Ubuntu: apt-get install -y {package}")
    return found


def print_pages(pages: list[Path], out: Path) -> int:
    """Print each page to PDF and join them into ``out``; the number of pages printed."""
    chromium = find("chromium", "chromium", "chromium-browser")
    pdfunite = find("pdfunite", "poppler-utils")
    with tempfile.TemporaryDirectory(prefix="course-pdf-") as work:
        work = Path(work)
        pdfs = []
        for k, page in enumerate(pages):
            printable = page.with_name(f"{page.stem}.print.html")
            printable.write_text(page.read_text(encoding="utf-8").replace("</body>", OPEN_SOLUTIONS + "</body>"),
                                 encoding="utf-8")
            pdf = work / f"{k:02d}.pdf"
            with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
                result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                         f"--print-to-pdf={pdf}", printable.as_uri()],
                                        capture_output=True, text=True, timeout=300)
            if result.returncode != 0 or not pdf.exists():
                raise SystemExit(f"make_pdf: chromium could not print {page.name}:\n{result.stderr[-2000:]}")
            pdfs.append(pdf)
        joined = work / "course.pdf"
        result = subprocess.run([pdfunite, *map(str, pdfs), str(joined)], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"make_pdf: pdfunite could not join the pages:\n{result.stderr[-2000:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(handle)
        try:
            shutil.copyfile(joined, staging)
            os.replace(staging, out)  # one rename: the previous PDF stays until the new one is complete
        finally:
            Path(staging).unlink(missing_ok=True)
    return len(pdfs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "course.pdf")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="course-site-") as site:
        site = Path(site) / "html"
        pages = make_html.build(args.root.resolve(), site)
        ordered = [site / "index.html"] + [p for p in pages if p.name not in ("index.html", "status.html")]
        count = print_pages(ordered, args.out)
    print(f"course PDF: {count} web pages printed into one file, {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Print the course to PDF, one file per language, for a classroom without screens or a network.

    python -m tools.make_pdf [--root ROOT] [--out build/course.pdf] [--paper a4|letter]

Each edition is one document of make_html's pages without the web navigation: a cover, the contents,
each notebook from a new page with its solutions open. Headless Chromium prints it once MathJax has
typeset it, with page numbers and bookmarks; it prints twice, because the contents' page numbers come
from the first print's bookmarks (poppler's pdftohtml). Chinese goes to <out>.zh.pdf.
"""
from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import nbformat

from . import course, files, make_html
from .course import CourseError

# No network, no profile state, no first-run dialogs; 30 s of page time for MathJax to typeset.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=30000"]
MATHJAX_URL = f"{make_html.MATHJAX.as_uri()}/{make_html.MATHJAX_CONFIG}"  # Debian's, read where it is installed


def find(program: str, package: str) -> str:
    if not shutil.which(program):
        raise CourseError(f"{program} is not installed; on Debian/Ubuntu: apt-get install -y {package}")
    return program


def browse(page: Path | str, *action: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Open `page` (a path or URL) in headless Chromium with a fresh profile and do `action` (--print-to-pdf=…)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([find("chromium", "chromium"), *CHROMIUM_FLAGS,
                               f"--user-data-dir={profile}", *action, page.as_uri() if isinstance(page, Path) else page],
                              capture_output=True, text=True, timeout=timeout)


def outline(pdf: Path) -> tuple[list[tuple[int, str, int]], int]:
    """(depth, title, page) of each bookmark of `pdf` in order, and its number of pages."""
    xml = ElementTree.fromstring(subprocess.run([find("pdftohtml", "poppler-utils"), "-xml", "-stdout", "-i", "-q",
                                                 str(pdf)], capture_output=True, text=True, check=True).stdout)

    def walk(node, depth):
        for child in node:
            if child.tag == "item":
                yield depth, " ".join("".join(child.itertext()).split()), int(child.get("page"))
            elif child.tag == "outline":
                yield from walk(child, depth + 1)
    return list(walk(xml.findall("outline"), 0)), len(xml.findall("page"))


def print_edition(edition: make_html.Edition, out: Path, paper: str, work: Path) -> int:
    """Print one edition to `out`, through the folder `work`; its number of pages."""
    cells = [cell for k in range(len(edition.lessons)) for cell in make_html.page_notebook(edition, k, printed=True).cells]
    site = {"print": True, "title": edition.title, "tab": edition.title, "ui": make_html.UI[edition.language],
            "paper": paper}
    document = make_html.render(edition.exporter(MATHJAX_URL), nbformat.v4.new_notebook(cells=cells), site,
                                edition.lessons[0].path.parent)
    entries = [(level, title) for level, _, title, _ in make_html.sections(document) if level <= 2]
    page, numbers = work / f"{edition.language}.html", [""] * len(entries)
    for pdf in (work / f"{edition.language}-draft.pdf", work / f"{edition.language}.pdf"):  # the draft numbers pages
        page.write_text(document.replace("<!--print-toc-->", "".join(
            f'<p class="h{level}"><span>{html.escape(title)}</span><span class="page">{number}</span></p>'
            for (level, title), number in zip(entries, numbers))), encoding="utf-8")
        result = browse(page, "--no-pdf-header-footer", "--generate-pdf-document-outline", f"--print-to-pdf={pdf}")
        if result.returncode != 0 or not pdf.exists():
            raise CourseError(f"chromium could not print {out.name}:\n{result.stderr[-2000:]}")
        marks, pages = outline(pdf)
        numbers = [number for depth, _, number in marks if depth <= 2]
    if len(numbers) != len(entries):  # an h3 straight under an h1 would be nested as a section
        raise CourseError(f"{out.name}: {len(entries)} notebooks and sections, but {len(numbers)} bookmarks for them")
    out.parent.mkdir(parents=True, exist_ok=True)
    files.write_bytes(out, pdf.read_bytes())  # the previous PDF stays until the new one is complete
    return pages


def build(root: Path, out: Path, paper: str = "a4") -> dict[Path, int]:
    """Print every edition, English to `out`, Chinese beside it (.zh.pdf); {PDF: its number of pages}."""
    make_html.require(make_html.MATHJAX / "MathJax.js", "apt-get install -y libjs-mathjax (Debian/Ubuntu)")
    with tempfile.TemporaryDirectory(prefix="course-pdf-") as work:
        return {path: print_edition(edition, path, paper, Path(work)) for edition in make_html.editions(root)
                for path in [out if edition.language == "en" else out.with_suffix(f".{edition.language}.pdf")]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=course.ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "course.pdf")
    parser.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    args = parser.parse_args(argv)
    return files.run_and_report("make_pdf", lambda: build(args.root.resolve(), args.out, args.paper), lambda done: "\n".join(
        f"course PDF: {path} ({pages} {args.paper.upper()} pages)" for path, pages in done.items()))


if __name__ == "__main__":
    sys.exit(main())

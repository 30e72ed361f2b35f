"""Print the course to PDF, one file per language, for a classroom without screens or a network.

    python -m tools.make_pdf [--root ROOT] [--out build/course.pdf] [--paper a4|letter]

Each edition becomes one document (make_html's pages, without the web navigation): a cover, the
contents, each notebook from a new page with its solutions open. Headless Chromium prints it after
MathJax has typeset it, with page numbers and bookmarks for every notebook and its sections; it
prints twice, because the contents' page numbers are read from the first print's bookmarks
(poppler's pdftohtml). The Chinese edition goes to <out>.zh.pdf. ``browse`` also drives the tests' browser.
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
PAPER = {"a4": "A4", "letter": "letter"}


def find(program: str, package: str, *other_names: str) -> str:
    found = next(filter(None, map(shutil.which, (program, *other_names))), None)
    if not found:
        raise CourseError(f"{program} is not installed; on Debian/Ubuntu: apt-get install -y {package}")
    return found


def browse(page: Path | str, *action: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Open `page` (a path or URL) in headless Chromium with a fresh profile and do `action` (--print-to-pdf=…)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([find("chromium", "chromium", "chromium-browser"), *CHROMIUM_FLAGS,
                               f"--user-data-dir={profile}", *action, page.as_uri() if isinstance(page, Path) else page],
                              capture_output=True, text=True, timeout=timeout)


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page) of each bookmark of `pdf`, in order."""
    xml = subprocess.run([find("pdftohtml", "poppler-utils"), "-xml", "-stdout", "-i", "-q", str(pdf)],
                         capture_output=True, text=True, check=True).stdout

    def walk(node, depth):
        for child in node:
            if child.tag == "item":
                yield depth, " ".join("".join(child.itertext()).split()), int(child.get("page"))
            elif child.tag == "outline":
                yield from walk(child, depth + 1)
    return list(walk(ElementTree.fromstring(xml).findall("outline"), 0))


def print_to(page: Path, text: str, pdf: Path) -> None:
    page.write_text(text, encoding="utf-8")
    result = browse(page, "--no-pdf-header-footer", "--generate-pdf-document-outline", f"--print-to-pdf={pdf}")
    if result.returncode != 0 or not pdf.exists():
        raise CourseError(f"chromium could not print {page.name}:\n{result.stderr[-2000:]}")


def print_edition(root: Path, site: Path, edition: make_html.Edition, out: Path, paper: str) -> int:
    """Print one edition to `out`; its number of pages."""
    cells = [cell for k in range(len(edition.lessons)) for cell in make_html.page_notebook(edition, k, printed=True).cells]
    document = make_html.render(edition.exporter(), nbformat.v4.new_notebook(cells=cells), {
        "print": True, "title": edition.title, "tab": edition.title, "ui": make_html.UI[edition.language],
        "paper": PAPER[paper]}, root / "notebooks" / edition.folder)
    entries = [(level, title) for level, _, title, _ in make_html.sections(document) if level <= 2]

    def printed(pages, pdf):
        print_to(site / edition.folder / "print.html", document.replace("<!--print-toc-->", "".join(
            f'<p class="h{level}"><span>{html.escape(title)}</span><span class="page">{page}</span></p>'
            for (level, title), page in zip(entries, pages))), pdf)
        return pdf
    marks = [page for depth, _, page in outline(printed([""] * len(entries), site / "first.pdf")) if depth <= 2]
    if len(marks) != len(entries):  # an h3 straight under an h1 would be nested as a section
        raise CourseError(f"{out.name}: {len(entries)} notebooks and sections, but {len(marks)} bookmarks for them")
    final = printed(marks, site / "final.pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    files.write_bytes(out, final.read_bytes())  # the previous PDF stays until the new one is complete
    info = subprocess.run([find("pdfinfo", "poppler-utils"), str(out)], capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def build(root: Path, out: Path, paper: str = "a4") -> dict[Path, int]:
    """Print every edition, English to `out`, Chinese beside it (.zh.pdf); {PDF: its number of pages}."""
    with tempfile.TemporaryDirectory(prefix="course-site-") as work:
        make_html.build(root, Path(work))
        return {path: print_edition(root, Path(work), edition, path, paper) for edition in make_html.editions(root)
                for path in [out if edition.language == "en" else out.with_suffix(f".{edition.language}.pdf")]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=course.ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "course.pdf")
    parser.add_argument("--paper", choices=sorted(PAPER), default="a4", help="paper size (default a4)")
    args = parser.parse_args(argv)
    return files.run_and_report("make_pdf", lambda: build(args.root.resolve(), args.out, args.paper), lambda done: "\n".join(
        f"course PDF: {path} ({pages} {args.paper.upper()} pages)" for path, pages in done.items()))


if __name__ == "__main__":
    sys.exit(main())

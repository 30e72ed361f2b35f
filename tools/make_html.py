"""Render the executed notebooks as a static site, without running them again.

    python -m tools.make_html [--root ROOT] [--out DIR] [--mathjax-url URL]

DIR (default build/html/) holds, through nbconvert and site_template/, an index and a page per notebook
for each edition (Chinese, from notebooks/zh/, in DIR/zh/), each linking to its twin, with its status.html
(tools/status.py). Every page has a sidebar (lunr search over its edition, the lessons, its headings),
folds worked solutions under "Show solution" and drops nbgrader's marker lines and hidden tests. Debian's MathJax and
lunr are copied in, so the site works from disk, on any static host and offline. Its words are in
site_template/words.json.
"""
from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import course, files, status
from .course import CourseError

TEMPLATES = Path(__file__).resolve().parent / "site_template"
MATHJAX = Path("/usr/share/javascript/mathjax")  # Debian's libjs-mathjax; the parts its CommonHTML output loads:
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "extensions", "jax/input/TeX", "jax/element",
                 "jax/output/CommonHTML", "fonts/HTML-CSS/TeX/woff")
MATHJAX_CONFIG = "MathJax.js?config=TeX-AMS_CHTML-full"
LUNR = Path("/usr/share/javascript/lunr/lunr.min.js")  # Debian's libjs-lunr
UI = json.loads((TEMPLATES / "words.json").read_text(encoding="utf-8"))  # the site's words, per language
_NOTEBOOK_LINK = re.compile(r"(\]\([^)\s#:]+)\.ipynb((?:#[^)\s]*)?\))")  # inline links, relative, no scheme
_README_LINK = re.compile(r"(\]\()(?:\.\./)*README\.md(?:#[^)\s]*)?\)")
_MARKER_LINE = re.compile(r"^[ \t]*#+[ \t]*(?:%s|%s)[ \t]*(?:\n|$)" % (course.BEGIN_SOLUTION, course.END_SOLUTION), re.M)
# Hidden tests compare with the answers: a reader sees the check, never them (nor their marker lines).
_HIDDEN_TESTS = re.compile(r"^[ \t]*#+[ \t]*%s.*?^[ \t]*#+[ \t]*%s[ \t]*(?:\n|$)" % (course.BEGIN_HIDDEN, course.END_HIDDEN),
                           re.M | re.S)
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)">(.*?)</h\1>', re.S)


def site_links(markdown: str) -> str:
    """Markdown with links to notebooks and to the README re-pointed to the site's pages."""
    return _README_LINK.sub(r"\1index.html)", _NOTEBOOK_LINK.sub(r"\1.html\2", markdown))


def copy_mathjax(folder: Path) -> None:
    """The parts of Debian's MathJax that the pages load, into `folder` (loaded as MATHJAX_CONFIG inside it)."""
    for part in MATHJAX_PARTS:
        (folder / part).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (MATHJAX / part).is_dir() else shutil.copy)(MATHJAX / part, folder / part)


def require(path: Path, remedy: str) -> None:
    if not path.exists():
        raise CourseError(f"{path} is missing: {remedy}")


@dataclass(frozen=True)
class Edition:
    """One language of the course: its folder in the site ('' or 'zh/'), its title, its lessons."""
    language: str
    folder: str
    title: str
    lessons: list

    @property
    def up(self) -> str:  # from the edition's folder to the site's
        return "../" * self.folder.count("/")

    def exporter(self, mathjax_url: str | None = None) -> HTMLExporter:
        """nbconvert's exporter through site_template/, with MathJax from `mathjax_url` or the site's own copy."""
        return HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True,
                            language_code=self.language, mathjax_url=mathjax_url or f"{self.up}mathjax/{MATHJAX_CONFIG}")


def readme_title(readme: Path) -> str:
    return next(line[2:].strip() for line in readme.read_text(encoding="utf-8").splitlines() if line.startswith("# "))


def editions(root: Path) -> list[Edition]:
    """English, and Chinese where notebooks/zh/ holds notebooks, each titled by its README's heading."""
    chinese = root / "notebooks" / "zh"
    lessons = [course.read_lesson(path) for path in course.notebook_paths(chinese)]
    return [Edition("en", "", readme_title(root / "README.md"), course.read_course(root)),
            *([Edition("zh", "zh/", readme_title(chinese / "README.md"), lessons)] if lessons else [])]


def page_notebook(edition: Edition, position: int, records: dict | None = None, printed: bool = False):
    """A copy of a notebook as a reader sees it: nav cells and the last-tested line (neither in print), links to
    pages, no marker lines, and the first and last cell of each run of solution cells marked for the template."""
    nb = copy.deepcopy(edition.lessons[position].nb)
    nb.cells = [cell for cell in nb.cells if not course.is_nav(cell)]
    if not printed:
        line = status.verified_line(records, edition.lessons[position].path.name, "status.html", UI[edition.language])
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(line))
        index = f"[{UI[edition.language]['index']}](index.html)"
        course.apply_nav(nb, course.nav_source(edition.lessons, position, index))
    solution = [False, *map(course.is_solution, nb.cells), False]
    for k, cell in enumerate(nb.cells):
        cell.source = (site_links(cell.source) if cell.cell_type == "markdown"
                       else _MARKER_LINE.sub("", _HIDDEN_TESTS.sub("", cell.source)))
        if solution[k + 1] and not solution[k]:
            cell.metadata["site_solution_opens"] = True  # its fold's label says "Solution": a heading would repeat it
            cell.source = re.sub(rf"^#+[ \t]*{UI[edition.language]['solution_heading']}[ \t]*\n+", "", cell.source)
        if solution[k + 1] and not solution[k + 2]:
            cell.metadata["site_solution_closes"] = True
    return nb


def markdown_notebook(markdown: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(site_links(markdown))])


def index_page(edition: Edition) -> str:
    """The markdown of an edition's index: its title, a line on the site, the table of its notebooks."""
    ui = UI[edition.language]
    return (f"# {edition.title}\n\n{ui['intro'].format(n=len(edition.lessons), up=edition.up)}\n\n"
            + course.table_of_contents(edition.lessons, ui["table"], folder=""))


def plain(fragment: str) -> str:
    """The text of an HTML fragment of our pages, on one line."""
    text = re.sub(r"<(script|style)\b.*?</\1>|</?(?:p|div|li|t[dhr]|h\d|br|pre|summary)\b[^>]*>", " ", fragment,
                  flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).replace("¶", " ").split())


def sections(page: str) -> list[tuple[int, str, str, str]]:
    """(level, id, title, text) of each h1-h3 section of a rendered page's <main>, in order."""
    parts = _HEADING.split(page.split("<main>", 1)[-1])
    return [(int(parts[k]), parts[k + 1], plain(parts[k + 2]), plain(parts[k + 3])) for k in range(1, len(parts), 4)]


def render(export: HTMLExporter, nb, site: dict, folder: Path) -> str:
    """One page through site_template/ (``site`` is its resources.site), its sidebar listing its h2 and h3 headings."""
    page = export.from_notebook_node(nb, resources={"metadata": {"name": site["tab"], "path": str(folder)},
                                                    "site": site})[0]
    return page.replace("<!--page-toc-->", "".join(f'<li class="h{level}"><a href="#{anchor}">{html.escape(title)}</a></li>'
                                                   for level, anchor, title, _ in sections(page) if level > 1))


def build(root: Path, out_dir: Path, mathjax_url: str | None = None, status_dir: Path | None = None) -> list[Path]:
    """Render the site into `out_dir` (replaced in one step); the pages written."""
    if not mathjax_url:
        require(MATHJAX / "MathJax.js", "apt-get install -y libjs-mathjax (Debian/Ubuntu), or name one with --mathjax-url")
    require(LUNR, "apt-get install -y libjs-lunr (Debian/Ubuntu)")
    records, books, written = status.read_records(status_dir), editions(root), []
    twins = set.intersection(*({"index.html", "status.html", *(f"{l.path.stem}.html" for l in book.lessons)}
                               for book in books))
    with files.replacing_folder(out_dir) as staging:
        for book in books:
            other = next((edition for edition in books if edition is not book), None)
            (staging / book.folder).mkdir(exist_ok=True)
            export, search, ui = book.exporter(mathjax_url), [], UI[book.language]
            pages = {"index.html": (book.title, markdown_notebook(index_page(book)))}
            pages["status.html"] = (f"{ui['status']} · {book.title}", markdown_notebook(status.status_page(records, book.lessons, ui)))
            pages |= {f"{lesson.path.stem}.html": (lesson.heading, page_notebook(book, k, records))
                      for k, lesson in enumerate(book.lessons)}
            site = {"title": book.title, "ui": ui, "root": book.up,
                    "lessons": [(f"{lesson.path.stem}.html", lesson.heading) for lesson in book.lessons]}
            for name, (tab, nb) in pages.items():
                twin = ((other.language, book.up + other.folder + name, UI[other.language]["name"])
                        if other and name in twins else None)
                page = render(export, nb, site | {"tab": tab, "page": name, "twin": twin}, root / "notebooks" / book.folder)
                files.write_text(staging / book.folder / name, page)
                written.append(out_dir / book.folder / name)
                search += [{"u": f"{name}#{html.unescape(anchor)}", "p": tab, "t": title, "x": text}
                           for _, anchor, title, text in sections(page) if name != "status.html"]
            files.write_text(staging / book.folder / "search-index.js",
                             f"window.COURSE_SEARCH = {json.dumps(search, ensure_ascii=False)};\n")
        if not mathjax_url:
            copy_mathjax(staging / "mathjax")
        shutil.copy(LUNR, staging)
        shutil.copy(TEMPLATES / "search.js", staging)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=course.ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=None, help="where the site goes (default ROOT/build/html)")
    parser.add_argument("--mathjax-url", default=None, help="load MathJax 2 from this address instead of the copy "
                        "of Debian's libjs-mathjax that the site carries (e.g. a CDN's)")
    args = parser.parse_args(argv)
    out_dir = args.out or args.root.resolve() / "build" / "html"
    return files.run_and_report("make_html", lambda: build(args.root.resolve(), out_dir, args.mathjax_url),
                                lambda pages: f"site: {len(pages)} page(s) in {out_dir}; open {out_dir / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())

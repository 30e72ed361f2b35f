"""Render the executed notebooks as a static web site, without running them again.

    python -m tools.make_html [--root ROOT] [--out DIR] [--mathjax-url URL]

Writes DIR (default build/html/) with nbconvert and site_template/: index.html (the README's table
of notebooks), status.html (the records of `make test`, tools/status.py) and a page per notebook
from its stored outputs; with notebooks/zh/, the Chinese edition in DIR/zh/, each page linking to
its twin. Every page has a sidebar (a lunr search box over its edition, every lesson, the page's
own headings), folds each worked solution under "Show solution" and drops nbgrader's marker
lines. MathJax and lunr are copied in from Debian's libjs-mathjax and libjs-lunr, so the site
works from disk, from any static host, and offline. The notebooks are never changed.
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
LUNR = Path("/usr/share/javascript/lunr/lunr.min.js")  # Debian's libjs-lunr
# The words of the site around the lessons, per language; "twin" is the other edition: its language, folder, name.
UI = {"en": {"index": "index", "search": "Search the course", "no_match": "No section has all of these words.",
             "status": "Status", "solution": "Show solution", "worked": "Worked solution", "contents": "Contents",
             "printed": "The notebooks with their stored outputs", "twin": ("zh", "zh/", "中文")},
      "zh": {"index": "索引", "search": "搜索课程", "no_match": "没有同时包含这些词的小节。", "status": "验证状态",
             "solution": "显示解答", "worked": "解答", "contents": "目录", "printed": "笔记本及其保存的输出",
             "twin": ("en", "../", "English"), "title": "Softmax 回归：从 softmax 运算到训练好的分类器"}}
DEFAULT_COURSE_TITLE = "Softmax regression, from the softmax to a trained classifier"
_NOTEBOOK_LINK = re.compile(r"(\]\()([^)\s#:]+)\.ipynb((?:#[^)\s]*)?\))")  # inline links, relative, no scheme
_README_LINK = re.compile(r"(\]\()(?:\.\./)*README\.md(?:#[^)\s]*)?\)")
_MARKER_LINE = re.compile(r"^[ \t]*#+[ \t]*(?:%s)[ \t]*(?:\n|$)" % "|".join(
    (course.BEGIN_SOLUTION, course.END_SOLUTION, course.BEGIN_HIDDEN, course.END_HIDDEN)), re.M)
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)">(.*?)</h\1>', re.S)


def site_links(markdown: str) -> str:
    """Markdown with links to notebooks and to the README re-pointed to the site's pages."""
    markdown = _NOTEBOOK_LINK.sub(lambda m: f"{m[1]}{Path(m[2]).name}.html{m[3]}", markdown)
    return _README_LINK.sub(lambda m: f"{m[1]}index.html)", markdown)


def course_title(root: Path) -> str:
    readme = root / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []
    return next((line[2:].strip() for line in lines if line.startswith("# ")), DEFAULT_COURSE_TITLE)


@dataclass(frozen=True)
class Edition:
    """One language of the course: its folder in the site ('' or 'zh/'), its title, its lessons."""
    language: str
    folder: str
    title: str
    lessons: list

    @property
    def up(self) -> str:
        """From the edition's folder to the site's."""
        return "../" * self.folder.count("/")

    def exporter(self, mathjax_url: str | None = None) -> HTMLExporter:
        return HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True,
                            language_code=self.language,
                            mathjax_url=mathjax_url or f"{self.up}mathjax/MathJax.js?config=TeX-AMS_CHTML-full")


def editions(root: Path) -> list[Edition]:
    """English, and Chinese where notebooks/zh/ holds notebooks, each titled by its title cell's heading."""
    chinese = []
    for path in course.notebook_paths(root / "notebooks" / "zh"):
        nb = course.read_notebook(path)
        heading, _, rest = next(cell for cell in nb.cells if not course.is_nav(cell)).source.strip().partition("\n")
        chinese.append(course.Lesson(path, nb, path.name[:2], heading.lstrip("# ").split(" · ", 1)[-1],
                                     " ".join(rest.split()), ""))
    return [Edition("en", "", course_title(root), course.read_course(root)),
            *([Edition("zh", "zh/", UI["zh"]["title"], chinese)] if chinese else [])]


def page_notebook(edition: Edition, position: int, records=(), printed=False):
    """A copy of a notebook as a reader sees it: nav cells (none in print), links to pages, the last-tested
    line, no marker lines, and the first and last cell of each run of solution cells marked for the template."""
    nb = copy.deepcopy(edition.lessons[position].nb)
    nav = course.nav_source(edition.lessons, position).replace("[index]", f"[{UI[edition.language]['index']}]")
    course.apply_nav(nb, nav)
    if printed:
        nb.cells = [cell for cell in nb.cells if not course.is_nav(cell)]
    else:
        line = status.verified_line(records, edition.lessons[position].path.name, f"{edition.up}status.html")
        nb.cells.insert(1 + next(k for k, cell in enumerate(nb.cells) if not course.is_nav(cell)),
                        nbformat.v4.new_markdown_cell(line))
    solution = [False, *map(course.is_solution, nb.cells), False]
    for k, cell in enumerate(nb.cells):
        cell.source = site_links(cell.source) if cell.cell_type == "markdown" else _MARKER_LINE.sub("", cell.source)
        if solution[k + 1] and not solution[k]:
            cell.metadata["site_solution_opens"] = True
        if solution[k + 1] and not solution[k + 2]:
            cell.metadata["site_solution_closes"] = True
    return nb


def markdown_notebook(markdown: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(site_links(markdown))])


def index_page(edition: Edition) -> str:
    """The markdown of an edition's index: the README's table of notebooks, or the Chinese titles."""
    if edition.language != "en":
        return f"# {edition.title}\n\n" + "\n".join(f"- [{lesson.heading}]({lesson.path.name}): {lesson.one_line}"
                                                    for lesson in edition.lessons)
    return (f"# {edition.title}\n\n{len(edition.lessons)} notebooks, shown with the outputs they produced when last "
            "run. Open one to read it; run it yourself in JupyterLab (`make lab`). [When was it last verified?]"
            "(status.html)\n\n" + course.table_of_contents(edition.lessons))


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
    if not mathjax_url and not (MATHJAX / "MathJax.js").is_file():
        raise CourseError("MathJax is not installed: apt-get install -y libjs-mathjax (Debian/Ubuntu), "
                          "or name one with --mathjax-url")
    if not LUNR.is_file():
        raise CourseError("lunr, the search library, is not installed: apt-get install -y libjs-lunr (Debian/Ubuntu)")
    records, books, written = status.read_records(status_dir), editions(root), []
    twins = set.intersection(*({"index.html", *(f"{l.path.stem}.html" for l in book.lessons)} for book in books))
    with files.replacing_folder(out_dir) as staging:
        for book in books:
            (staging / book.folder).mkdir(exist_ok=True)
            export, search, ui = book.exporter(mathjax_url), [], UI[book.language]
            pages = {"index.html": (book.title, markdown_notebook(index_page(book)))}
            if book.language == "en":
                pages["status.html"] = (f"Status · {book.title}", markdown_notebook(status.status_page(records, book.lessons)))
            pages |= {f"{lesson.path.stem}.html": (lesson.heading, page_notebook(book, k, records))
                      for k, lesson in enumerate(book.lessons)}
            for name, (tab, nb) in pages.items():
                twin = (ui["twin"][0], ui["twin"][1] + name, ui["twin"][2]) if len(books) > 1 and name in twins else None
                page = render(export, nb, {"title": book.title, "tab": tab, "ui": ui, "page": name, "root": book.up,
                                           "twin": twin, "lessons": [(f"{lesson.path.stem}.html", lesson.heading)
                                                                     for lesson in book.lessons]},
                              root / "notebooks" / book.folder)
                files.write_text(staging / book.folder / name, page)
                written.append(out_dir / book.folder / name)
                search += [{"u": f"{name}#{html.unescape(anchor)}", "p": tab, "t": title, "x": text}
                           for _, anchor, title, text in sections(page) if name != "status.html"]
            files.write_text(staging / book.folder / "search-index.js",
                             f"window.COURSE_SEARCH = {json.dumps(search, ensure_ascii=False)};\n")
        for part in MATHJAX_PARTS if not mathjax_url else ():
            (staging / "mathjax" / part).parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (MATHJAX / part).is_dir() else shutil.copy)(MATHJAX / part, staging / "mathjax" / part)
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

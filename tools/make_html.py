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
UI = {"en": {"index": "index", "search": "Search the course", "no_match": "No section has all of these words.", "status": "Status",
             "solution": "Show solution", "worked": "Worked solution", "twin": "中文", "contents": "Contents",
             "printed": "The notebooks with their stored outputs"},
      "zh": {"index": "索引", "title": "Softmax 回归：从 softmax 运算到训练好的分类器", "search": "搜索课程", "status": "验证状态",
             "no_match": "没有同时包含这些词的小节。", "solution": "显示解答", "worked": "解答", "twin": "English", "contents": "目录",
             "printed": "笔记本及其保存的输出"}}
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


def page_notebook(lessons, position, records=(), printed=False, language="en"):
    """A copy of a notebook as a reader sees it: nav cells (none in print), links to pages, the last-tested
    line, no marker lines, and the first and last cell of each run of solution cells marked for the template."""
    nb = copy.deepcopy(lessons[position].nb)
    course.apply_nav(nb, course.nav_source(lessons, position).replace("[index]", f"[{UI[language]['index']}]"))
    if printed:
        nb.cells = [cell for cell in nb.cells if not course.is_nav(cell)]
    else:
        line = nbformat.v4.new_markdown_cell(status.verified_line(
            records, lessons[position].path.name, "status.html" if language == "en" else "../status.html"))
        nb.cells.insert(1 + next(k for k, cell in enumerate(nb.cells) if not course.is_nav(cell)), line)
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


def chinese_lessons(root: Path) -> list[course.Lesson]:
    """notebooks/zh/NN_*.ipynb, each titled by its title cell's heading, its other lines as the one-liner."""
    lessons = []
    for path in course.notebook_paths(root / "notebooks" / "zh"):
        nb = course.read_notebook(path)
        heading, _, rest = next(cell for cell in nb.cells if not course.is_nav(cell)).source.strip().partition("\n")
        lessons.append(course.Lesson(path, nb, path.name[:2], heading.lstrip("# ").split(" · ", 1)[-1],
                                     " ".join(rest.split()), ""))
    return lessons


def editions(root: Path) -> list[tuple[str, str, list]]:
    """(language, folder prefix, lessons) of each edition: English, and Chinese where notebooks/zh/ has it."""
    chinese = chinese_lessons(root)
    return [("en", "", course.read_course(root)), *([("zh", "zh/", chinese)] if chinese else [])]


def exporter(language: str, mathjax_url: str) -> HTMLExporter:
    return HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True,
                        mathjax_url=mathjax_url, language_code=language)


def plain(fragment: str) -> str:
    """The text of an HTML fragment of our pages, on one line."""
    text = re.sub(r"<(script|style)\b.*?</\1>|</?(?:p|div|li|t[dhr]|h\d|br|pre|summary)\b[^>]*>", " ", fragment, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(html.unescape(text).replace("¶", " ").split())


def sections(page: str) -> list[tuple[int, str, str, str]]:
    """(level, id, title, text) of each h1-h3 section of a rendered page's <main>, in order."""
    parts = _HEADING.split(page.split("<main>", 1)[-1])
    return [(int(parts[k]), parts[k + 1], plain(parts[k + 2]), plain(parts[k + 3])) for k in range(1, len(parts), 4)]


def render(export: HTMLExporter, nb, site: dict, folder: Path) -> str:
    """One page through site_template/, the sidebar listing the page's own h2 and h3 headings."""
    page = export.from_notebook_node(nb, resources={"metadata": {"name": site["tab"], "path": str(folder)},
                                                    "site": site})[0]
    return page.replace("<!--page-toc-->", "".join(f'<li class="h{level}"><a href="#{anchor}">{html.escape(title)}</a></li>'
                                                   for level, anchor, title, _ in sections(page) if level > 1))


def course_title(root: Path) -> str:
    readme = root / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []
    return next((line[2:].strip() for line in lines if line.startswith("# ")), DEFAULT_COURSE_TITLE)


def index_page(lessons, title: str, english: bool) -> str:
    """The markdown of an edition's index: the README's table of notebooks, or the Chinese titles."""
    if not english:
        return f"# {title}\n\n" + "\n".join(f"- [{lesson.heading}]({lesson.path.name}): {lesson.one_line}"
                                            for lesson in lessons)
    return (f"# {title}\n\n{len(lessons)} notebooks, shown with the outputs they produced when last run. Open one "
            "to read it; run it yourself in JupyterLab (`make lab`). [When was it last verified?](status.html)\n\n"
            + course.table_of_contents(lessons))


def site_context(language: str, prefix: str, lessons, title: str, page: str, twins: set) -> dict:
    """What the template needs to know of a page beyond its notebook (resources.site)."""
    root = "../" * prefix.count("/")
    other = "zh/" if language == "en" else root
    return {"title": title, "ui": UI[language], "page": page, "root": root, "status": f"{root}status.html",
            "lessons": [(lesson.path.stem + ".html", lesson.heading) for lesson in lessons],
            "twin": f"{other}{page}" if page in twins else None, "twin_language": "zh" if language == "en" else "en"}


def build(root: Path, out_dir: Path, mathjax_url: str | None = None, status_dir: Path | None = None) -> list[Path]:
    """Render the site into `out_dir` (replaced in one step); the pages written."""
    if not mathjax_url and not (MATHJAX / "MathJax.js").is_file():
        raise CourseError("MathJax is not installed: apt-get install -y libjs-mathjax (Debian/Ubuntu), "
                          "or name one with --mathjax-url")
    if not LUNR.is_file():
        raise CourseError("lunr, the search library, is not installed: apt-get install -y libjs-lunr (Debian/Ubuntu)")
    records, title, written = status.read_records(status_dir), course_title(root), []
    books = editions(root)
    pages = {prefix: {f"{lesson.path.stem}.html" for lesson in lessons} | {"index.html"} for _, prefix, lessons in books}
    with files.replacing_folder(out_dir) as staging:
        for language, prefix, lessons in books:
            english, folder = language == "en", staging / prefix
            folder.mkdir(exist_ok=True)
            tab = title if english else UI["zh"]["title"]
            export = exporter(language, mathjax_url or f"{'../' * prefix.count('/')}mathjax/MathJax.js?config=TeX-AMS_CHTML-full")
            twins = set.intersection(*pages.values()) if len(pages) > 1 else set()
            notebooks = {"index.html": (tab, markdown_notebook(index_page(lessons, tab, english))),
                         **({"status.html": (f"Status · {title}", markdown_notebook(status.status_page(records, lessons)))}
                            if english else {}),
                         **{f"{lesson.path.stem}.html": (lesson.heading, page_notebook(lessons, k, records, language=language))
                            for k, lesson in enumerate(lessons)}}
            search = []
            for name, (heading, nb) in notebooks.items():
                site = site_context(language, prefix, lessons, tab, name, twins) | {"tab": heading}
                text = render(export, nb, site, root / "notebooks" / prefix)
                (folder / name).write_text(text, encoding="utf-8")
                written.append(out_dir / prefix / name)
                search += [{"u": f"{name}#{html.unescape(anchor)}", "p": heading, "t": section_title, "x": body}
                           for _, anchor, section_title, body in sections(text) if name != "status.html"]
            (folder / "search-index.js").write_text(
                "window.COURSE_SEARCH = " + json.dumps(search, ensure_ascii=False) + ";\n", encoding="utf-8")
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

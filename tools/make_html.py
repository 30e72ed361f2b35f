"""Render the executed notebooks as a static web site, without running them again.

    python -m tools.make_html [--root ROOT] [--out DIR] [--mathjax-url URL]

Writes DIR (default build/html/), every page made by nbconvert with the template in
site_template/: index.html (the README's table of notebooks), status.html (the records of the last
`make test`, from build/status/, conftest.py), and one self-contained page per notebook from its
stored outputs, links re-pointed inside the site, each worked solution folded under "Show
solution" and a last-verified line under the title. The notebooks are never changed.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import course, files

TEMPLATES = Path(__file__).resolve().parent / "site_template"
# Debian's libjs-mathjax: when it is installed the pages typeset formulas with it, offline.
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
MATHJAX_CONFIG = "?config=TeX-AMS_CHTML-full"
DEFAULT_COURSE_TITLE = "Softmax regression, from the softmax to a trained classifier"
# Inline markdown links to a notebook or to the README (relative, no scheme).
_NOTEBOOK_LINK = re.compile(r"(\]\()([^)\s#:]+)\.ipynb((?:#[^)\s]*)?\))")
_README_LINK = re.compile(r"(\]\()(?:\.\./)?README\.md(?:#[^)\s]*)?\)")


def site_links(markdown: str) -> str:
    """Markdown with links to notebooks and to the README re-pointed to the site's pages."""
    markdown = _NOTEBOOK_LINK.sub(lambda m: f"{m[1]}{Path(m[2]).name}.html{m[3]}", markdown)
    return _README_LINK.sub(lambda m: f"{m[1]}index.html)", markdown)


def site_notebook(lessons, position, records=()):
    """A copy of a notebook as the site shows it: nav cells, links to pages, the last-verified line,
    and the first and last cell of each run of solution cells marked for the template to fold."""
    nb = copy.deepcopy(lessons[position].nb)
    course.apply_nav(nb, course.nav_source(lessons, position))
    line = nbformat.v4.new_markdown_cell(verified_line(records, lessons[position].path.name))
    if nb.nbformat_minor < 5:
        del line["id"]
    nb.cells.insert(1 + next(k for k, cell in enumerate(nb.cells) if not course.is_nav(cell)), line)
    solution = [False, *map(course.is_solution, nb.cells), False]
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = site_links(cell.source)
        if solution[k + 1] and not solution[k]:
            cell.metadata["site_solution_opens"] = True
        if solution[k + 1] and not solution[k + 2]:
            cell.metadata["site_solution_closes"] = True
    return nb


def _markdown_notebook(markdown: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(site_links(markdown))])


def read_status(folder: Path) -> list[dict]:
    """The records `make test` left (conftest.py), one per float-rounding set-up; [] if none."""
    records = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a record that cannot be read is no evidence
    return sorted(records, key=lambda r: (r.get("numerics") != "default", r.get("numerics", "")))


def verified_line(records: list[dict], notebook: str) -> str:
    """One markdown line for the top of a notebook's page: when and on what it last passed, if ever."""
    runs = [(r, r["notebooks"][notebook]) for r in records if notebook in r.get("notebooks", {})]
    if not runs:
        return "*Not verified on this machine: no test run recorded (run `make test`, then `make html`).* · [status](status.html)"
    newest = max(entry["date"] for _, entry in runs)
    first = next(record for record, entry in runs if entry["date"] == newest)  # the machine of that run
    passed = sum(entry["passed"] for _, entry in runs)
    verdict = f"passed under {passed} of {len(runs)} float-rounding set-up(s)" if passed else "FAILED"
    return (f"*Last verified {newest} on {first['device']} ({first['device_name']}), Python {first['python']}, "
            f"torch {first['torch']}: {verdict}.* · [status](status.html)")


def status_page(records: list[dict], lessons) -> str:
    """The markdown of the status page: each notebook's last result under each set-up, or that there is none."""
    text = "[← index](index.html)\n\n# When was this course last verified?\n\n"
    if not records:
        return text + "Not verified on this machine: no record of a test run. Run `make test`, then `make html`."
    first = records[0]

    def result(entry):
        return "not run" if entry is None else (f"{'passed' if entry['passed'] else '**FAILED**'}, {entry['cells']} "
                                                f"cells, {entry['seconds']:.0f} s<br><small>{entry['date']}</small>")
    rows = [f"| [{lesson.heading}]({lesson.path.name}) | "
            + " | ".join(result(r.get("notebooks", {}).get(lesson.path.name)) for r in records) + " |"
            for lesson in lessons]
    return (text + f"Last verified on {first['device']} ({first['device_name']}), Python {first['python']}, "
            f"torch {first['torch']}: each notebook re-executed by nbval and compared with its stored outputs, "
            "under each float-rounding set-up of `make test`.\n\n"
            f"| Notebook | {' | '.join(r['numerics'] for r in records)} |\n|{' --- |' * (len(records) + 1)}\n"
            + "\n".join(rows) + "\n\nFashion-MNIST files verified (SHA-256 of their content):\n\n"
            + "\n".join(f"- `{name}`: `{digest}`" for name, digest in sorted(first["data_sha256"].items())))


def index_page(lessons, title: str) -> str:
    """The markdown of the index page: the README's table of notebooks."""
    return (f"# {title}\n\n{len(lessons)} notebooks, shown with the outputs they produced when last run. Open one "
            "to read it; run it yourself in JupyterLab (`make lab`). [When was it last verified?](status.html)\n\n"
            + course.table_of_contents(lessons))


def course_title(root: Path) -> str:
    readme = root / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []
    return next((line[2:].strip() for line in lines if line.startswith("# ")), DEFAULT_COURSE_TITLE)


def build(root: Path, out_dir: Path, mathjax_url: str | None = None, status_dir: Path | None = None) -> list[Path]:
    """Render the site into `out_dir` (replaced in one step); the pages written."""
    lessons = course.read_course(root)
    # the same default as conftest.py, which writes the records
    records = read_status(status_dir or Path(os.environ.get("COURSE_STATUS_DIR") or root / "build" / "status"))
    exporter = HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True)
    exporter.mathjax_url = mathjax_url or (LOCAL_MATHJAX.as_uri() + MATHJAX_CONFIG if LOCAL_MATHJAX.is_file()
                                           else exporter.mathjax_url)
    title = course_title(root)
    notebooks = {"index.html": (title, _markdown_notebook(index_page(lessons, title))),
                 "status.html": (f"Status · {title}", _markdown_notebook(status_page(records, lessons))),
                 **{f"{lesson.path.stem}.html": (lesson.heading, site_notebook(lessons, position, records))
                    for position, lesson in enumerate(lessons)}}
    pages = {name: exporter.from_notebook_node(nb, resources={"metadata": {"name": tab, "path": str(root / "notebooks")}})[0]
             for name, (tab, nb) in notebooks.items()}
    with files.replacing_folder(out_dir) as staging:
        for name, text in pages.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [out_dir / name for name in pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=course.ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=None, help="where the site goes (default ROOT/build/html)")
    parser.add_argument("--mathjax-url", default=None,
                        help="where pages load MathJax from (default: Debian's libjs-mathjax when it is "
                             "installed, so that the site reads offline, else nbconvert's CDN address)")
    args = parser.parse_args(argv)
    out_dir = args.out or args.root.resolve() / "build" / "html"
    return files.run_and_report("make_html", lambda: build(args.root.resolve(), out_dir, args.mathjax_url),
                         lambda pages: f"site: {len(pages)} page(s) in {out_dir}; open {out_dir / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())

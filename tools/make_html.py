"""Render the executed notebooks as a static web site, without running them again.

    python tools/make_html.py [--root ROOT] [--out DIR]

Writes DIR (default build/html/) with one page per notebooks/NN_name.ipynb, made by nbconvert's
HTML exporter from the outputs stored in the notebook (figures embedded as data: URIs, so every
page is a single self-contained file), and index.html, the table of notebooks built from the same
title cells as the README's (see tools/make_index.py).

Links are made to work inside the site: a link to another notebook (``01_softmax.ipynb``) points
to its page (``01_softmax.html``) and the navigation cells' index link (``../README.md``) points
to index.html. Each exercise's worked solution (its run of nbgrader solution cells, with their
outputs) is folded under a "Show solution" control, an HTML <details> element
(tools/site_template/course/index.html.j2); the check cell after it stays in view. Formulas are typeset by MathJax: Debian's libjs-mathjax when it is installed (the site then
reads offline), else nbconvert's CDN address, unless --mathjax-url says otherwise. Under each
notebook's title a line says when it last passed `make test` and on what, from the records in
build/status/ (conftest.py), and status.html lists them all; without a record the pages say that
the course was not verified on this machine. The navigation cells are generated here too when a notebook lacks them (the
notebook files themselves are never changed). The folder is replaced in one step, as in
tools/make_student.py.
"""
from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import sys
from pathlib import Path

import mistune
import nbformat
from nbconvert import HTMLExporter

import atomic  # a sibling in tools/, on the path of every script run from there
import make_index  # (the title cells are read the same way as for the README)
import make_student  # (solution cells are recognised the same way as for the student edition)

ROOT = Path(__file__).resolve().parent.parent
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


def site_notebook(nb, infos, position, records=()):
    """A copy of `nb` as it appears in the site: current nav cells, links to pages, the last-verified line."""
    nb = copy.deepcopy(nb)
    make_index.apply_nav(nb, make_index.nav_source(infos, position))
    title = next(k for k, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
                 and cell.source.lstrip().startswith("# "))
    line = nbformat.v4.new_markdown_cell(verified_line(list(records), infos[position].path.name))
    if nb.nbformat_minor < 5:
        line.pop("id", None)
    nb.cells.insert(title + 1, line)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = site_links(cell.source)
    mark_solution_runs(nb)
    return nb


def mark_solution_runs(nb) -> None:
    """Mark the first and the last cell of each run of solution cells, for the site template to fold."""
    solution = [make_student.is_solution(cell) for cell in nb.cells]
    for k, cell in enumerate(nb.cells):
        if solution[k] and (k == 0 or not solution[k - 1]):
            cell.metadata["site_solution_opens"] = True
        if solution[k] and (k == len(nb.cells) - 1 or not solution[k + 1]):
            cell.metadata["site_solution_closes"] = True


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


def status_page(records: list[dict], infos, title: str) -> str:
    """The site's status page: each notebook's last result under each set-up, or that there is none."""
    if not records:
        body = ("<p class=\"lead\" id=\"verdict\">Not verified on this machine: no record of a test run. "
                "Run <code>make test</code>, then <code>make html</code>.</p>")
    else:
        first = records[0]
        head = "".join(f"<th>{html.escape(r['numerics'])}</th>" for r in records)
        rows = []
        for info in infos:
            name = info.path.name
            cells = []
            for record in records:
                entry = record.get("notebooks", {}).get(name)
                cells.append("<td>not run</td>" if entry is None else
                             f"<td class=\"{'pass' if entry['passed'] else 'fail'}\">"
                             f"{'passed' if entry['passed'] else 'FAILED'}, {entry['cells']} cells, "
                             f"{entry['seconds']:.0f} s<br><small>{html.escape(entry['date'])}</small></td>")
            rows.append(f"<tr><td class=\"title\"><a href=\"{info.path.stem}.html\">{html.escape(info.heading)}</a></td>"
                        + "".join(cells) + "</tr>")
        checksums = "".join(f"<li><code>{html.escape(f)}</code>: <code>{d}</code></li>"
                            for f, d in sorted(first["data_sha256"].items()))
        body = (f"<p class=\"lead\" id=\"verdict\">Last verified on {html.escape(first['device'])} "
                f"({html.escape(first['device_name'])}), Python {html.escape(first['python'])}, "
                f"torch {html.escape(first['torch'])}: each notebook re-executed by nbval and compared with its "
                f"stored outputs, under each float-rounding set-up of <code>make test</code>.</p>"
                f"<table id=\"status\"><thead><tr><th>Notebook</th>{head}</tr></thead><tbody>"
                + "\n".join(rows) + "</tbody></table>"
                f"<p>Fashion-MNIST files verified (SHA-256 of their content):</p><ul>{checksums}</ul>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Status · {html.escape(title)}</title>
<style>{INDEX_STYLE} td.pass {{ color: #1e7d32; }} td.fail {{ color: #b3261e; font-weight: 600; }}
#status td:not(.title) {{ min-width: 11rem; }}</style>
</head>
<body>
<main>
<p><a href="index.html">← index</a></p>
<h1>When was this course last verified?</h1>
{body}
</main>
</body>
</html>
"""


def _inline_markdown(text: str) -> str:
    rendered = mistune.html(text).strip()
    return rendered[3:-4] if rendered.startswith("<p>") and rendered.endswith("</p>") else rendered


def course_title(root: Path) -> str:
    readme = root / "README.md"
    if readme.exists():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return DEFAULT_COURSE_TITLE


INDEX_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #222;
       margin: 0; background: #fafafa; line-height: 1.5; }
main { max-width: 60rem; margin: 2.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.9rem; margin-bottom: 0.3rem; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; background: white; box-shadow: 0 1px 3px #0002; }
th, td { text-align: left; vertical-align: top; padding: 0.7rem 0.9rem; border-bottom: 1px solid #e4e4e4; }
th { background: #f0f3f7; font-weight: 600; }
td.title { width: 15rem; font-weight: 600; }
td.needs { color: #555; font-size: 0.92rem; }
a { color: #1a5fb4; text-decoration: none; }
a:hover { text-decoration: underline; }
"""


def index_page(infos, title: str) -> str:
    rows = "\n".join(
        f'<tr><td class="title"><a href="{html.escape(info.path.stem)}.html">{html.escape(info.heading)}</a></td>'
        f'<td class="one-line">{_inline_markdown(info.one_line)}</td>'
        f'<td class="needs">{_inline_markdown(info.needs)}</td></tr>'
        for info in infos)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{INDEX_STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p class="lead">{len(infos)} notebooks, shown with the outputs they produced when last run.
Open one to read it; run it yourself in JupyterLab (<code>make lab</code>).
<a href="status.html">When was it last verified?</a></p>
<table id="notebooks">
<thead><tr><th>Notebook</th><th>In one line</th><th>Needs</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</main>
</body>
</html>
"""


def default_mathjax_url() -> str | None:
    """Debian's local MathJax when it is installed (formulas typeset offline), else None: nbconvert's CDN."""
    return LOCAL_MATHJAX.as_uri() + MATHJAX_CONFIG if LOCAL_MATHJAX.is_file() else None


def build(root: Path, out_dir: Path, mathjax_url: str | None = None, status_dir: Path | None = None) -> list[Path]:
    """Render the site into `out_dir` (replaced atomically); the pages written."""
    infos, notebooks = make_index.read_course(root)
    # the same default as conftest.py, which writes the records
    records = read_status(status_dir or Path(os.environ.get("COURSE_STATUS_DIR") or root / "build" / "status"))
    exporter = HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True)
    mathjax_url = mathjax_url or default_mathjax_url()
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    pages = []
    with atomic.replacing_folder(out_dir) as staging:
        for position, info in enumerate(infos):
            nb = site_notebook(notebooks[info.path], infos, position, records)
            resources = {"metadata": {"name": info.heading, "path": str(info.path.parent)}}
            body, _ = exporter.from_notebook_node(nb, resources=resources)
            page = staging / f"{info.path.stem}.html"
            page.write_text(body, encoding="utf-8")
            pages.append(out_dir / page.name)
        (staging / "index.html").write_text(index_page(infos, course_title(root)), encoding="utf-8")
        (staging / "status.html").write_text(status_page(records, infos, course_title(root)), encoding="utf-8")
    return [out_dir / "index.html", out_dir / "status.html", *pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="course folder (README.md, notebooks/)")
    parser.add_argument("--out", type=Path, default=None, help="where the site goes (default ROOT/build/html)")
    parser.add_argument("--mathjax-url", default=None,
                        help="where pages load MathJax from (default: Debian's libjs-mathjax when it is "
                             "installed, so that the site reads offline, else nbconvert's CDN address)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out_dir = args.out or root / "build" / "html"
    try:
        pages = build(root, out_dir, args.mathjax_url)
    except make_index.CourseIndexError as err:
        print(f"make_html: nothing written:\n{err}", file=sys.stderr)
        return 1
    print(f"site: {len(pages)} page(s) in {out_dir}; open {out_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

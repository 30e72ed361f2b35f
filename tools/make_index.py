"""Keep the README's table of notebooks and every notebook's navigation links in step.

    python tools/make_index.py [ROOT]            rewrite what is out of date
    python tools/make_index.py --check [ROOT]    change nothing; exit 1 and say what differs

ROOT is the course folder (default: this repository), holding README.md and notebooks/.

Everything is generated from each notebook's title cell, its first cell that is not a
navigation cell, which must start like this:

    # 01 · The softmax operation

    **In one line:** <one sentence>

    **Needs:** <text>

(more text may follow after a blank line). From those titles the script writes:

- the table between the lines ``<!-- notebooks:start -->`` and ``<!-- notebooks:end -->`` of
  README.md (title with a link, one line, what it needs);
- a markdown cell tagged ``nav`` as the first and as the last cell of every notebook:
  ``[← previous](…) · [index](../README.md) · [next →](…)``, relative links.

Only those cells and that part of the README are ever changed; files already up to date are not
rewritten, and each file is replaced atomically (a temporary file, then a rename).
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

import atomic  # a sibling in tools/, on the path of every script run from there

ROOT = Path(__file__).resolve().parent.parent
START_MARKER = "<!-- notebooks:start -->"
END_MARKER = "<!-- notebooks:end -->"
NAV_TAG = "nav"
INDEX_LINK = "../README.md"  # from notebooks/ to the README
TITLE_SHAPE = """# NN · Title

**In one line:** <one sentence>

**Needs:** <text>"""
_TITLE_RE = re.compile(
    r"\A# (?P<number>\d{2}) · (?P<title>\S[^\n]*?)[ \t]*\n[ \t]*\n"
    r"\*\*In one line:\*\*[ \t]*(?P<one_line>\S[^\n]*(?:\n[^\n]*\S[^\n]*)*?)[ \t]*\n[ \t]*\n"
    r"\*\*Needs:\*\*[ \t]*(?P<needs>\S[^\n]*(?:\n[^\n]*\S[^\n]*)*?)[ \t]*(?:\n[ \t]*\n|\n?\Z)")
# A markdown link whose target is relative (no scheme, not an in-page anchor).
LINK_RE = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


class CourseIndexError(Exception):
    """A notebook or README that the index cannot be built from (its message says which and why)."""


@dataclass(frozen=True)
class NotebookInfo:
    path: Path          # the .ipynb file
    number: str         # "01"
    title: str          # "The softmax operation"
    one_line: str
    needs: str

    @property
    def heading(self) -> str:
        return f"{self.number} · {self.title}"


# ----------------------------------------------------------------------------------- reading

def is_nav(cell) -> bool:
    return NAV_TAG in cell.get("metadata", {}).get("tags", [])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_title(source: str, path: Path) -> NotebookInfo:
    """The title data of a title cell's source; CourseIndexError saying what is wrong otherwise."""
    match = _TITLE_RE.match(source.replace("\r\n", "\n"))
    if not match:
        first = source.strip().splitlines()[0] if source.strip() else "(empty cell)"
        raise CourseIndexError(f"{path}: the title cell (the first cell that is not a nav cell) lacks the "
                          f"required shape; it starts with {first!r}, but must start with\n"
                          + "\n".join("    " + line for line in TITLE_SHAPE.splitlines()))
    prefix = path.name[:2]
    if match["number"] != prefix:
        raise CourseIndexError(f"{path}: the title says {match['number']!r} but the file name starts with {prefix!r}")
    return NotebookInfo(path, match["number"], match["title"].strip(), _one_line(match["one_line"]),
                        _one_line(match["needs"]))


def read_info(path: Path, nb=None) -> NotebookInfo:
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if is_nav(cell):
            continue
        if cell.cell_type != "markdown":
            raise CourseIndexError(f"{path}: the first cell that is not a nav cell must be the markdown title "
                              f"cell, found a {cell.cell_type} cell")
        return parse_title(cell.source, path)
    raise CourseIndexError(f"{path}: the notebook has no title cell")


def notebook_paths(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def read_course(root: Path) -> tuple[list[NotebookInfo], dict[Path, nbformat.NotebookNode]]:
    """Every notebook's title data (in file-name order) and the notebooks themselves.

    Raises CourseIndexError listing every notebook whose title cell is wrong or whose number repeats.
    """
    infos, notebooks, problems = [], {}, []
    for path in notebook_paths(root):
        try:
            nb = nbformat.read(path, as_version=4)
            notebooks[path] = nb
            infos.append(read_info(path, nb))
        except CourseIndexError as err:
            problems.append(str(err))
        except Exception as err:  # unreadable JSON, not a notebook
            problems.append(f"{path}: cannot be read as a notebook ({type(err).__name__}: {err})")
    seen: dict[str, Path] = {}
    for info in infos:
        if info.number in seen:
            problems.append(f"{info.path}: number {info.number} is also used by {seen[info.number].name}")
        seen[info.number] = info.path
    if problems:
        raise CourseIndexError("\n".join(problems))
    return infos, notebooks


# ---------------------------------------------------------------------------------- generating

def _cell_text(text: str) -> str:
    return text.replace("|", r"\|")


def readme_table(infos: list[NotebookInfo]) -> str:
    """The README's notebook table (without the markers)."""
    lines = ["<!-- Generated by tools/make_index.py from each notebook's title cell: edit those, then run `make index`. -->",
             "",
             "| Notebook | In one line | Needs |",
             "| --- | --- | --- |"]
    for info in infos:
        link = f"[{_cell_text(info.heading)}](notebooks/{info.path.name})"
        lines.append(f"| {link} | {_cell_text(info.one_line)} | {_cell_text(info.needs)} |")
    return "\n".join(lines)


def nav_source(infos: list[NotebookInfo], position: int) -> str:
    """The navigation line of the notebook at `position` in the course order."""
    parts = []
    if position > 0:
        previous = infos[position - 1]
        parts.append(f"[← {previous.heading}]({previous.path.name})")
    parts.append(f"[index]({INDEX_LINK})")
    if position + 1 < len(infos):
        following = infos[position + 1]
        parts.append(f"[{following.heading} →]({following.path.name})")
    return " · ".join(parts)


def split_readme(text: str, path: Path) -> tuple[str, str, str]:
    """(before the table incl. start marker, the table, after the table incl. end marker)."""
    if text.count(START_MARKER) != 1 or text.count(END_MARKER) != 1:
        raise CourseIndexError(f"{path}: needs exactly one line {START_MARKER} and one line {END_MARKER} "
                          f"around the notebook table (found {text.count(START_MARKER)} and {text.count(END_MARKER)})")
    start = text.index(START_MARKER) + len(START_MARKER)
    end = text.index(END_MARKER)
    if end < start:
        raise CourseIndexError(f"{path}: {END_MARKER} comes before {START_MARKER}")
    return text[:start], text[start:end], text[end:]


def expected_readme(text: str, infos: list[NotebookInfo], path: Path) -> str:
    before, _, after = split_readme(text, path)
    return f"{before}\n{readme_table(infos)}\n{after}"


def _new_nav_cell(nb, source: str, wanted_id: str):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = [NAV_TAG]
    if nb.get("nbformat_minor", 0) < 5:  # cell ids exist from nbformat 4.5 on
        cell.pop("id", None)
    else:
        used = {c.get("id") for c in nb.cells}
        cell_id, k = wanted_id, 1
        while cell_id in used:
            k += 1
            cell_id = f"{wanted_id}-{k}"
        cell["id"] = cell_id
    return cell


def apply_nav(nb, source: str) -> bool:
    """Make `nb` start and end with a nav cell holding `source`; True if anything changed.

    Existing nav cells in the right places keep their ids and metadata; nav cells anywhere else
    are removed. No other cell is touched.
    """
    cells = nb.cells
    nav_positions = [k for k, cell in enumerate(cells) if is_nav(cell)]
    ok = (len(cells) >= 3 and nav_positions == [0, len(cells) - 1]
          and cells[0].cell_type == cells[-1].cell_type == "markdown"
          and cells[0].source == source and cells[-1].source == source)
    if ok:
        return False
    top = cells[0] if nav_positions[:1] == [0] and cells[0].cell_type == "markdown" else None
    bottom = (cells[-1] if len(cells) > 1 and nav_positions[-1:] == [len(cells) - 1]
              and cells[-1].cell_type == "markdown" else None)
    if bottom is top:  # a notebook whose only cell is a nav cell
        bottom = None
    body = [cell for cell in cells if not is_nav(cell)]
    if top is None:
        top = _new_nav_cell(nb, source, "nav-top")
    if bottom is None:
        bottom = _new_nav_cell(nb, source, "nav-bottom")
    top.source = source
    bottom.source = source
    nb.cells = [top, *body, bottom]
    return True


# ------------------------------------------------------------------------------------ checking

def _links(text: str):
    for match in LINK_RE.finditer(text):
        target = match["target"]
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, mailto:, in-page anchors
        yield target.split("#", 1)[0]


def broken_links(text: str, base: Path) -> list[str]:
    """The relative link targets in `text` that name no existing file, relative to `base`."""
    return [target for target in _links(text) if target and not (base / target).exists()]


def _diff(found: str, expected: str, name: str) -> str:
    lines = difflib.unified_diff(found.splitlines(), expected.splitlines(), f"{name} (found)",
                                 f"{name} (expected)", lineterm="", n=1)
    return "\n".join("    " + line for line in lines)


def check(root: Path) -> list[str]:
    """Every way the README table and the nav cells differ from what the titles say (empty: in step)."""
    try:
        infos, notebooks = read_course(root)
    except CourseIndexError as err:
        return [str(err)]
    problems = []
    if not infos:
        problems.append(f"{root / 'notebooks'}: no notebooks (NN_name.ipynb) found")
    readme = root / "README.md"
    if not readme.exists():
        problems.append(f"{readme}: does not exist; it needs the lines {START_MARKER} and {END_MARKER}")
    else:
        text = readme.read_text(encoding="utf-8")
        try:
            _, table, _ = split_readme(text, readme)
            expected = expected_readme(text, infos, readme)
            if text != expected:
                problems.append(f"{readme}: the notebook table is out of date (run `make index`):\n"
                                + _diff(table.strip("\n"), readme_table(infos), "table"))
            for target in broken_links(table, readme.parent):
                problems.append(f"{readme}: the notebook table links to {target!r}, which does not exist")
        except CourseIndexError as err:
            problems.append(str(err))
    for position, info in enumerate(infos):
        nb, source = notebooks[info.path], nav_source(infos, position)
        cells = nb.cells
        nav_positions = [k for k, cell in enumerate(cells) if is_nav(cell)]
        name = info.path.relative_to(root) if info.path.is_relative_to(root) else info.path
        for where, k in (("first", 0), ("last", len(cells) - 1)):
            if k not in nav_positions:
                problems.append(f"{name}: the {where} cell is not a navigation cell (tagged {NAV_TAG!r}); "
                                f"run `make index`")
            elif cells[k].source != source:
                problems.append(f"{name}: the {where} navigation cell is out of date (run `make index`):\n"
                                + _diff(cells[k].source, source, "nav"))
        stray = [k for k in nav_positions if k not in (0, len(cells) - 1)]
        if stray:
            problems.append(f"{name}: navigation cells in the middle of the notebook (cells {stray}); "
                            f"nav cells belong first and last only")
        for k in nav_positions:
            for target in broken_links(cells[k].source, info.path.parent):
                problems.append(f"{name}: navigation cell {k} links to {target!r}, which does not exist")
    return problems


# ------------------------------------------------------------------------------------- writing

def write(root: Path) -> list[Path]:
    """Bring the README table and the nav cells in step; the files actually changed."""
    infos, notebooks = read_course(root)  # raises before anything is written
    readme = root / "README.md"
    if not readme.exists():
        raise CourseIndexError(f"{readme}: does not exist; write it with the lines {START_MARKER} and "
                          f"{END_MARKER} where the notebook table goes")
    text = readme.read_text(encoding="utf-8")
    new_text = expected_readme(text, infos, readme)
    changed = []
    for position, info in enumerate(infos):
        nb = notebooks[info.path]
        if apply_nav(nb, nav_source(infos, position)):
            nbformat.validate(nb)
            atomic.write_notebook(info.path, nb)
            changed.append(info.path)
    if new_text != text:
        atomic.write_text(readme, new_text)
        changed.append(readme)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=ROOT,
                        help="course folder with README.md and notebooks/ (default: this repository)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 and list the differences if anything is out of date")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.check:
        problems = check(root)
        if problems:
            print(f"make_index --check: {len(problems)} problem(s) in {root}:", file=sys.stderr)
            for problem in problems:
                print("- " + problem, file=sys.stderr)
            return 1
        print(f"make_index --check: README table and navigation cells are in step ({root})")
        return 0
    try:
        changed = write(root)
    except CourseIndexError as err:
        print(f"make_index: nothing written:\n{err}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"updated {path.relative_to(root)}")
    if not changed:
        print("everything already in step")
    return 0


if __name__ == "__main__":
    sys.exit(main())

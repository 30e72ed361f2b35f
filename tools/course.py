"""The course as every tool reads it: its notebooks, their title cells, the roles of their cells, the nav cells.

The markers that drive the tools are defined here once (CONTRIBUTING.md shows them to authors): the
title cell (``TITLE_SHAPE``), nav cells (tag ``nav``), nbgrader's solution and check cells and their
``### BEGIN …``/``### END …`` lines, and ``#| export`` cells.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAV_TAG = "nav"
EXPORT_DIRECTIVE = "#| export"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
TITLE_SHAPE = "# NN · Title\n\n**In one line:** <one sentence>\n\n**Needs:** <text>"
# The Chinese edition's title cells (tools/translate.py) say 一句话概括： and 所需： instead.
_TITLE_RE = re.compile(
    r"\A# (?P<number>\d{2}) · (?P<title>\S[^\n]*?)[ \t]*\n[ \t]*\n"
    r"\*\*(?:In one line:|一句话概括：)\*\*[ \t]*(?P<one_line>\S[^\n]*(?:\n[^\n]*\S[^\n]*)*?)[ \t]*\n[ \t]*\n"
    r"\*\*(?:Needs:|所需：)\*\*[ \t]*(?P<needs>\S[^\n]*(?:\n[^\n]*\S[^\n]*)*?)[ \t]*(?:\n[ \t]*\n|\n?\Z)")


class CourseError(Exception):
    """A notebook, README or submission a tool cannot use; the message says which and why."""


# ------------------------------------------------------------------------------- cell roles

def is_nav(cell) -> bool:
    return NAV_TAG in cell.get("metadata", {}).get("tags", [])


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check(cell) -> bool:
    """An autograded test cell: graded, not a solution (nbgrader's "Autograder tests")."""
    return bool(nbgrader_meta(cell).get("grade")) and not is_solution(cell)


def checks(nb) -> dict[str, str]:
    """grade_id -> source of each check cell, in notebook order; CourseError for a check cell without one."""
    found = {nbgrader_meta(cell).get("grade_id"): cell.source for cell in nb.cells if is_check(cell)}
    if None in found:
        raise CourseError(f"a check cell has no nbgrader grade_id:\n{found[None][:200]}")
    return found


def export_cells(nb):
    """(section heading, code without the directive) of each ``#| export`` cell, in order."""
    section = "the top"
    for cell in nb.cells:
        lines = cell.source.splitlines() or [""]
        if cell.cell_type == "markdown":
            section = next((line.lstrip("#").strip() for line in reversed(lines) if line.startswith("#")), section)
        elif cell.cell_type == "code" and lines[0] == EXPORT_DIRECTIVE:
            yield section, "\n".join(lines[1:]).rstrip()


# ---------------------------------------------------------------------------- the notebooks

@dataclass(frozen=True)
class Lesson:
    """One notebook and what its title cell says."""
    path: Path
    nb: "nbformat.NotebookNode"
    number: str    # "01"
    title: str     # "The softmax operation"
    one_line: str
    needs: str

    @property
    def heading(self) -> str:
        return f"{self.number} · {self.title}"


def notebook_paths(folder: Path) -> list[Path]:
    """The course's notebooks in a folder, NN_name.ipynb, in course order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def read_notebook(path: Path):
    import nbformat  # here, not at the top: importing it takes a second or two, and not every tool needs it
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:  # missing, unreadable JSON, not a notebook
        raise CourseError(f"{path}: cannot be read as a notebook ({type(err).__name__}: {str(err)[:200]})") from None


def parse_title(source: str, path: Path, nb=None) -> Lesson:
    """The Lesson of a title cell's source; CourseError saying what is wrong otherwise."""
    match = _TITLE_RE.match(source.replace("\r\n", "\n"))
    if not match:
        first = source.strip().splitlines()[0] if source.strip() else "(empty cell)"
        raise CourseError(f"{path}: the title cell (the first cell that is not a nav cell) lacks the required "
                          f"shape; it starts with {first!r}, but must start with\n"
                          + "\n".join("    " + line for line in TITLE_SHAPE.splitlines()))
    if match["number"] != path.name[:2]:
        raise CourseError(f"{path}: the title says {match['number']!r} but the file name starts with {path.name[:2]!r}")
    return Lesson(path, nb, match["number"], match["title"].strip(), " ".join(match["one_line"].split()),
                  " ".join(match["needs"].split()))


def title_cell(nb):
    """The title cell: the first cell that is not a nav cell (None in an empty notebook)."""
    return next((cell for cell in nb.cells if not is_nav(cell)), None)


def read_lesson(path: Path) -> Lesson:
    nb = read_notebook(path)
    title = title_cell(nb)
    if title is None or title.cell_type != "markdown":
        raise CourseError(f"{path}: the first cell that is not a nav cell must be the markdown title cell")
    return parse_title(title.source, path, nb)


def read_course(root: Path = ROOT) -> list[Lesson]:
    """Every notebooks/NN_*.ipynb in file-name order; CourseError listing every notebook that is wrong."""
    paths, lessons = notebook_paths(root / "notebooks"), []
    problems = [f"{b}: number {b.name[:2]} is also used by {a.name}" for a, b in zip(paths, paths[1:])
                if a.name[:2] == b.name[:2]]
    for path in paths:
        try:
            lessons.append(read_lesson(path))
        except CourseError as err:
            problems.append(str(err))
    if not lessons and not problems:
        problems.append(f"{root / 'notebooks'}: no notebooks (NN_name.ipynb) found")
    if problems:
        raise CourseError("\n".join(problems))
    return lessons


# ------------------------------------------------------------------- table of contents, nav

def table_of_contents(lessons: list[Lesson], header: str = "| Notebook | In one line | Needs |",
                      folder: str = "notebooks/") -> str:
    """The markdown table of the notebooks (the README's; the site's index re-points its links)."""
    def escape(text):
        return text.replace("|", r"\|")
    return "\n".join([header, "| --- | --- | --- |", *(
        f"| [{escape(lesson.heading)}]({folder}{lesson.path.name}) | {escape(lesson.one_line)} | "
        f"{escape(lesson.needs)} |" for lesson in lessons)])


def nav_source(lessons: list[Lesson], position: int, index: str = "[index](../README.md)") -> str:
    """The navigation line of the notebook at `position`: previous · index · next, relative links."""
    previous = [f"[← {lessons[position - 1].heading}]({lessons[position - 1].path.name})"] if position else []
    following = ([f"[{lessons[position + 1].heading} →]({lessons[position + 1].path.name})"]
                 if position + 1 < len(lessons) else [])
    return " · ".join([*previous, index, *following])


def apply_nav(nb, source: str) -> None:
    """Make `nb` start and end with a nav cell holding `source`, touching no other cell. Nav cells already
    first or last keep their ids and metadata; others are removed."""
    import nbformat
    cells = nb.cells
    top = (cells[0] if cells and is_nav(cells[0]) and cells[0].cell_type == "markdown"
           else nbformat.v4.new_markdown_cell(id="nav-top", metadata={"tags": [NAV_TAG]}))
    bottom = (cells[-1] if len(cells) > 1 and is_nav(cells[-1]) and cells[-1].cell_type == "markdown"
              else nbformat.v4.new_markdown_cell(id="nav-bottom", metadata={"tags": [NAV_TAG]}))
    top.source = bottom.source = source  # (nbformat renumbers a new cell's id if another cell has it)
    nb.cells = [top, *(cell for cell in cells if not is_nav(cell)), bottom]

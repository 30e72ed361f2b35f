"""Generate the student edition of the course: every notebook as nbgrader would release it.

    python -m tools.make_student [--notebooks DIR] [--out DIR]

Writes build/student/ (the default): what ``nbgrader generate_assignment`` releases, cell for cell
(tests/test_grading.py compares them), for teachers who do not use nbgrader. Each solution region
becomes nbgrader's stub, indented like its BEGIN line (a solution cell without one becomes the stub
as a whole); hidden tests go; solution and check cells are locked as nbgrader locks them; outputs
go; the nav cells' index link points one folder further up. Every other cell is kept as it is.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

from . import course, files
from .course import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, CourseError

# nbgrader's own stubs (nbgrader.preprocessors.ClearSolutions).
CODE_STUB, TEXT_STUB = "# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE"


def _replace_regions(source: str, begin: str, end: str, stub: str) -> tuple[str, bool]:
    # Lines from one containing `begin` to one containing `end` become `stub`, indented like `begin`.
    lines, in_region, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if in_region:
                raise CourseError(f"nested {begin!r} in:\n{source}")
            in_region = found = True
            lines += [re.match(r"\s*", line)[0] + stub_line for stub_line in stub.split("\n") if stub]
        elif end in line:
            in_region = False
        elif not in_region:
            lines.append(line)
    if in_region:
        raise CourseError(f"{begin!r} without {end!r} in:\n{source}")
    return "\n".join(lines), found


def relocate_nav_links(source: str) -> str:
    # Sibling links (other notebooks) still work; the README is one level further up.
    return source.replace(f"]({course.INDEX_LINK})", "](../../README.md)")


def student_cell(cell):
    """A copy of one cell as the student edition shows it (see the module docstring)."""
    cell, solution = copy.deepcopy(cell), course.is_solution(cell)
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    source, had_region = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub)
    if had_region and not solution:
        raise CourseError(f"a {BEGIN_SOLUTION} region in a cell not marked as a solution:\n{cell.source}")
    cell.source, had_hidden = _replace_regions(source if had_region or not solution else stub,
                                               BEGIN_HIDDEN, END_HIDDEN, "")
    if had_hidden and not course.is_check(cell):
        raise CourseError(f"hidden tests in a cell that is not a check cell:\n{cell.source}")
    # nbgrader's LockCells: answers cannot be deleted, check cells can be neither deleted nor edited
    if solution:
        cell.metadata["deletable"] = False
    elif course.nbgrader_meta(cell).get("grade") or course.nbgrader_meta(cell).get("locked"):
        cell.metadata.update(deletable=False, editable=False)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    cell.metadata.pop("execution", None)
    if course.is_nav(cell):
        cell.source = relocate_nav_links(cell.source)
    return cell


def student_notebook(nb):
    """The student edition of one notebook (a new object; `nb` is not modified)."""
    student = copy.deepcopy(nb)
    student.cells = [student_cell(cell) for cell in nb.cells]
    student.metadata.pop("widgets", None)  # widget state belongs to outputs, which are gone
    return student


def build(notebooks_dir: Path, out_dir: Path) -> tuple[list[Path], int]:
    """Write the edition of every notebook in `notebooks_dir` to `out_dir` in one step; (files, solution cells emptied)."""
    if not notebooks_dir.is_dir():
        raise CourseError(f"{notebooks_dir} is not a folder")
    sources, solutions = course.notebook_paths(notebooks_dir), 0
    with files.replacing_folder(out_dir) as staging:
        for path in sources:
            nb = course.read_notebook(path)
            try:
                files.write_notebook(staging / path.name, student_notebook(nb))
            except Exception as err:
                raise CourseError(f"{path}: {type(err).__name__}: {err}") from err
            solutions += sum(map(course.is_solution, nb.cells))
    return [out_dir / path.name for path in sources], solutions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=course.ROOT / "notebooks", help="where the notebooks are")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "student", help="where the edition goes")
    args = parser.parse_args(argv)
    return files.run_and_report("make_student", lambda: build(args.notebooks, args.out), lambda done: (
        f"student edition: {len(done[0])} notebook(s), {done[1]} solution cell(s) emptied, in {args.out}"))


if __name__ == "__main__":
    sys.exit(main())

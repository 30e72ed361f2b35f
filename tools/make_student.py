"""Generate the student edition of the course: the notebooks as nbgrader would release them.

    python tools/make_student.py [--notebooks DIR] [--out DIR]

Reads every notebooks/*.ipynb and writes build/student/*.ipynb (the defaults). The course marks its
exercises the way nbgrader does (see the README's section for teachers), and this edition is what
``nbgrader generate_assignment`` releases, cell for cell, for teachers who do not use nbgrader
(tests/test_grading.py checks that the two agree):

- in a solution cell (nbgrader metadata ``solution: true``), each region between a line containing
  ``BEGIN SOLUTION`` and one containing ``END SOLUTION`` becomes nbgrader's stub, indented like the
  BEGIN line; a solution cell without such a region becomes the stub as a whole. The code stub is
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, the text stub ``YOUR ANSWER HERE``;
- in every cell, the lines from ``BEGIN HIDDEN TESTS`` to ``END HIDDEN TESTS`` are removed: those
  tests run only when nbgrader grades a submission;
- as nbgrader does, solution cells are made non-deletable, and check cells non-deletable and
  non-editable (Jupyter refuses to change them, though a determined student can still edit the file);
- every other cell is kept, in order, with its source unchanged, except that the index link of
  the navigation cells (tagged ``nav``) is re-pointed, because the edition sits one folder deeper
  than notebooks/ (../README.md becomes ../../README.md);
- every output is removed and every execution count reset: the student runs the notebook.

The edition is generated, never edited by hand. Running the script twice gives identical files,
and the output folder is replaced in one step: the new edition is written to a temporary folder
beside it and renamed into place, so a failure leaves the previous edition (or none), never a
half-written one.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

import atomic  # a sibling in tools/, on the path of every script run from there

ROOT = Path(__file__).resolve().parent.parent
NAV_TAG = "nav"
# nbgrader's own delimiters and stubs (nbgrader.preprocessors.ClearSolutions / ClearHiddenTests).
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


class StudentEditionError(Exception):
    """A notebook that cannot be turned into its student edition."""


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check(cell) -> bool:
    """An autograded test cell: graded, not a solution (nbgrader's "Autograder tests")."""
    return bool(nbgrader_meta(cell).get("grade")) and not is_solution(cell)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _replace_regions(source: str, begin: str, end: str, stub: list[str] | None) -> tuple[str, bool]:
    # Lines from one containing `begin` to one containing `end` become `stub` (None: nothing).
    lines, in_region, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if in_region:
                raise StudentEditionError(f"nested {begin!r} in:\n{source}")
            in_region, found = True, True
            indent = re.match(r"\s*", line).group(0)
            lines += [indent + stub_line for stub_line in stub or []]
        elif end in line:
            in_region = False
        elif not in_region:
            lines.append(line)
    if in_region:
        raise StudentEditionError(f"{begin!r} without {end!r} in:\n{source}")
    return "\n".join(lines), found


def student_cell(cell):
    """A copy of one cell as the student edition shows it (see the module docstring)."""
    cell = copy.deepcopy(cell)
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    source, had_region = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub.split("\n"))
    if had_region and not is_solution(cell):
        raise StudentEditionError(f"a {BEGIN_SOLUTION} region in a cell not marked as a solution:\n{cell.source}")
    if is_solution(cell) and not had_region:
        source = stub
    source, had_hidden = _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None)
    if had_hidden and not is_check(cell):
        raise StudentEditionError(f"hidden tests in a cell that is not a check cell:\n{cell.source}")
    cell.source = source
    # nbgrader's LockCells: answers cannot be deleted, check cells can be neither deleted nor edited
    if is_solution(cell):
        cell.metadata["deletable"] = False
    elif nbgrader_meta(cell).get("grade") or nbgrader_meta(cell).get("locked"):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.metadata.pop("execution", None)
    if NAV_TAG in tags(cell):
        cell.source = relocate_nav_links(cell.source)
    return cell


def relocate_nav_links(source: str) -> str:
    # Sibling links (other notebooks) still work; the README is one level further up.
    return source.replace("](../README.md)", "](../../README.md)")


def student_notebook(nb):
    """The student edition of one notebook (a new object; `nb` is not modified)."""
    student = copy.deepcopy(nb)
    student.cells = [student_cell(cell) for cell in nb.cells]
    student.metadata.pop("widgets", None)  # widget state belongs to outputs, which are gone
    return student


def build(notebooks_dir: Path, out_dir: Path) -> tuple[list[Path], int]:
    """Write the student edition of every notebook in `notebooks_dir` to `out_dir`, atomically.

    Returns the files written and how many solution cells were emptied.
    """
    sources = sorted(notebooks_dir.glob("*.ipynb"))
    solutions = 0
    with atomic.replacing_folder(out_dir) as staging:
        for source in sources:
            try:
                nb = nbformat.read(source, as_version=4)
                student = student_notebook(nb)
                nbformat.validate(student)
            except Exception as err:
                raise StudentEditionError(f"{source}: {type(err).__name__}: {err}") from err
            solutions += sum(is_solution(cell) for cell in nb.cells)
            nbformat.write(student, staging / source.name)
    return [out_dir / source.name for source in sources], solutions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="where the notebooks are")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="where the edition goes")
    args = parser.parse_args(argv)
    if not args.notebooks.is_dir():
        print(f"make_student: {args.notebooks} is not a folder", file=sys.stderr)
        return 1
    try:
        written, solutions = build(args.notebooks, args.out)
    except StudentEditionError as err:
        print(f"make_student: nothing written, {err}", file=sys.stderr)
        return 1
    print(f"student edition: {len(written)} notebook(s), {solutions} solution cell(s) emptied, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate the student edition of the course: the notebooks with their worked solutions removed.

    python tools/make_student.py [--notebooks DIR] [--out DIR]

Reads every notebooks/*.ipynb and writes build/student/*.ipynb (the defaults), where

- every cell tagged ``solution`` (code or markdown) becomes an empty cell of the same type, tagged
  ``answer``: a code cell holding only the comment "# Your answer here", a markdown cell holding
  "*Your answer here.*". The check cell after it is untagged and stays, so it checks the answer;
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
import sys
from pathlib import Path

import nbformat

import atomic  # a sibling in tools/, on the path of every script run from there

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_TAG = "solution"
ANSWER_TAG = "answer"
NAV_TAG = "nav"
CODE_PLACEHOLDER = "# Your answer here"
MARKDOWN_PLACEHOLDER = "*Your answer here.*"


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell) -> bool:
    return SOLUTION_TAG in tags(cell)


def answer_cell(solution):
    """The empty cell a solution cell becomes: same type, same id, tagged `answer`."""
    if solution.cell_type == "code":
        cell = nbformat.v4.new_code_cell(CODE_PLACEHOLDER)
    elif solution.cell_type == "markdown":
        cell = nbformat.v4.new_markdown_cell(MARKDOWN_PLACEHOLDER)
    else:
        cell = nbformat.v4.new_raw_cell("")
    cell.metadata["tags"] = [ANSWER_TAG] + [t for t in tags(solution) if t != SOLUTION_TAG]
    if "id" in solution:
        cell["id"] = solution["id"]  # deterministic output, and ids stay unique
    else:
        cell.pop("id", None)
    return cell


def cleared(cell):
    """A copy of a non-solution cell with its outputs and execution count removed."""
    cell = copy.deepcopy(cell)
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
    student.cells = [answer_cell(cell) if is_solution(cell) else cleared(cell) for cell in nb.cells]
    student.metadata.pop("widgets", None)  # widget state belongs to outputs, which are gone
    return student


class StudentEditionError(Exception):
    """A notebook that cannot be turned into its student edition."""


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

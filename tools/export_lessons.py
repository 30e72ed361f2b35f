"""Write the notebook cells marked ``#| export`` into importable modules, nbdev-style, or check them.

    python -m tools.export_lessons [--root DIR]            (re)write every module from its notebook
    python -m tools.export_lessons --check [--root DIR]    exit 1, saying what to run, when a module is stale

Reusable code (the minibatches, softmax, the loss, the training loop...) is written once, in the
notebook that teaches it, in code cells whose first line is ``#| export``. This tool copies those
cells, in order and as written, each headed by a comment naming the notebook and section it comes
from (as d2l's generated module does), into the module that ``EXPORTS`` names, under a header saying
it is generated. Other cells never reach a module, so editing them never makes one stale.
``--root`` runs on a copy of the project (the tests use it). Exit status: 0 in step or written,
1 a stale or missing module, 2 a notebook that cannot be exported.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import course, files
from .course import EXPORT_DIRECTIVE, CourseError

COMMAND = "make export"
# notebook -> (module, the module's docstring)
EXPORTS = {
    "notebooks/00_fashion_mnist.ipynb": (
        "helpers/batches.py", "Batches of in-memory tensors, and the files laid out as torchvision reads them: the "
        "input\npipeline that notebook 00 builds and the later notebooks and tools reuse."),
    "notebooks/04_softmax_regression_scratch.ipynb": (
        "helpers/training.py", "Softmax regression from scratch: the model, loss, metrics and training loop that "
        "notebook 04 builds\nand the later notebooks reuse."),
}


def render(notebook: str, root: Path = course.ROOT) -> str:
    """The text the notebook's module must have: the header, the docstring, then the cells, in order."""
    module, summary = EXPORTS[notebook]
    if not (root / notebook).is_file():
        raise CourseError(f"{root / notebook} does not exist")
    cells = [f"# From {Path(notebook).name}, section \"{section}\".\n{code}"
             for section, code in course.export_cells(course.read_notebook(root / notebook))]
    if not cells:
        raise CourseError(f"{notebook} has no code cell whose first line is {EXPORT_DIRECTIVE!r}")
    if magic := next((line for cell in cells for line in cell.splitlines() if line.lstrip().startswith(("%", "!"))), None):
        raise CourseError(f"{notebook}: an exported cell uses IPython syntax, which a module cannot: {magic.strip()!r}")
    text = (f"# GENERATED FILE: DO NOT EDIT. `{COMMAND}` writes it from the cells marked \"{EXPORT_DIRECTIVE}\" in\n"
            f"# {notebook}: change them there. The tests fail while the two disagree.\n"
            f'"""{summary}\n"""\n\n' + "\n\n\n".join(cells) + "\n")
    try:
        compile(text, module, "exec")
    except SyntaxError as err:
        raise CourseError(f"{notebook}: the exported cells do not form a valid module: {err}") from None
    return text


def stale_report(notebook: str, actual: str | None, expected: str) -> str | None:
    """None when the module's text is what the notebook makes, else what differs and what to run."""
    module = EXPORTS[notebook][0]
    if actual is None:
        return f"{module} is missing; generate it from {notebook} with:\n    {COMMAND}"
    if actual == expected:
        return None
    diff = files.diff(actual, expected, module, "as it is", f"as {notebook} makes it")
    return (f"{module} is out of sync with the cells marked \"{EXPORT_DIRECTIVE}\" in {notebook}.\n"
            "Either those cells changed since the last export, or the module was edited by hand (edit the\n"
            f"notebook instead). To regenerate the module from the notebook, run:\n    {COMMAND}\nDifference:\n"
            + "\n".join(diff[:40] + ([f"... ({len(diff) - 40} more diff lines)"] if len(diff) > 40 else [])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a module differs from its notebook")
    parser.add_argument("--root", type=Path, default=course.ROOT, help="project root (default: this project)")
    args = parser.parse_args(argv)
    status = 0
    for notebook, (module, _) in EXPORTS.items():
        path = args.root / module
        try:
            expected = render(notebook, args.root)
        except CourseError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 2
            continue
        actual = path.read_text(encoding="utf-8") if path.is_file() else None
        if args.check and (report := stale_report(notebook, actual, expected)):
            print(f"error: {report}", file=sys.stderr)
            status = max(status, 1)
        elif args.check:
            print(f"{module} is in sync with {notebook}")
        else:
            if actual != expected:
                files.write_text(path, expected)
            print(f"{module} {'unchanged' if actual == expected else 'written'} from {notebook}")
    return status


if __name__ == "__main__":
    sys.exit(main())

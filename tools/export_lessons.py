"""Write the notebook cells marked ``#| export`` into importable modules, nbdev-style, or check them.

    python -m tools.export_lessons [--root ROOT]            (re)write every module from its notebook
    python -m tools.export_lessons --check [--root ROOT]    change nothing; exit 1 and say what differs

Reusable code (the minibatches, softmax, the loss, the training loop...) is written once, in the notebook
that teaches it, in code cells whose first line is ``#| export``. Those cells go, in order and as written,
each under a comment naming its notebook and section (as in d2l's generated module), into the module that
``EXPORTS`` names. Other cells never reach a module, so editing them never makes one stale.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import course, files
from .course import EXPORT_DIRECTIVE, CourseError

# notebook -> (module, the module's docstring)
EXPORTS = {
    "notebooks/00_fashion_mnist.ipynb": (
        "helpers/batches.py", "Batches of in-memory tensors, and the files laid out as torchvision reads them: the "
        "input\npipeline that notebook 00 builds and the later notebooks and tools reuse."),
    "notebooks/04_softmax_regression_scratch.ipynb": (
        "helpers/training.py", "Softmax regression from scratch: the model, loss, metrics and training loop that "
        "notebook 04 builds\nand the later notebooks reuse."),
}


def render(notebook: str, root: Path) -> str:
    """The text the notebook's module must have: the header, the docstring, then the cells, in order."""
    module, summary = EXPORTS[notebook]
    cells = [f"# From {Path(notebook).name}, section \"{section}\".\n{code}"
             for section, code in course.export_cells(course.read_notebook(root / notebook))]
    if not cells:
        raise CourseError(f"{notebook} has no code cell whose first line is {EXPORT_DIRECTIVE!r}")
    if magic := next((line for cell in cells for line in cell.splitlines() if line.lstrip().startswith(("%", "!"))), None):
        raise CourseError(f"{notebook}: an exported cell uses IPython syntax, which a module cannot: {magic.strip()!r}")
    text = (f"# GENERATED FILE: DO NOT EDIT. `make export` writes it from the cells marked \"{EXPORT_DIRECTIVE}\" in\n"
            f"# {notebook}: change them there. The tests fail while the two disagree.\n"
            f'"""{summary}\n"""\n\n' + "\n\n\n".join(cells) + "\n")
    try:
        compile(text, module, "exec")
    except SyntaxError as err:
        raise CourseError(f"{notebook}: the exported cells do not form a valid module: {err}") from None
    return text


def build(root: Path) -> tuple[dict, list]:
    return {root / module: render(notebook, root) for notebook, (module, _) in EXPORTS.items()}, []


def main(argv: list[str] | None = None) -> int:
    return files.generate("export_lessons", "make export", build, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())

"""Write the notebook cells marked ``#| export`` into an importable module, nbdev-style, or check them.

    python tools/export_lessons.py            (re)write every module from its notebook
    python tools/export_lessons.py --check    exit 1, saying what to run, when a module is stale

A lesson's reusable code (softmax, the loss, the training loop...) is written once, in the
notebook that teaches it, in code cells whose first line is the directive ``#| export``, visible in
the cell as in nbdev. This tool copies those cells, in notebook order and as written (the directive
replaced by a comment naming the notebook and the section the code comes from, as d2l's generated
module does), into the module named in ``EXPORTS`` under a header saying that the module is generated. Later notebooks import that module instead of
copying the code. Every other cell (prose, demos, plots, asserts, navigation) stays out, so
editing one never makes the module stale.

``--root DIR`` runs on a copy of the project laid out like this one (the tests use it).
Exit status: 0 in step (or written), 1 stale or missing module, 2 a notebook that cannot be exported.
"""
from __future__ import annotations

import argparse
import difflib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import atomic  # a sibling in tools/, on the path of every script run from there

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = "#| export"
COMMAND = "python tools/export_lessons.py"


@dataclass(frozen=True)
class Export:
    notebook: str  # relative to the project root
    module: str    # relative to the project root
    summary: str   # the generated module's docstring


EXPORTS = (
    Export(notebook="notebooks/04_softmax_regression_scratch.ipynb",
           module="helpers/training.py",
           summary="Softmax regression from scratch: the model, loss, metrics and training loop that "
                   "notebook 04 builds\nand the later notebooks reuse."),
)


class ExportError(Exception):
    """A notebook whose export cells cannot become a module (missing file, magics, bad syntax)."""


def exported_cells(notebook: Path) -> list[str]:
    """The code cells marked ``#| export``, in notebook order, each headed by where it comes from."""
    if not notebook.is_file():
        raise ExportError(f"{notebook} does not exist")
    # Plain JSON rather than nbformat: the format is simple, and nbformat takes seconds to import here.
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ExportError(f"{notebook} is not a readable notebook: {err}") from None
    cells, section = [], "the top"
    for cell in nb.get("cells", []):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell.get("cell_type") == "markdown":
            headings = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
            section = headings[-1] if headings else section
        elif cell.get("cell_type") == "code" and source.splitlines()[:1] == [DIRECTIVE]:
            code = source.split("\n", 1)[1].rstrip() if "\n" in source else ""
            cells.append(f"# From {notebook.name}, section \"{section}\".\n{code}")
    if not cells:
        raise ExportError(f"{notebook} has no code cell whose first line is {DIRECTIVE!r}")
    for source in cells:
        for line in source.splitlines():
            if line.lstrip().startswith(("%", "!")):
                raise ExportError(f"{notebook}: an exported cell uses IPython syntax, which a module "
                                  f"cannot: {line.strip()!r}")
    return cells


def render(export: Export, root: Path = ROOT) -> str:
    """The text the module must have: the header, the docstring, then the cells, in order."""
    cells = exported_cells(root / export.notebook)
    header = (
        "# GENERATED FILE: DO NOT EDIT.\n"
        f"# It is written by tools/export_lessons.py from the code cells marked \"{DIRECTIVE}\" in\n"
        f"# {export.notebook}. Change the code there, then run\n"
        f"#     {COMMAND}\n"
        f"# `{COMMAND} --check` (run by tests/test_lesson_export.py) fails while the\n"
        "# two disagree, so an edit made here by hand would not survive.\n"
    )
    text = header + f'"""{export.summary}\n"""\n\n' + "\n\n\n".join(cells) + "\n"
    try:
        compile(text, export.module, "exec")
    except SyntaxError as err:
        raise ExportError(f"{export.notebook}: the exported cells do not form a valid module: {err}") from None
    return text


def write(export: Export, root: Path = ROOT) -> bool:
    """Write the module; return whether its content changed."""
    path = root / export.module
    text = render(export, root)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    atomic.write_text(path, text)
    return True


def stale_report(export: Export, root: Path = ROOT) -> str | None:
    """None when the module is in step with its notebook, else a message saying what differs and what to run."""
    expected = render(export, root)
    path = root / export.module
    if not path.is_file():
        return f"{export.module} is missing; generate it from {export.notebook} with:\n    {COMMAND}"
    actual = path.read_text(encoding="utf-8")
    if actual == expected:
        return None
    diff = list(difflib.unified_diff(actual.splitlines(), expected.splitlines(),
                                     f"{export.module} (as it is)",
                                     f"{export.module} (as {export.notebook} makes it)", lineterm="", n=1))
    shown = diff[:40] + ([f"... ({len(diff) - 40} more diff lines)"] if len(diff) > 40 else [])
    return (f"{export.module} is out of sync with the cells marked \"{DIRECTIVE}\" in {export.notebook}.\n"
            f"Either those cells changed since the last export, or the module was edited by hand (edit the\n"
            f"notebook instead). To regenerate the module from the notebook, run:\n    {COMMAND}\n"
            "Difference:\n" + "\n".join(shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated module differs from its notebook")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this project)")
    args = parser.parse_args(argv)
    status = 0
    for export in EXPORTS:
        try:
            if args.check:
                report = stale_report(export, args.root)
                if report:
                    print(f"error: {report}", file=sys.stderr)
                    status = max(status, 1)
                else:
                    print(f"{export.module} is in sync with {export.notebook}")
            else:
                changed = write(export, args.root)
                print(f"{export.module} {'written' if changed else 'unchanged'} from {export.notebook}")
        except ExportError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())

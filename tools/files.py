"""How every tool writes and ends: files written in one step, generated files written or checked, exit statuses.

Every file a tool writes goes through ``write_text``, ``write_bytes``, ``write_notebook`` or
``replacing_folder``, so a failure leaves the previous version in place.
"""
from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import course
from .course import CourseError


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and one rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_notebook(path: Path, nb) -> None:
    """Validate a notebook and write it as nbformat.write would (ending in a newline), in one step."""
    import nbformat
    nbformat.validate(nb)
    write_text(path, nbformat.writes(nb) + "\n")


@contextmanager
def replacing_folder(out_dir: Path):
    """Yield an empty staging folder that takes ``out_dir``'s place (one rename) when the ``with`` block
    succeeds, and is removed, leaving ``out_dir`` as it was, when it raises."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    old = staging.with_name(staging.name + "-old")
    try:
        yield staging
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the edition is for sharing
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def run_and_report(tool: str, action, summary, failure: str = "nothing written") -> int:
    """Run `action`; print `summary(result)` and return 0, or on CourseError say `failure` and why, and return 1."""
    try:
        result = action()
    except CourseError as err:
        print(f"{tool}: {failure}:\n{err}", file=sys.stderr)
        return 1
    print(summary(result))
    return 0


# ------------------------------------------------------------------------ generated files

def difference(path: Path, expected, command: str) -> str | None:
    """How `path` differs from `expected`, a text (a diff) or a notebook (which cells); None if it does not."""
    if not path.exists():
        return "is missing"
    differs = f"differs from what `{command}` generates"
    if isinstance(expected, str):
        found = path.read_text(encoding="utf-8")
        if found == expected:
            return None
        lines = list(difflib.unified_diff(found.splitlines(), expected.splitlines(), f"{path.name} (as it is)",
                                          f"{path.name} (as `{command}` makes it)", lineterm="", n=1))
        shown = lines[:40] + ([f"... ({len(lines) - 40} more diff lines)"] if len(lines) > 40 else [])
        return f"{differs}:\n" + "\n".join("    " + line for line in shown)
    try:
        found = course.read_notebook(path)
    except CourseError:
        return "is not a readable notebook"
    if found == expected:
        return None
    cells, ids = {cell.get("id"): cell for cell in found.cells}, {cell.get("id") for cell in expected.cells}
    where = [f"cell {c.get('id')} ({c.cell_type})" for c in expected.cells if cells.get(c.get("id")) != c]
    where += [f"cell {c.get('id')} ({c.cell_type}, to be removed)" for c in found.cells if c.get("id") not in ids]
    return f"{differs} in " + ", ".join(where or ["its metadata or the order of its cells"])


def generate(tool: str, command: str, build, argv: list[str] | None, doc: str) -> int:
    """The command line of a tool whose `build(root)` gives (path -> text or notebook, to-dos): write the files
    that differ once all are built, or with --check list them. Exit 0 in step, 1 not (--check), 2 unusable input."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 and say what is out of step")
    parser.add_argument("--root", type=Path, default=course.ROOT, help="the course folder (default: this repository)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        expected, todo = build(root)
    except CourseError as err:
        print(f"{tool}: {'cannot check' if args.check else 'nothing written'}:\n{err}", file=sys.stderr)
        return 2
    stale = {path: how for path, content in expected.items() if (how := difference(path, content, command))}
    if args.check:
        if problems := [f"{path.relative_to(root)} {how}" for path, how in stale.items()] + todo:
            print(f"{tool} --check: {len(problems)} problem(s) in {root}; generated files are never edited by hand: "
                  f"edit their sources, then run `{command}`", *(f"- {p}" for p in problems), sep="\n", file=sys.stderr)
            return 1
        print(f"{tool} --check: everything in step ({root})")
        return 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        (write_text if isinstance(expected[path], str) else write_notebook)(path, expected[path])
    print("\n".join(f"updated {path.relative_to(root)}" for path in stale) or "everything already in step",
          *(["still to do:", *(f"- {item}" for item in todo)] if todo else []), sep="\n")
    return 0

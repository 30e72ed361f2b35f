"""How every tool writes and ends: files written in one step, the diff it shows, its exit status.

Every file a tool writes goes through ``write_text``, ``write_bytes``, ``write_notebook`` or
``replacing_folder``, so a failure leaves the previous version in place.
"""
from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

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
    text = nbformat.writes(nb)
    write_text(path, text if text.endswith("\n") else text + "\n")


@contextmanager
def replacing_folder(out_dir: Path):
    """Yield an empty staging folder beside ``out_dir``; fill it in the ``with`` block.

    When the block succeeds the staging folder takes ``out_dir``'s place (the previous one is
    moved aside and deleted, one rename each); when it raises, the staging folder is removed and
    ``out_dir`` is left as it was.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the edition is for sharing
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            os.replace(out_dir, old / out_dir.name)
            os.replace(staging, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def diff(found: str, expected: str, name: str, found_label: str = "found", expected_label: str = "expected") -> list[str]:
    """The unified diff of two texts, one context line, as lines."""
    return list(difflib.unified_diff(found.splitlines(), expected.splitlines(), f"{name} ({found_label})",
                                     f"{name} ({expected_label})", lineterm="", n=1))


def run_and_report(tool: str, action, summary, failure: str = "nothing written") -> int:
    """Run `action`; print `summary(result)` and return 0, or on CourseError say `failure` and why, and return 1."""
    try:
        result = action()
    except CourseError as err:
        print(f"{tool}: {failure}:\n{err}", file=sys.stderr)
        return 1
    print(summary(result))
    return 0

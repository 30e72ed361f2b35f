"""Execute notebooks top to bottom and store their outputs so that the files are reproducible.

    python -m tools.run_notebooks [NOTEBOOK ...]       (default: every notebooks/*.ipynb)

Outputs are stored as measured (a timing says "0.41 s", not a placeholder), and two runs give
byte-identical files: a cell whose fresh outputs equal the stored ones once the patterns of
nbval_sanitize.cfg have masked both (timings, device names) keeps the stored ones; no cell timings
or widget state are recorded, stream chunks are merged as nbval merges them, and widget ids are
derived from the cell's position. A notebook whose execution fails, or is interrupted (Ctrl-C), is
left exactly as it was.
"""
import asyncio
import copy
import re
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbval.plugin import coalesce_streams, get_sanitize_patterns

from . import course, files

SANITIZE_CFG = course.ROOT / "nbval_sanitize.cfg"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def sanitize_patterns(path: Path = SANITIZE_CFG) -> list[tuple[re.Pattern, str]]:
    """The (regex, replacement) pairs of nbval's sanitize file, read as nbval reads them."""
    return [(re.compile(regex), replace) for regex, replace in get_sanitize_patterns(path.read_text(encoding="utf-8"))]


def _sanitized(text, patterns) -> str:
    text = "".join(text) if isinstance(text, list) else text
    for regex, replacement in patterns:
        text = regex.sub(replacement, text)
    return text


def _fields(output) -> dict:
    return {"text": output["text"]} if output.get("output_type") == "stream" else dict(output.get("data", {}))


def reproduced(stored: list, fresh: list, patterns) -> bool:
    """Whether a cell's fresh outputs equal its stored ones, figures included, once both are sanitised."""
    def masked(outputs):
        return [(o.get("output_type"), o.get("name"), {key: _sanitized(value, patterns) if key.startswith("text") else value
                                                       for key, value in _fields(o).items() if key != WIDGET_MIME})
                for o in outputs]
    return masked(stored) == masked(fresh)


def normalize(nb: nbformat.NotebookNode, stored: nbformat.NotebookNode, patterns) -> None:
    """Make the executed notebook independent of the run: see the module docstring."""
    nb.metadata.pop("widgets", None)
    before = {cell.get("id"): cell for cell in stored.cells if cell.cell_type == "code"}
    code_index = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        code_index += 1
        # A cell's stdout arrives in chunks whose split depends on timing; nbval merges them
        # before comparing, and so do we before storing.
        cell.outputs = coalesce_streams(cell.get("outputs", []))
        for k, output in enumerate(cell.outputs):
            if WIDGET_MIME in output.get("data", {}):
                output["data"][WIDGET_MIME]["model_id"] = f"cell{code_index}-output{k}"
        old = before.get(cell.get("id"))
        if old is not None and reproduced(old.get("outputs", []), cell.outputs, patterns):
            cell.outputs = old.outputs


class Interrupted(Exception):
    """Ctrl-C arrived: the notebook being run is left as it was."""


_interrupted = threading.Event()


def _on_ctrl_c(*_):
    # The first Ctrl-C lets the running cell finish (they take seconds) and stops before the next,
    # so that the kernel shuts down cleanly and nothing is written; a second one stops at once.
    if _interrupted.is_set():
        raise KeyboardInterrupt
    _interrupted.set()
    print("\nCtrl-C: stopping after the current cell (press it again to stop at once)", file=sys.stderr, flush=True)


def _stop_if_interrupted(**_):
    # Runs before each cell. nbclient answers Ctrl-C by killing the kernel mid-cell, which ends in a
    # chain of tracebacks; our handler takes its place on the event loop for the cells that follow.
    if _interrupted.is_set():
        raise Interrupted()
    try:
        asyncio.get_event_loop().add_signal_handler(signal.SIGINT, _on_ctrl_c)
    except (RuntimeError, NotImplementedError):  # not the main thread, or Windows
        pass


def execute_and_store(path: Path, timeout: int = 900) -> float:
    """Execute one notebook in its own folder and overwrite it with the normalized result."""
    nb = course.read_notebook(path)
    stored = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=_stop_if_interrupted)
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    if _interrupted.is_set():
        raise Interrupted()
    normalize(nb, stored, sanitize_patterns())
    files.write_notebook(path, nb)  # a crash never leaves a half-written notebook
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or course.notebook_paths(course.ROOT / "notebooks")
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _on_ctrl_c) if in_main_thread else None
    failed = []
    try:
        for k, path in enumerate(paths):
            try:
                print(f"{path.name}: {execute_and_store(path):.1f} s", flush=True)
            except CellExecutionError as err:
                if _interrupted.is_set():
                    raise Interrupted() from None
                print(f"{path.name}: FAILED, left unchanged\n{err}", file=sys.stderr, flush=True)
                failed.append(path.name)
    except (Interrupted, KeyboardInterrupt):
        rest = f"; not run: {', '.join(p.name for p in paths[k + 1:])}" if paths[k + 1:] else ""
        print(f"interrupted: {path.name} left unchanged{rest}", file=sys.stderr, flush=True)
        return 130
    finally:
        _interrupted.clear()
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""nbval_precision.py, through nbval itself: a notebook whose stored outputs are planted, re-executed.

Each code cell prints a fresh text and stores another; nbval, with the plugin, must pass the cells
whose numbers agree within one unit of the stored last digit, and fail every other difference.
Without the plugin (plain nbval) the tolerated cells fail too, which shows that the plugin is what
passes them.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import nbval_precision

ROOT = Path(__file__).resolve().parent.parent

# (what the cell prints now, what its stored output says, whether nbval must pass it)
CASES = {
    "last digit": ("accuracy 0.8254", "accuracy 0.8253", True),
    "two units": ("accuracy 0.8255", "accuracy 0.8253", False),
    "ones": ("column sums: tensor([1.0000, 1.0000, 1.0000])", "column sums: tensor([1., 1., 1.])", True),
    "ones, other way": ("column sums: tensor([1., 1., 1.])", "column sums: tensor([1.0000, 1.0000, 1.0000])", True),
    "a word": ("test accuracy 0.8253", "train accuracy 0.8253", False),
    "an integer": ("misclassified: 1748 of 10000", "misclassified: 1747 of 10000", False),
    "scientific": ("gap 5.7e-07", "gap 3.3e-07", False),
    "scientific, last digit": ("gap 3.4e-07", "gap 3.3e-07", True),
    "an extra number": ("losses: 0.5 0.4 0.3", "losses: 0.5 0.4", False),
    "nan": ("loss nan", "loss inf", False),
}


def case_notebook() -> nbformat.NotebookNode:
    cells = []
    for fresh, stored, _ in CASES.values():
        cell = new_code_cell(f"print({fresh!r})", execution_count=1)
        cell.outputs = [new_output("stream", name="stdout", text=stored + "\n")]
        cells.append(cell)
    # a value shown as the cell's result (text/plain) and a line on stderr are compared the same way
    result = new_code_cell("0.8254", execution_count=2)
    result.outputs = [new_output("execute_result", data={"text/plain": "0.8253"}, execution_count=2)]
    stderr = new_code_cell("import sys\nprint('loss 0.26', file=sys.stderr)", execution_count=3)
    stderr.outputs = [new_output("stream", name="stderr", text="loss 0.25\n")]
    nb = new_notebook(cells=[*cells, result, stderr])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


EXPECTED = [passes for *_, passes in CASES.values()] + [True, True]


def run_nbval(folder: Path, plugin: bool) -> tuple[list[bool], str]:
    """Each cell's outcome (True: passed) and pytest's output, with or without the plugin."""
    nbformat.write(case_notebook(), folder / "cases.ipynb")
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-rA", "--color=no", "-p", "no:cacheprovider",
               "-c", os.devnull, "--rootdir", str(folder), "cases.ipynb", *(["-p", "nbval_precision"] if plugin else [])]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    outcomes = {cell: outcome for outcome, cell in re.findall(r"^(PASSED|FAILED) cases\.ipynb::Cell (\d+)", result.stdout, re.M)}
    assert len(outcomes) == len(EXPECTED), result.stdout[-3000:] + result.stderr[-2000:]
    return [outcomes[str(k)] == "PASSED" for k in range(len(EXPECTED))], result.stdout


@pytest.fixture(scope="module")
def with_plugin(tmp_path_factory):
    return run_nbval(tmp_path_factory.mktemp("with"), plugin=True)


def test_numbers_are_compared_at_their_printed_precision(with_plugin):
    outcomes, _ = with_plugin
    names = [*CASES, "text/plain, last digit", "stderr, last digit"]
    wrong = [f"{name}: {'passed' if got else 'failed'}" for name, got, want in zip(names, outcomes, EXPECTED)
             if got != want]
    assert not wrong, wrong


def test_a_mismatch_names_the_numbers_beyond_tolerance(with_plugin):
    _, output = with_plugin
    assert "0.8253 (stored) vs 0.8255 (got): allowed ±1e-4" in output
    assert "3.3e-07 (stored) vs 5.7e-07 (got): allowed ±1e-8" in output
    assert "'train accuracy 0.8253\\n' == 'test accuracy 0.8253\\n'" in output  # nbval's own diff, as before


def test_without_the_plugin_the_tolerated_cells_fail(tmp_path):
    outcomes, _ = run_nbval(tmp_path, plugin=False)
    tolerated = [k for k, (fresh, stored, passes) in enumerate(CASES.values()) if passes and fresh != stored]
    assert tolerated and not any(outcomes[k] for k in tolerated)


@pytest.mark.parametrize("stored, fresh, same", [
    ("0.8253", "0.8254", True), ("1.", "1.0000", True), ("-0.0000", "0.0000", True),
    ("9.9e-07", "1.0e-06", True), ("torch 2.14.1", "torch 2.14.2", False), ("float32 7.1", "float64 7.1", False),
    ("done 0.83.", "done 0.84.", True), ("x86_64", "x86_65", False)])
def test_same_when_printed(stored, fresh, same):
    assert nbval_precision.same_when_printed(stored, fresh)[0] is same

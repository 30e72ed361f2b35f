"""The student edition (tools/make_student.py): solutions gone, everything else kept, reproducible.

Run on small synthetic notebooks built in a temporary folder, and on the course's own notebooks
(whichever exist when the tests run).
"""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_student  # noqa: E402

REAL_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def run_generator(notebooks: Path, out: Path, in_process: bool = True):
    """make_student's command line: exit code, stdout, stderr (in this process unless told)."""
    args = ["--notebooks", str(notebooks), "--out", str(out)]
    if not in_process:
        return subprocess.run([sys.executable, str(ROOT / "tools" / "make_student.py"), *args],
                              capture_output=True, text=True, timeout=300)
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = make_student.main(args)
    return SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def executed_code(source, text, count):
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = [new_output("stream", name="stdout", text=text),
                    new_output("execute_result", data={"text/plain": text}, execution_count=count)]
    return cell


def synthetic_notebooks(folder: Path) -> None:
    folder.mkdir(parents=True)
    exercises = new_notebook(cells=[
        tagged(new_markdown_cell("[← previous](00_intro.ipynb) · [index](../README.md)"), "nav"),
        new_markdown_cell("# 01 · Exercises\n\n**In one line:** x.\n\n**Needs:** y."),
        executed_code("import math", "", 1),
        new_markdown_cell("## Exercise 1\n\nDefine `answer`, the square root of two."),
        tagged(new_markdown_cell("### Solution\n\nThe secret derivation: $\\sqrt 2 = 1.41421356$."), "solution"),
        tagged(executed_code("answer = math.sqrt(2)  # secret solution code\nprint(answer)", "1.4142135623730951\n", 2),
               "solution"),
        executed_code("assert abs(answer ** 2 - 2) < 1e-12\nprint('checked')", "checked\n", 3),
        tagged(executed_code("hidden_helper = 42", "", 4), "solution", "keep-me"),
        new_raw_cell("raw text stays"),
        tagged(new_markdown_cell("[← previous](00_intro.ipynb) · [index](../README.md)"), "nav"),
    ])
    plain = new_notebook(cells=[
        new_markdown_cell("# 00 · Intro\n\n**In one line:** x.\n\n**Needs:** y."),
        executed_code("print('hello')", "hello\n", 7),
    ])
    nbformat.write(exercises, folder / "01_exercises.ipynb")
    nbformat.write(plain, folder / "00_intro.ipynb")


def solution_only_lines(nb) -> set[str]:
    """Stripped lines of the solution cells that no other cell of the notebook also contains."""
    elsewhere = {line.strip() for cell in nb.cells if not make_student.is_solution(cell)
                 for line in cell.source.splitlines()}
    return {line.strip() for cell in nb.cells if make_student.is_solution(cell)
            for line in cell.source.splitlines() if line.strip() and line.strip() not in elsewhere}


def assert_student_edition(original_path: Path, student_path: Path) -> None:
    """Every property the edition promises, for one notebook."""
    original = nbformat.read(original_path, as_version=4)
    student = nbformat.read(student_path, as_version=4)
    nbformat.validate(student)
    name = original_path.name
    assert len(student.cells) == len(original.cells), f"{name}: cells added or lost"

    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    leaked = solution_only_lines(original) & student_lines
    assert not leaked, f"{name}: solution text leaked into the student edition: {sorted(leaked)[:5]}"
    assert student_path.read_text(encoding="utf-8").count('"solution"') == 0, f"{name}: a solution tag survived"

    for k, (before, after) in enumerate(zip(original.cells, student.cells)):
        where = f"{name}, cell {k}"
        assert after.cell_type == before.cell_type, f"{where}: cell type changed"
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None, f"{where}: outputs not cleared"
        if make_student.is_solution(before):
            assert make_student.ANSWER_TAG in after.metadata.get("tags", []), f"{where}: answer cell not tagged"
            expected = {"code": make_student.CODE_PLACEHOLDER,
                        "markdown": make_student.MARKDOWN_PLACEHOLDER}.get(before.cell_type, "")
            assert after.source == expected, f"{where}: solution cell not emptied"
        elif make_student.NAV_TAG in before.metadata.get("tags", []):
            assert after.source == make_student.relocate_nav_links(before.source), f"{where}: nav cell changed"
        else:
            assert after.source == before.source, f"{where}: source changed"
            assert after.metadata.get("tags", []) == before.metadata.get("tags", []), f"{where}: tags changed"


# ------------------------------------------------------------------------------- synthetic

@pytest.fixture()
def synthetic(tmp_path):
    notebooks, out = tmp_path / "notebooks", tmp_path / "build" / "student"
    synthetic_notebooks(notebooks)
    result = run_generator(notebooks, out)
    assert result.returncode == 0, result.stderr
    return notebooks, out


def test_synthetic_edition_keeps_promises(synthetic):
    notebooks, out = synthetic
    assert sorted(p.name for p in out.iterdir()) == ["00_intro.ipynb", "01_exercises.ipynb"]
    for path in sorted(notebooks.glob("*.ipynb")):
        assert_student_edition(path, out / path.name)


def test_solution_cells_become_tagged_answer_cells(synthetic):
    _, out = synthetic
    student = nbformat.read(out / "01_exercises.ipynb", as_version=4)
    answers = [(cell.cell_type, cell.source, cell.metadata["tags"]) for cell in student.cells
               if "answer" in cell.metadata.get("tags", [])]
    assert answers == [("markdown", "*Your answer here.*", ["answer"]),
                       ("code", "# Your answer here", ["answer"]),
                       ("code", "# Your answer here", ["answer", "keep-me"])]
    text = (out / "01_exercises.ipynb").read_text(encoding="utf-8")
    for secret in ("secret", "1.41421356", "hidden_helper", "math.sqrt(2)"):
        assert secret not in text
    # The check cell stays, right after where the solution was.
    assert student.cells[6].source.startswith("assert abs(answer ** 2 - 2)")


def test_notebook_without_solutions_is_copied_with_outputs_cleared(synthetic):
    notebooks, out = synthetic
    original = nbformat.read(notebooks / "00_intro.ipynb", as_version=4)
    student = nbformat.read(out / "00_intro.ipynb", as_version=4)
    assert [c.source for c in student.cells] == [c.source for c in original.cells]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert original.cells[1].outputs  # the source notebook itself is untouched


def test_nav_index_link_still_resolves(synthetic):
    _, out = synthetic
    student = nbformat.read(out / "01_exercises.ipynb", as_version=4)
    for cell in (student.cells[0], student.cells[-1]):
        assert "](../../README.md)" in cell.source  # build/student/ is one level below notebooks/' level


def assert_regenerating_changes_nothing(notebooks, out):
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_generator(notebooks, out)
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_generator_is_idempotent(synthetic):
    assert_regenerating_changes_nothing(*synthetic)


def test_failure_leaves_previous_edition_untouched(synthetic):
    notebooks, out = synthetic
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (notebooks / "02_broken.ipynb").write_text("{ not json", encoding="utf-8")
    result = run_generator(notebooks, out)
    assert result.returncode != 0
    assert "02_broken.ipynb" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["student"]  # no temporary folders left


def test_removed_notebook_disappears_from_edition(synthetic):
    notebooks, out = synthetic
    (notebooks / "00_intro.ipynb").unlink()
    assert run_generator(notebooks, out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_exercises.ipynb"]


# ------------------------------------------------------------------------------- the course

@pytest.fixture(scope="module")
def real_edition(tmp_path_factory):
    """The edition of a snapshot of notebooks/, made by the real command line."""
    if not REAL_NOTEBOOKS:
        pytest.skip("no notebooks in notebooks/ yet")
    base = tmp_path_factory.mktemp("real")
    snapshot = base / "notebooks"  # a copy, so that both runs below see the same notebooks
    shutil.copytree(ROOT / "notebooks", snapshot, ignore=shutil.ignore_patterns(".*"))
    out = base / "student"
    result = run_generator(snapshot, out, in_process=False)
    assert result.returncode == 0, result.stderr
    return snapshot, out


@pytest.mark.parametrize("name", [p.name for p in REAL_NOTEBOOKS])
def test_course_notebook_edition(real_edition, name):
    snapshot, out = real_edition
    assert_student_edition(snapshot / name, out / name)


def test_course_edition_is_idempotent(real_edition):
    assert_regenerating_changes_nothing(*real_edition)


def test_solution_tag_convention_in_course():
    """A solution cell is code or markdown and is followed by an untagged check cell somewhere after."""
    for path in REAL_NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        for k, cell in enumerate(cells):
            if make_student.is_solution(cell):
                assert cell.cell_type in ("code", "markdown"), f"{path.name} cell {k}: solution on a {cell.cell_type} cell"
                later = [c for c in cells[k + 1:] if not make_student.is_solution(c)]
                assert any(c.cell_type == "code" and not c.metadata.get("tags") for c in later), \
                    f"{path.name} cell {k}: no untagged check cell after this solution cell"

"""The student edition (tools/make_student.py, nbgrader's preprocessors): solutions become nbgrader's
stubs, hidden tests go, check and answer cells are locked, plain cells stay editable, everything
else is kept, reproducibly; a Chinese edition in zh/ goes through the same; the handout runs on its own.

Run on small synthetic notebooks built in a temporary folder, and on the course's own notebooks
(whichever exist when the tests run).
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

ROOT = Path(__file__).resolve().parent.parent
from tools import course as notebook_model
from tools import make_student

REAL_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CODE_STUB, TEXT_STUB = "# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE"  # nbgrader's
pytest.importorskip("nbgrader", reason="make student runs nbgrader's preprocessors (requirements-grade.txt)")


def run_generator(notebooks: Path, out: Path, in_process: bool = True):
    """make_student's command line: exit code, stdout, stderr (in this process unless told)."""
    args = ["--notebooks", str(notebooks), "--out", str(out)]
    if not in_process:
        return subprocess.run([sys.executable, "-m", "tools.make_student", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = make_student.main(args)
    return SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def nbgrader(cell, grade_id, solution=False, grade=False, points=None):
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "solution": solution, "grade": grade,
                                 "locked": grade and not solution, "task": False}
    if points is not None:
        cell.metadata["nbgrader"]["points"] = points
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
        nbgrader(new_markdown_cell("### Solution\n\nThe secret derivation: $\\sqrt 2 = 1.41421356$."),
                 "exercise-1-written-1", solution=True, grade=True, points=0),
        nbgrader(executed_code("import math\n    ### BEGIN SOLUTION\n    answer = math.sqrt(2)  # secret solution code\n"
                               "    ### END SOLUTION\nprint(answer)", "1.4142135623730951\n", 2),
                 "exercise-1-answer-1", solution=True),
        nbgrader(executed_code("assert abs(answer ** 2 - 2) < 1e-12\n### BEGIN HIDDEN TESTS\nassert answer == 1.4142135623730951\n"
                               "### END HIDDEN TESTS\nprint('checked')", "checked\n", 3), "exercise-1", grade=True, points=1),
        tagged(nbgrader(executed_code("hidden_helper = 42", "", 4), "exercise-1-answer-2", solution=True), "keep-me"),
        new_raw_cell("raw text stays"),
        tagged(new_markdown_cell("[← previous](00_intro.ipynb) · [index](../README.md)"), "nav"),
    ])
    plain = new_notebook(cells=[
        new_markdown_cell("# 00 · Intro\n\n**In one line:** x.\n\n**Needs:** y."),
        executed_code("print('hello')", "hello\n", 7),
    ])
    nbformat.write(exercises, folder / "01_exercises.ipynb")
    nbformat.write(plain, folder / "00_intro.ipynb")


def hidden_test_lines(nb) -> set[str]:
    """Stripped lines between BEGIN and END HIDDEN TESTS that appear nowhere outside such a region."""
    hidden, visible, inside = set(), set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if notebook_model.BEGIN_HIDDEN in line:
                inside = True
            elif notebook_model.END_HIDDEN in line:
                inside = False
            elif line.strip():
                (hidden if inside else visible).add(line.strip())
    return hidden - visible


def solution_only_lines(nb) -> set[str]:
    """Stripped lines of the solution regions (or of whole solution cells without a region) that no
    other cell of the notebook also contains."""
    def secret(cell):
        if not notebook_model.is_solution(cell):
            return []
        if notebook_model.BEGIN_SOLUTION not in cell.source:
            return cell.source.splitlines()
        lines, inside = [], False
        for line in cell.source.splitlines():
            if notebook_model.BEGIN_SOLUTION in line:
                inside = True
            elif notebook_model.END_SOLUTION in line:
                inside = False
            elif inside:
                lines.append(line)
        return lines
    elsewhere = {line.strip() for cell in nb.cells if not notebook_model.is_solution(cell)
                 for line in cell.source.splitlines()}
    return {line.strip() for cell in nb.cells for line in secret(cell) if line.strip() and line.strip() not in elsewhere}


def without_hidden_tests(source: str) -> str:
    return re.sub(rf"[^\n]*{notebook_model.BEGIN_HIDDEN}.*?{notebook_model.END_HIDDEN}[^\n]*\n?", "", source, flags=re.S)


def notebook_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.ipynb"))


def assert_student_edition(original_path: Path, student_path: Path, readme: str = "README.md") -> None:
    """Every property the edition promises, for one notebook."""
    original = nbformat.read(original_path, as_version=4)
    student = nbformat.read(student_path, as_version=4)
    nbformat.validate(student)
    name = original_path.name
    assert len(student.cells) == len(original.cells), f"{name}: cells added or lost"

    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    leaked = (solution_only_lines(original) | hidden_test_lines(original)) & student_lines
    assert not leaked, f"{name}: solution or hidden-test text leaked into the student edition: {sorted(leaked)[:5]}"
    for marker in (notebook_model.BEGIN_SOLUTION, notebook_model.BEGIN_HIDDEN):
        assert marker not in student_path.read_text(encoding="utf-8"), f"{name}: a {marker} marker survived"

    for k, (before, after) in enumerate(zip(original.cells, student.cells)):
        where = f"{name}, cell {k}"
        assert after.cell_type == before.cell_type, f"{where}: cell type changed"
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None, f"{where}: outputs not cleared"
        assert after.metadata.get("tags", []) == before.metadata.get("tags", []), f"{where}: tags changed"
        if notebook_model.is_solution(before):
            stub_lines = (CODE_STUB if after.cell_type == "code" else TEXT_STUB).splitlines()
            assert [line.strip() for line in after.source.splitlines() if line.strip() in stub_lines] == stub_lines, \
                f"{where}: solution not replaced by nbgrader's stub"
            assert after.metadata["deletable"] is False, f"{where}: an answer cell should not be deletable"
            assert after.metadata.get("editable", True), f"{where}: an answer cell must stay editable"
        elif notebook_model.is_check(before):
            assert after.source == without_hidden_tests(before.source) and after.source.strip(), \
                f"{where}: check cell changed beyond its hidden tests"
            assert after.metadata["editable"] is False and after.metadata["deletable"] is False, \
                f"{where}: a check cell should be locked"
        else:
            expected = make_student.relocate_nav_links(before.source, readme) if notebook_model.is_nav(before) \
                else before.source
            assert after.source == expected, f"{where}: source changed"
            assert after.metadata.get("editable", True) and after.metadata.get("deletable", True), \
                f"{where}: a plain cell must stay editable and deletable"


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
    assert notebook_names(out) == ["00_intro.ipynb", "01_exercises.ipynb"]
    for path in sorted(notebooks.glob("*.ipynb")):
        assert_student_edition(path, out / path.name)


def test_solutions_become_nbgrader_stubs_and_hidden_tests_go(synthetic):
    _, out = synthetic
    student = nbformat.read(out / "01_exercises.ipynb", as_version=4)
    assert student.cells[4].source == "YOUR ANSWER HERE"
    # the region becomes the stub, indented like its BEGIN line; the rest of the cell stays
    assert student.cells[5].source == "import math\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(answer)"
    assert student.cells[7].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert student.cells[7].metadata["tags"] == ["keep-me"]
    # the check cell stays, right after where the solution was, without its hidden tests
    assert student.cells[6].source == "assert abs(answer ** 2 - 2) < 1e-12\nprint('checked')"
    text = (out / "01_exercises.ipynb").read_text(encoding="utf-8")
    for secret in ("secret", "1.41421356", "hidden_helper", "math.sqrt(2)", "1.4142135623730951"):
        assert secret not in text


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "no end solution statement found"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested begin solution"),
])
def test_malformed_solution_region_is_refused(tmp_path, source, message):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    cell = nbgrader(new_code_cell(source), "exercise-1-answer-1", solution=True)
    nbformat.write(new_notebook(cells=[cell]), notebooks / "01_broken.ipynb")
    result = run_generator(notebooks, tmp_path / "out")
    assert result.returncode == 1 and message in result.stderr and "01_broken.ipynb" in result.stderr
    assert not (tmp_path / "out").exists()


def test_solution_region_outside_a_solution_cell_is_refused(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")]),
                   notebooks / "01_broken.ipynb")
    result = run_generator(notebooks, tmp_path / "out")
    assert result.returncode == 1 and "Solution region detected in a non-solution cell" in result.stderr


def test_notebook_without_solutions_is_copied_with_outputs_cleared(synthetic):
    notebooks, out = synthetic
    original = nbformat.read(notebooks / "00_intro.ipynb", as_version=4)
    student = nbformat.read(out / "00_intro.ipynb", as_version=4)
    assert [c.source for c in student.cells] == [c.source for c in original.cells]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert original.cells[1].outputs  # the source notebook itself is untouched


def test_nav_index_link_points_to_the_handouts_readme(synthetic):
    _, out = synthetic
    student = nbformat.read(out / "01_exercises.ipynb", as_version=4)
    for cell in (student.cells[0], student.cells[-1]):
        assert "[index](README.md)" in cell.source
    assert (out / "README.md").read_text(encoding="utf-8") == make_student.STUDENT_README.read_text(encoding="utf-8")


def test_plain_cells_stay_editable(synthetic):
    _, out = synthetic
    student = nbformat.read(out / "01_exercises.ipynb", as_version=4)
    plain = [cell for cell in student.cells if not notebook_model.nbgrader_meta(cell)]
    assert len(plain) == 6 and all(cell.metadata.get("editable", True) and cell.metadata.get("deletable", True)
                                   for cell in plain)
    assert student.cells[6].metadata["editable"] is False  # the check cell, for contrast


def handout_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def assert_regenerating_changes_nothing(notebooks, out):
    first, zip_bytes = handout_files(out), out.with_suffix(".zip").read_bytes()
    result = run_generator(notebooks, out)
    assert result.returncode == 0, result.stderr
    assert handout_files(out) == first and out.with_suffix(".zip").read_bytes() == zip_bytes


def test_generator_is_idempotent(synthetic):
    assert_regenerating_changes_nothing(*synthetic)


def test_failure_leaves_previous_edition_untouched(synthetic):
    notebooks, out = synthetic
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (notebooks / "02_broken.ipynb").write_text("{ not json", encoding="utf-8")
    result = run_generator(notebooks, out)
    assert result.returncode != 0
    assert "02_broken.ipynb" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["student", "student.zip"]  # no temporary folders left


def test_removed_notebook_disappears_from_edition(synthetic):
    notebooks, out = synthetic
    (notebooks / "00_intro.ipynb").unlink()
    assert run_generator(notebooks, out).returncode == 0
    assert notebook_names(out) == ["01_exercises.ipynb"]


def test_a_chinese_edition_is_built_beside_the_english_one(tmp_path):
    notebooks, out = tmp_path / "notebooks", tmp_path / "student"
    synthetic_notebooks(notebooks)
    (notebooks / "zh").mkdir()
    for path in notebooks.glob("*.ipynb"):  # a stand-in for issue 21's edition: markdown translated, code as it is
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = cell.source.replace("[index](../README.md)", "[索引](../../README.md)") \
                    if notebook_model.is_nav(cell) else "（中文）" + cell.source
        nbformat.write(nb, notebooks / "zh" / path.name)
    result = run_generator(notebooks, out)
    assert result.returncode == 0 and "4 notebook(s)" in result.stdout, result.stdout + result.stderr
    assert notebook_names(out / "zh") == notebook_names(out) == ["00_intro.ipynb", "01_exercises.ipynb"]
    for path in sorted((notebooks / "zh").glob("*.ipynb")):
        assert_student_edition(path, out / "zh" / path.name, readme="../README.md")
    chinese = nbformat.read(out / "zh" / "01_exercises.ipynb", as_version=4)
    assert chinese.cells[1].source.startswith("（中文）# 01") and "[索引](../README.md)" in chinese.cells[0].source
    assert (out / "zh" / "helpers" / "checks.py").is_file()  # imported from the notebooks' own folder
    assert "student/zh/01_exercises.ipynb" in zipfile.ZipFile(out.with_suffix(".zip")).namelist()


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


def test_every_link_in_the_handout_leads_to_a_file_in_it(real_edition):
    _, out = real_edition
    assert (out / "zh" / "README.md").is_file() == (ROOT / "notebooks" / "zh" / "README.md").is_file()
    if (out / "zh" / "README.md").is_file():  # it speaks to students, not to the course's contributors
        chinese = (out / "zh" / "README.md").read_text(encoding="utf-8")
        assert make_student.ZH_HANDOUT_INTRO in chinese and "## 术语表" in chinese, chinese[:500]
        assert not [word for word in ("make ", "translations/", "<!--", "〔未翻译〕") if word in chinese]
    for path in sorted([*out.rglob("*.ipynb"), *out.rglob("*.md")]):
        texts = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"] \
            if path.suffix == ".ipynb" else [path.read_text(encoding="utf-8")]
        for target in (t for text in texts for t in re.findall(r"\]\(([^)\s#:]+)(?:#[^)\s]*)?\)", text)):
            assert (path.parent / target).is_file(), f"{path.relative_to(out)}: a link to {target}, not in the handout"


def test_the_handouts_requirements_are_what_its_notebooks_import(real_edition):
    """Generated from requirements.txt (a range each, as there), without the course's own test and tool
    packages, and with every package the handout's notebooks and helpers import."""
    _, out = real_edition
    def names(path):
        return {re.match(r"[\w.-]+", line)[0] for line in path.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")}
    required = names(out / "requirements.txt")
    assert required <= names(ROOT / "requirements.txt") and not required & make_student.COURSE_ONLY
    sources = [cell.source for path in out.rglob("*.ipynb") for cell in nbformat.read(path, as_version=4).cells
               if cell.cell_type == "code"] + [path.read_text(encoding="utf-8") for path in out.rglob("helpers/*.py")]
    imported = {name for source in sources for name in re.findall(r"^\s*(?:from|import) (\w+)", source, re.M)}
    with_ipykernel = {"IPython": "ipykernel", "matplotlib_inline": "ipykernel"}
    third_party = imported - set(sys.stdlib_module_names) - {"helpers", "__future__"}
    assert {with_ipykernel.get(name, name) for name in third_party} <= required, third_party


def test_exercise_convention_in_course():
    """Each exercise: solution cells (code between visible markers), then one locked check cell with
    points, whose first line says which exercise it checks and for how many points."""
    for path in REAL_NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        for k, cell in enumerate(cells):
            where = f"{path.name} cell {k}"
            meta = notebook_model.nbgrader_meta(cell)
            assert "solution" not in cell.metadata.get("tags", []), f"{where}: the old `solution` tag; use nbgrader's"
            if notebook_model.is_solution(cell) and cell.cell_type == "code":
                lines = cell.source.strip().splitlines()
                assert lines[0] == "### BEGIN SOLUTION" and lines[-1] == "### END SOLUTION", \
                    f"{where}: a solution code cell starts with ### BEGIN SOLUTION and ends with ### END SOLUTION"
            if notebook_model.is_solution(cell) and cell.cell_type == "markdown":
                assert meta.get("grade") and meta.get("points") == 0, f"{where}: a written answer is graded, 0 points"
            if notebook_model.is_check(cell):
                assert meta.get("locked") and meta.get("points", 0) > 0, f"{where}: a check cell is locked, with points"
                exercise = meta["grade_id"].removeprefix("exercise-")
                points = meta["points"]
                expected = f"# Check: exercise {exercise} ({points} point{'s' if points != 1 else ''})."
                assert cell.source.startswith(expected), f"{where}: the first line should read {expected!r}"
                # grading scores a check that passes without printing "✓ Exercise N passed" as 0 (tools/grade.py)
                assert f'Check("Exercise {exercise}", globals())' in cell.source and "check.passed(" in cell.source, \
                    f"{where}: a check cell says it passed with Check(\"Exercise {exercise}\", globals()).passed()"
                assert any(notebook_model.is_solution(c) for c in cells[:k]), f"{where}: no solution before this check"
            # nbgrader acts on these phrases wherever they stand, even in prose
            if notebook_model.BEGIN_SOLUTION in cell.source or notebook_model.END_SOLUTION in cell.source:
                assert notebook_model.is_solution(cell), f"{where}: solution markers in a cell not marked as a solution"
            if notebook_model.BEGIN_HIDDEN in cell.source or notebook_model.END_HIDDEN in cell.source:
                assert notebook_model.is_check(cell), f"{where}: hidden-test markers in a cell that is not a check cell"


@pytest.mark.skipif(not REAL_NOTEBOOKS, reason="no notebooks in notebooks/ yet")
def test_the_handout_runs_on_its_own(real_edition, tmp_path, monkeypatch):
    """Unzipped into an empty folder, with the course's packages but not the project installed:
    notebook 06, untouched, runs up to its first check, which says what to define."""
    from nbclient import NotebookClient
    _, out = real_edition
    zipfile.ZipFile(out.with_suffix(".zip")).extractall(tmp_path / "unzipped")
    handout, env = tmp_path / "unzipped" / out.name, tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    # the course's packages without processing their .pth files, so without the editable install of helpers
    site = subprocess.run([env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "course-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    alone = subprocess.run([env / "bin" / "python", "-c", "import torch, helpers"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert "No module named 'helpers'" in alone.stderr  # torch imports; the project is not installed
    kernel = tmp_path / "kernels" / "kernels" / "handout"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({"argv": [str(env / "bin" / "python"), "-m", "ipykernel_launcher",
                                                             "-f", "{connection_file}"], "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "kernels"))
    nb = nbformat.read(handout / "06_exercises.ipynb", as_version=4)
    first_check = next(k for k, cell in enumerate(nb.cells) if notebook_model.is_check(cell))
    nb.cells = nb.cells[:first_check + 1] + [new_code_cell("import helpers; print(helpers.__file__)")]
    NotebookClient(nb, kernel_name="handout", timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(handout)}}).execute()
    errors = [(k, o.ename) for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.outputs if o.output_type == "error"]
    assert all(notebook_model.is_solution(nb.cells[k]) and ename == "NotImplementedError" for k, ename in errors[:-1])
    assert errors[-1] == (first_check, "CheckFailed")
    assert "✗ Exercise 1: define `loss_hessian(o)` and `softmax_covariance(o, E)` above" in \
        "".join(nb.cells[first_check].outputs[-1].traceback)
    assert nb.cells[-1].outputs[0].text.strip() == str(handout / "helpers" / "__init__.py")

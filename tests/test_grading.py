"""Grading with nbgrader, for real, in temporary course folders.

- `make student` agrees with nbgrader's own release of every exercise notebook;
- `tools/grade.py` (make grade) scores the worked solutions full, the untouched edition 0, a wrong
  answer 0 for its exercise only, interrupts an endless loop, ignores an edited check cell, and
  reports and skips a file that is not a notebook or lacks cells.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from tools import grade
from tools import course as notebook_model
from tools import make_student

pytest.importorskip("nbgrader", reason="nbgrader is installed by `make test` (requirements-grade.txt)")

EXERCISES = "06_exercises"
COURSE = grade.exercise_notebooks(ROOT / "notebooks")


def nbgrader_cli(course_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=grade.with_venv_on_path(),
                          capture_output=True, text=True, timeout=600)


def test_course_has_exercise_notebooks():
    assert EXERCISES in COURSE and "03_information_theory" in COURSE


def test_student_edition_agrees_with_nbgrader_release(tmp_path):
    """nbgrader generate_assignment on each exercise notebook, dropped into source/ as it is."""
    (tmp_path / "nbgrader_config.py").write_text(f'c = get_config()\nc.CourseDirectory.root = {str(tmp_path)!r}\n')
    for stem in COURSE:
        (tmp_path / "source" / stem).mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", tmp_path / "source" / stem)
        result = nbgrader_cli(tmp_path, "generate_assignment", stem, "--create")
        assert result.returncode == 0, result.stdout + result.stderr
        released = nbformat.read(tmp_path / "release" / stem / f"{stem}.ipynb", as_version=4)
        ours = make_student.student_notebook(nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4))
        assert len(released.cells) == len(ours.cells), stem
        for k, (theirs, mine) in enumerate(zip(released.cells, ours.cells)):
            where = f"{stem} cell {k}"
            expected = make_student.relocate_nav_links(theirs.source) if "nav" in mine.metadata.get("tags", []) \
                else theirs.source
            assert (mine.cell_type, mine.source) == (theirs.cell_type, expected), where
            for key in ("editable", "deletable"):
                assert mine.metadata.get(key, True) == theirs.metadata.get(key, True), f"{where}: {key}"
            if mine.cell_type == "code":
                assert mine.outputs == theirs.outputs == [], where


# ------------------------------------------------------------------------------- make grade

def student_edition() -> nbformat.NotebookNode:
    return make_student.student_notebook(nbformat.read(ROOT / "notebooks" / f"{EXERCISES}.ipynb", as_version=4))


def filled_in() -> nbformat.NotebookNode:
    """The student edition with every answer cell holding the worked solution: what a perfect student hands in."""
    course = nbformat.read(ROOT / "notebooks" / f"{EXERCISES}.ipynb", as_version=4)
    nb = student_edition()
    for mine, worked in zip(nb.cells, course.cells):
        if notebook_model.is_solution(worked):
            mine.source = worked.source
    return nb


def cell_by_id(nb, grade_id: str):
    return next(cell for cell in nb.cells if notebook_model.nbgrader_meta(cell).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One run of tools/grade.py over every kind of submission; its exit code, output and CSV rows."""
    base = tmp_path_factory.mktemp("grading")
    submissions = base / "submissions"

    def hand_in(student: str, nb=None, text: str | None = None):
        folder = submissions / student
        folder.mkdir(parents=True)
        path = folder / f"{EXERCISES}.ipynb"
        path.write_text(text if text is not None else nbformat.writes(nb), encoding="utf-8")

    hand_in("full", filled_in())
    hand_in("untouched", student_edition())
    wrong = filled_in()
    cell_by_id(wrong, "exercise-3-answer-1").source += "\ntrits_needed = 3  # one more than needed"
    hand_in("wrong", wrong)
    looping = filled_in()
    cell_by_id(looping, "exercise-7-answer-1").source = "while True:\n    pass"
    hand_in("looping", looping)
    tampered = filled_in()
    cell_by_id(tampered, "exercise-3-answer-1").source += "\ntrits_needed = 3"
    cell_by_id(tampered, "exercise-3").source = "print('✓ Exercise 3 passed.')  # the check, edited away"
    hand_in("tampered", tampered)
    hand_in("corrupt", text='{"cells": [ this is not JSON')
    missing = filled_in()
    missing.cells.remove(cell_by_id(missing, "exercise-8"))
    hand_in("missing", missing)

    out = base / "grades.csv"
    result = subprocess.run([sys.executable, "-m", "tools.grade", str(submissions), "--out", str(out),
                             "--course", str(base / "course"), "--timeout", "10"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    rows = list(csv.DictReader(out.open(encoding="utf-8"))) if out.exists() else []
    return result, rows


def points(rows, student) -> dict[str, tuple[float, float]]:
    return {r["exercise"]: (float(r["points"]), float(r["max_points"])) for r in rows if r["student"] == student}


def test_grading_run_succeeds_and_writes_the_csv(graded):
    result, rows = graded
    assert result.returncode == 0, result.stdout + result.stderr
    assert rows and list(rows[0]) == grade.CSV_COLUMNS
    assert {r["notebook"] for r in rows} == {EXERCISES}
    assert "full " in result.stdout and "total" in result.stdout  # the summary table


def test_worked_solutions_score_full_marks(graded):
    scores = points(graded[1], "full")
    assert len(scores) == 8 and all(got == out_of > 0 for got, out_of in scores.values()), scores


def test_untouched_student_edition_scores_zero(graded):
    scores = points(graded[1], "untouched")
    assert len(scores) == 8 and all(got == 0 for got, _ in scores.values()), scores


def test_a_wrong_answer_costs_its_exercise_only(graded):
    scores = points(graded[1], "wrong")
    assert scores["exercise-3"] == (0, 1)
    assert all(got == out_of for name, (got, out_of) in scores.items() if name != "exercise-3"), scores


def test_an_endless_loop_times_out_and_scores_zero_for_its_exercise(graded):
    scores = points(graded[1], "looping")
    assert scores["exercise-7"][0] == 0
    assert all(got == out_of for name, (got, out_of) in scores.items() if name != "exercise-7"), scores


def test_an_edited_check_cell_is_restored_and_reported(graded):
    result, rows = graded
    assert points(rows, "tampered")["exercise-3"] == (0, 1)  # graded by the original check, which fails
    assert "tampered/06_exercises.ipynb: edited check cell(s) exercise-3" in result.stdout


def test_broken_submissions_are_reported_by_name_and_skipped(graded):
    result, rows = graded
    assert "corrupt/06_exercises.ipynb: skipped, not a readable notebook" in result.stderr
    assert "missing/06_exercises.ipynb: skipped, check cells missing: exercise-8" in result.stderr
    assert {r["student"] for r in rows} == {"full", "untouched", "wrong", "looping", "tampered"}


def test_a_submissions_path_that_is_not_a_folder_is_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tools.grade", str(tmp_path / "nowhere")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "is not a folder" in result.stderr


def test_a_course_folder_that_is_not_ours_is_not_deleted(tmp_path):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / f"{EXERCISES}.ipynb", tmp_path / "subs" / "alice")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "tools.grade", str(tmp_path / "subs"),
                             "--course", str(precious)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "holds no nbgrader course made by this tool" in result.stderr
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "years of work"


def test_a_notebook_that_is_not_in_the_course_is_reported(tmp_path):
    (tmp_path / "alice").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "alice" / "homework.ipynb")
    accepted, problems = grade.collect(tmp_path, COURSE)
    assert accepted == [] and "alice/homework.ipynb: skipped, no course notebook with exercises" in problems[0]


def test_a_check_cell_without_its_grade_id_is_reported_not_fatal(tmp_path):
    (tmp_path / "alice").mkdir()
    nb = student_edition()
    del next(cell for cell in nb.cells if notebook_model.is_check(cell)).metadata["nbgrader"]["grade_id"]
    nbformat.write(nb, tmp_path / "alice" / f"{EXERCISES}.ipynb")
    accepted, problems = grade.collect(tmp_path, COURSE)
    assert accepted == [] and f"alice/{EXERCISES}.ipynb: skipped, a check cell has no nbgrader grade_id" in problems[0]

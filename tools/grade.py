"""Autograde students' filled-in notebooks with nbgrader and write build/grades.csv.

    python -m tools.grade SUBMISSIONS [--out build/grades.csv] [--course build/grading] [--timeout 60]

SUBMISSIONS holds one folder per student with that student's copies of exercise notebooks of the
student edition, named as in the course (alice/06_exercises.ipynb). Each course notebook with
exercises becomes an assignment of an nbgrader course built in --course: released
(generate_assignment), the submissions copied in, then autograded. nbgrader restores every
locked check cell before it runs a notebook; an edited one is also reported. An answer cell that
runs longer than --timeout seconds is interrupted and its exercise scores 0. A file that is not a
notebook, not a course notebook with exercises, or lacks some check cells is named and skipped.
The CSV (student,notebook,exercise,points,max_points) is written in one step; a summary table
goes to the terminal.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from . import course, files
from . import make_student
from .course import CourseError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CSV_COLUMNS = ["student", "notebook", "exercise", "points", "max_points"]
NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "softmax-course"
c.CourseDirectory.root = {root!r}
# An answer that runs longer than this is interrupted; its exercise scores 0 and grading goes on.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
"""


@dataclass
class Submission:
    student: str
    notebook: str  # the course notebook's stem, e.g. "06_exercises", also the assignment's name
    path: Path
    edited_checks: list[str] = field(default_factory=list)


def exercise_notebooks(notebooks_dir: Path) -> dict:
    """The course notebooks that have check cells, by stem."""
    notebooks = {path.stem: course.read_notebook(path) for path in course.notebook_paths(notebooks_dir)}
    return {stem: nb for stem, nb in notebooks.items() if course.checks(nb)}


def collect(submissions_dir: Path, exercises: dict) -> tuple[list[Submission], list[str]]:
    """The gradable submissions, and one line for each file skipped and why."""
    accepted, problems = [], []
    # each notebook's check cells as written and as released (hidden tests removed), computed once
    reference = {stem: (course.checks(nb), course.checks(make_student.student_notebook(nb)))
                 for stem, nb in exercises.items()}
    for student_dir in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        if not STUDENT_ID.match(student_dir.name):
            problems.append(f"{student_dir}: skipped, a student folder's name must be letters, digits, '.', '_' or '-'")
            continue
        if not any(student_dir.glob("*.ipynb")):
            problems.append(f"{student_dir}: skipped, no .ipynb file in it")
        for path in sorted(student_dir.glob("*.ipynb")):
            where = f"{student_dir.name}/{path.name}"
            if path.stem not in exercises:
                problems.append(f"{where}: skipped, no course notebook with exercises is called {path.name} "
                                f"(expected one of: {', '.join(s + '.ipynb' for s in exercises)})")
                continue
            try:
                nb = course.read_notebook(path)
            except CourseError as err:
                problems.append(f"{where}: skipped, not a readable notebook: {str(err).removeprefix(f'{path}: ')}")
                continue
            try:
                handed_in = course.checks(nb)
            except CourseError as err:
                problems.append(f"{where}: skipped, {err}")
                continue
            original, released = reference[path.stem]
            if missing := [grade_id for grade_id in original if grade_id not in handed_in]:
                problems.append(f"{where}: skipped, check cells missing: {', '.join(missing)} "
                                "(hand out the student edition again and copy the answers into it)")
                continue
            edited = [gid for gid, text in handed_in.items() if text not in (released.get(gid), original.get(gid))]
            accepted.append(Submission(student_dir.name, path.stem, path, edited))
    return accepted, problems


def with_venv_on_path() -> dict:
    """The environment with this Python's bin/ first on PATH: nbgrader runs the `alembic` installed
    beside it, also in a virtual environment that is not activated."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def nbgrader(course_dir: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, capture_output=True,
                            text=True, env=with_venv_on_path())
    if result.returncode != 0:
        raise CourseError(f"`nbgrader {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")


def grade(submissions: list[Submission], exercises: dict, course_dir: Path, timeout: int) -> list[dict]:
    """Autograde every submission in a fresh nbgrader course; one row per check cell."""
    if course_dir.exists():
        if any(course_dir.iterdir()) and not (course_dir / "nbgrader_config.py").exists():
            raise CourseError(f"{course_dir} is not empty and holds no nbgrader course made by this tool; "
                              "name another --course folder (it is replaced at every run)")
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course_dir), timeout=timeout))
    assignments = sorted({s.notebook for s in submissions})
    for assignment in assignments:
        (course_dir / "source" / assignment).mkdir(parents=True)
        files.write_notebook(course_dir / "source" / assignment / f"{assignment}.ipynb", exercises[assignment])
        nbgrader(course_dir, "generate_assignment", assignment, "--force", "--create")
    for s in submissions:
        (course_dir / "submitted" / s.student / s.notebook).mkdir(parents=True, exist_ok=True)
        shutil.copy(s.path, course_dir / "submitted" / s.student / s.notebook / f"{s.notebook}.ipynb")
    for assignment in assignments:
        nbgrader(course_dir, "autograde", assignment, "--force", "--create")
    from nbgrader.api import Gradebook, MissingEntry
    rows = []
    # the Gradebook runs `alembic` too
    with mock.patch.dict(os.environ, PATH=with_venv_on_path()["PATH"]), \
            Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for s in submissions:
            try:
                graded = gradebook.find_submission_notebook(s.notebook, s.notebook, s.student)
            except MissingEntry:
                raise CourseError(f"nbgrader recorded no grades for {s.student}/{s.notebook}.ipynb") from None
            scores = {g.name: (g.score, g.max_score) for g in graded.grades}
            rows += [{"student": s.student, "notebook": s.notebook, "exercise": grade_id,
                      "points": _number(scores[grade_id][0]), "max_points": _number(scores[grade_id][1])}
                     for grade_id in course.checks(exercises[s.notebook])]
    return rows


def _number(value) -> str:
    value = float(value or 0)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def summary(rows: list[dict], submissions: list[Submission]) -> str:
    """A table: one line per student and notebook, one column per exercise, and the total."""
    lines = []
    for notebook in sorted({r["notebook"] for r in rows}):
        exercises = list(dict.fromkeys(r["exercise"] for r in rows if r["notebook"] == notebook))
        table = [["student", *(e.replace("exercise-", "ex ") for e in exercises), "total"]]
        for student in sorted({r["student"] for r in rows if r["notebook"] == notebook}):
            mine = {r["exercise"]: r for r in rows if r["notebook"] == notebook and r["student"] == student}
            got, out_of = (_number(sum(float(mine[e][column]) for e in exercises)) for column in ("points", "max_points"))
            table.append([student, *(f"{mine[e]['points']}/{mine[e]['max_points']}" for e in exercises), f"{got}/{out_of}"])
        widths = [max(map(len, column)) for column in zip(*table)]
        lines += [f"{notebook}:"] + ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    return "\n".join(lines + [f"{s.student}/{s.notebook}.ipynb: edited check cell(s) {', '.join(s.edited_checks)}; "
                               "nbgrader restored the originals before grading" for s in submissions if s.edited_checks])


def run(args) -> str:
    """Grade, write the CSV; the summary to print."""
    if not args.submissions.is_dir():
        raise CourseError(f"{args.submissions} is not a folder; give SUBMISSIONS=<folder with one folder per student>")
    exercises = exercise_notebooks(args.notebooks)
    submissions, problems = collect(args.submissions, exercises)
    if problems:
        print(*problems, sep="\n", file=sys.stderr)
    if not submissions:
        raise CourseError(f"nothing to grade in {args.submissions}")
    rows = grade(submissions, exercises, args.course.resolve(), args.timeout)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(args.out, text.getvalue())
    skipped = f"; {len(problems)} file(s) skipped (see above)" if problems else ""
    return f"{summary(rows, submissions)}\n{len(rows)} grades for {len(submissions)} submission(s) in {args.out}{skipped}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "grades.csv")
    parser.add_argument("--course", type=Path, default=course.ROOT / "build" / "grading",
                        help="where the nbgrader course is built (replaced at every run)")
    parser.add_argument("--notebooks", type=Path, default=course.ROOT / "notebooks")
    parser.add_argument("--timeout", type=int, default=60, help="seconds an answer cell may run (default 60)")
    args = parser.parse_args(argv)
    return files.run_and_report("grade", lambda: run(args), str, failure="no grades written")


if __name__ == "__main__":
    sys.exit(main())

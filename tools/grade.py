"""Autograde students' filled-in notebooks with nbgrader and write build/grades.csv.

    python tools/grade.py SUBMISSIONS [--out build/grades.csv] [--course build/grading] [--timeout 60]

SUBMISSIONS holds one folder per student, each with that student's copy of one or more exercise
notebooks of the student edition, named as in the course (alice/06_exercises.ipynb). For every
course notebook that has exercises, this script builds an nbgrader course in --course, with the
notebook as the source of an assignment of the same name (06_exercises), releases it
(nbgrader generate_assignment), copies the submissions in, and autogrades them
(nbgrader autograde). nbgrader restores every locked check cell to its original before it runs
the notebook, so a student who edits a check cell gains nothing; this script also reports the edit.
An answer cell that runs longer than --timeout seconds is interrupted and its exercise scores 0.

A submission that is not a notebook (not JSON), that is not a course notebook with exercises, or
that lacks some of the course's check cells, is reported by name and skipped.

The result, one row per student, notebook and exercise, goes to --out as CSV with the columns
student,notebook,exercise,points,max_points, written in one step; a summary table goes to the terminal.
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

import nbformat

import atomic  # siblings in tools/, on the path of every script run from there
import make_student

ROOT = Path(__file__).resolve().parent.parent
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CSV_COLUMNS = ["student", "notebook", "exercise", "points", "max_points"]


@dataclass
class Submission:
    student: str
    notebook: str  # the course notebook's stem, e.g. "06_exercises", also the assignment's name
    path: Path
    edited_checks: list[str] = field(default_factory=list)


def check_ids(nb) -> list[str]:
    """The grade_ids of a notebook's check cells, in order."""
    return [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if make_student.is_check(cell)]


def exercise_notebooks(notebooks_dir: Path) -> dict[str, nbformat.NotebookNode]:
    """The course notebooks that have check cells, by stem."""
    found = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if check_ids(nb):
            found[path.stem] = nb
    return found


def course_checks(nb) -> dict[str, str]:
    """grade_id -> source of each check cell of a notebook."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in nb.cells if make_student.is_check(cell)}


def released_checks(nb) -> dict[str, str]:
    """grade_id -> source of each check cell as the student edition shows it (hidden tests removed)."""
    return course_checks(make_student.student_notebook(nb))


def collect(submissions_dir: Path, course: dict[str, nbformat.NotebookNode]) -> tuple[list[Submission], list[str]]:
    """The gradable submissions, and one line for each file skipped and why."""
    accepted, problems = [], []
    for student_dir in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        student = student_dir.name
        if not STUDENT_ID.match(student):
            problems.append(f"{student_dir}: skipped, a student folder's name must be letters, digits, '.', '_' or '-'")
            continue
        for path in sorted(student_dir.glob("*.ipynb")):
            where = f"{student}/{path.name}"
            if path.stem not in course:
                problems.append(f"{where}: skipped, no course notebook with exercises is called {path.name} "
                                f"(expected one of: {', '.join(s + '.ipynb' for s in course)})")
                continue
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception as err:  # not JSON, or not a notebook
                problems.append(f"{where}: skipped, not a readable notebook ({type(err).__name__}: {str(err)[:120]})")
                continue
            source = course[path.stem]
            missing = [gid for gid in check_ids(source) if gid not in check_ids(nb)]
            if missing:
                problems.append(f"{where}: skipped, check cells missing: {', '.join(missing)} "
                                f"(hand out the student edition again and copy the answers into it)")
                continue
            released, original = released_checks(source), course_checks(source)
            edited = [gid for gid, text in course_checks(nb).items()
                      if text != released.get(gid) and text != original.get(gid)]
            accepted.append(Submission(student, path.stem, path, edited))
        if not any(student_dir.glob("*.ipynb")):
            problems.append(f"{student_dir}: skipped, no .ipynb file in it")
    return accepted, problems


NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "softmax-course"
c.CourseDirectory.root = {root!r}
# An answer that runs longer than this is interrupted; its exercise scores 0 and grading goes on.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
"""


def with_venv_on_path() -> dict:
    """The environment with this Python's bin/ first on PATH: nbgrader runs the `alembic` command
    installed beside it, there in a virtual environment even when that is not activated."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def nbgrader(course_dir: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course_dir, capture_output=True, text=True, env=with_venv_on_path())
    if result.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")
    return result


def grade(submissions: list[Submission], course: dict[str, nbformat.NotebookNode], course_dir: Path,
          timeout: int) -> list[dict]:
    """Autograde every submission in a fresh nbgrader course; one row per check cell."""
    from nbgrader.api import Gradebook, MissingEntry

    if course_dir.exists():
        if any(course_dir.iterdir()) and not (course_dir / "nbgrader_config.py").exists():
            raise RuntimeError(f"{course_dir} is not empty and holds no nbgrader course made by this tool; "
                               "name another --course folder (it is replaced at every run)")
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course_dir), timeout=timeout))
    assignments = sorted({s.notebook for s in submissions})
    for assignment in assignments:
        source = course_dir / "source" / assignment
        source.mkdir(parents=True)
        nbformat.write(course[assignment], source / f"{assignment}.ipynb")
        nbgrader(course_dir, "generate_assignment", assignment, "--force", "--create")
    for s in submissions:
        target = course_dir / "submitted" / s.student / s.notebook
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(s.path, target / f"{s.notebook}.ipynb")
    for assignment in assignments:
        nbgrader(course_dir, "autograde", assignment, "--force", "--create")

    rows = []
    previous_path = os.environ.get("PATH", "")
    os.environ["PATH"] = with_venv_on_path()["PATH"]  # the Gradebook runs `alembic` too
    try:
        rows = _read_grades(submissions, course, course_dir, Gradebook, MissingEntry)
    finally:
        os.environ["PATH"] = previous_path
    return rows


def _read_grades(submissions, course, course_dir, Gradebook, MissingEntry) -> list[dict]:
    rows = []
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for s in submissions:
            try:
                graded = gradebook.find_submission_notebook(s.notebook, s.notebook, s.student)
            except MissingEntry:
                raise RuntimeError(f"nbgrader recorded no grades for {s.student}/{s.notebook}.ipynb") from None
            scores = {g.name: (g.score, g.max_score) for g in graded.grades}
            for grade_id in check_ids(course[s.notebook]):
                points, max_points = scores[grade_id]
                rows.append({"student": s.student, "notebook": s.notebook, "exercise": grade_id,
                             "points": _number(points), "max_points": _number(max_points)})
    return rows


def _number(value) -> str:
    value = float(value or 0)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def summary(rows: list[dict], submissions: list[Submission]) -> str:
    """A table: one line per student and notebook, one column per exercise, and the total."""
    lines = []
    for notebook in sorted({r["notebook"] for r in rows}):
        exercises = list(dict.fromkeys(r["exercise"] for r in rows if r["notebook"] == notebook))
        header = ["student"] + [e.replace("exercise-", "ex ") for e in exercises] + ["total"]
        table = []
        for student in sorted({r["student"] for r in rows if r["notebook"] == notebook}):
            mine = {r["exercise"]: r for r in rows if r["notebook"] == notebook and r["student"] == student}
            got = sum(float(mine[e]["points"]) for e in exercises)
            out_of = sum(float(mine[e]["max_points"]) for e in exercises)
            table.append([student] + [f"{mine[e]['points']}/{mine[e]['max_points']}" for e in exercises]
                         + [f"{_number(got)}/{_number(out_of)}"])
        widths = [max(len(row[k]) for row in [header] + table) for k in range(len(header))]
        lines.append(f"{notebook}:")
        for row in [header] + table:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    for s in submissions:
        if s.edited_checks:
            lines.append(f"{s.student}/{s.notebook}.ipynb: edited check cell(s) {', '.join(s.edited_checks)}; "
                         f"nbgrader restored the originals before grading")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "grades.csv")
    parser.add_argument("--course", type=Path, default=ROOT / "build" / "grading",
                        help="where the nbgrader course is built (replaced at every run)")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--timeout", type=int, default=60, help="seconds an answer cell may run (default 60)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade: {args.submissions} is not a folder; give SUBMISSIONS=<folder with one folder per student>",
              file=sys.stderr)
        return 1
    course = exercise_notebooks(args.notebooks)
    submissions, problems = collect(args.submissions, course)
    for line in problems:
        print(line, file=sys.stderr)
    if not submissions:
        print(f"grade: nothing to grade in {args.submissions}", file=sys.stderr)
        return 1
    try:
        rows = grade(submissions, course, args.course.resolve(), args.timeout)
    except RuntimeError as err:
        print(f"grade: {err}", file=sys.stderr)
        return 1
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.out, text.getvalue())
    print(summary(rows, submissions))
    print(f"{len(rows)} grades for {len(submissions)} submission(s) in {args.out}"
          + (f"; {len(problems)} file(s) skipped (see above)" if problems else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

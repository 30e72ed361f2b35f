"""Autograde students' notebooks with nbgrader, each in a sandbox: grades, feedback, graded notebooks.

    python -m tools.grade SUBMISSIONS [--out build/grades.csv] [--feedback build/feedback]
                          [--course build/grading] [--timeout 60] [--jobs N] [--no-sandbox]

SUBMISSIONS holds a folder per student with exercise notebooks of the student edition, English or Chinese,
named as in the course (alice/06_exercises.ipynb). Each is autograded on its own in the nbgrader course
--course, --jobs at a time, its kernel in a sandbox (tools/sandbox.py). TEACHING.md says what you get.
"""
from __future__ import annotations

import argparse
import ast
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from . import course, files, make_html, make_student, sandbox
from .course import CourseError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CSV_COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "note"]
RENAMED = re.compile(r" \(\d+\)$")  # a browser's name for a second download: "06_exercises (1).ipynb"
MARKER = ".made-by-tools-grade"  # the only kind of --course folder this tool deletes
NBGRADER_CONFIG = """\
c = get_config()
# A cell that runs longer than this is interrupted, and grading goes on (tools/grade.py scores its exercise 0).
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# Feedback: every check's message and points, without the hidden tests or their tracebacks.
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades", "tools.grade.FeedbackPage",
                                    "nbgrader.preprocessors.ClearHiddenTests",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
"""
WRITTEN = ("*A written answer: your teacher reads it. It carries no points of its own, so no score is shown "
           "here.*\n\n")
TIMED_OUT = "a cell of this exercise ran past the time limit and was interrupted; it scores 0"
SILENT = "its check passed without printing its own success line (its code was changed as it ran); it scores 0"
NO_SANDBOX = ("WARNING: no sandbox (--no-sandbox): student code runs with your permissions; it can read, change "
              "and delete whatever you can, and reach the network.")
WATCHED_MODULES = {"torch", "math", "numpy", "helpers", "builtins", "sys", "IPython"}
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmtree", "listdir",
              "scandir", "walk", "glob", "iglob", "rglob", "iterdir"}
SUSPECT_NAMES = {"exec", "eval", "compile", "__import__", "set_custom_exc", "get_ipython", "vars", "globals",
                 "__builtins__", "__dict__", "__torch_function__", "symlink", "input_transformers_cleanup",
                 "input_transformers_post", "ast_transformers", "events"}


@dataclass
class Submission:
    student: str
    notebook: str  # the course notebook's stem, e.g. "06_exercises", also the assignment's name
    path: Path
    edited_checks: list[str]
    tamper_flags: list[str]
    failure: str | None = None  # why nbgrader did not finish it
    zeroed: dict[str, str] = field(default_factory=dict)  # grade_id -> why it scores 0 despite nbgrader's points


class FeedbackPage(NbGraderPreprocessor):
    """Feedback without nav cells (their links lead nowhere there), with written answers labelled as read by
    the teacher, and a failed check's message, never a traceback through the hidden test lines."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not course.is_nav(cell)]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = course.nbgrader_meta(cell)
        if cell.cell_type == "markdown" and meta.get("grade") and not meta.get("points"):
            meta["grade"], cell.source = False, WRITTEN + cell.source  # no "Score: 0.0 / 0.0" to read as a zero
        for output in cell.get("outputs", []) if course.is_check(cell) else []:
            if output.output_type == "error" and output.ename != "CheckFailed":
                detail = f": {output.evalue}" if output.evalue else ""
                output.traceback = [f"✗ {output.ename}{detail}, {failed_line(cell, output)}"]
        return cell, resources


def failed_line(cell, error) -> str:
    """Where in check `cell` the `error` output was raised: its line, unless that is a hidden test's."""
    trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    at = [int(n) for n in re.findall(rf"Cell In\[{cell.execution_count}\], line (\d+)", trace)]
    lines = cell.source.splitlines()[:at[-1]] if at else []  # up to the failing line (marker lines raise nothing)
    if not at or len(lines) < at[-1] or "\n".join(lines).count(course.BEGIN_HIDDEN) > "\n".join(lines).count(course.END_HIDDEN):
        return "in a test of this exercise that is not shown"
    return f"at `{lines[-1].strip()}`"


def exercise_notebooks(notebooks_dir: Path) -> dict:
    """The course notebooks that have check cells, by stem."""
    notebooks = {path.stem: course.read_notebook(path) for path in course.notebook_paths(notebooks_dir)}
    return {stem: nb for stem, nb in notebooks.items() if course.checks(nb)}


def check_points(nb) -> dict[str, float]:
    """grade_id -> points of each check cell, in notebook order."""
    return {course.nbgrader_meta(c)["grade_id"]: course.nbgrader_meta(c)["points"] for c in nb.cells if course.is_check(c)}


def _parse(source: str) -> ast.AST:
    try:
        return ast.parse(source)
    except SyntaxError:  # the cell fails when it runs; there is nothing to flag
        return ast.Module(body=[], type_ignores=[])


def _bound(node) -> str | None:
    """The name that `node` binds or deletes, if any (`import torch` rebinds torch to itself: none)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return node.id
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return node.asname if isinstance(node, ast.alias) else node.arg if isinstance(node, ast.arg) else None


def checked_names(original) -> set[str]:
    """The names the check cells use without binding them, bar those the exercises ask for: torch, Check, len..."""
    def binds(tree):
        return {_bound(node) for node in ast.walk(tree)}
    checks = [_parse(cell.source) for cell in original.cells if course.is_check(cell)]
    used = [{n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - binds(tree)
            for tree in checks]
    return set().union(*used) - set().union(*(binds(_parse(cell.source)) for cell in original.cells
                                               if course.is_solution(cell) and cell.cell_type == "code"))


def tamper_flags(nb, released, original) -> list[str]:
    """'exercise-N: what' for the code cells the student wrote that change attributes of torch, math, numpy,
    builtins, sys, IPython or helpers, rebind a name the checks use, call exec, eval, vars or globals, use sys,
    IPython's hooks or __torch_function__, touch files or name a notebook; and whether `nb` holds the
    course's solution or hidden-test markers."""
    from IPython.core.inputtransformer2 import TransformerManager  # magics and ! lines: get_ipython() calls
    released_sources, written, exercise = {c.source for c in released.cells}, [], "after the last exercise"
    as_python = TransformerManager().transform_cell
    for cell in reversed(nb.cells):  # a cell belongs to the exercise of the next check cell
        if course.is_check(cell):
            exercise = course.nbgrader_meta(cell)["grade_id"]
        elif cell.cell_type == "code" and cell.source not in released_sources:
            written.insert(0, (exercise, _parse(as_python(cell.source))))
    trees = [_parse(c.source) for c in released.cells if c.cell_type == "code"] + [tree for _, tree in written]
    imported = {a.asname or a.name.split(".")[0]: (getattr(n, "module", None) or a.name).split(".")[0]
                for tree in trees for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    protected = checked_names(original)

    def root(node) -> str | None:  # the module that np.linalg, Check.close, helpers.checks hang from
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return imported.get(node.id, node.id) if isinstance(node, ast.Name) else None
    marked = any(marker in cell.source for cell in nb.cells for marker in (course.BEGIN_SOLUTION, course.BEGIN_HIDDEN))
    return [*(["the whole notebook: it holds the course's BEGIN SOLUTION or BEGIN HIDDEN TESTS lines (the course's "
               "own notebook, not the student edition?)"] if marked else []),
            *dict.fromkeys(f"{exercise}: {flag}" for exercise, tree in written for node in ast.walk(tree)
                           for flag in _node_flags(node, root, protected))]


def _node_flags(node: ast.AST, root, protected: set[str]):
    """What one node of a student's code does that a teacher should read."""
    targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [getattr(node, "target", None)]
    yield from (f"changes {ast.unparse(t)}" for t in targets
                if isinstance(t, ast.Attribute) and root(t.value) in WATCHED_MODULES)
    if (name := _bound(node)) in protected:
        yield f"rebinds {name}, which the checks use"
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and root(node.value) == "sys":
        yield f"uses {ast.unparse(node)}"
    if isinstance(node, ast.Call):
        called = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if called in ("setattr", "delattr") and node.args and root(node.args[0]) in WATCHED_MODULES:
            yield f"{called}({ast.unparse(node.args[0])}, …)"
        if called in FILE_CALLS:
            yield f"touches files ({called})"
    if (name := getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "name", None)) in SUSPECT_NAMES:
        yield name
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and ".ipynb" in node.value:
        yield f"names a notebook ({node.value!r})"


def read_submission(path: Path, stem: str, exercises: dict, released: dict) -> Submission:
    """The submission of course notebook `stem` in student_folder/file.ipynb; CourseError saying why it cannot
    be graded."""
    if stem not in exercises:
        raise CourseError(f"no course notebook with exercises is called {stem}.ipynb "
                          f"(expected one of: {', '.join(s + '.ipynb' for s in exercises)})")
    nb = course.read_notebook(path)
    handed_in, original, as_released = (course.checks(n) for n in (nb, exercises[stem], released[stem]))
    if missing := [grade_id for grade_id in original if grade_id not in handed_in]:
        raise CourseError(f"check cells missing: {', '.join(missing)} "
                          "(hand out the student edition again and copy the answers into it)")
    edited = [gid for gid, text in handed_in.items() if text not in (as_released.get(gid), original.get(gid))]
    return Submission(path.parent.name, stem, path, edited, tamper_flags(nb, released[stem], exercises[stem]))


def collect(submissions_dir: Path, exercises: dict) -> tuple[list[Submission], list[tuple[str, str, str, str]]]:
    """The gradable submissions, and (student, notebook, file, why) for each one skipped. A browser's renamed
    download, "06_exercises (1).ipynb", is graded as 06_exercises.ipynb, unless that is there too."""
    accepted, skipped = [], []
    released = {stem: make_student.student_notebook(nb) for stem, nb in exercises.items()}
    for student_dir in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        student, paths = student_dir.name, sorted(student_dir.glob("*.ipynb"), key=lambda p: (bool(RENAMED.search(p.stem)), p.name))
        if not STUDENT_ID.match(student):
            skipped.append((student, "", f"{student}/", "a student folder's name must be letters, digits, '.', '_' or '-'"))
            continue
        if not paths:
            skipped.append((student, "", f"{student}/", "no .ipynb file in it"))
        for path in paths:
            stem, where = RENAMED.sub("", path.stem), f"{student}/{path.name}"
            if any(s.student == student and s.notebook == stem for s in accepted):
                skipped.append((student, stem, where, f"{student}/{stem}.ipynb is graded instead"))
                continue
            try:
                accepted.append(read_submission(path, stem, exercises, released))
            except CourseError as err:  # not a notebook, a check cell without its grade_id or missing
                skipped.append((student, stem, where, str(err).removeprefix(f"{path}: ")))
                continue
            if stem != path.stem:
                print(f"{where}: graded as {stem}.ipynb (a browser's name for a second download)", file=sys.stderr)
    return accepted, skipped


def with_venv_on_path() -> dict:
    """The environment with this Python's bin/ first on PATH (nbgrader runs the `alembic` installed
    beside it, in a virtual environment that need not be active) and tools/ importable (feedback)."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                PYTHONPATH=os.pathsep.join(filter(None, [str(course.ROOT), os.environ.get("PYTHONPATH")])))


def nbgrader_cli(course_dir: Path, *args: str, env: dict | None = None, timeout: float | None = None, check=True):
    """`nbgrader ARGS` in the course folder; its CompletedProcess (CourseError if it fails and `check`)."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, capture_output=True,
                            text=True, env={**with_venv_on_path(), **(env or {})}, timeout=timeout)
    if check and result.returncode != 0:
        raise CourseError(f"`nbgrader {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")
    return result


def new_course(course_dir: Path, timeout: int) -> None:
    """An empty nbgrader course in `course_dir`, replacing only one that this tool made."""
    if course_dir.exists() and any(course_dir.iterdir()):
        if not (course_dir / MARKER).is_file():
            raise CourseError(f"{course_dir} is not empty and was not made by this tool (it has no {MARKER} file), "
                              "so it is left as it is; name another --course folder (it is replaced at every run)")
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    course_dir.chmod(0o700)  # nobody else gets in; a sandbox sees its socket folder only, through its own bind
    (course_dir / MARKER).write_text("made by python -m tools.grade, which replaces this folder at every run\n")
    (course_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(timeout=timeout))


def autograde(course_dir: Path, s: Submission, number: int, seconds: float, sandboxed: bool) -> str | None:
    """`nbgrader autograde` of the `number`th submission, in a sandbox of its own; None, or why it did not finish."""
    env, options = sandbox.kernel(course_dir / "sandboxes" / f"{s.student}.{s.notebook}",
                                  course_dir / "autograded" / s.student / s.notebook, number) if sandboxed else ({}, [])
    for _ in range(3):  # parallel jobs share nbgrader's SQLite gradebook, which may be locked for a moment
        try:
            result = nbgrader_cli(course_dir, "autograde", s.notebook, "--student", s.student, "--force", *options,
                                  env=env, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            return f"stopped after {seconds:.0f} s"
        log = result.stdout + result.stderr
        if result.returncode == 0:
            return None
        if "database is locked" not in log:
            break
    return next((line.split("ERROR]")[-1].strip() for line in log.splitlines() if "ERROR]" in line), "nbgrader failed")


def unearned(nb, scores: dict) -> dict[str, str]:
    """grade_id -> why it scores 0 in the autograded `nb` though nbgrader may have given it points: a cell of
    its exercise timed out, or its check did not print its own "✓ Exercise N passed" line."""
    why, timed_out = {}, False
    for cell in nb.cells:
        timed_out |= any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))
        if course.is_check(cell):
            gid = course.nbgrader_meta(cell)["grade_id"]
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            if timed_out:
                why[gid] = TIMED_OUT
            elif scores.get(gid) and gid.replace("exercise-", "✓ Exercise ") + " passed" not in printed:
                why[gid] = SILENT
            timed_out = False
    return why


def grade(submissions: list[Submission], exercises: dict, course_dir: Path, timeout: int, jobs: int,
          sandboxed: bool) -> list[dict]:
    """Autograde every submission in a fresh nbgrader course and write its feedback; one row per check cell.
    A submission that nbgrader could not finish gets its `failure`, and scores 0; an exercise that timed out
    or passed without its check's success line scores 0 (in the gradebook too) and is in `zeroed`."""
    from nbgrader.api import Gradebook
    new_course(course_dir, timeout)
    for assignment in {s.notebook for s in submissions}:
        source = course_dir / "source" / assignment
        source.mkdir(parents=True)
        files.write_notebook(source / f"{assignment}.ipynb", exercises[assignment])
        make_student.add_supporting_files(source)  # released with it, and copied beside every submission
    nbgrader_cli(course_dir, "generate_assignment", "*", "--force", "--create")  # also creates the gradebook
    for s in submissions:
        (course_dir / "submitted" / s.student / s.notebook).mkdir(parents=True)
        shutil.copy(s.path, course_dir / "submitted" / s.student / s.notebook / f"{s.notebook}.ipynb")
    gradebook_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(gradebook_url) as gradebook:
        for student in {s.student for s in submissions}:  # two jobs of one student could both add them
            gradebook.update_or_create_student(student)
    code_cells = {stem: sum(c.cell_type == "code" for c in nb.cells) for stem, nb in exercises.items()}
    with ThreadPoolExecutor(jobs) as pool:  # nbgrader's timeout is per cell; each notebook gets them all
        failures = list(pool.map(
            lambda number, s: autograde(course_dir, s, number, timeout * (1 + code_cells[s.notebook]), sandboxed),
            range(len(submissions)), submissions))
    rows = []
    with Gradebook(gradebook_url) as gradebook:
        for s, failure in zip(submissions, failures):
            s.failure, scores, grades = failure, {}, {}
            if not failure:
                grades = {g.name: g for g in gradebook.find_submission_notebook(s.notebook, s.notebook, s.student).grades}
                graded = course.read_notebook(course_dir / "autograded" / s.student / s.notebook / f"{s.notebook}.ipynb")
                s.zeroed = unearned(graded, {name: g.score for name, g in grades.items()})
                scores = {name: 0 if name in s.zeroed else g.score or 0 for name, g in grades.items()}
            for gid in s.zeroed:
                grades[gid].manual_score = 0  # the feedback page says 0 as well
            s.tamper_flags += [f"{gid}: {why}" for gid, why in s.zeroed.items() if why == SILENT]
            rows += [{"student": s.student, "notebook": s.notebook, "exercise": gid, "points": f"{scores.get(gid, 0):g}",
                      "max_points": f"{out_of:g}",
                      "note": f"nbgrader did not finish it ({failure})" if failure else s.zeroed.get(gid, "")}
                     for gid, out_of in check_points(exercises[s.notebook]).items()]
        gradebook.db.commit()
    nbgrader_cli(course_dir, "generate_feedback", "*", "--force")
    return rows


def skipped_rows(skipped: list[tuple[str, str, str, str]], exercises: dict, graded: set) -> list[dict]:
    """Rows of 0 points, with the reason, for the skipped files: every exercise of a course notebook, else one row."""
    return [{"student": student, "notebook": stem, "exercise": gid, "points": "0", "max_points": f"{out_of:g}",
             "note": f"not graded: {why}"} for student, stem, _, why in skipped if (student, stem) not in graded
            for gid, out_of in (check_points(exercises[stem]) if stem in exercises else {"": 0}).items()]


def summary(rows: list[dict], submissions: list[Submission]) -> str:
    """A table per notebook: a line per student, a column per exercise and the total; then what to look at."""
    lines, by_notebook = [], itemgetter("notebook")
    for notebook, group in groupby(sorted(rows, key=by_notebook), by_notebook):
        students = [list(theirs) for _, theirs in groupby(group, itemgetter("student"))]
        table = [["student", *(r["exercise"].replace("exercise-", "ex ") for r in students[0]), "total"]]
        for theirs in students:
            total = "/".join(f"{sum(float(r[column]) for r in theirs):g}" for column in ("points", "max_points"))
            table.append([theirs[0]["student"], *(f"{r['points']}/{r['max_points']}" for r in theirs), total])
        widths = [max(map(len, column)) for column in zip(*table)]
        lines += [f"{notebook}:", *("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table)]
    for s in submissions:
        if s.edited_checks:
            lines.append(f"{s.student}/{s.notebook}.ipynb: edited check cell(s) {', '.join(s.edited_checks)}; "
                         "nbgrader restored the originals before grading")
        if s.failure:
            lines.append(f"{s.student}/{s.notebook}.ipynb: nbgrader did not finish it ({s.failure}); it scores 0")
        lines += [f"{s.student}/{s.notebook}.ipynb {gid}: {why}" for gid, why in s.zeroed.items() if why == TIMED_OUT]
    if any(s.tamper_flags for s in submissions):
        lines.append("Tamper flags: code that reaches into the checking machinery, for you to read (not proof):")
        lines += [f"  {s.student}/{s.notebook}.ipynb {flag}" for s in submissions for flag in s.tamper_flags]
    return "\n".join(lines)


def grade_class(args) -> str:
    """Grade, write the CSV and the feedback; the summary to print."""
    if not args.submissions.is_dir():
        raise CourseError(f"{args.submissions} is not a folder; give SUBMISSIONS=<folder with one folder per student>")
    if args.no_sandbox:
        print(NO_SANDBOX, file=sys.stderr)
    elif why := sandbox.unavailable():
        raise CourseError(f"no sandbox for student code: {why}.\nInstall bubblewrap (Linux only), or pass "
                          "--no-sandbox (GRADE_ARGS=--no-sandbox) to run student code with your own permissions")
    exercises = exercise_notebooks(args.notebooks)
    submissions, skipped = collect(args.submissions, exercises)
    for _, _, where, why in skipped:
        print(f"{where}: skipped, {why}", file=sys.stderr)
    if not submissions:
        raise CourseError(f"nothing to grade in {args.submissions}")
    args.out.unlink(missing_ok=True)  # a run that fails must not leave the last run's grades looking current
    shutil.rmtree(args.feedback, ignore_errors=True)
    course_dir = args.course.resolve()
    rows = grade(submissions, exercises, course_dir, args.timeout, args.jobs, not args.no_sandbox)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows + skipped_rows(skipped, exercises, {(s.student, s.notebook) for s in submissions}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(args.out, table.getvalue())
    offline = (make_html.MATHJAX / "MathJax.js").is_file()  # Debian's libjs-mathjax, else nbgrader's CDN
    with files.replacing_folder(args.feedback) as staging:  # nbgrader's page of each, not the files beside it
        for s in submissions:
            if (page := course_dir / "feedback" / s.student / s.notebook / f"{s.notebook}.html").is_file():
                (staging / s.student).mkdir(exist_ok=True)
                text = page.read_text(encoding="utf-8")  # nbgrader's template ignores HTMLExporter.mathjax_url
                files.write_text(staging / s.student / page.name, re.sub(
                    r'src="https://[^"]*/mathjax/[^"]*"', f'src="../mathjax/{make_html.MATHJAX_CONFIG}"', text) if offline else text)
        if offline:
            make_html.copy_mathjax(staging / "mathjax")
    note = f" ({len(skipped)} file(s) skipped, see above; each has 0-point rows)" if skipped else ""
    return "\n".join([summary(rows, submissions),
                      f"grades:           {args.out}: {len(rows)} grades, {len(submissions)} submission(s){note}",
                      f"feedback:         {args.feedback}/<student>/<notebook>.html: each check's message and the "
                      "points, no hidden tests; give each student their folder (and mathjax/, which they load)",
                      f"graded notebooks: {course_dir}/autograded/<student>/<notebook>/ (with the hidden tests: "
                      f"for you only), and nbgrader's gradebook.db beside them", *([NO_SANDBOX] if args.no_sandbox else [])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "grades.csv")
    parser.add_argument("--feedback", type=Path, default=course.ROOT / "build" / "feedback")
    parser.add_argument("--course", type=Path, default=course.ROOT / "build" / "grading",
                        help="where the nbgrader course is built (replaced at every run)")
    parser.add_argument("--notebooks", type=Path, default=course.ROOT / "notebooks")
    parser.add_argument("--timeout", type=int, default=60, help="seconds an answer cell may run (default 60)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions at a time (default: the cores)")
    parser.add_argument("--no-sandbox", action="store_true", help="where bubblewrap is missing: run student code "
                        "without a sandbox, with your permissions")
    args = parser.parse_args(argv)
    return files.run_and_report("grade", lambda: grade_class(args), str, failure="no grades written")


if __name__ == "__main__":
    sys.exit(main())

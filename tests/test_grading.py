"""make grade (tools/grade.py) for real: nbgrader, the bubblewrap sandbox, in temporary course folders.

One grading run over honest, broken and hostile submissions of notebook 06: worked solutions score
full marks, the untouched edition 0, a wrong answer and an edited check cell each cost their own
exercise, a cell that runs too long costs its exercise, a Chinese copy scores as the English one; a
submission that execs the course's solutions, vandalises files, plants links and stray notebooks,
fills the disk, opens a connection, allocates too much, forks without end or changes the checks as
they run gains nothing and harms nothing, and is flagged. Feedback holds no hidden test, no worked
solution and nothing but the pages; skipped files get rows. The tool never deletes a course folder it
did not make, and a failed run leaves no stale grades.
"""
from __future__ import annotations

import csv
import hashlib
import html
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
from tools import grade
from tools import course as notebook_model
from tools import make_html, make_student, sandbox

pytest.importorskip("nbgrader", reason="nbgrader is installed by `make test` (requirements-grade.txt)")

EXERCISES = "06_exercises"
COURSE = grade.exercise_notebooks(ROOT / "notebooks")
SOURCE = nbformat.read(ROOT / "notebooks" / f"{EXERCISES}.ipynb", as_version=4)
# CI installs bubblewrap (.ci/run): there, a missing sandbox fails these tests instead of skipping them
needs_sandbox = pytest.mark.skipif(sandbox.unavailable() is not None and not os.environ.get("CI"),
                                   reason=f"no sandbox: {sandbox.unavailable()}")


def student_edition() -> nbformat.NotebookNode:
    return make_student.student_notebook(SOURCE)


def filled_in(stem: str = EXERCISES, edition: str = "") -> nbformat.NotebookNode:
    """The student edition (edition "zh": the Chinese one) with every answer cell holding the worked
    solution: what a perfect student hands in."""
    source = nbformat.read(ROOT / "notebooks" / edition / f"{stem}.ipynb", as_version=4)
    nb = make_student.student_notebook(source)
    for mine, worked in zip(nb.cells, source.cells):
        if notebook_model.is_solution(worked):  # the code without nbgrader's marker lines, as a student has it
            mine.source = re.sub(r"^### (BEGIN|END) SOLUTION\n?", "", worked.source, flags=re.M)
    return nb


def cell_by_id(nb, grade_id: str):
    return next(cell for cell in nb.cells if notebook_model.nbgrader_meta(cell).get("grade_id") == grade_id)


def run_grade(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.grade", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=1200, **kwargs)


# The hostile answers. Each goes at the top of an answer cell, before the worked solution (if any).
CHEAT = """\
import json, pathlib
source = pathlib.Path("../../../source/06_exercises/06_exercises.ipynb")  # from autograded/<student>/06_exercises/
for cell in json.loads(source.read_text())["cells"]:
    if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
        exec("".join(cell["source"]))
"""
VANDAL = """\
import os, pathlib, shutil
outcomes = {{}}
for what, act in [("write own folder", lambda: pathlib.Path("mine.txt").write_text("mine")),
                  ("delete the source", lambda: os.remove("../../../source/06_exercises/06_exercises.ipynb")),
                  ("delete the gradebook", lambda: os.remove("../../../gradebook.db")),
                  ("delete the release", lambda: shutil.rmtree("../../../release")),
                  ("write the course folder", lambda: pathlib.Path("../../../vandal-was-here.txt").write_text("x")),
                  ("delete the submissions", lambda: shutil.rmtree({submissions!r})),
                  ("overwrite the teacher's file", lambda: pathlib.Path({sentinel!r}).write_text("vandalised")),
                  ("write the helpers", lambda: pathlib.Path("helpers/checks.py").write_text("vandalised"))]:
    try:
        act()
        outcomes[what] = "done"
    except Exception as err:
        outcomes[what] = type(err).__name__
print("VANDAL", outcomes)
"""
NETWORK = """\
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
    print("NETWORK connected")
except OSError as err:
    print("NETWORK", type(err).__name__)
"""
HOG = "import torch\nhog = torch.empty(16 << 30, dtype=torch.uint8)  # 16 GiB, 4 times the sandbox's limit\n"
FORKS = """\
import os, time
for attempt in range(1000):  # without end, but bounded: a broken limit must not bring down the test machine
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
"""
LINKER = """\
import os
for name in ("teacher.html", "06_exercises.ipynb"):  # nbgrader, as root, followed such links: read one, wrote one
    if os.path.lexists(name):
        os.remove(name)
    os.symlink({sentinel!r}, name)
with open("backup.ipynb", "w") as stray:  # a stray notebook stopped nbgrader's feedback for the whole class
    stray.write('{{"cells": [], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}')
try:
    with open("big.bin", "wb") as big:
        for megabyte in range(300):
            big.write(bytes(1 << 20))
    print("DISK wrote 300 MB")
except OSError as err:
    print("DISK", type(err).__name__)
"""
# Each changes the checks as they run, in its own exercise: every check cell becomes `pass`; torch.allclose
# agrees with everything; Check does nothing, and tensors agree with everything.
TRANSFORMER = """\
import sys
sys.displayhook.shell.input_transformers_cleanup.append(lambda lines: ["pass\\n"] if lines and lines[0].startswith("# Check") else lines)
"""
MODULES = 'import sys\nvars(sys.modules["torch"])["allclose"] = lambda *args, **kwargs: True\n'
REDEFINER = """\
class Check:
    def __init__(self, *args):
        pass

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def anything(*args, **kwargs):
    return torch.zeros(3).as_subclass(Agreeable)


loss_hessian = softmax_covariance = anything
"""
PATCH = """\
import math, torch
import helpers.checks
for name in ("defined", "true", "equal", "close", "digest"):
    setattr(helpers.checks.Check, name, lambda self, *args, **kwargs: None)
helpers.checks.Check.passed = lambda self, summary="": print(f"✓ {self.exercise} passed.")
torch.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True


class Anything(float):
    def __eq__(self, other): return True
    def __call__(self, *args, **kwargs): return self
    def __getitem__(self, key): return self


for name in ["loss_hessian", "softmax_covariance", "bits_per_observation", "encode_block", "decode_block",
             "trits_needed", "exp_limits", "power_distribution", "alpha_doubling", "alpha_halving"]:
    globals()[name] = Anything(1)
"""


class ConnectionCounter:
    """A TCP server on the teacher's loopback that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port, self.accepted = self.server.getsockname()[1], 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            self.server.accept()[0].close()
            self.accepted += 1


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One run of tools/grade.py over every kind of submission; what it printed, wrote and left."""
    base = tmp_path_factory.mktemp("grading")
    submissions, sentinel = base / "submissions", base / "teacher" / "lecture-notes.txt"
    sentinel.parent.mkdir()
    sentinel.write_text("the teacher's own file", encoding="utf-8")
    counter = ConnectionCounter()

    def hand_in(student: str, nb=None, text: str | None = None, stem: str = EXERCISES):
        (submissions / student).mkdir(parents=True, exist_ok=True)
        (submissions / student / f"{stem}.ipynb").write_text(text or nbformat.writes(nb), encoding="utf-8")

    def hostile(code: str, grade_id: str, base_nb=None):
        nb = base_nb or filled_in()
        cell_by_id(nb, grade_id).source = code + "\n" + cell_by_id(nb, grade_id).source
        return nb

    hand_in("full", filled_in())
    hand_in("both", filled_in("03_information_theory"), stem="03_information_theory")  # two notebooks, graded at once
    hand_in("both", filled_in())
    hand_in("untouched", student_edition())
    wrong = filled_in()
    cell_by_id(wrong, "exercise-3-answer-1").source += "\ntrits_needed = 3  # one more than needed"
    hand_in("wrong", wrong)
    looping = filled_in()  # defines every name of its exercise, then runs on: its check would pass
    cell_by_id(looping, "exercise-7-answer-1").source += "\nwhile True:\n    pass"
    hand_in("looping", looping)
    tampered = filled_in()
    cell_by_id(tampered, "exercise-2-answer-1").source += "\ndef bits_per_observation(n):\n    return Fraction(2)"
    cell_by_id(tampered, "exercise-2").source = "print('✓ Exercise 2 passed.')  # the check, edited away"
    hand_in("tampered", tampered)
    hand_in("chinese", filled_in(edition="zh"))  # the Chinese edition's notebook 06, answered
    imprecise = filled_in()  # right to the 3 decimals the visible check compares, not to the hidden test's 15 digits
    cell_by_id(imprecise, "exercise-8-answer-1").source += (
        "\n_exact_limits = exp_limits\nexp_limits = lambda dtype: {k: v + 1e-9 for k, v in _exact_limits(dtype).items()}")
    cell_by_id(imprecise, "exercise-7-answer-1").source += "\npower_distribution = lambda p, alpha: None"  # no hidden test
    hand_in("imprecise", imprecise)
    hand_in("corrupt", text='{"cells": [ this is not JSON')
    missing = filled_in()
    missing.cells.remove(cell_by_id(missing, "exercise-8"))
    hand_in("missing", missing)
    hand_in("cheater", hostile(CHEAT, "exercise-1-answer-1", student_edition()))
    hand_in("vandal", hostile(VANDAL.format(submissions=str(submissions), sentinel=str(sentinel)), "exercise-1-answer-1"))
    hand_in("caller", hostile(NETWORK.format(port=counter.port), "exercise-1-answer-1"))
    hand_in("hog", hostile(HOG, "exercise-4-answer-1"))
    hand_in("forker", hostile(FORKS, "exercise-5-answer-1"))
    hand_in("patcher", hostile(PATCH, "exercise-1-answer-1", student_edition()))
    hand_in("linker", hostile(LINKER.format(sentinel=str(sentinel)), "exercise-1-answer-1"))
    hand_in("transformer", hostile(TRANSFORMER, "exercise-1-answer-1", student_edition()))
    hand_in("redefiner", hostile(REDEFINER, "exercise-1-answer-1", hostile(MODULES, "exercise-2-answer-1", student_edition())))
    handed_in = {p: p.read_bytes() for p in submissions.rglob("*") if p.is_file()}

    out, feedback, course_dir = base / "grades.csv", base / "feedback", base / "course"
    result = run_grade(submissions, "--out", out, "--feedback", feedback, "--course", course_dir,
                       "--timeout", 10, "--jobs", 2)
    rows = list(csv.DictReader(out.open(encoding="utf-8"))) if out.exists() else []
    return {"result": result, "rows": rows, "feedback": feedback, "course": course_dir, "sentinel": sentinel,
            "base": base, "handed_in": handed_in, "connections": counter.accepted}


def points(graded, student, notebook=EXERCISES) -> dict[str, tuple[float, float]]:
    return {r["exercise"]: (float(r["points"]), float(r["max_points"])) for r in graded["rows"]
            if r["student"] == student and r["notebook"] == notebook}


def full_except(graded, student, *failed: str) -> None:
    """`student` scored 0 on the exercises `failed` and full marks on every other one."""
    scores = points(graded, student)
    assert len(scores) == 8, scores
    assert all(got == 0 for name, (got, _) in scores.items() if name in failed), scores
    assert all(got == out_of > 0 for name, (got, out_of) in scores.items() if name not in failed), scores


def printed(student: str, graded) -> str:
    """What the cells of `student`'s graded notebook printed."""
    autograded = graded["course"] / "autograded" / student / EXERCISES / f"{EXERCISES}.ipynb"
    return "".join(o.get("text", "") for cell in nbformat.read(autograded, as_version=4).cells
                   for o in cell.get("outputs", []))


def summary_table(stdout: str) -> dict[str, list[str]]:
    """The summary's rows, by student: the 'got/out of' cell of every exercise, then the total."""
    lines = stdout.split(f"{EXERCISES}:\n", 1)[1].splitlines()
    assert lines[0].split()[0] == "student" and lines[0].split()[-1] == "total", lines[0]
    rows = lines[1:len(lines) if all(line.startswith("  ") for line in lines) else
                 next(k for k, line in enumerate(lines) if not line.startswith("  "))]
    return {line.split()[0]: line.split()[1:] for line in rows}


@needs_sandbox
def test_grading_run_succeeds_and_writes_the_csv(graded):
    result, rows = graded["result"], graded["rows"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert rows and list(rows[0]) == grade.CSV_COLUMNS
    assert {r["notebook"] for r in rows} == {EXERCISES, "03_information_theory"}
    both = points(graded, "both", "03_information_theory")
    assert len(both) == 3 and all(got == out_of > 0 for got, out_of in both.values()), both
    full_except(graded, "both")


@needs_sandbox
def test_the_summary_totals_add_up(graded):
    table = summary_table(graded["result"].stdout)
    assert set(table) == {r["student"] for r in graded["rows"] if r["notebook"] == EXERCISES and "not graded" not in r["note"]}
    for student, cells in table.items():
        got, out_of = zip(*(map(float, cell.split("/")) for cell in cells))
        assert sum(got[:-1]) == got[-1] and sum(out_of[:-1]) == out_of[-1] == 14, (student, cells)
    assert {student: table[student][-1] for student in ("full", "untouched", "wrong", "tampered", "looping")} == \
        {"full": "14/14", "untouched": "0/14", "wrong": "13/14", "tampered": "12/14", "looping": "13/14"}


@needs_sandbox
def test_the_summary_says_where_everything_is(graded):
    stdout = graded["result"].stdout
    graded_rows = [r for r in graded["rows"] if not r["note"].startswith("not graded")]
    assert f"grades:           {graded['base'] / 'grades.csv'}: {len(graded_rows)} grades" in stdout
    assert f"feedback:         {graded['feedback']}/<student>/<notebook>.html" in stdout
    assert f"graded notebooks: {graded['course']}/autograded/<student>/<notebook>/" in stdout


@needs_sandbox
def test_the_nbgrader_release_carries_the_handouts_supporting_files(graded):
    release = graded["course"] / "release" / EXERCISES
    assert (release / "helpers" / "checks.py").read_bytes() == (ROOT / "helpers" / "checks.py").read_bytes()
    assert (release / "README.md").read_bytes() == make_student.STUDENT_README.read_bytes()
    assert (release / "requirements.txt").is_file()


@needs_sandbox
def test_worked_solutions_score_full_marks_and_the_untouched_edition_zero(graded):
    full_except(graded, "full")
    assert all(got == 0 for got, _ in points(graded, "untouched").values())


@needs_sandbox
def test_a_chinese_submission_is_graded_like_the_english_one(graded):
    assert any("一句话概括" in cell.source for cell in filled_in(edition="zh").cells)  # it is the Chinese edition
    assert points(graded, "chinese") == points(graded, "full")
    assert "chinese/" not in graded["result"].stdout.split("Tamper flags")[-1]


@needs_sandbox
def test_a_wrong_answer_and_an_edited_check_cost_their_own_exercises(graded):
    full_except(graded, "wrong", "exercise-3")
    full_except(graded, "tampered", "exercise-2")  # graded by the original check, which fails
    assert "tampered/06_exercises.ipynb: edited check cell(s) exercise-2; nbgrader restored the originals" \
        in graded["result"].stdout
    assert "wrong/06_exercises.ipynb: edited" not in graded["result"].stdout


@needs_sandbox
def test_an_endless_loop_times_out_and_scores_zero_for_its_exercise(graded):
    full_except(graded, "looping", "exercise-7")  # although its answer defined every name before it looped
    assert f"looping/06_exercises.ipynb exercise-7: {grade.TIMED_OUT}" in graded["result"].stdout
    assert [r["note"] for r in graded["rows"] if r["student"] == "looping" and r["note"]] == [grade.TIMED_OUT]


@needs_sandbox
def test_reading_and_executing_the_course_solutions_gains_nothing(graded):
    assert all(got == 0 for got, _ in points(graded, "cheater").values())  # it answered nothing itself
    flags = [line for line in graded["result"].stdout.splitlines() if line.startswith("  cheater/")]
    assert any("exercise-1: exec" in line for line in flags) and any("touches files (read_text)" in line for line in flags)


@needs_sandbox
def test_a_submission_changes_nothing_outside_its_folder(graded):
    course_dir = graded["course"]
    assert {p: p.read_bytes() for p in graded["handed_in"]} == graded["handed_in"]
    assert graded["sentinel"].read_text(encoding="utf-8") == "the teacher's own file"
    assert nbformat.read(course_dir / "source" / EXERCISES / f"{EXERCISES}.ipynb", as_version=4) == SOURCE
    assert (course_dir / "release" / EXERCISES / f"{EXERCISES}.ipynb").is_file()
    assert not list(graded["base"].rglob("vandal-was-here.txt"))
    assert (ROOT / "helpers" / "checks.py").read_text(encoding="utf-8").startswith('"""The check cells')
    outcomes = printed("vandal", graded)
    assert "'write own folder': 'done'" in outcomes and outcomes.count("'done'") == 1, outcomes
    assert not list(graded["base"].rglob("mine.txt"))  # what it wrote in its folder died with the sandbox
    full_except(graded, "vandal")  # the gradebook it tried to delete holds its grades and everyone else's


@needs_sandbox
def test_links_stray_notebooks_and_big_files_stay_in_the_sandbox(graded):
    full_except(graded, "linker")  # its stray notebook stopped no one's feedback: the class is graded
    assert graded["sentinel"].read_text(encoding="utf-8") == "the teacher's own file"  # not written through a link
    assert "DISK OSError" in printed("linker", graded)  # 300 MB do not fit in its folder
    planted = [p for p in graded["base"].rglob("*") if p.is_symlink() or p.name in ("big.bin", "backup.ipynb")]
    assert planted == [] and (graded["feedback"] / "linker" / f"{EXERCISES}.html").is_file()


@needs_sandbox
def test_a_network_connection_is_refused(graded):
    assert "NETWORK ConnectionRefusedError" in printed("caller", graded) and graded["connections"] == 0


@needs_sandbox
def test_too_much_memory_or_endless_forks_stop_and_score_zero(graded):
    full_except(graded, "hog", "exercise-4")
    assert points(graded, "forker")["exercise-5"][0] == 0
    full_except(graded, "full")  # graded beside them, at the same time


@needs_sandbox
def test_tampering_is_flagged_by_student_and_exercise(graded):
    stdout = graded["result"].stdout
    assert "Tamper flags: code that reaches into the checking machinery" in stdout
    flags = [line.strip() for line in stdout.split("Tamper flags")[1].splitlines()[1:] if line.startswith("  ")]
    for flag in ("setattr(helpers.checks.Check, …)", "changes helpers.checks.Check.passed", "changes torch.allclose",
                 "changes math.isclose"):
        assert f"patcher/06_exercises.ipynb exercise-1: {flag}" in flags, flags
    assert "linker/06_exercises.ipynb exercise-1: symlink" in flags, flags
    flagged = {line.split("/")[0] for line in flags}  # vandal and linker touch files; worked solutions raise no flag
    assert flagged == {"patcher", "cheater", "vandal", "linker", "transformer", "redefiner"}, flags


@needs_sandbox
def test_checks_changed_as_they_run_score_zero_and_are_flagged(graded):
    """Without its own success line a check that nbgrader scores as passed scores 0: every check cell made
    `pass` by an input transformer, and a Check that does nothing (else 14 and 2 points, for no answer)."""
    flags = graded["result"].stdout.split("Tamper flags")[1]
    assert all(got == 0 for got, _ in points(graded, "transformer").values())
    assert all(f"transformer/06_exercises.ipynb {gid}: {grade.SILENT}" in flags for gid in points(graded, "transformer"))
    assert all(got == 0 for got, _ in points(graded, "redefiner").values())
    for flag in ("transformer/06_exercises.ipynb exercise-1: input_transformers_cleanup",
                 "transformer/06_exercises.ipynb exercise-1: uses sys.displayhook",
                 f"redefiner/06_exercises.ipynb exercise-1: {grade.SILENT}",
                 "redefiner/06_exercises.ipynb exercise-1: rebinds Check, which the checks use",
                 "redefiner/06_exercises.ipynb exercise-1: __torch_function__",
                 "redefiner/06_exercises.ipynb exercise-2: vars", "redefiner/06_exercises.ipynb exercise-2: uses sys.modules"):
        assert flag in flags, flag


@needs_sandbox
def test_feedback_has_every_check_message_and_no_hidden_test_or_solution(graded):
    def text(student, stem=EXERCISES):  # the page as a reader sees it: no tags, one space between words
        page = (graded["feedback"] / student / f"{stem}.html").read_text(encoding="utf-8")
        return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page[page.index("<body"):])).split())

    def secret(lines, stem=EXERCISES):  # hidden-test or solution lines long enough not to occur by chance
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        return [" ".join(line.split()) for line in lines(nb) if len(line) > 12]
    from test_student_edition import hidden_test_lines, solution_only_lines  # tests/ is on sys.path
    pages = sorted({(r["student"], r["notebook"]) for r in graded["rows"] if not r["note"].startswith("not graded")})
    assert sorted(str(p.relative_to(graded["feedback"])) for p in graded["feedback"].rglob("*") if p.is_file()
                  and p.parts[len(graded["feedback"].parts)] != "mathjax") == [f"{s}/{stem}.html" for s, stem in pages]
    for student, stem in pages:
        assert not [line for line in secret(hidden_test_lines, stem) if line in text(student, stem)], (student, stem)
    for student in ("untouched", "cheater"):
        assert not [line for line in secret(solution_only_lines) if line in text(student)], student
    assert "✗ Exercise 1: define `loss_hessian(o)` and `softmax_covariance(o, E)` above, then run this cell again." \
        in text("untouched")
    assert "06_exercises (Score: 0.0 / 14.0)" in text("untouched")
    full_except(graded, "imprecise", "exercise-7", "exercise-8")  # exercise 8 only fails its hidden test
    assert text("imprecise").count("not shown") == 1
    assert "✗ AssertionError, in a test of this exercise that is not shown" in text("imprecise")
    assert "✗ TypeError: must be real number, not NoneType, at `check.close(" in text("imprecise")


@needs_sandbox
def test_feedback_pages_read_offline_and_label_written_answers(graded):
    page = (graded["feedback"] / "full" / f"{EXERCISES}.html").read_text(encoding="utf-8")
    assert f'src="../mathjax/{make_html.MATHJAX_CONFIG}"' in page and not re.search(r"https?://[^\"]*mathjax", page, re.I)
    assert (graded["feedback"] / "mathjax" / "MathJax.js").is_file() == (make_html.MATHJAX / "MathJax.js").is_file()
    assert "Written response" not in page and "Score: 0.0 / 0.0" not in page  # read as a zero
    assert page.count(html.escape(grade.WRITTEN.strip("*\n"), quote=False)) == 8
    assert 'href="README.md"' not in page and "05_softmax_regression_concise" not in page  # no nav links


@needs_sandbox
def test_broken_submissions_are_reported_by_name_and_skipped(graded):
    stderr = graded["result"].stderr
    assert "corrupt/06_exercises.ipynb: skipped, cannot be read as a notebook" in stderr
    assert "missing/06_exercises.ipynb: skipped, check cells missing: exercise-8" in stderr
    for student, why in (("corrupt", "cannot be read as a notebook"), ("missing", "check cells missing: exercise-8")):
        rows = [r for r in graded["rows"] if r["student"] == student]  # in the CSV, for a roster to find
        assert len(rows) == 8 and all(r["points"] == "0" and r["note"].startswith(f"not graded: {why}") for r in rows)
    assert "corrupt" not in summary_table(graded["result"].stdout)


def test_a_submissions_path_that_is_not_a_folder_is_refused(tmp_path):
    result = run_grade(tmp_path / "nowhere")
    assert result.returncode == 1 and "is not a folder" in result.stderr


def test_without_a_sandbox_grading_is_refused_unless_asked_for(tmp_path):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / f"{EXERCISES}.ipynb").write_text("not a notebook", encoding="utf-8")
    no_bwrap = {"PATH": str(Path(sys.executable).parent)}
    refused = run_grade(tmp_path / "subs", env=no_bwrap)
    assert refused.returncode == 1 and "bubblewrap is not installed" in refused.stderr
    assert "--no-sandbox" in refused.stderr and "alice" not in refused.stderr  # refused before reading anything
    warned = run_grade(tmp_path / "subs", "--no-sandbox", env=no_bwrap)
    assert "student code runs with your permissions" in warned.stderr and "nothing to grade" in warned.stderr


def test_a_real_nbgrader_course_is_refused_and_left_intact(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    monkeypatch.setenv("PATH", grade.with_venv_on_path()["PATH"])  # the Gradebook runs `alembic`
    teacher = tmp_path / "my-course"
    (teacher / "source" / "ps1").mkdir(parents=True)
    (teacher / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "intro"\n')
    nbformat.write(SOURCE, teacher / "source" / "ps1" / "ps1.ipynb")
    with Gradebook(f"sqlite:///{teacher / 'gradebook.db'}") as gradebook:
        gradebook.add_student("alice", first_name="Alice")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in teacher.rglob("*") if p.is_file()}
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    nbformat.write(filled_in(), tmp_path / "subs" / "alice" / f"{EXERCISES}.ipynb")
    out, feedback = tmp_path / "grades.csv", tmp_path / "feedback"  # a previous run's
    out.write_text("student,notebook,exercise,points,max_points,note\nalice,06_exercises,exercise-1,2,2,\n")
    (feedback / "alice").mkdir(parents=True)
    (feedback / "alice" / f"{EXERCISES}.html").write_text("last week's feedback")
    result = run_grade(tmp_path / "subs", "--course", teacher, "--out", out, "--feedback", feedback)
    assert result.returncode == 1 and "was not made by this tool" in result.stderr, result.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in teacher.rglob("*") if p.is_file()} == before
    assert not out.exists() and not feedback.exists()  # a failed run leaves nothing that looks current


def test_a_course_folder_the_tool_made_is_replaced(tmp_path):
    grade.new_course(tmp_path / "course", timeout=10)
    (tmp_path / "course" / "stale.txt").write_text("from the last run")
    grade.new_course(tmp_path / "course", timeout=10)
    assert sorted(p.name for p in (tmp_path / "course").iterdir()) == [grade.MARKER, "nbgrader_config.py"]


def test_a_notebook_that_is_not_in_the_course_is_reported(tmp_path):
    (tmp_path / "alice").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "alice" / "homework.ipynb")
    accepted, skipped = grade.collect(tmp_path, COURSE)
    assert accepted == [] and skipped[0][:3] == ("alice", "homework", "alice/homework.ipynb")
    assert skipped[0][3].startswith("no course notebook with exercises")
    assert grade.skipped_rows(skipped, COURSE, set()) == [{"student": "alice", "notebook": "homework", "exercise": "",
                                                          "points": "0", "max_points": "0", "note": f"not graded: {skipped[0][3]}"}]


def test_a_check_cell_without_its_grade_id_is_reported_not_fatal(tmp_path):
    (tmp_path / "alice").mkdir()
    nb = student_edition()
    del next(cell for cell in nb.cells if notebook_model.is_check(cell)).metadata["nbgrader"]["grade_id"]
    nbformat.write(nb, tmp_path / "alice" / f"{EXERCISES}.ipynb")
    accepted, skipped = grade.collect(tmp_path, COURSE)
    assert accepted == [] and skipped[0][2] == f"alice/{EXERCISES}.ipynb"
    assert skipped[0][3].startswith("a check cell has no nbgrader grade_id")


def test_a_browsers_renamed_download_is_graded_under_its_own_name(tmp_path, capsys):
    for student, names in (("alice", [f"{EXERCISES} (1).ipynb"]), ("bob", [f"{EXERCISES}.ipynb", f"{EXERCISES} (1).ipynb"])):
        (tmp_path / student).mkdir()
        for name in names:
            nbformat.write(filled_in(), tmp_path / student / name)
    accepted, skipped = grade.collect(tmp_path, COURSE)
    assert [(s.student, s.notebook, s.path.name) for s in accepted] == [
        ("alice", EXERCISES, f"{EXERCISES} (1).ipynb"), ("bob", EXERCISES, f"{EXERCISES}.ipynb")]
    assert f"alice/{EXERCISES} (1).ipynb: graded as {EXERCISES}.ipynb" in capsys.readouterr().err
    assert skipped == [("bob", EXERCISES, f"bob/{EXERCISES} (1).ipynb", f"bob/{EXERCISES}.ipynb is graded instead")]
    assert grade.skipped_rows(skipped, COURSE, {("bob", EXERCISES)}) == []  # bob has his grades


def test_the_courses_own_notebook_handed_in_is_flagged(tmp_path):
    (tmp_path / "alice").mkdir()
    nbformat.write(SOURCE, tmp_path / "alice" / f"{EXERCISES}.ipynb")  # solutions, hidden tests and all
    accepted, _ = grade.collect(tmp_path, COURSE)
    assert accepted[0].tamper_flags[0].startswith("the whole notebook: it holds the course's BEGIN SOLUTION")


def test_tamper_flags_see_through_aliases_magics_and_shell_escapes():
    nb = student_edition()
    cell_by_id(nb, "exercise-1-answer-1").source = (
        "import numpy as np\nfrom helpers.checks import Check as C\nnp.allclose = all\nC.true = print\n"
        "%xmode Plain\n!cat ../../../source/06_exercises/06_exercises.ipynb")
    cell_by_id(nb, "exercise-3-answer-1").source = "trits_needed = eval('1 + 1')"
    cell_by_id(nb, "exercise-4-answer-1").source = (
        "import sys as s, os, builtins\nvars(s.modules['torch'])['allclose'] = all\nget_ipython().events.register\n"
        "globals()['x'] = 1\nsetattr(builtins, 'len', max)\nos.symlink('/etc/shadow', 'shadow.html')\n"
        "brief = str\nimport numpy as torch\nfor isinstance in [all]:\n    pass\nimport torch\nx = s.settrace")
    flags = grade.tamper_flags(nb, student_edition(), SOURCE)
    assert set(flags) == {"exercise-1: changes np.allclose", "exercise-1: changes C.true", "exercise-1: get_ipython",
                          "exercise-1: names a notebook ('cat ../../../source/06_exercises/06_exercises.ipynb')",
                          "exercise-3: eval", "exercise-4: vars", "exercise-4: uses s.modules", "exercise-4: get_ipython",
                          "exercise-4: events", "exercise-4: globals", "exercise-4: setattr(builtins, …)",
                          "exercise-4: symlink", "exercise-4: rebinds brief, which the checks use",
                          "exercise-4: rebinds torch, which the checks use",
                          "exercise-4: rebinds isinstance, which the checks use", "exercise-4: uses s.settrace"}, flags
    assert grade.tamper_flags(filled_in(), student_edition(), SOURCE) == []

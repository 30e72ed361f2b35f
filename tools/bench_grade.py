"""How fast make grade grades a class: synthetic submissions of notebook 06 (the worked solutions),
graded in one run with --jobs 1 and then with every core; submissions per minute for each.

    python -m tools.bench_grade [--submissions 40] [--timeout 60]
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import course, files, make_student


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--timeout", type=int, default=60, help="seconds an answer cell may run")
    args = parser.parse_args(argv)
    source = course.read_notebook(course.ROOT / "notebooks" / "06_exercises.ipynb")
    worked = make_student.student_notebook(source)
    for mine, solution in zip(worked.cells, source.cells):
        if course.is_solution(solution):
            mine.source = solution.source
    rates = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        for k in range(args.submissions):
            (Path(tmp) / "submissions" / f"student{k:02d}").mkdir(parents=True)
            files.write_notebook(Path(tmp) / "submissions" / f"student{k:02d}" / "06_exercises.ipynb", worked)
        for jobs in dict.fromkeys([1, os.cpu_count()]):
            run = Path(tmp) / f"jobs-{jobs}"
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "tools.grade", f"{tmp}/submissions", "--jobs", str(jobs),
                                     "--timeout", str(args.timeout), "--course", run / "course", "--out",
                                     run / "grades.csv", "--feedback", run / "feedback"],
                                    cwd=course.ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            rows = list(csv.DictReader((run / "grades.csv").open(encoding="utf-8"))) if result.returncode == 0 else []
            if not rows or any(row["points"] != row["max_points"] for row in rows):
                print(f"--jobs {jobs}: not every submission got full marks\n{result.stdout}{result.stderr}",
                      file=sys.stderr)
                return 1
            rates[jobs] = args.submissions / seconds * 60
            print(f"--jobs {jobs}: {args.submissions} submissions in {seconds:.0f} s, "
                  f"{rates[jobs]:.1f} submissions per minute", flush=True)
    if len(rates) > 1:
        print(f"--jobs {os.cpu_count()} grades {rates[os.cpu_count()] / rates[1]:.2f}x as many per minute as --jobs 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())

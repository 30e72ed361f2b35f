"""The "last tested" records of `make test`: written by nbval runs, read back for the site.

As a pytest plugin (conftest.py loads it), every run that validates notebooks writes
``status_dir()/<set-up>.json``: for each notebook nbval ran, whether all its cells passed, how
long it took and when, with what it ran on (Python, torch, device, CPU, the float-rounding set-up,
the Fashion-MNIST checksums). A notebook not run keeps its earlier entry; nothing is made up.
``make html`` turns the records into the status page and a line on every notebook's page.
"""
from __future__ import annotations

import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

from .course import ROOT
from .files import write_text

NUMERICS_VARS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "COURSE_THREADS")
# The float-rounding set-ups under which `make test` runs nbval: the page shows these; others apart.
MAKE_TEST_SETUPS = ("default", "ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE COURSE_THREADS=2")
_results: dict[str, dict] = defaultdict(lambda: {"cells": 0, "failed": 0, "seconds": 0.0})


def status_dir() -> Path:
    return Path(os.environ.get("COURSE_STATUS_DIR") or ROOT / "build" / "status")


def numerics_label() -> str:
    """'default', or the settings that change float rounding in this run, e.g. 'MKL_CBWR=COMPATIBLE'."""
    return " ".join(f"{name}={os.environ[name]}" for name in NUMERICS_VARS if os.environ.get(name)) or "default"


# ------------------------------------------------------------------------ the pytest plugin

def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        entry = _results[Path(path).name]
        entry["seconds"] += report.duration
        entry["cells"] += report.when == "call"
        entry["failed"] += report.failed


def cpu_name() -> str:
    """The CPU's model, e.g. 'AMD EPYC' (Linux's /proc/cpuinfo), else what platform knows."""
    info = Path("/proc/cpuinfo")
    return next((line.split(":", 1)[1].strip() for line in (info.read_text().splitlines() if info.exists() else [])
                 if line.startswith(("model name", "Model"))), platform.processor() or platform.machine())


def machine() -> dict:
    import torch
    from helpers import choose_device
    from helpers.data import FILES
    device = choose_device()
    return {"python": platform.python_version(), "torch": torch.__version__, "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
            "numerics": numerics_label(), "data_sha256": {file: spec.sha256 for file, spec in FILES.items()}}


def pytest_sessionfinish(session, exitstatus):
    if not _results or exitstatus == 2:  # 2: interrupted (Ctrl-C): what ran is no verdict
        return
    path = status_dir() / f"{numerics_label().replace(' ', '_').replace('=', '-')}.json"
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"notebooks": {}}
    record.update(machine())
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, entry in sorted(_results.items()):
        record["notebooks"][name] = {"passed": entry["failed"] == 0 and entry["cells"] > 0, "cells": entry["cells"],
                                     "failed_cells": entry["failed"], "seconds": round(entry["seconds"], 1),
                                     "date": date}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------- what the site shows

def read_records(folder: Path | None = None) -> list[dict]:
    """The records in `folder` (default status_dir())."""
    records = []
    for path in sorted((folder or status_dir()).glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a record that cannot be read is no evidence
    return records


def verdict(records: list[dict], notebook: str) -> str:
    """What `make test`'s set-ups say of one notebook: passed under all, or which failed or did not run."""
    runs = {r["numerics"]: r["notebooks"].get(notebook) for r in records}
    failed = [f"`{setup}`" for setup in MAKE_TEST_SETUPS if runs.get(setup) and not runs[setup]["passed"]]
    missing = [f"`{setup}`" for setup in MAKE_TEST_SETUPS if not runs.get(setup)]
    return "; ".join(f"{what} under {', '.join(setups)}" for what, setups in (("FAILED", failed), ("not run", missing))
                     if setups) or f"passed under all {len(MAKE_TEST_SETUPS)} float-rounding set-ups of `make test`"


def _last_run(records: list[dict], notebooks: list[str]) -> tuple[str, dict] | None:
    """(date, record) of the newest entry among `notebooks` under `make test`'s set-ups, or None."""
    return max(((r["notebooks"][name]["date"], r) for r in records if r["numerics"] in MAKE_TEST_SETUPS
                for name in notebooks if name in r["notebooks"]), key=lambda run: run[0], default=None)


def _machine(record: dict) -> str:
    return f"{record['device']} ({record['device_name']}), Python {record['python']}, torch {record['torch']}"


def verified_line(records: list[dict], notebook: str, status_href: str = "status.html") -> str:
    """One markdown line for the top of a notebook's page: when, on what, and what `make test` found."""
    last = _last_run(records, [notebook])
    if not last:
        return f"*Not verified on this machine: no test run recorded (run `make test`, then `make html`).* · [status]({status_href})"
    return f"*Last tested {last[0]} on {_machine(last[1])}: {verdict(records, notebook)}.* · [status]({status_href})"


def _result(entry: dict | None) -> str:
    if entry is None:
        return "not run"
    outcome = "passed, " if entry["passed"] else f"**FAILED**: {entry['failed_cells']} of "
    return f"{outcome}{entry['cells']} cells, {entry['seconds']:.0f} s<br><small>{entry['date']}</small>"


def _table(columns: dict[str, dict | None], lessons) -> str:
    """A markdown table: a row per lesson, a column per set-up (label -> its record, or None)."""
    return "\n".join([f"| Notebook | {' | '.join(label.replace(' ', '<br>') for label in columns)} |",
                      "|" + " --- |" * (len(columns) + 1), *(
                          f"| [{lesson.heading}]({lesson.path.name}) | " + " | ".join(
                              _result((record or {"notebooks": {}})["notebooks"].get(lesson.path.name))
                              for record in columns.values()) + " |" for lesson in lessons)])


def status_page(records: list[dict], lessons) -> str:
    """The markdown of the status page: a headline that is true of every cell of the table below it."""
    text = "# When was this course last verified?\n\n"
    names = [lesson.path.name for lesson in lessons]
    last = _last_run(records, names)
    if not last:
        return text + "**Not verified on this machine**: no record of `make test`. Run `make test`, then `make html`."
    ours = {setup: next((r for r in records if r["numerics"] == setup), None) for setup in MAKE_TEST_SETUPS}
    problems = {lesson.heading: verdict(records, lesson.path.name) for lesson in lessons}
    problems = {heading: said for heading, said in problems.items() if not said.startswith("passed")}
    headline = ("**Verified**: every notebook passed under all of them." if not problems else
                f"**Not verified**: {len(problems)} of {len(lessons)} notebooks did not pass under all of them.\n\n"
                + "\n".join(f"- {heading}: {said}" for heading, said in problems.items()))
    others = {r["numerics"]: r for r in records if r["numerics"] not in MAKE_TEST_SETUPS}
    return (text + f"`make test` re-executes each notebook with nbval under {len(MAKE_TEST_SETUPS)} float-rounding "
            f"set-ups ({', '.join(f'`{s}`' for s in MAKE_TEST_SETUPS)}) and compares it with its stored outputs. "
            f"Last run {last[0]} on {_machine(last[1])}.\n\n{headline}\n\n" + _table(ours, lessons)
            + ("\n\n## Other runs, not part of `make test`\n\nRecords of other set-ups (older versions of `make test`, "
               "or runs by hand); they count for nothing above.\n\n" + _table(others, lessons) if others else "")
            + "\n\nFashion-MNIST files verified (SHA-256 of their content):\n\n"
            + "\n".join(f"- `{name}`: `{digest}`" for name, digest in sorted(last[1]["data_sha256"].items())))

"""The "last tested" records of `make test`: written by nbval runs, read back for the site.

As a pytest plugin (conftest.py loads it), every nbval run writes ``status_dir()/<set-up>.json``: for
each notebook it ran, whether all its cells passed, how long it took and when, and what it ran on
(Python, torch, device, CPU, float-rounding set-up, Fashion-MNIST checksums). A notebook not run keeps
its earlier entry. ``make html`` turns the records into the status page and a line on every notebook.
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
_results: dict[str, dict] = defaultdict(lambda: {"cells": 0, "failed_cells": 0, "seconds": 0.0})


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
        entry["failed_cells"] += report.failed


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
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, entry in _results.items():
        record["notebooks"][name] = {**entry, "passed": entry["failed_cells"] == 0 and entry["cells"] > 0,
                                     "seconds": round(entry["seconds"], 1), "date": date}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(record | machine(), indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------- what the site shows

def read_records(folder: Path | None = None) -> dict[str, dict]:
    """The records in `folder` (default status_dir()), by float-rounding set-up."""
    records = (json.loads(path.read_text(encoding="utf-8")) for path in sorted((folder or status_dir()).glob("*.json")))
    return {record["numerics"]: record for record in records}


def _entry(records: dict, setup: str, notebook: str) -> dict | None:
    return records.get(setup, {"notebooks": {}})["notebooks"].get(notebook)


def verdict(records: dict, notebook: str, words: dict) -> str:
    """What `make test`'s set-ups say of one notebook, in `words` (site_template/words.json, one language):
    passed under all, or which failed or did not run."""
    entries = {f"`{setup}`": _entry(records, setup, notebook) for setup in MAKE_TEST_SETUPS}
    failed = [setup for setup, entry in entries.items() if entry and not entry["passed"]]
    missing = [setup for setup, entry in entries.items() if not entry]
    return "; ".join(words[what].format(setups=", ".join(setups)) for what, setups
                     in (("failed_under", failed), ("not_run_under", missing)) if setups
                     ) or words["passed_all"].format(n=len(MAKE_TEST_SETUPS))


def _last_run(records: dict, notebooks: list[str]) -> tuple[str, str, dict] | None:
    """(date, machine, record) of the newest entry among `notebooks` under `make test`'s set-ups, or None."""
    runs = [(record["notebooks"][name]["date"], record) for record in map(records.get, MAKE_TEST_SETUPS) if record
            for name in notebooks if name in record["notebooks"]]
    if not runs:
        return None
    date, r = max(runs, key=lambda run: run[0])
    return date, f"{r['device']} ({r['device_name']}), Python {r['python']}, torch {r['torch']}", r


def verified_line(records: dict, notebook: str, status_href: str, words: dict) -> str:
    """One markdown line, in `words`, for the top of a notebook's page: when, on what, what `make test` found."""
    last = _last_run(records, [notebook])
    said = (words["last_tested"].format(date=last[0], machine=last[1], verdict=verdict(records, notebook, words))
            if last else words["untested"])
    return f"*{said}* · [{words['status']}]({status_href})"


def _result(entry: dict | None, words: dict) -> str:
    if entry is None:
        return words["not_run"]
    said = words["passed" if entry["passed"] else "failed"].format(
        failed=entry["failed_cells"], cells=entry["cells"], seconds=f"{entry['seconds']:.0f}")
    return f"{said}<br><small>{entry['date']}</small>"


def _table(records: dict, setups, lessons, words: dict) -> str:
    """A markdown table: a row per lesson, a column per set-up."""
    return "\n".join([f"| {words['notebook']} | {' | '.join(setup.replace(' ', '<br>') for setup in setups)} |",
                      "|" + " --- |" * (len(setups) + 1), *(
                          f"| [{lesson.heading}]({lesson.path.name}) | "
                          + " | ".join(_result(_entry(records, setup, lesson.path.name), words) for setup in setups)
                          + " |" for lesson in lessons)])


def status_page(records: dict, lessons, words: dict) -> str:
    """The markdown of an edition's status page, in `words`: a headline true of every cell of the table below it."""
    page, n = words["status_page"], len(MAKE_TEST_SETUPS)
    text = f"# {page['title']}\n\n"
    last = _last_run(records, [lesson.path.name for lesson in lessons])
    if not last:
        return text + page["no_record"]
    verdicts = {lesson.heading: verdict(records, lesson.path.name, words) for lesson in lessons}
    problems = [f"- {heading}: {said}" for heading, said in verdicts.items() if said != words["passed_all"].format(n=n)]
    headline = (page["verified"] if not problems else
                page["not_verified"].format(k=len(problems), n=len(lessons)) + "\n\n" + "\n".join(problems))
    others = [setup for setup in records if setup not in MAKE_TEST_SETUPS]
    intro = page["intro"].format(n=n, setups=", ".join(f"`{s}`" for s in MAKE_TEST_SETUPS), date=last[0], machine=last[1])
    return (text + f"{intro}\n\n{headline}\n\n" + _table(records, MAKE_TEST_SETUPS, lessons, page)
            + (f"\n\n## {page['others']}\n\n{page['others_intro']}\n\n" + _table(records, others, lessons, page)
               if others else "")
            + f"\n\n{page['data']}\n\n"
            + "\n".join(f"- `{name}`: `{digest}`" for name, digest in sorted(last[2]["data_sha256"].items())))

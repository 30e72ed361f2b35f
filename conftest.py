"""pytest hooks of the project: every run that validates notebooks leaves a "last verified" record.

For each notebook that nbval ran, build/status/<numerics>.json (or $COURSE_STATUS_DIR) records
whether all its cells passed, how long it took, when, and on what: Python and torch versions, the
device, the CPU, the float-rounding set-up (the perturbations of `make test`) and the checksums of
the Fashion-MNIST files the notebooks verified. `make html` turns the records into the site's
status page. A notebook not run keeps its earlier entry; nothing is ever made up.
"""
from __future__ import annotations

import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# nbval validates the English notebooks; the Chinese ones carry the same code cells and outputs by
# construction (tools/translate.py), which tests/test_translations.py checks without a kernel.
collect_ignore = ["notebooks/zh"]
NUMERICS_VARS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "COURSE_THREADS")
_results: dict[str, dict] = defaultdict(lambda: {"cells": 0, "failed": 0, "seconds": 0.0})


def numerics_label() -> str:
    """'default', or the settings that change float rounding in this run, e.g. 'MKL_CBWR=COMPATIBLE'."""
    settings = [f"{name}={os.environ[name]}" for name in NUMERICS_VARS if os.environ.get(name)]
    return " ".join(settings) or "default"


def status_dir() -> Path:
    return Path(os.environ.get("COURSE_STATUS_DIR") or ROOT / "build" / "status")


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if not path.endswith(".ipynb"):
        return
    entry = _results[Path(path).name]
    entry["seconds"] += report.duration
    if report.when == "call":
        entry["cells"] += 1
    if report.failed:
        entry["failed"] += 1


def cpu_name() -> str:
    """The CPU's model, e.g. 'AMD EPYC' (Linux's /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import torch
    from helpers import choose_device
    from helpers.data import FILES
    device = choose_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    return {"python": platform.python_version(), "torch": torch.__version__, "device": str(device),
            "device_name": name, "numerics": numerics_label(),
            "data_sha256": {file: spec.sha256 for file, spec in FILES.items()}}


def pytest_sessionfinish(session, exitstatus):
    if not _results or exitstatus == 2:  # 2: interrupted (Ctrl-C): what ran is no verdict
        return
    folder = status_dir()
    path = folder / f"{numerics_label().replace(' ', '_').replace('=', '-')}.json"
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"notebooks": {}}
    record.update(machine())
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, entry in sorted(_results.items()):
        record["notebooks"][name] = {"passed": entry["failed"] == 0 and entry["cells"] > 0, "cells": entry["cells"],
                                     "failed_cells": entry["failed"], "seconds": round(entry["seconds"], 1),
                                     "date": date}
    folder.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # then one rename: never half-written
    staging.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(staging, path)

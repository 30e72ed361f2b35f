"""`make test` leaves a "last verified" record of every notebook that nbval ran (conftest.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_nbval_run_writes_its_record(tmp_path):
    env = dict(os.environ, COURSE_STATUS_DIR=str(tmp_path), MKL_CBWR="COMPATIBLE")
    env.pop("ATEN_CPU_CAPABILITY", None)
    env.pop("COURSE_THREADS", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "notebooks/06_exercises.ipynb", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    record = json.loads((tmp_path / "MKL_CBWR-COMPATIBLE.json").read_text(encoding="utf-8"))
    entry = record["notebooks"]["06_exercises.ipynb"]
    assert entry["passed"] is True and entry["cells"] > 10 and entry["failed_cells"] == 0 and entry["seconds"] > 0
    assert record["numerics"] == "MKL_CBWR=COMPATIBLE" and record["python"] and record["torch"]
    assert record["device"] in ("cpu", "cuda", "mps") and len(record["data_sha256"]) == 4
    assert list(record["notebooks"]) == ["06_exercises.ipynb"]  # only what ran; nothing made up

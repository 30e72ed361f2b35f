"""The "last verified" records (tools/status.py): written by every nbval run, and the status page made of them."""
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import course as notebook_model, make_html, make_pdf, status

ROOT = Path(__file__).resolve().parent.parent
PERTURBED = status.MAKE_TEST_SETUPS[1]


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MKL_CBWR-COMPATIBLE.json"]  # no temporary file left


def record(numerics: str, results: dict) -> dict:
    """A record as the plugin writes it: notebook -> (passed, date)."""
    return {"python": "3.11.7", "torch": "2.14.1", "device": "cpu", "device_name": "AMD EPYC", "numerics": numerics,
            "data_sha256": {"train-images-idx3-ubyte.gz": "c59f46"},
            "notebooks": {name: {"passed": passed, "cells": 12, "failed_cells": 0 if passed else 2, "seconds": 3.2,
                                 "date": date} for name, (passed, date) in results.items()}}


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "README.md").write_text("# A small course\n", encoding="utf-8")
    for stem in ("00_a", "01_b"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
            f"# {stem[:2]} · Notebook {stem}\n\n**In one line:** About {stem}.\n\n**Needs:** nothing")])
        nbformat.write(nb, root / "notebooks" / f"{stem}.ipynb")
    return root


def build(course: Path, *records: dict) -> Path:
    folder = course.parent / "status"
    folder.mkdir(exist_ok=True)
    for k, item in enumerate(records):
        (folder / f"{k}.json").write_text(json.dumps(item), encoding="utf-8")
    make_html.build(course, course.parent / "site", status_dir=folder)
    return course.parent / "site"


def text_of(page: Path) -> str:
    return make_html.plain(page.read_text(encoding="utf-8").split("<main>", 1)[1])


def test_all_passed_under_both_setups_is_verified(course):
    day = "2026-12-01 15:00 UTC"
    site = build(course, record("default", {"00_a.ipynb": (True, day), "01_b.ipynb": (True, day)}),
                 record(PERTURBED, {"00_a.ipynb": (True, day), "01_b.ipynb": (True, day)}))
    page = text_of(site / "status.html")
    assert "Last run 2026-12-01 15:00 UTC on cpu (AMD EPYC), Python 3.11.7, torch 2.14.1" in page
    assert "Verified: every notebook passed under all of them." in page and "FAILED" not in page
    assert page.count("passed, 12 cells, 3 s") == 4 and "c59f46" in page and "Other runs" not in page
    assert "passed under all 2 float-rounding set-ups of make test" in text_of(site / "00_a.html")


def test_a_failure_is_never_called_verified_and_is_named(course):
    old, new = "2026-11-30 09:00 UTC", "2026-12-01 15:00 UTC"
    site = build(course, record("default", {"00_a.ipynb": (True, new), "01_b.ipynb": (True, new)}),
                 record(PERTURBED, {"00_a.ipynb": (False, new)}),
                 record("ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 COURSE_THREADS=2", {"00_a.ipynb": (True, old)}))
    page = text_of(site / "status.html")
    headline = page.split("Notebook default")[0]  # all above the table
    assert "Verified:" not in headline and "Not verified: 2 of 2 notebooks did not pass under all of them." in headline
    assert f"FAILED under {PERTURBED}" in headline and f"not run under {PERTURBED}" in headline
    assert "FAILED: 2 of 12 cells, 3 s" in page
    other = page.split("Other runs, not part of make test")[1]  # the old set-up, shown apart and labelled
    assert "ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 COURSE_THREADS=2" in other and old in other
    assert f"Last tested {new} on cpu (AMD EPYC), Python 3.11.7, torch 2.14.1: FAILED under {PERTURBED}." \
        in text_of(site / "00_a.html")
    assert f"not run under {PERTURBED}" in text_of(site / "01_b.html")


def test_a_chinese_page_says_it_in_chinese():
    day = "2026-12-01 15:00 UTC"
    records = {"default": record("default", {"00_a.ipynb": (True, day)}),
               PERTURBED: record(PERTURBED, {"00_a.ipynb": (False, day)})}
    line = status.verified_line(records, "00_a.ipynb", "../status.html", make_html.UI["zh"])
    assert line == (f"*上次测试于 {day}，运行环境 cpu (AMD EPYC), Python 3.11.7, torch 2.14.1：在 `{PERTURBED}` 下失败。*"
                    " · [验证状态](../status.html)")
    records[PERTURBED] = record(PERTURBED, {"00_a.ipynb": (True, day)})
    assert "在 `make test` 的全部 2 种浮点舍入设置下通过。" in status.verified_line(records, "00_a.ipynb", "", make_html.UI["zh"])


def test_the_chinese_status_page_says_what_the_english_one_does(course):
    day, lessons = "2026-12-01 15:00 UTC", notebook_model.read_course(course)
    records = {"default": record("default", {"00_a.ipynb": (True, day), "01_b.ipynb": (True, day)}),
               PERTURBED: record(PERTURBED, {"00_a.ipynb": (False, day)})}
    page = status.status_page(records, lessons, make_html.UI["zh"])
    assert page.startswith("# 本课程上次验证是什么时候？") and "**未通过验证**：2 个笔记本中有 2 个没有在全部设置下通过。" in page
    assert f"- 00 · Notebook 00_a: 在 `{PERTURBED}` 下失败" in page and f"- 01 · Notebook 01_b: 在 `{PERTURBED}` 下未运行" in page
    assert "通过，12 个单元格，3 秒" in page and "**失败**：12 个单元格中有 2 个未通过，3 秒" in page and "未运行" in page
    assert "Verified" not in page and "passed" not in page and "c59f46" in page
    records[PERTURBED] = record(PERTURBED, {"00_a.ipynb": (True, day), "01_b.ipynb": (True, day)})
    assert "**已验证**：每个笔记本在这些设置下都通过了。" in status.status_page(records, lessons, make_html.UI["zh"])


def test_without_a_record_of_make_test_nothing_is_verified(course):
    site = build(course, record("MKL_CBWR=COMPATIBLE", {"00_a.ipynb": (True, "2026-12-01 15:00 UTC")}))
    assert "Not verified on this machine: no record of make test" in text_of(site / "status.html")
    assert "Not verified on this machine" in text_of(site / "00_a.html")


# The widest element inside <main> against <main>'s own width, once the page has been laid out.
FIT_PROBE = """<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main'), table = main.querySelector('table');
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({main: main.clientWidth, table: table.getBoundingClientRect().width,
                                    scroll: main.scrollWidth, rows: table.rows.length});
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.parametrize("width", [1280, 800])
def test_the_status_table_fits_its_box(course, width):
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed: apt-get install -y chromium", pytrace=False)
    day = "2026-12-01 15:00 UTC"
    site = build(course, *(record(setup, {"00_a.ipynb": (True, day), "01_b.ipynb": (False, day)})
                           for setup in status.MAKE_TEST_SETUPS))
    page = site / "status.probe.html"
    page.write_text((site / "status.html").read_text(encoding="utf-8").replace("</body>", FIT_PROBE + "</body>"),
                    encoding="utf-8")
    result = make_pdf.browse(page, f"--window-size={width},900", "--dump-dom", timeout=180)
    report = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)[1]))
    assert report["rows"] == 3 and report["table"] <= report["main"] and report["scroll"] <= report["main"], report

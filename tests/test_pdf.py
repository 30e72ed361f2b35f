"""`make pdf` (tools/make_pdf.py): one PDF of the course, formulas typeset, figures on its pages."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01_softmax.ipynb"  # formulas and coloured figures, and quick to print


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    for program, package in (("chromium", "chromium"), ("pdfunite", "poppler-utils"), ("pdftoppm", "poppler-utils")):
        if not shutil.which(program):
            pytest.fail(f"{program} is not installed: apt-get install -y {package}", pytrace=False)
    root = tmp_path_factory.mktemp("course")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / "notebooks")
    shutil.copy(ROOT / "README.md", root)
    out = root / "course.pdf"
    result = subprocess.run([sys.executable, "-m", "tools.make_pdf", "--root", str(root), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 web pages printed into one file" in result.stdout  # the index and the notebook
    return out


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_page_count_is_plausible(pdf):
    # 01 has 79 cells; printed at A4/Letter it takes tens of pages, plus one for the index
    assert 10 <= page_count(pdf) <= 80


def test_a_page_shows_a_figure(pdf, tmp_path):
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    from matplotlib import image
    coloured = []
    for png in sorted(tmp_path.glob("page-*.png")):
        pixels = image.imread(png)[..., :3]
        saturation = pixels.max(axis=2) - pixels.min(axis=2)  # grey text and white paper are near 0
        coloured.append(float((saturation > 0.25).mean()))
    assert max(coloured) > 0.02, f"no page shows a coloured figure (largest share of coloured pixels {max(coloured):.4f})"


def test_the_pdf_has_no_untypeset_formula(pdf):
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "softmax" in text and "$\\" not in text and "\\frac" not in text  # TeX source would mean no MathJax

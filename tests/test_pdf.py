"""`make pdf` (tools/make_pdf.py): one PDF per language that prints: A4 or Letter, page numbers, contents,
bookmarks, solutions in it, no web navigation, code wrapped at spaces, formulas typeset, figures on its pages."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import course, make_pdf

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01_softmax.ipynb"  # formulas, coloured figures, two worked solutions, and quick to print


def make_pdf_run(root: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "tools.make_pdf", "--root", str(root), "--out",
                             str(root / "course.pdf"), *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    for program in ("chromium", "pdftohtml", "pdftotext", "pdftoppm", "pdffonts"):
        if not shutil.which(program):
            pytest.fail(f"{program} is not installed: apt-get install -y chromium poppler-utils", pytrace=False)
    root = tmp_path_factory.mktemp("course")
    (root / "notebooks" / "zh").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", root)
    for name in (NOTEBOOK, f"zh/{NOTEBOOK}", "zh/README.md"):
        shutil.copy(ROOT / "notebooks" / name, root / "notebooks" / name)
    said = make_pdf_run(root)
    assert re.search(r"course\.pdf \(\d+ A4 pages\)", said) and re.search(r"course\.zh\.pdf \(\d+ A4 pages\)", said)
    return root / "course.pdf", root / "course.zh.pdf"


@pytest.fixture(scope="module")
def pdf(pdfs):
    return pdfs[0]


def info(pdf: Path) -> dict:
    lines = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def text(pdf: Path, *pages: int, layout: bool = False) -> str:
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", *span, *(["-layout"] if layout else []), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def one_line(words: str) -> str:
    return " ".join(words.split())


def notebook():
    return nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)


def test_pages_are_a4_by_default_and_letter_on_request(pdf, tmp_path):
    assert info(pdf)["Page size"].endswith("(A4)") and 10 <= int(info(pdf)["Pages"]) <= 80
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "README.md").write_text("# A short course\n", encoding="utf-8")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 00 · A short one\n\n**In one line:** Short.\n\n**Needs:** nothing\n\n## Only section")]),
        root / "notebooks" / "00_short.ipynb")
    assert "(3 LETTER pages)" in make_pdf_run(root, "--paper", "letter")  # cover, contents, the notebook
    assert info(root / "course.pdf")["Page size"] == "612 x 792 pts (letter)"


def test_bookmarks_hold_every_notebook_and_its_sections(pdf):
    marks = make_pdf.outline(pdf)[0]
    lesson = course.read_lesson(ROOT / "notebooks" / NOTEBOOK)
    sections = [line[3:].replace("`", "") for cell in notebook().cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    assert [title for depth, title, _ in marks if depth == 1] == [lesson.heading]
    assert [title for depth, title, _ in marks if depth == 2] == sections and len(sections) > 10
    assert any(depth == 3 for depth, _, _ in marks)  # the subsections too
    pages = [page for _, _, page in marks]
    assert pages == sorted(pages) and pages[0] == 3 and pages[-1] <= int(info(pdf)["Pages"])  # cover, contents, …


def test_contents_give_the_page_of_each_notebook_and_section(pdf):
    contents = [one_line(line) for line in text(pdf, 2, layout=True).splitlines() if line.strip()]
    assert contents[0] == "Contents"
    marks = [(title, page) for depth, title, page in make_pdf.outline(pdf)[0] if depth <= 2]
    assert contents[1:len(marks) + 1] == [f"{title} {page}" for title, page in marks]


def test_every_page_has_its_number(pdf):
    pages = int(info(pdf)["Pages"])
    for page in (1, 5, pages):
        assert f"{page} / {pages}" in one_line(text(pdf, page)), f"page {page} does not say '{page} / {pages}'"


def test_worked_solutions_are_in_the_pdf_without_their_markers(pdf):
    printed = one_line(text(pdf))
    solutions = [cell.source for cell in notebook().cells if course.is_solution(cell) and cell.cell_type == "code"]
    assert solutions
    for source in solutions:
        lines = [one_line(line) for line in source.splitlines() if line.strip() and "### " not in line]
        missing = [line for line in lines if line not in printed]
        assert not missing, f"these lines of a worked solution are not in the PDF: {missing[:3]}"
    assert "BEGIN SOLUTION" not in printed and "END SOLUTION" not in printed and "Show solution" not in printed


def test_no_web_navigation_in_the_pdf(pdf):
    printed = one_line(text(pdf))
    assert "← " not in printed and " · index" not in printed and "Last tested" not in printed
    assert "Not verified" not in printed and "Search the course" not in printed
    xml = subprocess.run(["pdftohtml", "-xml", "-stdout", "-i", "-q", str(pdf)], capture_output=True, text=True).stdout
    assert not re.findall(r'<a href="[^"#]*\.html', xml), "the PDF links to pages of the web site"


def test_code_wraps_at_spaces_and_never_inside_a_name(pdf):
    words = set(re.findall(r"\w+", text(pdf)))
    names = {name for cell in notebook().cells if cell.cell_type == "code"
             for line in cell.source.splitlines() if "### " not in line for name in re.findall(r"\b[A-Za-z_]\w{7,}", line)}
    assert len(names) > 50
    broken = sorted(name for name in names if name not in words)
    assert not broken, f"names broken across lines in the PDF: {broken[:10]}"


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
    printed = text(pdf)
    assert "softmax" in printed and "$\\" not in printed and "\\frac" not in printed  # TeX source: no MathJax


def test_the_chinese_pdf_has_its_text_and_embeds_its_fonts(pdfs):
    chinese, lesson = pdfs[1], course.read_lesson(ROOT / "notebooks" / "zh" / NOTEBOOK)
    assert "".join(lesson.one_line.split()) in "".join(text(chinese).split())
    assert "目录" in text(chinese, 2) and "显示解答" not in text(chinese)
    fonts = subprocess.run(["pdffonts", str(chinese)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), "a font is not embedded:\n" + "\n".join(fonts)
    assert [title for depth, title, _ in make_pdf.outline(chinese)[0] if depth == 1] == [lesson.heading]

"""The README's notebook table and the notebooks' navigation cells (tools/make_index.py)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
from tools import make_index
from tools.course import parse_title

README = """# A course

Intro text that the tool must not touch.

<!-- notebooks:start -->
<!-- notebooks:end -->

## After the table

Also untouched: [a link](notebooks/does-not-matter.md).
"""


def run_tool(root: Path, *args: str) -> SimpleNamespace:
    """make_index's command line, run in this process (fast): exit code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = make_index.main([*args, "--root", str(root)])
    return SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def title(number: str, name: str) -> str:
    return f"# {number} · {name}\n\n**In one line:** What {name} | teaches.\n\n**Needs:** notebook 00; about 1 s\n\nIntro."


def make_course(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "README.md").write_text(README, encoding="utf-8")
    for number, stem, name in (("00", "00_data", "The data"), ("01", "01_softmax", "The softmax"),
                               ("02", "02_loss", "The loss")):
        code = new_code_cell("print(1 + 1)", execution_count=1)
        code.outputs = [new_output("stream", name="stdout", text="2\n"),
                        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
        nb = new_notebook(cells=[new_markdown_cell(title(number, name)), code, new_markdown_cell("The end.")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "notebooks" / f"{stem}.ipynb")
    return root


def body(path: Path) -> list[dict]:
    """The notebook's cells other than nav cells, ids, metadata and outputs included."""
    cells = nbformat.read(path, as_version=4).cells
    return [json.loads(json.dumps(cell)) for cell in cells if "nav" not in cell.metadata.get("tags", [])]


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def course(tmp_path):
    root = make_course(tmp_path / "course")
    before = {p.name: body(p) for p in (root / "notebooks").glob("*.ipynb")}
    result = run_tool(root)
    assert result.returncode == 0, result.stderr
    return root, before


# -------------------------------------------------------------------------------- the real course

def test_real_course_is_in_step():
    """README table and nav cells of this repository match the notebooks' title cells (the real
    command line, as `make index` runs it)."""
    result = subprocess.run([sys.executable, "-m", "tools.make_index", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"run `make index`, then commit:\n{result.stderr}"


# ---------------------------------------------------------------------------- generation

def test_generated_table_and_nav(course):
    root, _ = course
    text = (root / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# A course\n\nIntro text that the tool must not touch.\n\n<!-- notebooks:start -->\n")
    assert text.endswith("<!-- notebooks:end -->\n\n## After the table\n\nAlso untouched: "
                         "[a link](notebooks/does-not-matter.md).\n")
    assert "| [01 · The softmax](notebooks/01_softmax.ipynb) | What The softmax \\| teaches. | notebook 00; about 1 s |" in text

    cells = nbformat.read(root / "notebooks" / "01_softmax.ipynb", as_version=4).cells
    expected = "[← 00 · The data](00_data.ipynb) · [index](../README.md) · [02 · The loss →](02_loss.ipynb)"
    assert cells[0].source == cells[-1].source == expected
    assert cells[0].metadata["tags"] == cells[-1].metadata["tags"] == ["nav"]
    assert cells[1].source.startswith("# 01 · The softmax")  # nav goes before the title cell
    first = nbformat.read(root / "notebooks" / "00_data.ipynb", as_version=4).cells[0].source
    last = nbformat.read(root / "notebooks" / "02_loss.ipynb", as_version=4).cells[0].source
    assert first == "[index](../README.md) · [01 · The softmax →](01_softmax.ipynb)"
    assert last == "[← 01 · The softmax](01_softmax.ipynb) · [index](../README.md)"
    assert run_tool(root, "--check").returncode == 0


def test_other_cells_and_outputs_are_preserved(course):
    root, before = course
    for path in (root / "notebooks").glob("*.ipynb"):
        assert body(path) == before[path.name]


def test_idempotent(course):
    root, _ = course
    first = snapshot(root)
    result = run_tool(root)
    assert result.returncode == 0 and "everything already in step" in result.stdout
    assert snapshot(root) == first


# ---------------------------------------------------------------------------- detection and repair

def assert_detected_then_fixed(root: Path, *expected_in_message: str) -> None:
    result = run_tool(root, "--check")
    assert result.returncode != 0, "the check should have failed"
    for text in expected_in_message:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    fixed = run_tool(root)
    assert fixed.returncode == 0, fixed.stderr
    after = run_tool(root, "--check")
    assert after.returncode == 0, after.stderr


def test_stale_table_is_detected_and_fixed(course):
    root, _ = course
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("What The loss", "What the old loss"),
                      encoding="utf-8")
    assert_detected_then_fixed(root, "README.md differs from what `make index` generates", "-| [02 · The loss]"
                                     "(notebooks/02_loss.ipynb) | What the old loss")


def test_changed_title_is_detected_everywhere(course):
    root, _ = course
    path = root / "notebooks" / "01_softmax.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("The softmax", "The softmax operation", 1)
    nbformat.write(nb, path)
    stale = "differs from what `make index` generates in cell nav-top (markdown), cell nav-bottom (markdown)"
    assert "notebooks/01_softmax.ipynb differs" not in run_tool(root, "--check").stderr  # its nav names the others
    assert_detected_then_fixed(root, "README.md differs", "+| [01 · The softmax operation]",
                               f"notebooks/00_data.ipynb {stale}", f"notebooks/02_loss.ipynb {stale}")
    assert "01 · The softmax operation" in (root / "README.md").read_text(encoding="utf-8")


def test_missing_nav_is_detected_and_fixed(course):
    root, before = course
    path = root / "notebooks" / "02_loss.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[1:-1]
    nbformat.write(nb, path)
    assert_detected_then_fixed(root, "notebooks/02_loss.ipynb differs from what `make index` generates in "
                                     "cell nav-top (markdown), cell nav-bottom (markdown)")
    assert body(path) == before[path.name]


def test_stray_nav_cell_is_detected_and_removed(course):
    root, before = course
    path = root / "notebooks" / "00_data.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("[index](../README.md)", id="stray", metadata={"tags": ["nav"]}))
    nbformat.write(nb, path)
    assert_detected_then_fixed(root, "notebooks/00_data.ipynb differs from what `make index` generates in "
                                     "cell stray (markdown, to be removed)")
    assert body(path) == before[path.name]


def test_hand_edited_nav_cell_is_detected_and_fixed(course):
    root, _ = course
    path = root / "notebooks" / "01_softmax.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("02_loss.ipynb", "02_renamed.ipynb")
    nbformat.write(nb, path)
    assert_detected_then_fixed(root, "notebooks/01_softmax.ipynb differs from what `make index` generates in "
                                     "cell nav-top (markdown)")


def test_renamed_notebook_is_followed(course):
    root, _ = course
    (root / "notebooks" / "02_loss.ipynb").rename(root / "notebooks" / "02_cross_entropy.ipynb")
    assert_detected_then_fixed(root, "-| [02 · The loss](notebooks/02_loss.ipynb)",
                               "+| [02 · The loss](notebooks/02_cross_entropy.ipynb)",
                               "notebooks/01_softmax.ipynb differs from what `make index` generates in cell nav-top")
    assert "](02_cross_entropy.ipynb)" in nbformat.read(root / "notebooks" / "01_softmax.ipynb", as_version=4).cells[0].source


def test_missing_index_target_is_detected(course):
    root, _ = course
    (root / "README.md").unlink()
    result = run_tool(root, "--check")
    assert result.returncode == 2 and "README.md: does not exist" in result.stderr


@pytest.mark.parametrize("bad_title, message", [
    ("# 01 · The softmax\n\nNo one-liner here.\n\n**Needs:** x", "lacks the required shape"),
    ("# 01 · The softmax\n\n**In one line:** fine.\n\nNeeds: no bold", "lacks the required shape"),
    ("## 01 · The softmax\n\n**In one line:** a.\n\n**Needs:** b", "lacks the required shape"),
    ("# 01 - The softmax\n\n**In one line:** a.\n\n**Needs:** b", "lacks the required shape"),
    ("# 07 · The softmax\n\n**In one line:** a.\n\n**Needs:** b", "the title says '07' but the file name starts with '01'"),
])
def test_bad_title_cell_is_reported_and_nothing_written(course, bad_title, message):
    root, _ = course
    path = root / "notebooks" / "01_softmax.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = bad_title
    nbformat.write(nb, path)
    # Make the other notebooks stale too: write mode must refuse before touching any file.
    (root / "README.md").write_text(README, encoding="utf-8")
    before = snapshot(root)
    check = run_tool(root, "--check")
    assert check.returncode != 0 and "01_softmax.ipynb" in check.stderr and message in check.stderr, check.stderr
    write = run_tool(root)
    assert write.returncode != 0 and message in write.stderr
    assert snapshot(root) == before


def test_missing_markers_are_reported(course):
    root, _ = course
    (root / "README.md").write_text("# A course\n\nNo markers.\n", encoding="utf-8")
    result = run_tool(root, "--check")
    assert result.returncode != 0 and "<!-- notebooks:start -->" in result.stderr
    assert run_tool(root).returncode != 0


def test_title_parser_accepts_wrapped_lines_and_following_text():
    info = parse_title("# 03 · Information theory\n\n**In one line:** Entropy,\ncross-entropy and KL.\n\n"
                                  "**Needs:** nothing\n\nAn intro paragraph.", Path("03_information_theory.ipynb"))
    assert (info.number, info.title, info.one_line, info.needs) == (
        "03", "Information theory", "Entropy, cross-entropy and KL.", "nothing")


def test_write_mode_on_a_copy_of_the_real_course(tmp_path):
    """On a copy of this repository's notebooks: write mode brings everything in step, changing
    nothing but the nav cells, and a second run changes nothing."""
    root = tmp_path / "copy"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".*"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    before = {p.name: body(p) for p in (root / "notebooks").glob("*.ipynb")}
    assert run_tool(root).returncode == 0
    assert run_tool(root, "--check").returncode == 0
    assert {p.name: body(p) for p in (root / "notebooks").glob("*.ipynb")} == before
    first = snapshot(root)
    assert run_tool(root).returncode == 0
    assert snapshot(root) == first

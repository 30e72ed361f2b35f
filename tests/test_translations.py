"""The Chinese edition (tools/translate.py): complete, in step with the English, with the glossary's terms."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import nbformat
import polib
import pytest

from tools import course, translate

ROOT = Path(__file__).resolve().parent.parent
NAMES = [path.name for path in course.notebook_paths(ROOT / "notebooks")]
STALE = "differs from what `make translations` generates"


def run_tool(root: Path, *args: str) -> SimpleNamespace:
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = translate.main([*args, "--root", str(root)])
    return SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def chinese(name: str):
    return nbformat.read(ROOT / translate.EDITION / name, as_version=4)


# ------------------------------------------------------------------------------ the real edition

def test_real_edition_complete_and_in_step():
    """Every cell translated, keeping its formulas, code and links; catalogues, notebooks/zh/ and its README
    what `make translations` makes of them (as `make translations` and `--check` run it)."""
    result = run_tool(ROOT, "--check")
    assert result.returncode == 0, ("translate what is untranslated or fuzzy in translations/zh/*.po (a PO editor "
                                    "such as Poedit, or any text editor), run `make translations`, then commit:\n"
                                    + result.stderr)


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_and_metadata_identical_to_english(name):
    """Read from the files themselves: every code cell, with its outputs, and every cell's metadata
    (nbgrader's included) are the English notebook's."""
    english, zh = nbformat.read(ROOT / "notebooks" / name, as_version=4), chinese(name)
    assert [c.get("id") for c in zh.cells] == [c.get("id") for c in english.cells], f"{name}: cells differ"
    assert zh.metadata == english.metadata, f"zh/{name}: notebook metadata differs from the English"
    for en_cell, zh_cell in zip(english.cells, zh.cells):
        if en_cell.cell_type == "code":
            assert json.dumps(zh_cell, sort_keys=True) == json.dumps(en_cell, sort_keys=True), (
                f"zh/{name}: code cell {en_cell.id} differs from the English one")
        assert zh_cell.metadata == en_cell.metadata, f"zh/{name}: the metadata of cell {en_cell.id} differs"


def body_text(nb) -> str:
    """The prose of a notebook's markdown: no nav cells, headings, titles quoted in 《》, inline code or formulas."""
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown" and not course.is_nav(cell))
    text = re.sub(r"^#+ .*$|《[^》]*》", "", text, flags=re.M)
    return translate._MATH.sub(" ", translate._CODE.sub(" ", text))


def glossary_problems(name: str, text: str) -> list[str]:
    """Each glossary term of notebook `name`: used, at its first use with its English in parentheses; later
    notebooks' terms not used yet. A term inside a longer glossary term does not count (熵 in 交叉熵)."""
    terms, problems = translate.read_glossary(ROOT), []
    for term, english, first in terms:
        masked = text
        for longer in sorted((t for t, _, _ in terms if term in t and t != term), key=len, reverse=True):
            masked = masked.replace(longer, "\0" * len(longer))
        at = masked.find(term)
        context = f"“…{text[max(at - 15, 0):at + 25]}…”"
        with_english = re.match(rf"\**\s*[（(][^）)\n]*?{re.escape(english)}", masked[at + len(term):], re.I)
        if first > name[:2] and at >= 0:
            problems.append(f"uses {term} ({english}) in {context}, but the glossary says notebook {first} "
                            "introduces it: move its first use or fix glossary.tsv")
        elif first == name[:2] and at < 0:
            problems.append(f"never uses {term} ({english}), which glossary.tsv says it introduces")
        elif first == name[:2] and not with_english:
            problems.append(f"the first use of {term} lacks “（{english}）” after it: {context}")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_glossary_terms_with_english_at_first_use(name):
    problems = glossary_problems(name, body_text(chinese(name)))
    assert not problems, f"zh/{name}:\n" + "\n".join(problems)


def test_glossary_check_catches_a_missing_english_term():
    problems = glossary_problems("01_softmax.ipynb", "用独热编码表示。温度（temperature）")
    assert any("独热编码 lacks “（one-hot encoding）”" in p for p in problems), problems
    assert any("never uses 互斥" in p for p in problems)
    too_early = glossary_problems("00_x.ipynb", "softmax 回归（softmax regression）有温度")
    assert any(p.startswith("uses 温度 (temperature)") for p in too_early), too_early


def test_glossary_rows_are_distinct_and_listed_in_the_readme():
    terms = translate.read_glossary(ROOT)
    assert len({term for term, _, _ in terms}) == len(terms), "a Chinese term appears twice in glossary.tsv"
    readme = (ROOT / translate.EDITION / "README.md").read_text(encoding="utf-8")
    assert all(f"| {term} | {english} |" in readme for term, english, _ in terms)


def test_nbval_does_not_collect_the_chinese_edition():
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert "notebooks/01_softmax.ipynb::" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    assert "notebooks/zh" not in result.stdout


# ------------------------------------------------------------------- drift, on a temporary copy

@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "course"
    for folder in ("notebooks", "translations"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".*"))
    return root


def edit_notebook(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def cell(nb, cell_id):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def entry(root: Path, stem: str, cell_id: str) -> polib.POEntry:
    return next(e for e in polib.pofile(str(root / translate.CATALOGUES / f"{stem}.po")) if e.msgctxt == cell_id)


def todo(root: Path) -> list[str]:
    return translate.build(root)[1]


def test_changed_english_cell_fails_then_turns_fuzzy(project):
    translated = entry(project, "01_softmax", "softmax-21")
    old, translation = translated.msgid, translated.msgstr
    new = old + "\n\nA sentence the English editor added."
    edit_notebook(project / "notebooks" / "01_softmax.ipynb", lambda nb: cell(nb, "softmax-21").update(source=new))
    check = run_tool(project, "--check")
    assert check.returncode == 1
    assert f"translations/zh/01_softmax.po {STALE}" in check.stderr
    assert f"notebooks/zh/01_softmax.ipynb {STALE} in cell softmax-21 (markdown)" in check.stderr
    assert "01_softmax.ipynb: 1 cell(s) fuzzy: softmax-21 (in translations/zh/01_softmax.po)" in check.stderr

    assert run_tool(project).returncode == 0  # make translations
    fuzzy = entry(project, "01_softmax", "softmax-21")
    assert (fuzzy.fuzzy, fuzzy.msgid, fuzzy.previous_msgid, fuzzy.msgstr) == (True, new, old, translation)
    shown = cell(nbformat.read(project / translate.EDITION / "01_softmax.ipynb", as_version=4), "softmax-21").source
    assert shown == new + "\n\n" + translate.NOTICE["fuzzy"]  # English, flagged; never the stale Chinese silently
    assert todo(project) == ["01_softmax.ipynb: 1 cell(s) fuzzy: softmax-21 (in translations/zh/01_softmax.po)"]
    check = run_tool(project, "--check")
    assert check.returncode == 1 and "1 problem(s)" in check.stderr  # the to-do; nothing else is stale

    po = polib.pofile(str(project / translate.CATALOGUES / "01_softmax.po"))  # the translator's turn
    revised = po.find("softmax-21", by="msgctxt")
    revised.msgstr, revised.fuzzy, revised.previous_msgid = translation + "\n\n英文编辑补充的一句话。", False, None
    po.save()
    assert run_tool(project).returncode == 0
    assert run_tool(project, "--check").returncode == 0
    assert cell(nbformat.read(project / translate.EDITION / "01_softmax.ipynb", as_version=4),
                "softmax-21").source.endswith("英文编辑补充的一句话。")


def test_new_cell_untranslated_and_removed_cell_obsolete(project):
    kept = entry(project, "00_fashion_mnist", "954d3105").msgstr

    def change(nb):
        nb.cells = [c for c in nb.cells if c.get("id") != "954d3105"]
        nb.cells.insert(3, nbformat.v4.new_markdown_cell("A new paragraph.", id="brand-new"))
    edit_notebook(project / "notebooks" / "00_fashion_mnist.ipynb", change)
    assert run_tool(project).returncode == 0
    assert not entry(project, "00_fashion_mnist", "brand-new").translated()
    gone = entry(project, "00_fashion_mnist", "954d3105")
    assert gone.obsolete and gone.msgstr == kept  # kept for reference, as msgmerge does
    zh = nbformat.read(project / translate.EDITION / "00_fashion_mnist.ipynb", as_version=4)
    assert cell(zh, "brand-new").source == "A new paragraph.\n\n" + translate.NOTICE["untranslated"]
    assert "954d3105" not in [c.get("id") for c in zh.cells]
    assert todo(project) == [
        "00_fashion_mnist.ipynb: 1 cell(s) untranslated: brand-new (in translations/zh/00_fashion_mnist.po)"]


def test_changed_code_cell_is_reported_then_copied(project):
    code = next(c for c in nbformat.read(project / "notebooks" / "01_softmax.ipynb", as_version=4).cells
                if c.cell_type == "code")
    edit_notebook(project / "notebooks" / "01_softmax.ipynb",
                  lambda nb: cell(nb, code.id).update(source=code.source + "\n# one more line"))
    check = run_tool(project, "--check")
    assert f"notebooks/zh/01_softmax.ipynb {STALE} in cell {code.id} (code)" in check.stderr
    assert run_tool(project).returncode == 0
    zh = nbformat.read(project / translate.EDITION / "01_softmax.ipynb", as_version=4)
    assert cell(zh, code.id).source == code.source + "\n# one more line"


def test_hand_edit_of_the_chinese_notebook_is_reported(project):
    path = project / translate.EDITION / "00_fashion_mnist.ipynb"
    code_id = next(c.id for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    edit_notebook(path, lambda nb: cell(nb, code_id).update(source="print('edited by hand')"))
    check = run_tool(project, "--check")
    assert f"notebooks/zh/00_fashion_mnist.ipynb {STALE} in cell {code_id} (code)" in check.stderr


def test_translation_that_changes_a_formula_is_reported(project):
    po = polib.pofile(str(project / translate.CATALOGUES / "01_softmax.po"))
    po.find("softmax-09", by="msgctxt").msgstr = po.find("softmax-09", by="msgctxt").msgstr.replace(r"$\sqrt 2$", "$2$")
    po.save()
    check = run_tool(project, "--check")
    assert "01_softmax.ipynb: cell softmax-09: the translation lacks ['$\\\\sqrt 2$']" in check.stderr, check.stderr


def test_bad_title_translation_writes_nothing(project):
    po = polib.pofile(str(project / translate.CATALOGUES / "00_fashion_mnist.po"))
    po.find("2e064e4a", by="msgctxt").msgstr = "# 00 · Fashion-MNIST 数据集\n\n没有一句话概括。"
    po.save()
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run_tool(project)
    assert result.returncode == 2 and "00_fashion_mnist.ipynb: the title cell" in result.stderr
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("file, text, message", [
    ("01_softmax.po", 'msgid ""\nmsgstr ""\nnot a po line\n', "01_softmax.po: not a readable gettext catalogue"),
    ("glossary.tsv", "中文\tEnglish\t首次出现\n独热编码\tone-hot encoding\n", "glossary.tsv, line 2: expected"),
    ("glossary.tsv", "中文\tEnglish\t首次出现\n独热编码\tone-hot encoding\t09\n", "names notebook(s) ['09']"),
])
def test_bad_catalogue_or_glossary_is_reported_and_nothing_written(project, file, text, message):
    (project / translate.CATALOGUES / file).write_text(text, encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run_tool(project)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert message in run_tool(project, "--check").stderr


def test_regenerating_changes_nothing(project):
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run_tool(project)
    assert result.returncode == 0 and result.stdout.startswith("everything already in step"), result.stdout
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_unreadable_chinese_notebook_is_regenerated(project):
    """A generated notebook left broken (a merge conflict, say) is reported, then simply made again."""
    path = project / translate.EDITION / "00_fashion_mnist.ipynb"
    expected = path.read_bytes()
    path.write_text("<<<<<<< HEAD\n{}\n", encoding="utf-8")
    assert "notebooks/zh/00_fashion_mnist.ipynb is not a readable notebook" in run_tool(project, "--check").stderr
    assert run_tool(project).returncode == 0 and path.read_bytes() == expected

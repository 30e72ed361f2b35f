"""The Chinese edition, notebooks/zh/, generated from the English notebooks and translations/zh/*.po.

    python -m tools.translate [--root ROOT]            update the catalogues, regenerate notebooks/zh/
    python -m tools.translate --check [--root ROOT]    change nothing; exit 1 and say what is out of step

A catalogue per notebook, translations/zh/NN_name.po, holds an entry per markdown cell: msgctxt the cell
id, msgid the English, msgstr the Chinese. As with msgmerge, a new cell gets an untranslated entry, a
changed one turns fuzzy (keeping its translation and the previous msgid), a removed one obsolete. The
Chinese notebook is the English one with its markdown translated and nav cells made from the Chinese
titles; an untranslated or fuzzy cell shows its English under a notice. notebooks/zh/README.md is the
Chinese table of contents and glossary (translations/zh/glossary.tsv).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

from . import course, files
from .course import CourseError

CATALOGUES, EDITION = Path("translations/zh"), Path("notebooks/zh")
NOTICE = {"untranslated": "> **〔未翻译〕** 本单元格尚未译成中文，以上是英文原文。",
          "fuzzy": "> **〔待更新〕** 英文原文已经修改，译文有待更新，以上暂为英文原文。"}
METADATA = {"Project-Id-Version": "softmax-course", "Language": "zh_CN", "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
TITLE_NOTE = "The title cell: keep '# NN · 标题', then '**一句话概括：** …' and '**所需：** …' (tools read it)."
# What a translation keeps exactly, adding more if it likes: inline code, formulas (words in \text{} aside),
# link targets and nbgrader's markers.
_CODE, _LINK, _TEXT = re.compile(r"`[^`\n]+`"), re.compile(r"\]\(([^)\s]+)\)"), re.compile(r"\\text\{[^}]*\}")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_MARKERS = (course.BEGIN_SOLUTION, course.END_SOLUTION, course.BEGIN_HIDDEN, course.END_HIDDEN)


def fixed_parts(text: str) -> set[str]:
    prose = _CODE.sub("", text)
    return ({*_CODE.findall(text), *_LINK.findall(prose), *(m for m in _MARKERS if m in text)}
            | {_TEXT.sub(r"\\text{}", math) for math in _MATH.findall(prose)})


def read_catalogue(path: Path) -> polib.POFile:
    if not path.exists():
        return polib.POFile(wrapwidth=78)
    try:
        return polib.pofile(str(path), wrapwidth=78)
    except (OSError, ValueError) as err:
        raise CourseError(f"{path}: not a readable gettext catalogue ({err}); fix it, or restore it from git") from None


def translate(lesson: course.Lesson, old: polib.POFile) -> tuple[polib.POFile, list[str]]:
    """`old` brought in step with the notebook as msgmerge would, and the to-dos; translates `lesson.nb` in place."""
    nb, name, pending, todo = lesson.nb, lesson.path.name, {"untranslated": [], "fuzzy": []}, []
    entries, title = {entry.msgctxt: entry for entry in old}, course.title_cell(nb)
    po = polib.POFile(wrapwidth=78)
    po.header = old.header or f"Chinese translation of notebooks/{name}: `make translations` updates it."
    po.metadata = old.metadata or dict(METADATA)
    # A catalogue holds every markdown cell but the nav cells (made from the titles) and empty ones.
    for cell in (c for c in nb.cells if c.cell_type == "markdown" and not course.is_nav(c) and c.source):
        entry = entries.pop(cell.id, None) or polib.POEntry(msgctxt=cell.id, msgid=cell.source)
        entry.obsolete = False
        if entry.msgid != cell.source:
            if entry.msgstr and not entry.fuzzy:
                entry.previous_msgid, entry.fuzzy = entry.msgid, True
            entry.msgid = cell.source
        entry.comment = TITLE_NOTE if cell is title else ""  # extracted comments (#.) are the tool's own
        po.append(entry)
        if not entry.translated():
            state = "fuzzy" if entry.fuzzy else "untranslated"
            pending[state].append(cell.id)
            cell.source += "\n\n" + NOTICE[state]
            continue
        if missing := fixed_parts(entry.msgid) - fixed_parts(entry.msgstr):
            todo.append(f"{name}: cell {cell.id}: the translation lacks {sorted(missing)}; formulas, inline code, "
                        "link targets and nbgrader markers stay as in the English")
        cell.source = entry.msgstr
    for entry in entries.values():
        entry.obsolete = True
        po.append(entry)
    return po, [f"{name}: {len(ids)} cell(s) {state}: {', '.join(ids)} (in {CATALOGUES / lesson.path.stem}.po)"
                for state, ids in pending.items() if ids] + todo


def read_glossary(root: Path) -> list[tuple[str, str, str]]:
    """(中文, English, number of the notebook that first uses it) of every row of glossary.tsv."""
    path, rows = root / CATALOGUES / "glossary.tsv", []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], 2):
        if len(fields := line.split("\t")) != 3 or not re.fullmatch(r"\d\d", fields[2]):
            raise CourseError(f"{path}, line {number}: expected 中文<TAB>English<TAB>NN, found {line!r}")
        rows.append(tuple(fields))
    return rows


def build(root: Path) -> tuple[dict, list[str]]:
    """The catalogues, notebooks/zh/ and its README as they must be, and the translators' to-dos."""
    expected, todo, lessons = {}, [], []
    for lesson in course.read_course(root):
        po_path, zh_path = root / CATALOGUES / f"{lesson.path.stem}.po", root / EDITION / lesson.path.name
        po, pending = translate(lesson, read_catalogue(po_path))
        expected[po_path], expected[zh_path], todo = str(po), lesson.nb, todo + pending
        lessons.append(course.parse_title(course.title_cell(lesson.nb).source, zh_path, lesson.nb))
    for position, chinese in enumerate(lessons):
        course.apply_nav(chinese.nb, course.nav_source(
            lessons, position, index=f"[目录](README.md) · [English](../{chinese.path.name})"))
    files_of, terms = {lesson.number: lesson.path.name for lesson in lessons}, read_glossary(root)
    if unknown := sorted({number for _, _, number in terms} - set(files_of)):
        raise CourseError(f"{root / CATALOGUES / 'glossary.tsv'}: names notebook(s) {unknown}, which do not exist")
    glossary = "\n".join(["| 中文 | English | 首次出现 |", "| --- | --- | --- |", *(
        f"| {term} | {english} | [{number}]({files_of[number]}) |" for term, english, number in terms)])
    template = (root / CATALOGUES / "README.template.md").read_text(encoding="utf-8")
    expected[root / EDITION / "README.md"] = template.replace("{notebooks}", course.table_of_contents(
        lessons, "| 笔记本 | 一句话概括 | 所需 |", "")).replace("{glossary}", glossary)
    return expected, todo


def main(argv: list[str] | None = None) -> int:
    return files.generate("translate", "make translations", build, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())

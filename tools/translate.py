"""The Chinese edition, notebooks/zh/, generated from the English notebooks and translations/zh/*.po.

    python -m tools.translate [ROOT]            update the catalogues, regenerate notebooks/zh/
    python -m tools.translate --check [ROOT]    change nothing; exit 1 and say what is out of step

A catalogue per notebook, translations/zh/NN_name.po, holds an entry per markdown cell: msgctxt the cell
id, msgid the English, msgstr the Chinese. As with msgmerge, a new cell gets an untranslated entry, a
changed one turns fuzzy (keeping its translation and the previous msgid), a removed one obsolete. The
Chinese notebook is the English one with its markdown translated and nav cells made from the Chinese
titles; an untranslated or fuzzy cell shows its English under a notice. notebooks/zh/README.md is the
Chinese table of contents and glossary (translations/zh/glossary.tsv).
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
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


def translatable(nb):
    """The markdown cells a catalogue holds: all but the nav cells (made from the titles) and empty ones."""
    return [cell for cell in nb.cells if cell.cell_type == "markdown" and not course.is_nav(cell) and cell.source]


def read_catalogue(path: Path) -> polib.POFile:
    if not path.exists():
        return polib.POFile(wrapwidth=78)
    try:
        return polib.pofile(str(path), wrapwidth=78)
    except (OSError, ValueError) as err:
        raise CourseError(f"{path}: not a readable gettext catalogue ({err}); fix it, or restore it from git") from None


def merge(old: polib.POFile, nb, name: str) -> polib.POFile:
    """`old` brought in step with the notebook's markdown cells, as msgmerge would, in notebook order."""
    entries, title = {entry.msgctxt: entry for entry in old}, next(c for c in nb.cells if not course.is_nav(c))
    po = polib.POFile(wrapwidth=78)
    po.header = old.header or f"Chinese translation of notebooks/{name}: `make translations` updates it."
    po.metadata = old.metadata or dict(METADATA)
    for cell in translatable(nb):
        entry = entries.pop(cell.id, None) or polib.POEntry(msgctxt=cell.id, msgid=cell.source)
        entry.obsolete = False
        if entry.msgid != cell.source:
            if entry.msgstr and not entry.fuzzy:
                entry.previous_msgid, entry.fuzzy = entry.msgid, True
            entry.msgid = cell.source
        entry.comment = TITLE_NOTE if cell is title else ""  # extracted comments (#.) are the tool's own
        po.append(entry)
    for entry in entries.values():
        entry.obsolete = True
        po.append(entry)
    return po


@dataclass
class Edition:
    """One notebook's Chinese edition as its catalogue makes it, and what keeps it from being complete."""
    name: str
    po: polib.POFile
    nb: "nbformat.NotebookNode"
    untranslated: list[str] = field(default_factory=list)  # cell ids
    fuzzy: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)       # translations that lose a formula, code or a link
    stale: dict[Path, str] = field(default_factory=dict)   # file -> how it differs from what is generated

    def problems(self) -> dict[str, list[str]]:
        pending = {state: [f"{self.name}: {len(ids)} cell(s) {state}: {', '.join(ids)}"] if ids else []
                   for state, ids in (("untranslated", self.untranslated), ("fuzzy", self.fuzzy))}
        return {**pending, "changed": self.changed, "stale": list(self.stale.values())}


def translate(lesson: course.Lesson, po: polib.POFile) -> Edition:
    edition = Edition(lesson.path.name, po, copy.deepcopy(lesson.nb))
    entries = {entry.msgctxt: entry for entry in po if not entry.obsolete}
    for cell in translatable(edition.nb):
        entry = entries[cell.id]
        if not entry.translated():
            state = "fuzzy" if entry.fuzzy else "untranslated"
            getattr(edition, state).append(cell.id)
            cell.source += "\n\n" + NOTICE[state]
            continue
        if missing := fixed_parts(entry.msgid) - fixed_parts(entry.msgstr):
            edition.changed.append(f"{edition.name}: cell {cell.id}: the translation lacks {sorted(missing)}; "
                                   "formulas, inline code, link targets and nbgrader markers stay as in the English")
        cell.source = entry.msgstr
    return edition


def read_glossary(root: Path) -> list[tuple[str, str, str]]:
    """(中文, English, number of the notebook that first uses it) of every row of glossary.tsv."""
    path, rows = root / CATALOGUES / "glossary.tsv", []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], 2):
        if len(fields := line.split("\t")) != 3 or not re.fullmatch(r"\d\d", fields[2]):
            raise CourseError(f"{path}, line {number}: expected 中文<TAB>English<TAB>NN, found {line!r}")
        rows.append(tuple(fields))
    return rows


def build(root: Path) -> tuple[list[Edition], str]:
    """Every notebook's Chinese edition and the Chinese README, in memory; CourseError if one cannot be made."""
    editions = [translate(lesson, merge(read_catalogue(root / CATALOGUES / f"{lesson.path.stem}.po"),
                                        lesson.nb, lesson.path.name)) for lesson in course.read_course(root)]
    lessons = [course.parse_title(next(c for c in e.nb.cells if not course.is_nav(c)).source,
                                  root / EDITION / e.name, e.nb) for e in editions]
    for position, edition in enumerate(editions):
        course.apply_nav(edition.nb, course.nav_source(
            lessons, position, index=f"[目录](README.md) · [English](../{edition.name})"))
    files_of, terms = {lesson.number: lesson.path.name for lesson in lessons}, read_glossary(root)
    if unknown := sorted({number for _, _, number in terms} - set(files_of)):
        raise CourseError(f"{root / CATALOGUES / 'glossary.tsv'}: names notebook(s) {unknown}, which do not exist")
    glossary = "\n".join(["| 中文 | English | 首次出现 |", "| --- | --- | --- |", *(
        f"| {term} | {english} | [{number}]({files_of[number]}) |" for term, english, number in terms)])
    template = (root / CATALOGUES / "README.template.md").read_text(encoding="utf-8")
    return editions, template.replace("{notebooks}", course.table_of_contents(
        lessons, "| 笔记本 | 一句话概括 | 所需 |", "")).replace("{glossary}", glossary)


def _differs(path: Path, text: str) -> bool:
    return not path.exists() or path.read_text(encoding="utf-8") != text


def audit(root: Path) -> tuple[list[Edition], str]:
    """build(), and for each edition the files that differ from what it generates (Edition.stale)."""
    editions, readme = build(root)
    for edition in editions:
        po_path, nb_path = root / CATALOGUES / f"{Path(edition.name).stem}.po", root / EDITION / edition.name
        if _differs(po_path, str(edition.po)):
            edition.stale[po_path] = f"{po_path.relative_to(root)} is out of step with notebooks/{edition.name}"
        found = course.read_notebook(nb_path) if nb_path.exists() else None
        if found != edition.nb:
            cells = {cell.get("id"): cell for cell in found.cells} if found else {}
            where = [f"cell {c.id} ({c.cell_type})" for c in edition.nb.cells if cells.get(c.id) != c] or ["metadata"]
            edition.stale[nb_path] = (f"{nb_path.relative_to(root)} differs from what the catalogue generates in "
                                      + (", ".join(where) if found else "every cell (it is missing)"))
    return editions, readme


def write(root: Path) -> tuple[list[Edition], list[Path]]:
    """Update the catalogues and regenerate notebooks/zh/; (the editions, the files written)."""
    editions, readme = audit(root)
    (root / EDITION).mkdir(parents=True, exist_ok=True)
    for edition in editions:
        for path in edition.stale:
            files.write_text(path, str(edition.po)) if path.suffix == ".po" else files.write_notebook(path, edition.nb)
    written = [path for edition in editions for path in edition.stale]
    if _differs(root / EDITION / "README.md", readme):
        files.write_text(root / EDITION / "README.md", readme)
        written.append(root / EDITION / "README.md")
    return editions, written


def summary(editions: list[Edition], written: list[Path], root: Path) -> str:
    lines = [f"updated {path.relative_to(root)}" for path in written] or ["everything already in step"]
    for edition in editions:
        lines.append(f"{edition.name}: {len(translatable(edition.nb))} markdown cells, "
                     f"{len(edition.untranslated)} untranslated, {len(edition.fuzzy)} fuzzy")
        lines += edition.changed
    return "\n".join(lines)


def check(root: Path) -> list[str]:
    """Everything that keeps the Chinese edition from being complete and in step (empty: it is)."""
    editions, readme = audit(root)
    problems = [problem for edition in editions for kind in edition.problems().values() for problem in kind]
    if _differs(root / EDITION / "README.md", readme):
        problems.append(f"{EDITION / 'README.md'} is not what the titles and the glossary generate")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=course.ROOT, help="the course (default: this repository)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 and list what is out of step")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not args.check:
        return files.run_and_report("translate", lambda: write(root), lambda done: summary(*done, root))
    try:
        problems = check(root)
    except CourseError as err:
        problems = [str(err)]
    if problems:
        print(f"translate --check: {len(problems)} problem(s); `make translations` regenerates, translators fill in "
              "translations/zh/*.po:", *(f"- {p}" for p in problems), sep="\n", file=sys.stderr)
        return 1
    print(f"translate --check: the Chinese edition is complete and in step ({root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate the student edition, as a handout: every notebook as nbgrader releases it, and what it needs.

    python -m tools.make_student [--notebooks DIR] [--out DIR]

The notebooks of --notebooks and of its zh/ folder go through nbgrader's own preprocessors. Done here is
only what nbgrader does not do: nav links to the handout's README, and the handout (--out and a zip beside
it) with helpers/ (in zh/ too: notebooks import it from their folder), the students' requirements.txt
(the course's, without what only its tests and tools need), student_README.md, and zh/README.md.
"""
from __future__ import annotations

import argparse
import copy
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

from . import course, files
from .course import CourseError

STUDENT_README = Path(__file__).with_name("student_README.md")
COURSE_ONLY = {"nbconvert", "nbval", "pytest", "polib"}  # the course's tests and tools need them, students not
# Replaces what the Chinese README says to the course's contributors (make lab, translations/) in the handout.
ZH_HANDOUT_INTRO = ("这是本课程的中文学生版。怎样安装、做练习、运行检查和交作业，见上一级文件夹里的 "
                    "[README](../README.md)，该文件末尾附有中文说明。")


def relocate_nav_links(source: str, readme: str = "README.md") -> str:
    """Nav links to the course's README point to `readme`, the handout's, relative to the notebook."""
    return re.sub(r"\]\((\.\./)+README[\w.-]*\.md\)", f"]({readme})", source)


def handout_index(readme: str) -> str:
    """The Chinese README for the handout: its title, a line for students, then its "## " sections (the
    notebooks, the sources, the glossary) bar those for the course's contributors (they name make or
    translations/), and bar the paragraph on untranslated cells (such a cell says so itself)."""
    title, *sections = readme.split("\n## ")
    title = next(line for line in title.splitlines() if line.startswith("# "))
    kept = ["\n\n".join(p for p in s.split("\n\n") if "〔未翻译〕" not in p).strip() for s in sections
            if "make " not in s and "translations/" not in s]
    return "\n\n## ".join([f"{title}\n\n{ZH_HANDOUT_INTRO}", *kept]) + "\n"


def student_notebook(nb, readme: str = "README.md"):
    """The student edition of one notebook (a new object; `nb` is not modified)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, LockCells
    nb, resources = copy.deepcopy(nb), {}
    for step in (LockCells(), ClearSolutions(), ClearHiddenTests(),
                 ClearOutput(remove_metadata_fields={"collapsed", "scrolled", "execution"})):
        nb, resources = step.preprocess(nb, resources)
    nb.metadata.pop("widgets", None)  # widget state belongs to outputs, which are gone
    for cell in filter(course.is_nav, nb.cells):
        cell.source = relocate_nav_links(cell.source, readme)
    return nb


def student_requirements() -> str:
    """The course's requirements.txt without the packages in COURSE_ONLY."""
    lines = (course.ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return "".join(f"{line}\n" for line in lines if line and not line.startswith("#")
                   and re.match(r"[\w.-]+", line)[0] not in COURSE_ONLY)


def add_supporting_files(folder: Path, readme: bool = True) -> None:
    """helpers/ (its code only) into `folder`, and requirements.txt and the students' README unless told."""
    shutil.copytree(course.ROOT / "helpers", folder / "helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if readme:
        (folder / "requirements.txt").write_text(student_requirements(), encoding="utf-8")
        shutil.copy(STUDENT_README, folder / "README.md")


def zipped(folder: Path, top: str) -> bytes:
    """`folder` as a zip whose entries start with `top`/, the same bytes for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}")  # dated 1980-01-01
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def build(notebooks_dir: Path, out_dir: Path) -> tuple[int, int]:
    """Write the handout in one step, and its zip; (notebooks written, solution cells emptied)."""
    if not notebooks_dir.is_dir():
        raise CourseError(f"{notebooks_dir} is not a folder")
    editions = {".": "README.md", "zh": "../README.md"} if (notebooks_dir / "zh").is_dir() else {".": "README.md"}
    written = solutions = 0
    with files.replacing_folder(out_dir) as staging:
        for folder, readme in editions.items():
            (staging / folder).mkdir(exist_ok=True)
            add_supporting_files(staging / folder, readme=folder == ".")
            if folder != "." and (index := notebooks_dir / folder / "README.md").is_file():  # its contents, glossary
                files.write_text(staging / folder / "README.md", handout_index(index.read_text(encoding="utf-8")))
            for path in course.notebook_paths(notebooks_dir / folder):
                nb = course.read_notebook(path)
                try:
                    files.write_notebook(staging / folder / path.name, student_notebook(nb, readme))
                except Exception as err:  # nbgrader's RuntimeError names the malformed region, not the notebook
                    raise CourseError(f"{path}: {type(err).__name__}: {err}") from err
                written, solutions = written + 1, solutions + sum(map(course.is_solution, nb.cells))
        files.write_bytes(out_dir.with_suffix(".zip"), zipped(staging, out_dir.name))
    return written, solutions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=Path, default=course.ROOT / "notebooks", help="where the notebooks are")
    parser.add_argument("--out", type=Path, default=course.ROOT / "build" / "student", help="where the handout goes")
    args = parser.parse_args(argv)
    return files.run_and_report("make_student", lambda: build(args.notebooks, args.out), lambda done: (
        f"student edition: {done[0]} notebook(s), {done[1]} solution cell(s) emptied, in {args.out} "
        f"and {args.out.with_suffix('.zip')}"))


if __name__ == "__main__":
    sys.exit(main())

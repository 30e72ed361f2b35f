"""Small courses for the tests of the site and the PDF, built from the real notebooks."""
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHINESE = "这个函数把原始分数变成概率分布；用温度除以对数几率，控制它有多尖锐。交叉熵损失衡量预测与标签的差距。"


def chinese_twin(nb):
    """A stand-in for notebooks/zh/ (issue 21): the same cells, the title and each section's text in Chinese."""
    nb = nbformat.from_dict(nb)
    title = next(cell for cell in nb.cells if "nav" not in cell.metadata.get("tags", []))
    title.source = f"{title.source.splitlines()[0]}（中文）\n\n**一句话：** 把分数变成概率。\n\n**前置：** 无"
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            cell.source = cell.source.splitlines()[0] + "\n\n" + CHINESE
    return nb


def course_with(tmp: Path, notebooks: list[str], chinese: bool = False) -> Path:
    """A course folder in `tmp` with the README, these notebooks and, if asked, their Chinese twins."""
    (tmp / "notebooks" / "zh").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", tmp)
    for name in notebooks:
        shutil.copy(ROOT / "notebooks" / name, tmp / "notebooks")
        if chinese:
            nbformat.write(chinese_twin(nbformat.read(ROOT / "notebooks" / name, as_version=4)), tmp / "notebooks" / "zh" / name)
    return tmp

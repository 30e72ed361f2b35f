"""helpers/training.py and helpers/batches.py are generated from the cells marked `#| export` in notebooks
04 and 00: check that they are in step.

The tests that change things work on a copy of the project in a temporary folder (``--root``), never
on the real notebook or module.
"""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path("notebooks/04_softmax_regression_scratch.ipynb")
MODULE = Path("helpers/training.py")
# the other notebook that exports, and its module: the copy needs them so that --check can pass
OTHER_EXPORT = (Path("notebooks/00_fashion_mnist.ipynb"), Path("helpers/batches.py"))


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.export_lessons", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The notebook and the generated module, copied into a temporary project root."""
    for relative in (NOTEBOOK, MODULE, *OTHER_EXPORT):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, tmp_path / relative)
    return tmp_path


def edit_notebook(root: Path, change) -> None:
    """Apply change(cells) to the copy's cells, each a dict whose "source" is one string."""
    path = root / NOTEBOOK
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    change(nb["cells"])
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def is_export(cell) -> bool:
    return cell["cell_type"] == "code" and cell["source"].splitlines()[:1] == ["#| export"]


def export_cell(cells, defining: str):
    found = [c for c in cells if is_export(c) and defining in c["source"]]
    assert len(found) == 1, f"expected one export cell containing {defining!r}"
    return found[0]


def markdown_cell(source: str, tags=()):
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": source}


def test_generated_modules_are_in_sync_with_their_notebooks():
    result = run_tool("--check")
    assert result.returncode == 0, result.stderr


def test_changed_export_cell_is_detected(project_copy: Path):
    def change(cells):
        cell = export_cell(cells, "def sgd(")
        cell["source"] = cell["source"].replace("param -= lr * param.grad / batch_size",
                                                "param -= lr * param.grad")
    edit_notebook(project_copy, change)
    result = run_tool("--check", "--root", str(project_copy))
    assert result.returncode == 1
    assert "helpers/training.py differs from what `make export` generates" in result.stderr  # says how to fix it
    assert "-            param -= lr * param.grad / batch_size" in result.stderr  # and shows the change


def test_hand_edit_of_generated_module_is_detected(project_copy: Path):
    module = project_copy / MODULE
    original = module.read_text(encoding="utf-8")
    edited = original.replace("return O_exp / O_exp.sum", "return 2 * O_exp / O_exp.sum")
    assert edited != original
    module.write_text(edited, encoding="utf-8")
    assert run_tool("--check", "--root", str(project_copy)).returncode == 1


def test_missing_module_is_reported(project_copy: Path):
    (project_copy / MODULE).unlink()
    result = run_tool("--check", "--root", str(project_copy))
    assert result.returncode == 1 and "helpers/training.py is missing" in result.stderr


def test_untagged_cells_outputs_and_nav_cells_do_not_matter(project_copy: Path):
    def change(cells):
        for cell in cells:
            if cell["cell_type"] == "markdown":
                cell["source"] += "\n\nAn edited sentence."
            elif not is_export(cell):
                cell["source"] += "\n# an edited demo cell"
                cell["outputs"] = []
        cells.insert(0, markdown_cell("[← previous](03.ipynb) | [next →](05.ipynb)", tags=["nav"]))
        cells.append(markdown_cell("[next →](05.ipynb)", tags=["nav"]))
    edit_notebook(project_copy, change)
    result = run_tool("--check", "--root", str(project_copy))
    assert result.returncode == 0, result.stderr


def test_export_rewrites_module_from_notebook(project_copy: Path):
    def change(cells):
        cell = export_cell(cells, "def accuracy(")
        cell["source"] += "\n\n\ndef error_rate(y_hat, y):\n    return 1 - accuracy(y_hat, y) / len(y)\n"
    edit_notebook(project_copy, change)
    assert run_tool("--root", str(project_copy)).returncode == 0
    assert run_tool("--check", "--root", str(project_copy)).returncode == 0
    text = (project_copy / MODULE).read_text(encoding="utf-8")
    assert text.startswith("# GENERATED FILE: DO NOT EDIT.")
    assert "notebooks/04_softmax_regression_scratch.ipynb" in text.splitlines()[1]
    assert "def error_rate(y_hat, y):" in text
    # the cells keep notebook order, each under the notebook and section it comes from, without the directive
    assert text.index("def softmax(") < text.index("def cross_entropy(") < text.index("def train(")
    assert '# From 04_softmax_regression_scratch.ipynb, section "Softmax".\ndef softmax(' in text
    assert "\n#| export" not in text  # (the header names it, in quotes)


def test_a_tag_alone_does_not_export_a_cell(project_copy: Path):
    """The directive is what counts, visible in the cell; metadata that JupyterLab hides does nothing."""
    def change(cells):
        cell = export_cell(cells, "def sgd(")
        cell["source"] = cell["source"].replace("#| export\n", "", 1)
        cell["metadata"]["tags"] = ["export"]
    edit_notebook(project_copy, change)
    assert run_tool("--root", str(project_copy)).returncode == 0
    assert "def sgd(" not in (project_copy / MODULE).read_text(encoding="utf-8")


def test_ipython_syntax_in_an_export_cell_is_refused(project_copy: Path):
    def change(cells):
        cell = export_cell(cells, "def sgd(")
        cell["source"] = cell["source"].replace("#| export\n", "#| export\n%timeit 1\n", 1)
    edit_notebook(project_copy, change)
    result = run_tool("--check", "--root", str(project_copy))
    assert result.returncode == 2 and "IPython syntax" in result.stderr and "'%timeit 1'" in result.stderr


def test_module_does_nothing_at_import_time():
    """Only imports, definitions and a docstring at the top level: no plotting, no data, no training."""
    tree = ast.parse((ROOT / MODULE).read_text(encoding="utf-8"))
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        assert is_docstring or isinstance(node, allowed), f"line {node.lineno}: {ast.dump(node)[:80]}"
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert imported <= {"typing", "torch"}, imported


# The exported code itself, on numbers small enough to check by hand.

from helpers import Minibatches  # noqa: E402
from helpers.training import (Accumulator, EpochStats, accuracy, cross_entropy, evaluate_accuracy,  # noqa: E402
                              init_params, sgd, softmax, softmax_regression, train)


def test_reference_example():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = torch.tensor([0, 2])
    assert torch.allclose(cross_entropy(y_hat, y), torch.tensor([2.3026, 0.6931]), atol=1e-4)
    assert int(accuracy(y_hat, y)) == 1
    assert torch.allclose(softmax(torch.tensor([[1.0, 5.0, 3.0]])), torch.tensor([[0.0159, 0.8668, 0.1173]]),
                          atol=1e-4)


def test_accumulator_keeps_tensors_until_read():
    totals = Accumulator(2)
    totals.add(torch.tensor(2.0, requires_grad=True) * 2, 1)
    totals.add(torch.tensor(3), 1)
    assert isinstance(totals.data[0], torch.Tensor) and not totals.data[0].requires_grad
    assert (totals[0], totals[1]) == (7.0, 2.0)


def test_init_params_shapes_and_scale():
    torch.manual_seed(0)
    W, b = init_params()
    assert W.shape == (784, 10) and b.shape == (10,) and W.requires_grad and b.requires_grad
    assert abs(float(W.detach().std()) - 0.01) < 0.001 and not b.any()


@pytest.mark.parametrize("optimizer", [False, True])
def test_train_learns_a_separable_problem(optimizer: bool):
    """Both kinds of updater (sgd as a function, a torch.optim optimizer) train; the plot gets every epoch."""
    torch.manual_seed(0)
    centres = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    y = torch.arange(3).repeat(100)
    X = centres[y] + 0.3 * torch.randn(300, 2)
    W, b = init_params(num_inputs=2, num_outputs=3)
    net = lambda X: softmax_regression(X, W, b)  # noqa: E731
    updater = torch.optim.SGD([W, b], lr=0.5) if optimizer else (lambda n: sgd([W, b], 0.5, n))

    class Recorder:
        def __init__(self):
            self.points = []

        def add(self, x, values):
            self.points.append((x, tuple(values)))

    before = evaluate_accuracy(net, Minibatches(X, y, 64, shuffle=False))
    plot = Recorder()
    history = train(net, Minibatches(X, y, 32, seed=0), Minibatches(X, y, 64, shuffle=False),
                    cross_entropy, 5, updater, plot=plot)
    assert len(history) == 5 and all(isinstance(s, EpochStats) for s in history)
    assert [x for x, _ in plot.points] == [1, 2, 3, 4, 5]
    assert history[-1].train_loss < history[0].train_loss
    assert before < 0.9 <= history[-1].test_acc

"""Figures shared by several notebooks: an image grid, a live training plot, a confusion matrix.

Every function shows its figure with ``plt.show()`` and returns nothing worth printing, so that a
notebook cell's stored output is the figure alone.
"""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import torch


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def show_images(images, titles=None, ncols: int = 8, scale: float = 1.4, cmap: str = "gray",
                suptitle: str | None = None) -> None:
    """Show a grid of images.

    images: (n, H, W) or (n, 1, H, W), tensor (any device) or array; titles: n strings or None.
    """
    images = _to_numpy(images)
    if images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    title_lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    row_height = scale + 0.17 * title_lines  # room for multi-line titles above each image
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * row_height), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()


class LivePlot:
    """A training plot that redraws in place as points arrive and leaves one final figure.

    Curves whose name contains "loss" go on a left panel with a loss axis, the others (accuracies)
    on a right panel with an accuracy axis, so that each is read off its own scale. In Jupyter it
    updates a single display (one output, not one per epoch); elsewhere it draws nothing, though
    ``plot.fig`` holds the figure. Usage::

        plot = LivePlot(xlabel="epoch", legend=["train loss", "train acc", "test acc"], xlim=(1, 10))
        for epoch in ...: plot.add(epoch + 1, (loss, train_acc, test_acc))

    The loss axis runs from 0 to just above the largest loss so far, or ``loss_ylim``; the accuracy
    axis follows its points, or ``accuracy_ylim``. ``plot.drawing_seconds`` is the time spent
    redrawing so far.
    """

    def __init__(self, xlabel: str, legend: list[str], xlim=None, loss_ylim=None, accuracy_ylim=None,
                 title=None, figsize=(9.0, 3.5)):
        self.legend = legend
        self.xs: list[float] = []
        self.ys: list[list[float]] = [[] for _ in legend]
        kinds = ["loss" if "loss" in name else "accuracy" for name in legend]
        panels = [kind for kind in ("loss", "accuracy") if kind in kinds]
        self.fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
        plt.close(self.fig)  # keep the inline backend from drawing a second copy at the cell's end
        self.axes = dict(zip(panels, axes[0]))
        for kind, ax in self.axes.items():
            ax.set_xlabel(xlabel)
            ax.set_ylabel(kind)
        if title:
            self.fig.suptitle(title)
        self.xlim, self.ylim = xlim, {"loss": loss_ylim, "accuracy": accuracy_ylim}
        self.drawing_seconds = 0.0
        self.lines = [self.axes[kind].plot([], [], marker="o", ms=3, label=name, color=f"C{i}")[0]
                      for i, (name, kind) in enumerate(zip(legend, kinds))]
        for ax in self.axes.values():
            ax.legend(loc="best")
        self._limits()
        self.fig.tight_layout()
        self._handle = None

    def _limits(self):
        for kind, ax in self.axes.items():
            if self.xlim:
                ax.set_xlim(*self.xlim)
            if self.ylim[kind]:
                ax.set_ylim(*self.ylim[kind])
            elif kind == "loss":
                # from 0 to just above the largest loss so far (set_ylim(bottom=0) alone would
                # switch autoscaling off and freeze the axis at its empty-plot range)
                losses = [v for ys, line in zip(self.ys, self.lines) if line.axes is ax for v in ys]
                if losses:
                    ax.set_ylim(0, 1.05 * max(losses))

    def add(self, x: float, values) -> None:
        """Append one point per curve (``values``: one number per legend entry) and redraw."""
        values = [float(v) for v in np.atleast_1d(values)]
        if len(values) != len(self.legend):
            raise ValueError(f"LivePlot has {len(self.legend)} curves {self.legend} but got {len(values)} values.")
        self.xs.append(float(x))
        for ys, line, v in zip(self.ys, self.lines, values):
            ys.append(v)
            line.set_data(self.xs, ys)
        for ax in self.axes.values():
            ax.relim()
            ax.autoscale_view()
        self._limits()
        start = time.perf_counter()
        self._redraw()
        self.drawing_seconds += time.perf_counter() - start

    def _redraw(self):
        from IPython import get_ipython
        from IPython.display import display
        if get_ipython() is None:  # not in Jupyter: nothing to draw on
            return
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)


def plot_confusion_matrix(matrix, class_names, title: str = "confusion matrix") -> None:
    """Show a confusion matrix with its counts: matrix (q, q), integer tensor or array, entry [i, j]
    counting the examples of true class i predicted as class j; class_names: q strings."""
    m = _to_numpy(matrix).astype(float)
    q = len(class_names)
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(m, cmap="Blues")
    ax.grid(False)
    ax.set_xticks(range(q), class_names, rotation=45, ha="right")
    ax.set_yticks(range(q), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    threshold = m.max() / 2
    for i in range(q):
        for j in range(q):
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=7,
                    color="white" if m[i, j] > threshold else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    plt.show()

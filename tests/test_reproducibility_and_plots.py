"""Device choice, seeding and the shared plots."""
import random

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

import helpers  # noqa: E402
from helpers import reproducibility  # noqa: E402


@pytest.fixture
def no_override(monkeypatch):
    monkeypatch.delenv(reproducibility.DEVICE_ENV_VAR, raising=False)
    monkeypatch.delenv(reproducibility.THREADS_ENV_VAR, raising=False)


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"), (False, True, "mps"), (False, False, "cpu"),
])
def test_device_fallback_order(monkeypatch, no_override, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(reproducibility, "_mps_available", lambda: mps)
    assert reproducibility.choose_device().type == expected


def test_device_override(monkeypatch):
    monkeypatch.setenv(reproducibility.DEVICE_ENV_VAR, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert reproducibility.choose_device() == torch.device("cpu")


@pytest.mark.parametrize("value, message", [("gpu9", "not a device name"), ("cuda", "does not have")])
def test_bad_device_override_says_what_to_do(monkeypatch, value, message):
    monkeypatch.setenv(reproducibility.DEVICE_ENV_VAR, value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=message):
        reproducibility.choose_device()


def test_setup_seeds_every_generator(no_override):
    def draws():
        helpers.setup(seed=7)
        return random.random(), np.random.rand(), torch.rand(1).item()
    assert draws() == draws()
    helpers.setup(seed=8)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) != draws()


def test_setup_runs_torch_on_one_thread_unless_asked(no_override):
    before = torch.get_num_threads()
    try:
        helpers.setup(seed=0)
        assert torch.get_num_threads() == 1
        helpers.setup(seed=0, threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_thread_count_comes_from_course_threads_when_set(no_override, monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv(reproducibility.THREADS_ENV_VAR, "2")
        helpers.setup(seed=0)
        assert torch.get_num_threads() == 2
        helpers.setup(seed=0, threads=1)  # an explicit argument wins
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_bad_course_threads_says_what_to_do(no_override, monkeypatch, value):
    monkeypatch.setenv(reproducibility.THREADS_ENV_VAR, value)
    with pytest.raises(ValueError, match="COURSE_THREADS=.*is not a thread count; use a whole number"):
        helpers.setup(seed=0)


def test_plots_draw_without_error(monkeypatch):
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda: None)
    helpers.show_images(torch.rand(5, 1, 28, 28), titles=list("abcde"), ncols=3)
    helpers.plot_confusion_matrix(torch.eye(3, dtype=torch.int64) * 5, ["a", "b", "c"])
    plot = helpers.LivePlot("epoch", ["loss", "acc"], xlim=(1, 3))
    for epoch in (1, 2, 3):
        plot.add(epoch, (1.0 / epoch, 0.5 + 0.1 * epoch))
    assert [list(line.get_xdata()) for line in plot.lines] == [[1.0, 2.0, 3.0]] * 2
    # loss and accuracy are read off separate, labelled axes
    assert [ax.get_ylabel() for ax in plot.fig.axes] == ["loss", "accuracy"]
    assert plot.lines[0].axes is plot.axes["loss"] and plot.lines[1].axes is plot.axes["accuracy"]
    low, high = plot.axes["loss"].get_ylim()  # every loss point is inside the visible range
    assert low == 0 and high >= max(plot.lines[0].get_ydata())
    with pytest.raises(ValueError, match="has 2 curves"):
        plot.add(4, (1.0,))
    fixed = helpers.LivePlot("epoch", ["loss", "acc"], loss_ylim=(0, 5), accuracy_ylim=(0.3, 0.9))
    fixed.add(1, (1.0, 0.5))  # each panel keeps the limits it was given
    assert fixed.axes["loss"].get_ylim() == (0, 5) and fixed.axes["accuracy"].get_ylim() == (0.3, 0.9)
    plt.close("all")

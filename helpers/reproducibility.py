"""Reproducibility and display: the one call every notebook makes first (setup), and the device choice it returns."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV_VAR = "COURSE_DEVICE"
THREADS_ENV_VAR = "COURSE_THREADS"


def choose_device() -> torch.device:
    """CUDA if there is a GPU, then Apple's MPS, else the CPU.

    Setting COURSE_DEVICE (cpu, cuda, cuda:1, mps) overrides the choice, e.g. to compare with
    the CPU on a GPU machine.
    """
    wanted = os.environ.get(DEVICE_ENV_VAR, "").strip().lower()  # CPU, Cuda:1 and cpu all work
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError:
            raise ValueError(f"{DEVICE_ENV_VAR}={wanted!r} is not a device name; use cpu, cuda, cuda:N or mps.") from None
        available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
        if not available.get(device.type, False):
            raise ValueError(f"{DEVICE_ENV_VAR}={wanted!r} asks for a device this machine does not have; "
                             f"unset it to let the course choose.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def _threads_from_env() -> int:
    wanted = os.environ.get(THREADS_ENV_VAR, "1").strip()
    if not wanted.isdigit() or int(wanted) < 1:
        raise ValueError(f"{THREADS_ENV_VAR}={wanted!r} is not a thread count; use a whole number such as 1 or 2, "
                         f"or unset it.")
    return int(wanted)


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's (CPU and every GPU) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def setup(seed: int = 0, threads: int | None = None) -> torch.device:
    """Seed everything, set print, thread and plot options, and return the device to compute on.

    Tensors and arrays print with 4 decimals and no scientific notation; figures are PNG
    (SVG output embeds a date and would change at every run) at a fixed size. PyTorch runs on
    ``threads`` CPU threads: by default the value of ``COURSE_THREADS`` if it is set, else one,
    because the course's matrix products are small and threads that wait for each other can slow
    every step on a busy CPU (``make bench`` measures it on your machine).

    Seeding makes a run repeat on *one* machine, not across machines: MKL and ATen choose kernels
    per CPU (AVX2, AVX-512, ARM, CUDA), and so do the last bits of every sum. That is why nbval
    compares each printed number at its printed precision (CONTRIBUTING.md).
    """
    if threads is None:
        threads = _threads_from_env()
    seed_everything(seed)
    torch.set_num_threads(threads)
    torch.set_printoptions(precision=4, sci_mode=False)
    np.set_printoptions(precision=4, suppress=True)
    import matplotlib
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.figsize": (6.0, 3.5), "figure.dpi": 80,
                         "axes.grid": True, "grid.alpha": 0.3, "image.cmap": "gray"})
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
        set_matplotlib_formats("png")
    except ImportError:  # outside Jupyter nothing is drawn inline
        pass
    matplotlib.rcParams["svg.hashsalt"] = str(seed)
    return choose_device()

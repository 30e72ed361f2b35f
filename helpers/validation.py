"""The input checks of ``Minibatches`` (helpers/batches.py, generated from notebook 00).

Data enters the course's training loops through ``Minibatches``, so its constructor is where a
careless call is caught: one clear error saying what was expected, instead of a wrong number or a
failure deep inside training. The loops themselves trust their batches.
"""
from __future__ import annotations

import numpy as np
import torch


def check_batch_size(batch_size) -> int:
    """``batch_size`` as an int; ValueError unless it is a positive integer (a Python or NumPy int, not a bool)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_examples_and_labels(X: torch.Tensor, y: torch.Tensor) -> None:
    """Raise ValueError, saying what was expected, unless X (n, ...) and y (n,) are examples and labels.

    y must hold class indices: an integer tensor of shape (n,), values >= 0, on X's device.
    """
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise ValueError(f"X and y must be tensors; got {type(X).__name__} and {type(y).__name__}.")
    if y.ndim != 1:
        hint = " (use y.squeeze(1) or y.reshape(-1))" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"labels y must have shape (n,), one class index per example; got shape {tuple(y.shape)}{hint}.")
    if y.dtype.is_floating_point or y.dtype == torch.bool or y.is_complex():
        raise ValueError(f"labels y must be integer class indices (e.g. torch.int64); got {y.dtype}.")
    if len(X) != len(y):
        raise ValueError(f"X and y must hold the same number of examples; got {len(X)} and {len(y)}.")
    if X.device != y.device:
        raise ValueError(f"X is on {X.device} but y is on {y.device}; move both to one device first.")
    if len(y) and int(y.min()) < 0:
        raise ValueError(f"labels y must be class indices, 0 or more; got values from {int(y.min())}.")

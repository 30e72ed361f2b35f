"""The check cells of the exercises: plain-words feedback instead of a bare AssertionError.

A check cell first asks for the names the exercise defines, then compares, then says it passed::

    check = Check("Exercise 1", globals())
    check.defined("loss_hessian(o)", "softmax_covariance(o, E)")
    check.close("loss_hessian(o) for o = (1, 5, 3)", got=loss_hessian(o), expected=by_autograd, atol=1e-12)
    check.passed()

A failed comparison raises ``CheckFailed``, an AssertionError that Jupyter shows as its message
alone, without a traceback, and that nbgrader scores as a failed test. Feedback goes to stdout:
nbgrader scores a test cell that writes to stderr as failed.
"""
from __future__ import annotations

import hashlib
import math

import torch


class CheckFailed(AssertionError):
    """An exercise check that did not pass; its message says what to do."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"✗ {self}"]


def answer_digest(value: float, decimals: int) -> str:
    """A short fingerprint of ``value`` rounded to ``decimals``: compares an answer without showing it."""
    return hashlib.sha256(f"{round(float(value), decimals):.{decimals}f}".encode()).hexdigest()[:16]


class Check:
    """Feedback for one exercise. ``namespace`` is the notebook's ``globals()``."""

    def __init__(self, exercise: str, namespace: dict):
        self.exercise, self.namespace = exercise, namespace

    def fail(self, message: str):
        raise CheckFailed(f"{self.exercise}: {message}")

    def defined(self, *names: str) -> None:
        """Stop with 'define ... above' unless every name (``"f(x)"`` means ``f``) exists."""
        missing = [name for name in names if name.split("(")[0] not in self.namespace]
        if missing:
            quoted = [f"`{name}`" for name in missing]
            listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
            self.fail(f"define {listed} above, then run this cell again.")

    def true(self, condition, what: str) -> None:
        """Fail with ``what`` (a plain sentence saying what should hold) unless ``condition``."""
        if not bool(condition):
            self.fail(what)

    def equal(self, what: str, got, expected) -> None:
        """Fail unless ``got == expected`` (numbers, strings, lists, ...)."""
        if got != expected:
            self.fail(f"{what}: expected {expected!r}, got {got!r}.")

    def close(self, what: str, got, expected, atol: float = 1e-6, rtol: float = 0.0) -> None:
        """Fail unless the numbers or tensors ``got`` and ``expected`` agree within the tolerances."""
        got_t = torch.as_tensor(got, dtype=torch.float64)
        expected_t = torch.as_tensor(expected, dtype=torch.float64)
        if got_t.shape != expected_t.shape:
            self.fail(f"{what}: expected shape {tuple(expected_t.shape)}, got {tuple(got_t.shape)}.")
        if not torch.allclose(got_t, expected_t, atol=atol, rtol=rtol, equal_nan=False):
            gaps = (got_t - expected_t).abs().nan_to_num(math.inf)
            gap = float(gaps.max())
            if got_t.numel() > 9:  # name the worst entry rather than print them all
                where = tuple(int(i) for i in torch.unravel_index(gaps.argmax(), gaps.shape))
                self.fail(f"{what}: at index {where[0] if len(where) == 1 else where}, expected "
                          f"{brief(expected_t[where])}, got {brief(got_t[where])} (allowed {_allowed(atol, rtol)}).")
            self.fail(f"{what}: expected {brief(expected_t)}, got {brief(got_t)} "
                      f"(largest difference {gap:.2g}, allowed {_allowed(atol, rtol)}).")

    def digest(self, what: str, got: float, digest: str, decimals: int) -> None:
        """Fail unless ``got`` rounded to ``decimals`` has the stored fingerprint.

        The fingerprint keeps the answer out of sight, not out of reach: trying every rounded value
        would find it. It is for self-study; graded notebooks compare exactly in hidden tests.
        """
        if answer_digest(got, decimals) != digest:
            self.fail(f"{what} = {float(got):.{decimals}f} is not the expected value "
                      f"(compared to {decimals} decimals).")

    def passed(self, summary: str = "") -> None:
        print(f"✓ {self.exercise} passed" + (f": {summary}" if summary else "."))


def _allowed(atol: float, rtol: float) -> str:
    parts = ([f"{atol:g}"] if atol else []) + ([f"{rtol:g} of the expected size"] if rtol else [])
    return " + ".join(parts) or "0"


def brief(values) -> str:
    """A number or tensor to four significant digits, the precision a reader compares by eye."""
    t = torch.as_tensor(values, dtype=torch.float64)
    if t.ndim == 0:
        return f"{float(t):.4g}"
    return "(" + ", ".join(brief(row) for row in t) + ")"

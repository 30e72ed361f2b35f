"""Careless inputs get one clear error that says what is wrong and what was expected, instead of a
wrong number. They are checked once, where the data enters (Minibatches), so that the training
loops of notebook 04 stay as short as a textbook's and trust their batches."""
import numpy as np
import pytest
import torch

from helpers import Minibatches
from helpers.reproducibility import choose_device
from helpers.training import cross_entropy, init_params, sgd, softmax_regression, train

N, D, Q = 12, 4, 3


@pytest.fixture
def data():
    torch.manual_seed(0)
    return torch.randn(N, D), torch.arange(N) % Q


@pytest.fixture
def model():
    torch.manual_seed(0)
    W, b = init_params(D, Q)
    return (lambda X: softmax_regression(X, W, b)), (lambda n: sgd([W, b], 0.1, n))


def run_train(model, batches):
    net, updater = model
    return train(net, batches, batches, cross_entropy, 2, updater)


def test_good_input_trains_and_scores(data, model):
    X, y = data
    history = run_train(model, Minibatches(X, y, 4, seed=0))
    assert len(history) == 2 and 0 <= history[-1].test_acc <= 1


@pytest.mark.parametrize("labels, message", [
    (lambda y: y.reshape(-1, 1), r"labels y must have shape \(n,\).*got shape \(12, 1\).*squeeze"),
    (lambda y: torch.where(y == 0, -1, y), r"class indices, 0 or more; got values from -1"),
    (lambda y: y[:-2], r"same number of examples; got 12 and 10"),
    (lambda y: y.float(), r"integer class indices .*got torch.float32"),
])
def test_minibatches_refuse_bad_labels(data, labels, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        Minibatches(X, labels(y), 4)


@pytest.mark.parametrize("batch_size", [np.int64(4), np.int32(4), 4])
def test_numpy_integers_are_batch_sizes(data, batch_size):
    X, y = data
    assert [len(b) for _, b in Minibatches(X, y, batch_size, shuffle=False)] == [4, 4, 4]


@pytest.mark.parametrize("batch_size", [True, 0, -1, 2.5, "4"])
def test_non_integer_batch_sizes_are_refused(data, batch_size):
    X, y = data
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Minibatches(X, y, batch_size)


@pytest.mark.parametrize("value", ["CPU", " cpu ", "Cpu"])
def test_course_device_is_not_case_sensitive(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    assert choose_device() == torch.device("cpu")


def test_a_check_names_only_what_is_still_missing():
    from helpers.checks import Check, CheckFailed
    check = Check("Exercise 9", {"defined_already": 1})
    with pytest.raises(CheckFailed, match=r"^Exercise 9: define `missing\(x\)` above, then run this cell again\.$"):
        check.defined("defined_already", "missing(x)")

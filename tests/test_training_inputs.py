"""Careless inputs to the entry points learners call (Minibatches, train, evaluate_accuracy) get one
clear error that says what is wrong and what was expected, instead of a wrong number."""
import numpy as np
import pytest
import torch

from helpers import Minibatches
from helpers.reproducibility import choose_device
from helpers.training import cross_entropy, evaluate_accuracy, init_params, sgd, softmax_regression, train

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
    (lambda y: torch.where(y == 0, -1, y), r"class indices in 0 or more; got values from -1"),
    (lambda y: y[:-2], r"same number of examples; got 12 and 10"),
    (lambda y: y.float(), r"integer class indices .*got torch.float32"),
])
def test_minibatches_refuse_bad_labels(data, labels, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        Minibatches(X, labels(y), 4)


@pytest.mark.parametrize("labels, message", [
    (lambda y: y.reshape(-1, 1), r"shape \(n,\).*got shape \(4, 1\)"),
    (lambda y: torch.where(y == 0, -1, y), r"class indices in 0\.\.2; got values from -1"),
    (lambda y: y + Q, r"class indices in 0\.\.2; got values from 3"),
    (lambda y: y[:-1], r"same number of examples; got 4 and 3"),
])
def test_train_and_evaluate_refuse_bad_labels_from_any_iterable(data, model, labels, message):
    X, y = data
    batches = [(X[k:k + 4], labels(y[k:k + 4])) for k in range(0, N, 4)]
    with pytest.raises(ValueError, match=message):
        run_train(model, batches)
    with pytest.raises(ValueError, match=message):
        evaluate_accuracy(model[0], batches)


def test_no_batches_at_all_is_a_clear_error(model):
    with pytest.raises(ValueError, match="evaluate_accuracy got no batches"):
        evaluate_accuracy(model[0], [])
    with pytest.raises(ValueError, match="train_epoch got no batches"):
        run_train(model, [])


def test_a_one_shot_generator_empty_by_epoch_two_is_a_clear_error(data, model):
    X, y = data
    once = ((X[k:k + 4], y[k:k + 4]) for k in range(0, N, 4))
    net, updater = model
    with pytest.raises(ValueError, match="used up.*Minibatches or a list can be iterated again"):
        train(net, once, [(X, y)], cross_entropy, 2, updater)


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

# GENERATED FILE: DO NOT EDIT. `make export` writes it from the cells marked "#| export" in
# notebooks/04_softmax_regression_scratch.ipynb: change them there. The tests fail while the two disagree.
"""Softmax regression from scratch: the model, loss, metrics and training loop that notebook 04 builds
and the later notebooks reuse.
"""

# From 04_softmax_regression_scratch.ipynb, section "04 · Softmax regression from scratch".
from typing import NamedTuple

import torch


# From 04_softmax_regression_scratch.ipynb, section "The parameters".
def init_params(num_inputs=784, num_outputs=10, sigma=0.01, device="cpu"):
    """Weights W ~ N(0, sigma²) of shape (num_inputs, num_outputs) and zero biases b, tracked by autograd."""
    W = torch.normal(0.0, sigma, size=(num_inputs, num_outputs)).to(device).requires_grad_()
    b = torch.zeros(num_outputs, device=device, requires_grad=True)
    return W, b


# From 04_softmax_regression_scratch.ipynb, section "Softmax".
def softmax(O):
    """Row-wise softmax of a (batch, classes) tensor of logits (the plain formula: no overflow guard)."""
    O_exp = torch.exp(O)
    return O_exp / O_exp.sum(dim=1, keepdim=True)


# From 04_softmax_regression_scratch.ipynb, section "The model".
def softmax_regression(X, W, b):
    """Class probabilities (n, q) for a batch X of n examples of W.shape[0] values each, e.g. (n, 1, 28, 28)."""
    return softmax(X.reshape(-1, W.shape[0]) @ W + b)


# From 04_softmax_regression_scratch.ipynb, section "Cross-entropy, by fancy indexing".
def cross_entropy(y_hat, y):
    """Per-example cross-entropy -log y_hat[i, y[i]], for probabilities y_hat (n, q) and class indices y (n,)."""
    rows = torch.arange(len(y_hat), device=y_hat.device)
    return -torch.log(y_hat[rows, y])


# From 04_softmax_regression_scratch.ipynb, section "Accuracy".
def accuracy(y_hat, y):
    """The count (not the fraction) of rows of y_hat whose largest entry is in column y: a 0-d tensor on y's device."""
    return (y_hat.argmax(dim=1) == y).sum()


# From 04_softmax_regression_scratch.ipynb, section "A running-sum accumulator".
class Accumulator:
    """Running sums of n quantities; tensors are summed where they live, read back as floats on access."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *values):
        self.data = [total + (value.detach() if isinstance(value, torch.Tensor) else value)
                     for total, value in zip(self.data, values)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, i):
        return float(self.data[i])


# From 04_softmax_regression_scratch.ipynb, section "Evaluating over a data set".
def evaluate_accuracy(net, batches):
    """Fraction of correct predictions of net over the (X, y) minibatches of batches."""
    if isinstance(net, torch.nn.Module):
        net.eval()
    totals = Accumulator(2)  # correct predictions, examples
    with torch.no_grad():
        for X, y in batches:
            totals.add(accuracy(net(X), y), len(y))
    return totals[0] / totals[1]


# From 04_softmax_regression_scratch.ipynb, section "Minibatch stochastic gradient descent".
def sgd(params, lr, batch_size):
    """One minibatch SGD step; each param.grad must hold the gradient of the loss summed over the batch."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


# From 04_softmax_regression_scratch.ipynb, section "One epoch, then the whole training".
def train_epoch(net, batches, loss, updater):
    """Train net for one pass over batches; return (mean training loss, training accuracy).

    loss(y_hat, y) gives one loss per example. updater is either a torch.optim optimizer, which is
    given the gradient of the mean loss, or a function updater(batch_size) (e.g. a call to sgd),
    which is given the gradient of the summed loss.
    """
    if isinstance(net, torch.nn.Module):
        net.train()
    totals = Accumulator(3)  # summed loss, correct predictions, examples
    for X, y in batches:
        y_hat = net(X)
        batch_loss = loss(y_hat, y).sum()
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            (batch_loss / len(y)).backward()
            updater.step()
        else:
            batch_loss.backward()
            updater(len(y))
        totals.add(batch_loss, accuracy(y_hat, y), len(y))
    return totals[0] / totals[2], totals[1] / totals[2]


# From 04_softmax_regression_scratch.ipynb, section "One epoch, then the whole training".
class EpochStats(NamedTuple):
    train_loss: float
    train_acc: float
    test_acc: float


def train(net, train_batches, test_batches, loss, num_epochs, updater, plot=None):
    """Train for num_epochs, evaluating on test_batches after each; return one EpochStats per epoch.

    plot, if given, receives plot.add(epoch, (train_loss, train_acc, test_acc)) after each epoch.
    """
    history = []
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch(net, train_batches, loss, updater)
        history.append(EpochStats(train_loss, train_acc, evaluate_accuracy(net, test_batches)))
        if plot is not None:
            plot.add(epoch, history[-1])
    return history

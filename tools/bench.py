"""Time the d2l reference training path against the course's, in one run (`make bench`).

    python -m tools.bench [--epochs N] [--threads N] [--skip-nbval]

Both paths train softmax regression from scratch from the same seed (W ~ N(0, 0.01²), b = 0,
batch 256, learning rate 0.1) for the same epochs (default 2), with the test accuracy after each,
and the same torch CPU threads (what ``helpers.setup()`` sets for the notebooks, or --threads).
Only the plumbing differs. The d2l reference is the code of the d2l-zh study notes (a source article) on the d2l package
(``d2l.load_data_fashion_mnist``: torchvision, ``ToTensor`` per image, ``DataLoader(num_workers=4)``;
its ``train_epoch_ch3`` and ``evaluate_accuracy``, gone from d2l 1.0.3, are written out below),
run from a temporary folder whose ``../data`` holds the verified files. The course's path is
notebook 00's ``Minibatches`` and notebook 04's exported training code on tensors in memory. The
floor is the same epochs' matrix products alone; a profile shows where the course's time above
it goes. Then the whole nbval run is timed (--skip-nbval leaves it out).
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import torch

from helpers import Minibatches, choose_device, load_fashion_mnist, setup
from helpers.batches import write_torchvision_layout
from helpers.training import (cross_entropy, evaluate_accuracy, init_params, sgd,
                              softmax_regression, train_epoch)

from .course import ROOT

BATCH_SIZE, LR, SEED = 256, 0.1, 0

# The d2l reference as the d2l-zh study notes write it: 4 workers on a 2-core machine, float() on a tensor that requires grad.
warnings.filterwarnings("ignore", message="This DataLoader will create")
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True to a scalar")


@contextmanager
def d2l_data_folder():
    """A temporary folder laid out so that d2l's '../data' holds Fashion-MNIST; cwd restored after."""
    previous = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bench-d2l-") as tmp:
        write_torchvision_layout(Path(tmp) / "data")
        work = Path(tmp) / "work"
        work.mkdir()
        os.chdir(work)
        try:
            yield
        finally:
            os.chdir(previous)


def run_reference(num_epochs: int) -> dict:
    """The d2l reference: d2l's own loader and helpers (on the CPU, as in the d2l-zh study notes)."""
    from d2l import torch as d2l

    def softmax(X):
        X_exp = torch.exp(X)
        return X_exp / X_exp.sum(1, keepdim=True)

    torch.manual_seed(SEED)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy_seed(y_hat, y):
        return -torch.log(y_hat[range(len(y_hat)), y])

    def evaluate_accuracy_seed(net, data_iter):
        if isinstance(net, torch.nn.Module):
            net.eval()
        metric = d2l.Accumulator(2)
        with torch.no_grad():
            for X, y in data_iter:
                metric.add(d2l.accuracy(net(X), y), y.numel())
        return metric[0] / metric[1]

    def train_epoch_ch3(net, train_iter, loss, updater):
        if isinstance(net, torch.nn.Module):
            net.train()
        metric = d2l.Accumulator(3)
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 (the study notes' name)
            if isinstance(updater, torch.optim.Optimizer):
                updater.zero_grad()
                l.mean().backward()
                updater.step()
            else:
                l.sum().backward()
                updater(X.shape[0])
            metric.add(float(l.sum()), d2l.accuracy(y_hat, y), y.numel())
        return metric[0] / metric[2], metric[1] / metric[2]

    def updater(batch_size):
        return d2l.sgd([W, b], LR, batch_size)

    with d2l_data_folder():
        start = time.perf_counter()
        train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH_SIZE)
        load_seconds = time.perf_counter() - start
        epochs = []
        for _ in range(num_epochs):
            start = time.perf_counter()
            train_loss, train_acc = train_epoch_ch3(net, train_iter, cross_entropy_seed, updater)
            test_acc = evaluate_accuracy_seed(net, test_iter)
            epochs.append((time.perf_counter() - start, train_loss, train_acc, test_acc))
    return {"device": "cpu", "load": load_seconds, "epochs": epochs, "versions": f"d2l {version('d2l')}"}


def run_course(num_epochs: int, data, load_seconds: float = 0.0) -> dict:
    """The course's path: tensors in memory, Minibatches, notebook 04's exported training code."""
    device = data.train_images.device
    torch.manual_seed(SEED)
    W, b = init_params(device=device)
    train_batches = Minibatches(data.train_images, data.train_labels, BATCH_SIZE, seed=SEED)
    test_batches = Minibatches(data.test_images, data.test_labels, 2048, shuffle=False)

    def net(X):
        return softmax_regression(X, W, b)

    def updater(batch_size):
        sgd([W, b], LR, batch_size)

    epochs = []
    for _ in range(num_epochs):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(net, train_batches, cross_entropy, updater)
        test_acc = evaluate_accuracy(net, test_batches)  # reads the result: waits for the device
        epochs.append((time.perf_counter() - start, train_loss, train_acc, test_acc))
    return {"device": str(device), "load": load_seconds, "epochs": epochs}


def run_floor(num_epochs: int, data) -> dict:
    """The floor: only the matrix products of the course's epochs, on batches sliced in advance."""
    device = data.train_images.device
    train_x = data.train_images.reshape(-1, 784)
    test_x = data.test_images.reshape(-1, 784)
    batches = list(train_x.split(BATCH_SIZE))
    test_batches = list(test_x.split(2048))
    W = torch.randn(784, 10, device=device) * 0.01
    G = [torch.randn(len(X), 10, device=device) for X in batches]  # stands for y_hat - y
    epochs = []
    for _ in range(num_epochs):
        start = time.perf_counter()
        for X, g in zip(batches, G):
            X @ W          # forward
            X.T @ g        # gradient with respect to W
        for X in test_batches:
            X @ W
        float((test_batches[-1] @ W).sum())  # waits for the device
        epochs.append((time.perf_counter() - start, math.nan, math.nan, math.nan))
    return {"device": str(device), "load": 0.0, "epochs": epochs}


def profile_course_epoch(data, top: int = 10) -> str:
    """Where one epoch of the course's path spends its time: torch's profiler, by operator."""
    from torch.profiler import ProfilerActivity, profile
    cuda = [ProfilerActivity.CUDA] if data.train_images.device.type == "cuda" else []
    with profile(activities=[ProfilerActivity.CPU, *cuda]) as prof:
        run_course(1, data)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)


def report(name: str, description: str, result: dict) -> None:
    print(f"{name}: {description}")
    print(f"  device {result['device']}; data set ready in {result['load']:.2f} s")
    for i, (seconds, train_loss, train_acc, test_acc) in enumerate(result["epochs"], start=1):
        if math.isnan(train_loss):
            print(f"  epoch {i}: {seconds:6.3f} s   (matrix products only)")
            continue
        print(f"  epoch {i}: {seconds:6.2f} s   train loss {train_loss:.4f}, train acc {train_acc:.4f}, "
              f"test acc {test_acc:.4f}")


def time_nbval() -> None:
    command = [sys.executable, "-m", "pytest", "notebooks/", "-q"]
    print(f"nbval: timing `{' '.join(command[2:])}` (every notebook of the course, re-executed and compared)")
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    print(f"  {lines[-1] if lines else '(no output)'}")
    print(f"  whole nbval run: {seconds:.1f} s (exit status {result.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs for each path (default 2)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads, for both paths (default: what helpers.setup() sets for the notebooks)")
    parser.add_argument("--skip-nbval", action="store_true", help="do not time the whole nbval run (pytest notebooks/ -q)")
    args = parser.parse_args(argv)
    for name in ("epochs", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    setup(seed=SEED, threads=args.threads)
    threads = torch.get_num_threads()

    print(f"Softmax regression from scratch, W ~ N(0, 0.01²) 784×10, batch {BATCH_SIZE}, lr {LR}, "
          f"{args.epochs} epoch(s), test accuracy after each")
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU(s), {threads} torch CPU thread(s) for both paths\n")

    reference = run_reference(args.epochs)
    report("d2l reference", f"the d2l-zh study notes' code on {reference['versions']} (d2l.load_data_fashion_mnist: "
           "torchvision + ToTensor + DataLoader(256, shuffle, num_workers=4); d2l.accuracy, "
           "d2l.Accumulator, d2l.sgd)", reference)
    start = time.perf_counter()
    data = load_fashion_mnist(device=choose_device())  # once, for the course, the floor and the profile
    course = run_course(args.epochs, data, time.perf_counter() - start)
    report("course", "helpers.load_fashion_mnist (in memory) + Minibatches (notebook 00's code) + helpers.training "
           "(notebook 04's code)", course)

    floor = run_floor(args.epochs, data)
    report("floor", "the same epochs' matrix products (forward X W, gradient X^T G, test forward) and "
           "nothing else, on batches sliced in advance", floor)

    per_epoch = {name: sum(e[0] for e in r["epochs"]) / len(r["epochs"])
                 for name, r in (("reference", reference), ("course", course), ("floor", floor))}
    print("\nsummary")
    print(f"  seconds per epoch (training + test evaluation): reference {per_epoch['reference']:.2f} s, "
          f"course {per_epoch['course']:.2f} s, floor {per_epoch['floor']:.3f} s; {threads} torch CPU "
          f"thread(s) for each")
    print(f"  course vs d2l reference: the course's path is {per_epoch['reference'] / per_epoch['course']:.1f}x faster")
    print(f"  course vs floor: the course's path takes {per_epoch['course'] / per_epoch['floor']:.1f}x the floor")
    print(f"  test accuracy after {args.epochs} epoch(s): reference {reference['epochs'][-1][3]:.4f}, "
          f"course {course['epochs'][-1][3]:.4f}")
    print("\nwhere one epoch of the course's path spends its time (torch profiler, by operator):")
    print(profile_course_epoch(data))
    if not args.skip_nbval:
        print()
        time_nbval()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The course's speed, measured side by side with a reference in one run and reported as ratios.

    python -m tools.bench [--epochs 2] [--threads N] [--skip-nbval]      (make bench)
    python -m tools.bench --grading [--submissions 40]                   (make bench-grade)

Training: both paths train softmax regression from scratch from the same seed (W ~ N(0, 0.01²),
b = 0, batch 256, lr 0.1) for the same epochs, with the test accuracy after each, on the torch CPU
threads that ``helpers.setup()`` sets (or --threads). The d2l reference is the code of the d2l-zh
study notes (a source article) on the d2l package: ``d2l.load_data_fashion_mnist`` (torchvision,
``ToTensor`` per image, ``DataLoader(num_workers=4)``) with its ``train_epoch_ch3`` and
``evaluate_accuracy``, gone from d2l 1.0.3 and written out below. The course's path is notebook 00's
``Minibatches`` and notebook 04's training code on tensors in memory; the floor is the same epochs'
matrix products alone, and a profile shows where the course's time above it goes. Then the whole
nbval run is timed. Grading: --submissions copies of notebook 06's worked solutions are graded by
``make grade`` with --jobs 1, then with every core, as submissions per minute.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import torch

from helpers import Minibatches, choose_device, load_fashion_mnist, setup
from helpers.batches import write_torchvision_layout
from helpers.training import cross_entropy, evaluate_accuracy, init_params, sgd, softmax_regression, train_epoch

from . import course, files, make_student

BATCH_SIZE, LR, SEED = 256, 0.1, 0
# The d2l reference as the study notes write it: 4 workers on a 2-core machine, float() on a tensor that requires grad.
warnings.filterwarnings("ignore", message="This DataLoader will create")
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True to a scalar")


def run_reference(num_epochs: int) -> list[tuple]:
    """The d2l reference, on the CPU as in the study notes: (seconds, test accuracy) per epoch."""
    from d2l import torch as d2l
    torch.manual_seed(SEED)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X):
        X_exp = torch.exp(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)
        return X_exp / X_exp.sum(1, keepdim=True)

    def evaluate_accuracy_ch3(data_iter):
        metric = d2l.Accumulator(2)
        with torch.no_grad():
            for X, y in data_iter:
                metric.add(d2l.accuracy(net(X), y), y.numel())
        return metric[0] / metric[1]

    def train_epoch_ch3(train_iter):
        metric = d2l.Accumulator(3)
        for X, y in train_iter:
            y_hat = net(X)
            l = -torch.log(y_hat[range(len(y_hat)), y])  # noqa: E741 (the study notes' name)
            l.sum().backward()
            d2l.sgd([W, b], LR, X.shape[0])
            metric.add(float(l.sum()), d2l.accuracy(y_hat, y), y.numel())

    previous = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bench-d2l-") as tmp:  # d2l reads '../data'
        write_torchvision_layout(Path(tmp) / "data")
        (Path(tmp) / "work").mkdir()
        os.chdir(Path(tmp) / "work")
        try:
            train_iter, test_iter = d2l.load_data_fashion_mnist(BATCH_SIZE)
            return [timed(lambda: (train_epoch_ch3(train_iter), evaluate_accuracy_ch3(test_iter))[1])
                    for _ in range(num_epochs)]
        finally:
            os.chdir(previous)


def run_course(num_epochs: int, data) -> list[tuple]:
    """The course's path: (seconds, test accuracy) per epoch."""
    torch.manual_seed(SEED)
    W, b = init_params(device=data.train_images.device)
    train_batches = Minibatches(data.train_images, data.train_labels, BATCH_SIZE, seed=SEED)
    test_batches = Minibatches(data.test_images, data.test_labels, 2048, shuffle=False)

    def net(X):
        return softmax_regression(X, W, b)

    def epoch():
        train_epoch(net, train_batches, cross_entropy, lambda n: sgd([W, b], LR, n))
        return evaluate_accuracy(net, test_batches)  # reads the result: waits for the device
    return [timed(epoch) for _ in range(num_epochs)]


def run_floor(num_epochs: int, data) -> list[tuple]:
    """Only the matrix products of the course's epochs, on batches sliced in advance."""
    batches = list(data.train_images.reshape(-1, 784).split(BATCH_SIZE))
    test_batches = list(data.test_images.reshape(-1, 784).split(2048))
    W = torch.randn(784, 10, device=data.train_images.device) * 0.01
    errors = [torch.randn(len(X), 10, device=X.device) for X in batches]  # stand for y_hat - y

    def epoch():
        for X, error in zip(batches, errors):
            X @ W, X.T @ error  # forward, and the gradient with respect to W
        return float(sum((X @ W).sum() for X in test_batches))  # waits for the device
    return [timed(epoch) for _ in range(num_epochs)]


def timed(action) -> tuple:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def bench_training(args) -> None:
    setup(seed=SEED, threads=args.threads)
    print(f"Softmax regression from scratch, batch {BATCH_SIZE}, lr {LR}, {args.epochs} epoch(s), test accuracy after "
          f"each; torch {torch.__version__}, {os.cpu_count()} CPU(s), {torch.get_num_threads()} torch thread(s)\n")
    reference = run_reference(args.epochs)
    data = load_fashion_mnist(device=choose_device())
    runs = {f"d2l reference (d2l {version('d2l')}: torchvision + ToTensor + DataLoader(num_workers=4))": reference,
            "course (tensors in memory + Minibatches + notebook 04's code)": run_course(args.epochs, data),
            "floor (the same matrix products and nothing else)": run_floor(args.epochs, data)}
    per_epoch = {}
    for name, epochs in runs.items():
        per_epoch[name.split(" ")[0]] = sum(seconds for seconds, _ in epochs) / len(epochs)
        accuracy = "" if name.startswith("floor") else f", test accuracy {epochs[-1][1]:.4f}"
        print(f"{name}: {per_epoch[name.split(' ')[0]]:.3f} s per epoch{accuracy}")
    print(f"\nthe course's path is {per_epoch['d2l'] / per_epoch['course']:.1f}x faster than the d2l reference, "
          f"and takes {per_epoch['course'] / per_epoch['floor']:.1f}x the floor")
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU] + [ProfilerActivity.CUDA] * data.train_images.is_cuda) as prof:
        run_course(1, data)
    print("\nwhere one epoch of the course's path spends its time (torch profiler, by operator):")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    if not args.skip_nbval:
        seconds, result = timed(lambda: subprocess.run([sys.executable, "-m", "pytest", "notebooks", "-q"],
                                                       cwd=course.ROOT, capture_output=True, text=True))
        summary = [line for line in result.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
        print(f"nbval on every notebook: {seconds:.1f} s ({summary[0]})")


def bench_grading(args) -> int:
    source = course.read_notebook(course.ROOT / "notebooks" / "06_exercises.ipynb")
    worked = make_student.student_notebook(source)
    for mine, solution in zip(worked.cells, source.cells):
        if course.is_solution(solution):
            mine.source = solution.source
    rates = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        for k in range(args.submissions):
            (Path(tmp) / "submissions" / f"student{k:02d}").mkdir(parents=True)
            files.write_notebook(Path(tmp) / "submissions" / f"student{k:02d}" / "06_exercises.ipynb", worked)
        for jobs in dict.fromkeys([1, os.cpu_count()]):
            out = Path(tmp) / f"jobs-{jobs}"
            seconds, result = timed(lambda: subprocess.run(
                [sys.executable, "-m", "tools.grade", f"{tmp}/submissions", "--jobs", str(jobs), "--course",
                 out / "course", "--out", out / "grades.csv", "--feedback", out / "feedback"],
                cwd=course.ROOT, capture_output=True, text=True))
            rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8"))) if result.returncode == 0 else []
            if not rows or any(row["points"] != row["max_points"] for row in rows):
                print(f"--jobs {jobs}: not every submission got full marks\n{result.stdout}{result.stderr}", file=sys.stderr)
                return 1
            rates[jobs] = args.submissions / seconds * 60
            print(f"--jobs {jobs}: {args.submissions} submissions in {seconds:.0f} s, {rates[jobs]:.1f} per minute",
                  flush=True)
    if len(rates) > 1:
        print(f"--jobs {os.cpu_count()} grades {rates[os.cpu_count()] / rates[1]:.2f}x as many per minute as --jobs 1")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs for each training path (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: what setup() sets)")
    parser.add_argument("--skip-nbval", action="store_true", help="do not time the whole nbval run")
    parser.add_argument("--grading", action="store_true", help="time make grade instead of the training paths")
    parser.add_argument("--submissions", type=int, default=40, help="submissions to grade with --grading")
    args = parser.parse_args(argv)
    for name in ("epochs", "threads", "submissions"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return bench_grading(args) if args.grading else bench_training(args) or 0


if __name__ == "__main__":
    sys.exit(main())

"""Will the course run here? A readiness self-test that takes seconds (`make check`).

    python -m tools.check

Prints the Python, torch and torchvision versions; the device the notebooks will use (with the
GPU's name); where Fashion-MNIST was found, verified; the torch thread count; and the time of one
epoch of notebook 04's training on this machine, with an estimate for the whole notebook. The
last line is READY (exit status 0), or a numbered list of what to fix (exit status 1).
"""
from __future__ import annotations

import platform
import sys
import time

# Notebook 04 trains 10 epochs twice (autograd, then the hand-written gradient); the rest of it
# (kernel start, imports, loading, figures) took about 10 s on a 2-core CPU.
NOTEBOOK_04_EPOCHS, NOTEBOOK_04_OVERHEAD_S = 20, 10


def main(argv: list[str] | None = None) -> int:
    problems: list[str] = []
    try:
        import torch
        import torchvision
    except Exception as err:  # missing, or a torchvision built for another torch
        print(f"Python {platform.python_version()}")
        problems.append(f"torch/torchvision cannot be imported ({type(err).__name__}: {err}); run `make env`, "
                        "or install a matching pair (pip install torch torchvision)")
        return verdict(problems)
    print(f"Python {platform.python_version()} · torch {torch.__version__} · torchvision {torchvision.__version__}")

    from helpers import DataError, load_fashion_mnist, setup
    device = None
    try:
        device = setup(seed=0)
        name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
        print(f"device: {device}{name}; torch CPU threads: {torch.get_num_threads()}")
    except ValueError as err:  # COURSE_DEVICE or COURSE_THREADS set to something unusable
        problems.append(str(err))

    data = None
    try:
        start = time.perf_counter()
        data = load_fashion_mnist(device=device or "cpu")
        folders = sorted({str(path.parent) for path in data.sources.values()})
        print(f"Fashion-MNIST: {len(data.train_images):,} + {len(data.test_images):,} images, verified, "
              f"from {', '.join(folders)} ({time.perf_counter() - start:.1f} s)")
    except DataError as err:
        lines = str(err).splitlines()
        problems.append(f"Fashion-MNIST: {lines[0]} (`make data` says more)")
        print("\n".join(f"  {line}" for line in lines))

    if data is not None and device is not None:
        epoch = time_one_epoch(data)
        estimate = NOTEBOOK_04_OVERHEAD_S + NOTEBOOK_04_EPOCHS * epoch
        print(f"notebook 04's training: one epoch in {epoch:.2f} s on {device}; the whole notebook takes "
              f"about {estimate:.0f} s here")
    return verdict(problems)


def time_one_epoch(data) -> float:
    """Seconds for one epoch of notebook 04's training (batch 256, lr 0.1) on the data's device."""
    from helpers import Minibatches
    from helpers.training import cross_entropy, init_params, sgd, softmax_regression, train_epoch
    W, b = init_params(device=data.train_images.device)
    batches = Minibatches(data.train_images, data.train_labels, batch_size=256)
    start = time.perf_counter()
    train_epoch(lambda X: softmax_regression(X, W, b), batches, cross_entropy, lambda n: sgd([W, b], 0.1, n))
    return time.perf_counter() - start  # train_epoch returns floats, so the device has finished


def verdict(problems: list[str]) -> int:
    if not problems:
        print("READY")
        return 0
    print(f"NOT READY: {len(problems)} thing(s) to fix")
    for k, problem in enumerate(problems, start=1):
        print(f"  {k}. {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

# GENERATED FILE: DO NOT EDIT. `make export` writes it from the cells marked "#| export" in
# notebooks/00_fashion_mnist.ipynb: change them there. The tests fail while the two disagree.
"""Batches of in-memory tensors, and the files laid out as torchvision reads them: the input
pipeline that notebook 00 builds and the later notebooks and tools reuse.
"""

# From 00_fashion_mnist.ipynb, section "Reading speed: per-image DataLoader vs tensors in memory".
from pathlib import Path

import torch

from helpers.data import read_files
from helpers.validation import check_batch_size, check_examples_and_labels


# From 00_fashion_mnist.ipynb, section "Reading speed: per-image DataLoader vs tensors in memory".
class Minibatches:
    """Minibatches of in-memory tensors, with no per-image work.

    X: tensor of shape (n, ...), any dtype; y: tensor of class indices, integer dtype, shape (n,),
    values >= 0. Both on the same device; the batches come out on that device. Each pass (epoch)
    draws a new order from a generator seeded once with ``seed``, so the sequence of epochs is
    reproducible.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int,
                 shuffle: bool = True, seed: int = 0):
        check_examples_and_labels(X, y)  # X (n, ...) and y (n,) class indices, on one device
        self.X, self.y, self.batch_size, self.shuffle = X, y, check_batch_size(batch_size), shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return (len(self.X) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.X)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.X.device)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                # index_select copies rows in one pass; X[idx] is 2-4x slower on 4-D images.
                yield self.X.index_select(0, idx), self.y.index_select(0, idx)
        else:
            for start in range(0, n, self.batch_size):
                yield self.X[start:start + self.batch_size], self.y[start:start + self.batch_size]


# From 00_fashion_mnist.ipynb, section "Reading speed: per-image DataLoader vs tensors in memory".
def write_torchvision_layout(root, files=None) -> Path:
    """Write the decompressed files to root/FashionMNIST/raw/, where torchvision's dataset reads them.

    files: what helpers.data.read_files() returns ({name: (path, content)}), by default called here.
    """
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, (_, content) in (files or read_files()).items():
        (raw / name.removesuffix(".gz")).write_bytes(content)
    return raw

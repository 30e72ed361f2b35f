"""Fashion-MNIST as in-memory tensors, found without the network whenever possible.

Where the four original files are looked for, in this order:

1. the folder named by the environment variable ``FASHION_MNIST_DIR``;
2. the project's ``data/`` folder (and ``data/FashionMNIST/raw/``, torchvision's layout);
3. ``/usr/share/datasets/fashion-mnist/``, where Debian's package ``dataset-fashion-mnist`` puts them;
4. only then a download with torchvision (needs the network) into ``data/``.

Every file is checked (its decompressed size and SHA-256) before use.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, NamedTuple

import numpy as np
import torch

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot")


class FileSpec(NamedTuple):
    """What a verified file must decompress to: its length in bytes and its SHA-256."""
    size: int
    sha256: str


# Sizes and checksums of the *decompressed* files, so that any gzip re-compression
# (Debian's files are re-compressed, torchvision's mirror is not) still verifies.
FILES: Mapping[str, FileSpec] = {
    "train-images-idx3-ubyte.gz": FileSpec(47_040_016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte.gz": FileSpec(60_008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte.gz": FileSpec(7_840_016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte.gz": FileSpec(10_008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}


class DataError(RuntimeError):
    """Fashion-MNIST is missing, truncated or corrupt; the message says where and how to fix it."""


@dataclass(frozen=True)
class FashionMNIST:
    """The whole data set in memory.

    With ``raw=False`` (the default) images are float32 of shape (N, 1, 28, 28) in [0, 1];
    with ``raw=True`` they are uint8 of shape (N, 28, 28), exactly as stored in the files.
    Labels are int64 of shape (N,), values 0..9, naming ``text_labels[label]``.
    """
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    text_labels: tuple
    sources: dict  # file name -> Path it was read from


def search_dirs() -> list[Path]:
    """The folders searched for the files, in order (the env-var folder only when it is set)."""
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]).expanduser())
    data = PROJECT_ROOT / "data"
    dirs += [data, data / "FashionMNIST" / "raw", DEBIAN_DIR]
    return dirs


def _how_to_fix(dirs: list[Path]) -> str:
    looked = "\n".join(f"  - {d}" for d in dirs)
    env_note = "" if os.environ.get(ENV_VAR) else f" (${ENV_VAR} is not set)"
    return (f"Looked in{env_note}:\n{looked}\n"
            "Three ways to fix it:\n"
            f"  1. set {ENV_VAR} to a folder holding the four original *-ubyte.gz files;\n"
            f"  2. copy those files into {PROJECT_ROOT / 'data'};\n"
            "  3. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
            "     (or connect to the network once, so that torchvision can download them).")


def read_verified(path: Path, spec: FileSpec) -> bytes:
    """Decompress one gz file and check it against ``spec``; raise DataError if it does not match."""
    try:
        content = zlib.decompress(path.read_bytes(), wbits=31)  # 31: gzip header and trailer
    except zlib.error as err:
        problem = "is truncated" if "incomplete" in str(err) or "truncated" in str(err) else "is corrupt"
        raise DataError(f"Fashion-MNIST file {path.name} {problem} (gzip says: {err}).\n"
                        f"File: {path}\n" + _how_to_fix(search_dirs())) from None
    except OSError as err:
        raise DataError(f"Fashion-MNIST file {path} cannot be read: {err}.\n" + _how_to_fix(search_dirs())) from None
    if len(content) != spec.size:
        raise DataError(f"Fashion-MNIST file {path.name} is truncated or wrong: it decompresses to "
                        f"{len(content):,} bytes, expected {spec.size:,}.\nFile: {path}\n" + _how_to_fix(search_dirs()))
    digest = hashlib.sha256(content).hexdigest()
    if digest != spec.sha256:
        raise DataError(f"Fashion-MNIST file {path.name} is corrupt: its SHA-256 is {digest}, "
                        f"expected {spec.sha256}.\nFile: {path}\n" + _how_to_fix(search_dirs()))
    return content


def parse_idx(content: bytes) -> np.ndarray:
    """Parse the IDX format of the original files (unsigned-byte data only).

    Header: two zero bytes, type byte 0x08 (uint8), number of dimensions, then one big-endian
    uint32 per dimension. Returns a writable uint8 array of that shape.
    """
    if len(content) < 4 or content[0:2] != b"\x00\x00" or content[2] != 0x08:
        raise DataError("not an IDX file of unsigned bytes (bad magic number)")
    ndim = content[3]
    dims = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(content) - offset != int(np.prod(dims)):
        raise DataError(f"IDX header promises shape {dims} but the file holds {len(content) - offset} bytes of data")
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(dims).copy()


def _download_with_torchvision(dest: Path) -> None:
    """Download the four gz files into ``dest`` with torchvision (needs the network)."""
    import torchvision
    torchvision.datasets.FashionMNIST(root=str(dest), train=True, download=True)
    torchvision.datasets.FashionMNIST(root=str(dest), train=False, download=True)


def download(specs: Mapping[str, FileSpec] = FILES, dest: Path | None = None) -> Path:
    """Fetch the files with torchvision into ``dest`` (default ``data/``), verified.

    The download goes into a temporary folder beside ``dest``; only verified files are moved in,
    so an interrupted or failed download leaves nothing half-written behind.
    """
    dest = Path(dest) if dest is not None else PROJECT_ROOT / "data"
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=dest))
    try:
        try:
            _download_with_torchvision(staging)
        except Exception as err:  # torchvision raises URLError, RuntimeError, OSError...
            raise DataError("Fashion-MNIST was not found on this machine, and downloading it failed "
                            f"({type(err).__name__}: {err}).\n" + _how_to_fix(search_dirs())) from None
        raw = staging / "FashionMNIST" / "raw"
        for name, spec in specs.items():
            read_verified(raw / name, spec)
        for name in specs:
            os.replace(raw / name, dest / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def find_files(specs: Mapping[str, FileSpec] = FILES, download_if_missing: bool = True) -> dict[str, Path]:
    """Locate each file: the first folder of ``search_dirs()`` holding it, else download.

    Returns {file name: path}. Raises DataError naming the missing files when none is found
    and ``download_if_missing`` is False (or the download fails).
    """
    dirs = search_dirs()
    found = {}
    for name in specs:
        for folder in dirs:
            if (folder / name).is_file():
                found[name] = folder / name
                break
    missing = [name for name in specs if name not in found]
    if missing and download_if_missing:
        folder = download(specs)
        found.update({name: folder / name for name in missing})
    elif missing:
        raise DataError(f"Fashion-MNIST file(s) not found: {', '.join(missing)}.\n" + _how_to_fix(dirs))
    return found


def load_fashion_mnist(device: str | torch.device = "cpu", raw: bool = False,
                       specs: Mapping[str, FileSpec] = FILES,
                       download_if_missing: bool = True) -> FashionMNIST:
    """Return the whole of Fashion-MNIST as tensors on ``device`` (see FashionMNIST for shapes).

    ``raw=False`` scales pixels from 0..255 to float32 in [0, 1] and adds the channel axis (NCHW).
    """
    paths = find_files(specs, download_if_missing)
    names = list(specs)
    # zlib releases the GIL, so the four files decompress in parallel.
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        contents = list(pool.map(lambda n: read_verified(paths[n], specs[n]), names))
    arrays = dict(zip(names, map(parse_idx, contents)))

    def images(name):
        x = torch.from_numpy(arrays[name]).to(device)
        return x if raw else x.unsqueeze(1).to(torch.float32).div_(255)

    def labels(name):
        return torch.from_numpy(arrays[name]).to(device=device, dtype=torch.int64)

    train_x, train_y, test_x, test_y = names
    return FashionMNIST(images(train_x), labels(train_y), images(test_x), labels(test_y),
                        TEXT_LABELS, dict(paths))


def write_torchvision_layout(root: Path | str, specs: Mapping[str, FileSpec] = FILES) -> Path:
    """Write the verified, decompressed files where torchvision (and d2l) expect them.

    ``torchvision.datasets.FashionMNIST(root, download=False)`` then reads them from
    ``root/FashionMNIST/raw/``; used to time the classic DataLoader path against ours.
    Returns that raw folder.
    """
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, path in find_files(specs).items():
        (raw / name.removesuffix(".gz")).write_bytes(read_verified(path, specs[name]))
    return raw


def text_labels(labels) -> list[str]:
    """Map integer labels (a tensor or iterable of ints) to their names."""
    return [TEXT_LABELS[int(i)] for i in labels]


class Minibatches:
    """Minibatches of in-memory tensors, with no per-image work.

    X: tensor of shape (n, ...), any dtype; y: tensor of shape (n,). Both on the same device;
    the batches come out on that device. Each pass (epoch) draws a new order from a generator
    seeded once with ``seed``, so the sequence of epochs is reproducible.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int,
                 shuffle: bool = True, seed: int = 0):
        if len(X) != len(y):
            raise ValueError(f"X and y must hold the same number of examples; got {len(X)} and {len(y)}.")
        if X.device != y.device:
            raise ValueError(f"X is on {X.device} but y is on {y.device}; move both to one device first.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle
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


"""Fashion-MNIST as in-memory tensors, found on disk without the network whenever possible.

The four original files are taken all from one folder (``search_dirs`` says which): the one that
``FASHION_MNIST_DIR`` names, if it is set, and only that one; else the first of the project's
``data/`` (or ``data/FashionMNIST/raw/``, torchvision's layout) and ``/usr/share/datasets/fashion-mnist/``
(Debian's ``dataset-fashion-mnist``) that holds all four. Only if none does, torchvision downloads them
into ``data/``, through a temporary folder elsewhere and with a socket timeout, so that a failed,
interrupted or killed download leaves nothing in ``data/``.

Every file is checked (the size and SHA-256 of its decompressed content) before use; a missing,
truncated or corrupt file is one DataError saying which file, where we looked, and how to fix it.
"""
import gzip
import hashlib
import os
import socket
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, NamedTuple

import numpy as np
import torch

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT_S = 30  # a server that stops answering for this long fails the download

TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")


class FileSpec(NamedTuple):
    """What a verified file must decompress to: its length in bytes and its SHA-256."""
    size: int
    sha256: str


# Of the *decompressed* files, so that Debian's re-compressed copies verify as well as torchvision's.
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
    """The whole data set in memory. Images: float32 (N, 1, 28, 28) in [0, 1], or with ``raw=True`` uint8
    (N, 28, 28) as stored; labels: int64 (N,), values 0..9, naming ``text_labels[label]``."""
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    text_labels: tuple
    sources: dict  # file name -> Path it was read from


def search_dirs() -> tuple[list[Path], bool]:
    """The folders to look in, in order, and whether the user named the (only) one with FASHION_MNIST_DIR."""
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR]).expanduser()], True
    data = PROJECT_ROOT / "data"
    return [data, data / "FashionMNIST" / "raw", DEBIAN_DIR], False


def _how_to_fix(bad_file: Path | None = None) -> str:
    dirs, named = search_dirs()
    looked = f"Looked in ({'only $' + ENV_VAR if named else '$' + ENV_VAR + ' is not set'}):\n" + "".join(
        f"  - {d}\n" for d in dirs)
    if bad_file is not None and bad_file.parent == DEBIAN_DIR:
        fixes = ["reinstall Debian's package: sudo apt-get install --reinstall dataset-fashion-mnist"]
    elif bad_file is not None:
        fixes = [f"replace {bad_file} with a good copy of the original file, or delete it"]
    else:
        fixes = [f"put the four original *-ubyte.gz files in {dirs[0]}"] if named else [
            f"set {ENV_VAR} to a folder holding the four original *-ubyte.gz files",
            f"copy those files into {dirs[0]}",
            "on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist (or connect to the network once)"]
    if named:
        fixes.append(f"or unset {ENV_VAR}, so that the course looks in its usual places")
    return looked + "How to fix it:\n" + "".join(f"  {k}. {fix}\n" for k, fix in enumerate(fixes, 1))


def read_verified(path: Path, spec: FileSpec) -> bytes:
    """The decompressed content of one gz file (every gzip member); DataError unless it matches ``spec``."""
    try:
        content = gzip.decompress(path.read_bytes())
        problem = (f"decompresses to {len(content):,} bytes, expected {spec.size:,}" if len(content) != spec.size
                   else f"is corrupt: its SHA-256 is {hashlib.sha256(content).hexdigest()}, expected {spec.sha256}"
                   if hashlib.sha256(content).hexdigest() != spec.sha256 else None)
    except EOFError as err:
        problem = f"is truncated (gzip says: {err})"
    except (gzip.BadGzipFile, zlib.error) as err:
        problem = f"is corrupt (gzip says: {err})"
    except OSError as err:
        problem = f"cannot be read ({err})"
    if problem:
        raise DataError(f"Fashion-MNIST file {path.name} {problem}.\nFile: {path}\n" + _how_to_fix(path))
    return content


def parse_idx(content: bytes) -> np.ndarray:
    """A writable uint8 array from the IDX format: 0, 0, type 0x08, ndim, then one big-endian uint32 per dim."""
    if len(content) < 4 or content[0:2] != b"\x00\x00" or content[2] != 0x08:
        raise DataError("not an IDX file of unsigned bytes (bad magic number)")
    dims = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(content[3]))
    offset = 4 + 4 * len(dims)
    if len(content) - offset != int(np.prod(dims)):
        raise DataError(f"IDX header promises shape {dims} but the file holds {len(content) - offset} bytes of data")
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(dims).copy()


def find_files(specs: Mapping[str, FileSpec] = FILES) -> dict[str, Path] | None:
    """{name: path} from the first folder holding every file, or None; DataError if they are split or not where named."""
    dirs, named = search_dirs()
    partial = []
    for folder in dirs:
        try:
            present = [name for name in specs if (folder / name).is_file()]
        except PermissionError:
            raise DataError(f"The folder {folder} cannot be read (permission denied): let your user read it "
                            f"(chmod), or point {ENV_VAR} elsewhere.\n" + _how_to_fix()) from None
        if len(present) == len(specs):
            return {name: folder / name for name in specs}
        partial += [f"{folder} holds only {', '.join(present)}; all four must be in one folder."] if present else []
    if named:
        problem = "does not exist" if not dirs[0].exists() else f"lacks {', '.join(n for n in specs if n not in present)}"
        raise DataError(f"{ENV_VAR} is set to {dirs[0]}, which {problem}.\n" + _how_to_fix())
    if partial:
        raise DataError("Fashion-MNIST is incomplete:\n" + "\n".join(partial) + "\n" + _how_to_fix())
    return None


def download(specs: Mapping[str, FileSpec] = FILES) -> dict[str, tuple[Path, bytes]]:
    """Fetch the files with torchvision into data/; {name: (path, verified content)}."""
    import torchvision
    dest = search_dirs()[0][0]
    print(f"Fashion-MNIST is not on this machine: downloading it with torchvision from "
          f"{torchvision.datasets.FashionMNIST.mirrors[0]} into {dest}", file=sys.stderr, flush=True)
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:  # the system's temporary folder: whatever stops the download, data/ never holds a partial file
        with tempfile.TemporaryDirectory(prefix="fashion-mnist-download-") as staging:
            torchvision.datasets.FashionMNIST(staging, train=True, download=True)
            raw = Path(staging) / "FashionMNIST" / "raw"
            contents = {name: read_verified(raw / name, spec) for name, spec in specs.items()}
            dest.mkdir(parents=True, exist_ok=True)
            for name in specs:
                staged = dest / f".{name}.part"
                staged.write_bytes((raw / name).read_bytes())
                os.replace(staged, dest / name)
    except (RuntimeError, OSError) as err:
        silent = isinstance(err, TimeoutError) or "timed out" in str(err)
        reason = f"no answer within {DOWNLOAD_TIMEOUT_S} s" if silent else f"{type(err).__name__}: {err}"
        raise DataError(f"Fashion-MNIST was not found on this machine, and downloading it failed ({reason}).\n"
                        + _how_to_fix()) from None
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return {name: (dest / name, content) for name, content in contents.items()}


def read_files(specs: Mapping[str, FileSpec] = FILES, download_if_missing: bool = True) -> dict[str, tuple[Path, bytes]]:
    """Every file, found or (if allowed) downloaded, each decompressed and verified once: {name: (path, content)}."""
    paths = find_files(specs)
    if paths is None:
        if download_if_missing:
            return download(specs)
        raise DataError(f"Fashion-MNIST file(s) not found: {', '.join(specs)}.\n" + _how_to_fix())
    return {name: (path, read_verified(path, specs[name])) for name, path in paths.items()}


def load_fashion_mnist(device: str | torch.device = "cpu", raw: bool = False,
                       specs: Mapping[str, FileSpec] = FILES, download_if_missing: bool = True) -> FashionMNIST:
    """The whole of Fashion-MNIST as tensors on ``device`` (see FashionMNIST for shapes and dtypes).

    ``raw=False`` scales pixels from 0..255 to float32 in [0, 1] and adds the channel axis (NCHW).
    """
    files = read_files(specs, download_if_missing)

    def tensor(kind: str, part: str) -> torch.Tensor:  # picked by name: "train"/"t10k", "images"/"labels"
        x = torch.from_numpy(parse_idx(next(c for n, (_, c) in files.items() if n.startswith(f"{kind}-{part}"))))
        if part == "labels":
            return x.to(device=device, dtype=torch.int64)
        return x.to(device) if raw else x.to(device).unsqueeze(1).to(torch.float32).div_(255)

    return FashionMNIST(tensor("train", "images"), tensor("train", "labels"), tensor("t10k", "images"),
                        tensor("t10k", "labels"), TEXT_LABELS, {name: path for name, (path, _) in files.items()})


def text_labels(labels) -> list[str]:
    """Map integer labels (a tensor or iterable of ints) to their names."""
    return [TEXT_LABELS[int(i)] for i in labels]

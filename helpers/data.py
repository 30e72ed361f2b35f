"""Fashion-MNIST as in-memory tensors, found without the network whenever possible.

Where the four original files are looked for, all four from one folder (``candidate_dirs`` and
``default_dirs``, the one place that says it):

1. if the environment variable ``FASHION_MNIST_DIR`` is set, the folder it names, and only that
   one: a folder you named that lacks a file, or cannot be read, is an error that names it;
2. otherwise the project's ``data/`` folder (and ``data/FashionMNIST/raw/``, torchvision's layout),
   then ``/usr/share/datasets/fashion-mnist/``, where Debian's package ``dataset-fashion-mnist``
   puts them: the first folder that holds all four;
3. only if none does, a download into ``data/`` (needs the network), from torchvision's mirrors,
   with a timeout, a line saying what comes from where, and nothing left behind if it fails or
   is interrupted (Ctrl-C or SIGTERM).

Every file is checked once (the size and SHA-256 of its decompressed content) before use. The
batching of the loaded tensors is taught in notebook 00 and exported to ``helpers/batches.py``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import urllib.request
import warnings
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
DOWNLOAD_TIMEOUT_S = 30  # for the connection and for each read: a server that stops answering fails
STAGING_PREFIX = ".download-"  # data/.download-<pid>-*: a download in progress

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


class _NotFound(DataError):
    """The files are in none of the folders searched (so a download may fetch them)."""


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


def default_dirs() -> list[Path]:
    """The folders searched when FASHION_MNIST_DIR is not set, in order; the first, data/, is where a download goes."""
    data = PROJECT_ROOT / "data"
    return [data, data / "FashionMNIST" / "raw", DEBIAN_DIR]


def candidate_dirs() -> tuple[list[Path], bool]:
    """The folders to look in, in order, and whether the user named the (only) one with FASHION_MNIST_DIR."""
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR]).expanduser()], True
    return default_dirs(), False


def _how_to_fix(bad_file: Path | None = None) -> str:
    """Where we looked and what to do, fitted to the case: a bad file (where it is) or missing files."""
    dirs, named = candidate_dirs()
    data, *_, debian = default_dirs()
    unset = f"or unset {ENV_VAR}, so that the course looks in {data} and {debian} (or downloads the files)."
    looked = "\n".join(f"  - {d}" for d in dirs)
    where = f"Looked in (${ENV_VAR} is set, so only there):" if named else f"Looked in (${ENV_VAR} is not set):"
    if bad_file is not None and named:
        fixes = [f"replace {bad_file.name} in {bad_file.parent} with a good copy of the original file;", unset]
    elif bad_file is not None and bad_file.parent == debian:
        fixes = ["reinstall Debian's package: sudo apt-get install --reinstall dataset-fashion-mnist;",
                 f"or set {ENV_VAR} to a folder holding good copies of the four files."]
    elif bad_file is not None:
        fixes = [f"delete {bad_file}, so that the course finds the files elsewhere or downloads them again;",
                 "or replace it with a good copy of the original file."]
    elif named:
        fixes = [f"put the four original *-ubyte.gz files in {dirs[0]};", unset]
    else:
        fixes = [f"set {ENV_VAR} to a folder holding the four original *-ubyte.gz files;",
                 f"copy those files into {data};",
                 "on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
                 "     (or connect to the network once, so that the files can be downloaded)."]
    numbered = "\n".join(f"  {k}. {fix}" for k, fix in enumerate(fixes, start=1))
    return f"{where}\n{looked}\nHow to fix it:\n{numbered}"


def read_verified(path: Path, spec: FileSpec) -> bytes:
    """Decompress one gz file (every gzip member of it) and check it against ``spec``; raise DataError if it does not match."""
    try:
        compressed = path.read_bytes()
    except OSError as err:
        raise DataError(f"Fashion-MNIST file {path} cannot be read: {err}.\n" + _how_to_fix(path)) from None
    try:
        content = gzip.decompress(compressed)
    except EOFError as err:
        raise DataError(f"Fashion-MNIST file {path.name} is truncated (gzip says: {err}).\n"
                        f"File: {path}\n" + _how_to_fix(path)) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"Fashion-MNIST file {path.name} is corrupt (gzip says: {err}).\n"
                        f"File: {path}\n" + _how_to_fix(path)) from None
    if len(content) != spec.size:
        raise DataError(f"Fashion-MNIST file {path.name} is truncated or wrong: it decompresses to "
                        f"{len(content):,} bytes, expected {spec.size:,}.\nFile: {path}\n" + _how_to_fix(path))
    digest = hashlib.sha256(content).hexdigest()
    if digest != spec.sha256:
        raise DataError(f"Fashion-MNIST file {path.name} is corrupt: its SHA-256 is {digest}, "
                        f"expected {spec.sha256}.\nFile: {path}\n" + _how_to_fix(path))
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


def _fetch(url: str, target: Path, timeout: float) -> None:
    """Copy ``url`` to ``target``, printing progress to stderr; a silent server fails after ``timeout`` s."""
    print(f"downloading {target.name} from {url}", file=sys.stderr, flush=True)
    opener = urllib.request.build_opener()  # reads the proxy settings of the environment as it is now
    with opener.open(url, timeout=timeout) as response, open(target, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done, shown = 0, 0
        while chunk := response.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            if total and done * 4 // total > shown:  # a line at each quarter
                shown = done * 4 // total
                print(f"  {done / 1e6:.1f} of {total / 1e6:.1f} MB", file=sys.stderr, flush=True)


def _download_with_torchvision(dest: Path, names=tuple(FILES), timeout: float | None = None) -> None:
    """Download the gz files from torchvision's mirrors into ``dest/FashionMNIST/raw/`` (needs the network)."""
    import torchvision
    timeout = DOWNLOAD_TIMEOUT_S if timeout is None else timeout
    raw = dest / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in names:
        failures = []
        for mirror in torchvision.datasets.FashionMNIST.mirrors:
            try:
                _fetch(mirror + name, raw / name, timeout)
                break
            except OSError as err:  # URLError, a timeout, connection refused, HTTP errors
                reason = getattr(err, "reason", err)
                silent = isinstance(err, TimeoutError) or isinstance(reason, TimeoutError)
                failures.append(f"{mirror + name}: " + (f"no answer within {timeout:g} s" if silent else str(reason)))
        else:
            raise OSError("; ".join(failures))


class _Terminated(BaseException):
    """SIGTERM arrived during a download: clean up, then die of that signal."""


def _remove_stale_staging(dest: Path) -> None:
    # A download killed outright (SIGKILL, a power cut) leaves its folder; its process is gone.
    for folder in dest.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and _process_alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists (PermissionError: it does)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def download(specs: Mapping[str, FileSpec] = FILES, dest: Path | None = None) -> dict[str, tuple[Path, bytes]]:
    """Fetch the files into ``dest`` (default: data/, see ``default_dirs``); {name: (path, verified content)}.

    The download goes into a staging folder beside ``dest``; only verified files are moved in, so
    an interrupted (Ctrl-C, SIGTERM) or failed download leaves nothing half-written behind, and a
    staging folder left by a download that was killed outright is removed at the next start.
    """
    dest = Path(dest) if dest is not None else default_dirs()[0]
    dest.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(dest)
    in_main_thread = threading.current_thread() is threading.main_thread()

    def terminate(signum, frame):
        raise _Terminated()

    # The handler comes first, so that no SIGTERM can land between making the staging folder and
    # being ready to remove it.
    previous = signal.signal(signal.SIGTERM, terminate) if in_main_thread else None
    terminated, staging = False, None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=dest))
        try:
            _download_with_torchvision(staging, tuple(specs))
        except Exception as err:
            raise DataError("Fashion-MNIST was not found on this machine, and downloading it failed "
                            f"({type(err).__name__}: {err}).\n" + _how_to_fix()) from None
        raw = staging / "FashionMNIST" / "raw"
        contents = {name: read_verified(raw / name, spec) for name, spec in specs.items()}
        for name in specs:
            os.replace(raw / name, dest / name)
    except _Terminated:
        terminated = True
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if in_main_thread and previous is not None:  # None: a handler not set from Python
            signal.signal(signal.SIGTERM, previous)
    if terminated:  # die of the signal, as without the handler, now that nothing is left behind
        os.kill(os.getpid(), signal.SIGTERM)
        raise DataError("The download of Fashion-MNIST was stopped by SIGTERM; nothing was kept.")
    return {name: (dest / name, content) for name, content in contents.items()}


def _holds(folder: Path, name: str) -> bool:
    try:
        return (folder / name).is_file()
    except PermissionError:
        raise DataError(f"The folder {folder} cannot be read (permission denied).\n"
                        f"Let your user read it (chmod), or point {ENV_VAR} elsewhere.\n" + _how_to_fix()) from None


def find_files(specs: Mapping[str, FileSpec] = FILES) -> dict[str, Path]:
    """Locate all the files in one folder (see the module docstring); nothing is downloaded.

    Returns {file name: path}. Raises DataError naming what is missing and where it looked.
    """
    dirs, named = candidate_dirs()
    partial = []
    for folder in dirs:
        present = [name for name in specs if _holds(folder, name)]
        if len(present) == len(specs):
            for other, some in partial:
                warnings.warn(f"{other} holds only {', '.join(some)} of the Fashion-MNIST files; "
                              f"all four are taken from {folder} instead", stacklevel=3)
            return {name: folder / name for name in specs}
        if present:
            partial.append((folder, present))
    if named:
        missing = [name for name in specs if not _holds(dirs[0], name)]
        problem = "does not exist" if not dirs[0].exists() else f"lacks {', '.join(missing)}"
        raise DataError(f"{ENV_VAR} is set to {dirs[0]}, which {problem}.\n" + _how_to_fix())
    note = "".join(f"\n{folder} holds only {', '.join(some)}; all four must be in one folder." for folder, some in partial)
    raise _NotFound(f"Fashion-MNIST file(s) not found: {', '.join(specs)}.{note}\n" + _how_to_fix())


def read_files(specs: Mapping[str, FileSpec] = FILES, download_if_missing: bool = True) -> dict[str, tuple[Path, bytes]]:
    """Every file, found (see the module docstring) or downloaded: {name: (path, decompressed content)}.

    Each file is decompressed and verified exactly once, also when it has just been downloaded.
    """
    try:
        paths = find_files(specs)
    except _NotFound:
        if not download_if_missing:
            raise
        return download(specs)
    # zlib releases the GIL, so the four files decompress in parallel.
    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        contents = pool.map(lambda name: read_verified(paths[name], specs[name]), specs)
        return {name: (paths[name], content) for name, content in zip(specs, contents)}


def load_fashion_mnist(device: str | torch.device = "cpu", raw: bool = False,
                       specs: Mapping[str, FileSpec] = FILES,
                       download_if_missing: bool = True) -> FashionMNIST:
    """Return the whole of Fashion-MNIST as tensors on ``device`` (see FashionMNIST for shapes).

    ``raw=False`` scales pixels from 0..255 to float32 in [0, 1] and adds the channel axis (NCHW).
    """
    files = read_files(specs, download_if_missing)
    arrays = {name: parse_idx(content) for name, (_, content) in files.items()}

    def images(name):
        x = torch.from_numpy(arrays[name]).to(device)
        return x if raw else x.unsqueeze(1).to(torch.float32).div_(255)

    def labels(name):
        return torch.from_numpy(arrays[name]).to(device=device, dtype=torch.int64)

    train_x, train_y, test_x, test_y = specs
    return FashionMNIST(images(train_x), labels(train_y), images(test_x), labels(test_y),
                        TEXT_LABELS, {name: path for name, (path, _) in files.items()})


def text_labels(labels) -> list[str]:
    """Map integer labels (a tensor or iterable of ints) to their names."""
    return [TEXT_LABELS[int(i)] for i in labels]


def check_batch_size(batch_size) -> int:
    """``batch_size`` as an int; ValueError unless it is a positive integer (a Python or NumPy int, not a bool)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_examples(X: torch.Tensor, y: torch.Tensor, num_classes: int | None = None) -> None:
    """Raise ValueError, saying what was expected, unless X (n, ...) and y (n,) are examples and labels.

    y must hold class indices: an integer tensor of shape (n,), values in 0..num_classes - 1 (or
    merely >= 0 when num_classes is None). Checking the range reads two numbers from the device.
    """
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise ValueError(f"X and y must be tensors; got {type(X).__name__} and {type(y).__name__}.")
    if y.ndim != 1:
        hint = " (use y.squeeze(1) or y.reshape(-1))" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"labels y must have shape (n,), one class index per example; got shape {tuple(y.shape)}{hint}.")
    if y.dtype.is_floating_point or y.dtype == torch.bool or y.is_complex():
        raise ValueError(f"labels y must be integer class indices (e.g. torch.int64); got {y.dtype}.")
    if len(X) != len(y):
        raise ValueError(f"X and y must hold the same number of examples; got {len(X)} and {len(y)}.")
    if X.device != y.device:
        raise ValueError(f"X is on {X.device} but y is on {y.device}; move both to one device first.")
    if len(y):
        low, high = (int(v) for v in torch.aminmax(y))  # one read from the device
        if low < 0 or (num_classes is not None and high >= num_classes):
            expected = f"0..{num_classes - 1}" if num_classes is not None else "0 or more"
            raise ValueError(f"labels y must be class indices in {expected}; got values from {low} to {high}.")

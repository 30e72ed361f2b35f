"""Finding, verifying and loading Fashion-MNIST, on tiny files in the real IDX format."""
import gzip
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import data as hdata
from helpers import Minibatches
from helpers.batches import write_torchvision_layout
from helpers.data import DataError, FileSpec, load_fashion_mnist, parse_idx

N_TRAIN, N_TEST = 20, 10


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: 0, 0, type 0x08, ndim, big-endian uint32 dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_contents(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (N_TRAIN, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(N_TRAIN) % 10),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (N_TEST, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(N_TEST) % 10),
    }


def specs_for(contents):
    return {name: FileSpec(len(c), hashlib.sha256(c).hexdigest()) for name, c in contents.items()}


def write_gz(folder: Path, contents) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        (folder / name).write_bytes(gzip.compress(content))
    return folder


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Point every search location at empty temp folders; return them."""
    root, debian, env = tmp_path / "project", tmp_path / "debian", tmp_path / "mine"
    (root / "data").mkdir(parents=True)
    monkeypatch.setattr(hdata, "PROJECT_ROOT", root)
    monkeypatch.setattr(hdata, "DEBIAN_DIR", debian)
    monkeypatch.delenv(hdata.ENV_VAR, raising=False)
    return {"env": env, "data": root / "data", "debian": debian}


@pytest.fixture
def contents():
    return tiny_contents()


@pytest.fixture
def specs(contents):
    return specs_for(contents)


def test_idx_round_trip():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = parse_idx(idx_bytes(array))
    assert out.shape == (2, 3, 4) and np.array_equal(out, array) and out.flags.writeable


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00", "bad magic"),
    (bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"abc", "promises shape"),
])
def test_idx_rejects_bad_headers(content, message):
    with pytest.raises(DataError, match=message):
        parse_idx(content)


@pytest.mark.parametrize("where", ["env", "data", "debian"])
def test_each_source_is_found(places, contents, specs, monkeypatch, where):
    write_gz(places[where], contents)
    if where == "env":
        monkeypatch.setenv(hdata.ENV_VAR, str(places["env"]))
    ds = load_fashion_mnist(specs=specs, download_if_missing=False)
    assert set(ds.sources.values()) == {places[where] / name for name in contents}
    assert ds.train_images.shape == (N_TRAIN, 1, 28, 28) and ds.train_images.dtype == torch.float32
    assert ds.test_images.shape == (N_TEST, 1, 28, 28)
    assert 0.0 <= ds.train_images.min() and ds.train_images.max() <= 1.0
    assert ds.train_labels.dtype == torch.int64 and ds.train_labels.tolist() == [i % 10 for i in range(N_TRAIN)]
    expected = np.frombuffer(contents["train-images-idx3-ubyte.gz"][16:], np.uint8).reshape(N_TRAIN, 28, 28)
    assert torch.equal(load_fashion_mnist(raw=True, specs=specs, download_if_missing=False).train_images,
                       torch.from_numpy(expected.copy()))


def test_files_are_picked_by_name_in_any_order(places, contents, specs):
    write_gz(places["data"], contents)
    ds = load_fashion_mnist(raw=True, specs=dict(reversed(specs.items())), download_if_missing=False)
    assert ds.train_images.shape == (N_TRAIN, 28, 28) and ds.test_images.shape == (N_TEST, 28, 28)
    assert ds.train_labels.tolist() == [i % 10 for i in range(N_TRAIN)]
    assert ds.test_labels.tolist() == [i % 10 for i in range(N_TEST)]


def test_torchvision_layout_inside_data_is_found(places, contents, specs):
    folder = write_gz(places["data"] / "FashionMNIST" / "raw", contents)
    ds = load_fashion_mnist(specs=specs, download_if_missing=False)
    assert all(path.parent == folder for path in ds.sources.values())


def test_search_order_prefers_env_then_data_then_debian(places, contents, specs, monkeypatch):
    for where in ("env", "data", "debian"):
        write_gz(places[where], contents)
    monkeypatch.setenv(hdata.ENV_VAR, str(places["env"]))
    assert {p.parent for p in hdata.find_files(specs).values()} == {places["env"]}
    monkeypatch.delenv(hdata.ENV_VAR)
    assert {p.parent for p in hdata.find_files(specs).values()} == {places["data"]}


def test_missing_everywhere_names_files_places_and_fixes(places, specs):
    with pytest.raises(DataError) as err:
        load_fashion_mnist(specs=specs, download_if_missing=False)
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert str(places["data"]) in message and str(places["debian"]) in message
    assert "FASHION_MNIST_DIR" in message and "apt-get install dataset-fashion-mnist" in message
    assert "1." in message and "2." in message and "3." in message


def test_truncated_file_is_caught(places, contents, specs):
    write_gz(places["data"], contents)
    path = places["data"] / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz is truncated") as err:
        load_fashion_mnist(specs=specs, download_if_missing=False)
    assert str(path) in str(err.value) and "How to fix it" in str(err.value)
    assert err.value.__cause__ is None and err.value.__context__ is None  # no deep chained traceback


def test_corrupt_content_is_caught_by_checksum(places, contents, specs):
    bad = dict(contents)
    flipped = bytearray(bad["t10k-labels-idx1-ubyte.gz"])
    flipped[-1] ^= 0xFF  # valid gzip, right size, wrong bytes
    bad["t10k-labels-idx1-ubyte.gz"] = bytes(flipped)
    write_gz(places["data"], bad)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz is corrupt: its SHA-256"):
        load_fashion_mnist(specs=specs, download_if_missing=False)


def test_corrupt_gzip_stream_is_caught(places, contents, specs):
    write_gz(places["data"], contents)
    path = places["data"] / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz is (corrupt|truncated)"):
        load_fashion_mnist(specs=specs, download_if_missing=False)


def test_wrong_size_is_caught(places, contents, specs):
    write_gz(places["data"], contents)
    wrong = {**specs, "train-labels-idx1-ubyte.gz": FileSpec(999, specs["train-labels-idx1-ubyte.gz"].sha256)}
    with pytest.raises(DataError, match=r"decompresses to 28 bytes, expected 999"):
        load_fashion_mnist(specs=wrong, download_if_missing=False)


def fake_torchvision(monkeypatch, contents, truncate=None):
    """torchvision's FashionMNIST replaced by a stand-in that writes the files where it would; the calls."""
    import torchvision
    calls = []

    class FakeFashionMNIST:
        mirrors = ["https://example.org/fashion-mnist/"]

        def __init__(self, root, train=True, download=False):
            calls.append(Path(root))
            raw = write_gz(Path(root) / "FashionMNIST" / "raw", contents)
            if truncate:
                (raw / truncate).write_bytes((raw / truncate).read_bytes()[:50])
    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", FakeFashionMNIST)
    return calls


def test_download_is_the_last_resort_and_lands_verified_in_data(places, contents, specs, monkeypatch):
    calls = fake_torchvision(monkeypatch, contents)
    ds = load_fashion_mnist(specs=specs)
    assert {p.parent for p in ds.sources.values()} == {places["data"]}
    assert sorted(p.name for p in places["data"].iterdir()) == sorted(contents)  # nothing else in data/
    assert len(calls) == 1 and not calls[0].exists()  # its temporary folder is gone


def test_a_downloaded_file_is_decompressed_and_verified_once(places, contents, specs, monkeypatch):
    fake_torchvision(monkeypatch, contents)
    verified, read_verified = [], hdata.read_verified
    monkeypatch.setattr(hdata, "read_verified", lambda path, spec: verified.append(path.name) or read_verified(path, spec))
    load_fashion_mnist(specs=specs)
    assert sorted(verified) == sorted(contents)  # each once: in the temporary folder, before it is kept


def test_nothing_is_downloaded_when_a_local_copy_exists(places, contents, specs, monkeypatch):
    write_gz(places["debian"], contents)
    calls = fake_torchvision(monkeypatch, contents)
    load_fashion_mnist(specs=specs)
    assert calls == []


def test_failed_download_leaves_no_partial_file(places, contents, specs, monkeypatch):
    calls = fake_torchvision(monkeypatch, contents, truncate="train-images-idx3-ubyte.gz")
    with pytest.raises(DataError, match="truncated"):
        load_fashion_mnist(specs=specs)
    assert list(places["data"].iterdir()) == [] and not calls[0].exists()


def test_no_data_and_no_network_gives_the_clear_message(places, specs, monkeypatch):
    import torchvision
    # Port 9 on loopback refuses at once: the real torchvision download code, failing fast and offline.
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(DataError) as err:
        load_fashion_mnist(specs=specs)
    message = str(err.value)
    assert "downloading it failed" in message and "How to fix it" in message
    assert list(places["data"].iterdir()) == []


# --- one folder for all four files, named folders, bad folders, advice that fits -------

def test_a_named_folder_without_the_files_is_an_error_naming_it(places, contents, specs, monkeypatch):
    write_gz(places["debian"], contents)  # there is a good copy elsewhere, but the user named this folder
    places["env"].mkdir()
    monkeypatch.setenv(hdata.ENV_VAR, str(places["env"]))
    with pytest.raises(DataError) as err:
        load_fashion_mnist(specs=specs)
    message = str(err.value)
    assert f"FASHION_MNIST_DIR is set to {places['env']}, which lacks train-images-idx3-ubyte.gz" in message
    assert "unset FASHION_MNIST_DIR" in message and list(places["data"].iterdir()) == []  # nothing downloaded


def test_a_named_folder_that_does_not_exist_says_so(places, specs, monkeypatch):
    monkeypatch.setenv(hdata.ENV_VAR, str(places["env"] / "typo"))
    with pytest.raises(DataError, match=r"which does not exist"):
        load_fashion_mnist(specs=specs)


def test_an_unreadable_folder_is_a_data_error_naming_it(places, contents, specs, monkeypatch):
    write_gz(places["env"], contents)
    monkeypatch.setenv(hdata.ENV_VAR, str(places["env"]))
    real_is_file = Path.is_file

    def is_file(path):  # what a folder without read permission does (root reads everything, so we fake it)
        if path.parent == places["env"]:
            raise PermissionError(13, "Permission denied", str(path))
        return real_is_file(path)
    monkeypatch.setattr(Path, "is_file", is_file)
    with pytest.raises(DataError, match=rf"The folder {places['env']} cannot be read \(permission denied\)"):
        load_fashion_mnist(specs=specs)


def test_all_four_files_come_from_one_folder(places, contents, specs):
    train_only = {name: c for name, c in contents.items() if name.startswith("train")}
    write_gz(places["data"], train_only)
    write_gz(places["debian"], contents)
    ds = load_fashion_mnist(specs=specs, download_if_missing=False)
    assert {p.parent for p in ds.sources.values()} == {places["debian"]}


def test_a_partial_folder_and_nothing_else_is_an_error_saying_so(places, contents, specs):
    write_gz(places["data"], {name: c for name, c in contents.items() if name.startswith("train")})
    with pytest.raises(DataError, match=r"holds only .*all four must be in one folder"):
        load_fashion_mnist(specs=specs, download_if_missing=False)


def test_a_multi_member_gzip_is_read_whole(places, contents, specs):
    write_gz(places["data"], contents)
    name = "train-images-idx3-ubyte.gz"
    content = contents[name]
    (places["data"] / name).write_bytes(gzip.compress(content[:1000]) + gzip.compress(content[1000:]))
    ds = load_fashion_mnist(specs=specs, download_if_missing=False, raw=True)
    assert ds.train_images.shape == (N_TRAIN, 28, 28)


@pytest.mark.parametrize("where, fix", [
    ("env", "replace "),
    ("data", "delete "),
    ("debian", "apt-get install --reinstall dataset-fashion-mnist"),
])
def test_advice_for_a_corrupt_file_fits_where_it_is(places, contents, specs, monkeypatch, where, fix):
    bad = dict(contents)
    bad["train-labels-idx1-ubyte.gz"] = bytes(reversed(bad["train-labels-idx1-ubyte.gz"]))
    write_gz(places[where], bad)
    if where == "env":
        monkeypatch.setenv(hdata.ENV_VAR, str(places["env"]))
    with pytest.raises(DataError) as err:
        load_fashion_mnist(specs=specs, download_if_missing=False)
    message = str(err.value)
    assert fix in message
    if where == "env":
        assert "set FASHION_MNIST_DIR to" not in message and "unset FASHION_MNIST_DIR" in message


# --- downloads that hang, are killed, or left something behind ---------------------------

class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers: a stuck proxy or mirror."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.held, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_proxy(monkeypatch):
    import urllib.request
    server = SilentServer()
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen caches the proxies it saw first
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{server.port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    yield server
    server.close()


def test_a_download_that_never_answers_times_out_with_a_clear_error(places, specs, silent_proxy, monkeypatch, capsys):
    import torchvision
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", ["http://example.org/fashion-mnist/"])
    monkeypatch.setattr(hdata, "DOWNLOAD_TIMEOUT_S", 1)
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        load_fashion_mnist(specs=specs)
    assert time.monotonic() - start < 30
    assert "no answer within 1 s" in str(err.value) and "How to fix it" in str(err.value), str(err.value)[:400]
    assert "downloading it with torchvision from http://example.org/" in capsys.readouterr().err  # what, from where
    assert list(places["data"].iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "kill"])
def test_an_interrupted_download_leaves_nothing_in_data(tmp_path, silent_proxy, signum):
    project, scratch = tmp_path / "project", tmp_path / "tmp"
    scratch.mkdir()
    script = ("import pathlib, torchvision, helpers.data as d; d.DOWNLOAD_TIMEOUT_S = 120; "
              f"d.PROJECT_ROOT = pathlib.Path({str(project)!r}); "
              "torchvision.datasets.FashionMNIST.mirrors = ['http://example.org/']; d.download()")
    child = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ, TMPDIR=str(scratch)),
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120  # importing torch and torchvision is slow on a busy machine
        while not silent_proxy.held and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
        assert silent_proxy.held and list(scratch.iterdir()), "the download never reached the server"
        child.send_signal(signum)  # while it waits for an answer that never comes
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert not (project / "data").exists()  # the course's data folder was never touched
    if signum == signal.SIGINT:  # Ctrl-C unwinds: the temporary folder is removed too
        assert list(scratch.iterdir()) == [], child.stderr.read()


# --- the minibatch iterator -------------------------------------------------------------

def toy(n=10):
    return torch.arange(n * 3, dtype=torch.float32).reshape(n, 3), torch.arange(n)


def test_minibatch_shapes_and_last_batch():
    X, y = toy(10)
    batches = list(Minibatches(X, y, batch_size=4, shuffle=False))
    assert len(Minibatches(X, y, 4)) == 3 == len(batches)
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert batches[0][0].shape == (4, 3) and torch.equal(batches[0][1], torch.tensor([0, 1, 2, 3]))


def test_each_epoch_visits_every_example_once_with_features_kept_with_labels():
    X, y = toy(37)
    loader = Minibatches(X, y, batch_size=8, seed=3)
    for _ in range(2):
        seen = torch.cat([yb for _, yb in loader])
        assert sorted(seen.tolist()) == list(range(37))
        for Xb, yb in loader:
            assert torch.equal(Xb[:, 0], yb.float() * 3)


def test_seeded_order_is_reproducible_and_changes_per_epoch_and_seed():
    X, y = toy(50)

    def epochs(seed, k=3):
        loader = Minibatches(X, y, batch_size=10, seed=seed)
        return [torch.cat([yb for _, yb in loader]).tolist() for _ in range(k)]
    first, again, other = epochs(0), epochs(0), epochs(1)
    assert first == again
    assert first[0] != first[1]
    assert first != other


def test_batches_stay_on_the_data_device():
    X, y = toy(6)
    Xb, yb = next(iter(Minibatches(X, y, 4)))
    assert Xb.device == X.device and yb.device == y.device


@pytest.mark.parametrize("kwargs, message", [
    ({"X": torch.zeros(3, 2), "y": torch.zeros(4, dtype=torch.int64), "batch_size": 2}, "same number of examples"),
    ({"X": torch.zeros(3, 2), "y": torch.zeros(3, dtype=torch.int64), "batch_size": 0}, "positive integer"),
])
def test_minibatches_reject_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Minibatches(**kwargs)


# --- the real data, where it is on this machine ---------------------------------------

def real_data_present():
    try:
        return hdata.find_files() is not None
    except DataError:
        return False


@pytest.mark.skipif(not real_data_present(), reason="Fashion-MNIST is not on this machine (see data/README.md)")
def test_real_fashion_mnist_counts_shapes_and_mean():
    ds = load_fashion_mnist()
    assert ds.train_images.shape == (60_000, 1, 28, 28) and ds.test_images.shape == (10_000, 1, 28, 28)
    assert torch.equal(ds.train_labels.bincount(), torch.full((10,), 6_000))
    assert torch.equal(ds.test_labels.bincount(), torch.full((10,), 1_000))
    assert abs(ds.train_images.mean().item() - 0.2860) < 5e-5
    assert len(ds.text_labels) == 10 and ds.text_labels[0] == "t-shirt" and ds.text_labels[9] == "ankle boot"


def test_torchvision_layout_is_readable_by_torchvision(places, tmp_path, monkeypatch):
    """The real torchvision dataset class reads what write_torchvision_layout writes."""
    import torchvision
    contents = tiny_contents()
    write_gz(places["data"], contents)
    raw = write_torchvision_layout(tmp_path / "tv", hdata.read_files(specs_for(contents), download_if_missing=False))
    assert sorted(p.name for p in raw.iterdir()) == sorted(n.removesuffix(".gz") for n in contents)
    dataset = torchvision.datasets.FashionMNIST(str(tmp_path / "tv"), train=True, download=False)
    assert len(dataset) == N_TRAIN and dataset.targets.tolist() == [i % 10 for i in range(N_TRAIN)]

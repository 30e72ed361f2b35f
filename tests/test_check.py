"""`make check` (tools/check.py): READY on a machine that can run the course, else what to fix."""
import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import data as hdata

ROOT = Path(__file__).resolve().parent.parent
from tools import check


def real_data_present():
    try:
        return hdata.find_files() is not None
    except hdata.DataError:
        return False


@pytest.mark.skipif(not real_data_present(), reason="Fashion-MNIST is not on this machine")
def test_ready_here_with_every_line():
    result = subprocess.run([sys.executable, "-m", "tools.check"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines[-1] == "READY", result.stdout + result.stderr
    assert lines[0].startswith("Python ") and " · torch " in lines[0] and " · torchvision " in lines[0]
    assert any(line.startswith("device: ") and "torch CPU threads: " in line for line in lines)
    assert any(line.startswith("Fashion-MNIST: 60,000 + 10,000 images, verified, from ") for line in lines)
    assert any(line.startswith("notebook 04's training: one epoch in ") and "the whole notebook takes about" in line
               for line in lines)


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No Fashion-MNIST anywhere and no network: empty folders, and a mirror that refuses at once."""
    import torchvision
    root, debian = tmp_path / "project", tmp_path / "debian"
    (root / "data").mkdir(parents=True)
    monkeypatch.setattr(hdata, "PROJECT_ROOT", root)
    monkeypatch.setattr(hdata, "DEBIAN_DIR", debian)
    monkeypatch.delenv(hdata.ENV_VAR, raising=False)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    return root / "data"


def run_check(capsys):
    code = check.main([])
    return code, capsys.readouterr().out


def test_no_data_and_no_network_is_not_ready_and_leaves_nothing(nowhere, capsys):
    code, out = run_check(capsys)
    assert code == 1
    assert "NOT READY: 1 thing(s) to fix" in out and "downloading it failed" in out
    assert out.splitlines()[-1].startswith("  1. Fashion-MNIST: ")
    assert list(nowhere.iterdir()) == []


def test_a_corrupt_file_is_not_ready_and_leaves_nothing_new(nowhere, capsys):
    for name in hdata.FILES:
        (nowhere / name).write_bytes(gzip.compress(b"not the real file"))
    before = sorted(p.name for p in nowhere.iterdir())
    code, out = run_check(capsys)
    assert code == 1 and "decompresses to 17 bytes" in out and "NOT READY" in out
    assert sorted(p.name for p in nowhere.iterdir()) == before


def test_a_named_folder_without_the_files_is_named(nowhere, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(hdata.ENV_VAR, str(tmp_path / "my-data"))
    code, out = run_check(capsys)
    assert code == 1 and f"FASHION_MNIST_DIR is set to {tmp_path / 'my-data'}, which does not exist" in out


def test_a_bad_device_setting_is_a_numbered_fix(nowhere, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    code, out = run_check(capsys)
    assert code == 1 and "COURSE_DEVICE='tpu' is not a device name" in out

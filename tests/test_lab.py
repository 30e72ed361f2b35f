"""`make lab` starts a JupyterLab server that answers on localhost and serves the notebooks, Chinese ones too."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_notebooks():
    port, token = free_port(), "lab-test"
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    server = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, contents = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=2) as r:
                    contents = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert contents is not None, "JupyterLab did not answer:\n" + (
            server.stdout.read().decode() if server.poll() is not None else "(still starting after 90 s)")
        served = {item["name"] for item in contents["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= served
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/zh?token={token}", timeout=5) as r:
            served_zh = {item["name"] for item in json.load(r)["content"]}
        assert {p.name for p in (ROOT / "notebooks" / "zh").glob("*.ipynb")} <= served_zh  # the Chinese edition
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

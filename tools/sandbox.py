"""The sandbox in which tools/grade.py runs each submission: an IPython kernel inside bubblewrap (bwrap).

The kernel works in an empty folder of its own at the submission's path, in memory and size-limited,
with helpers/ in it; it sees the course's Python environment, /usr and the fonts (read-only), an empty
/tmp and its socket folder; nothing else. What it writes dies with it: nbgrader (root) never reads or
writes a folder the kernel can write. It has no network (ZeroMQ reaches it over IPC sockets), its own
PIDs (whatever it starts dies with it), and limits on memory and processes. nbgrader starts it from the
kernelspec written here, beside its socket folder; the cell timeout stays nbgrader's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .course import ROOT

KERNEL_NAME = "course-sandbox"
MEMORY_BYTES = 4 << 30  # data segment per process: notebook 06's kernel uses about 1 GiB
PROCESSES = 128         # processes and threads of the sandbox: a kernel has about 13
WRITABLE_BYTES = 256 << 20  # each of /tmp and the working folder, both in memory
# Linux counts no processes against root's limit, so a sandbox started by root runs its kernel as
# an unused user id, one per submission so that each sandbox has a limit of its own.
UID_BASE = 1_990_000_000
SYSTEM = ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/fonts"]


def unavailable() -> str | None:
    """None if a sandbox starts here, else why not."""
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (Debian or Ubuntu: sudo apt-get install bubblewrap)"
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True, text=True)
    return (probe.stderr.strip() or f"bwrap exited with {probe.returncode}") if probe.returncode else None


def kernel(runtime: Path, submission: Path, number: int) -> tuple[dict, list[str]]:
    """Write, in `runtime`, the kernelspec of a kernel sandboxed at `submission`'s path and the folder of its
    connection file and sockets (the only one it can write on disk); the environment and the options with
    which nbgrader runs it."""
    spec, sockets, uid = runtime / "kernels" / KERNEL_NAME, runtime / "sockets", UID_BASE + number
    spec.mkdir(parents=True)
    sockets.mkdir()
    read_only = [Path(p) for p in dict.fromkeys(SYSTEM + [sys.prefix, sys.base_prefix]) if Path(p).exists()]
    mounts = [*read_only, sockets, submission, submission / "helpers"]
    # bwrap makes missing parent folders private (0700); the kernel must be able to walk through them
    parents = sorted({p for m in mounts for p in m.parents} - {*mounts, Path("/"), Path("/tmp")})
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(WRITABLE_BYTES), "--tmpfs", "/tmp"]
    argv += [arg for p in parents for arg in ("--perms", "0755", "--dir", str(p))]
    argv += [arg for p in read_only for arg in ("--ro-bind", str(p), str(p))]
    argv += ["--bind", str(sockets), str(sockets), "--perms", "1777", "--size", str(WRITABLE_BYTES), "--tmpfs",
             str(submission), "--ro-bind", str(ROOT / "helpers"), str(submission / "helpers"),
             "--chdir", str(submission), "--clearenv"]
    # No JPY_PARENT_PID (the environment is cleared): with it, ipykernel would watch for its parent and,
    # its parent being bwrap's PID 1, shut down at once. --die-with-parent does that job instead.
    for name, value in {"HOME": "/tmp", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}.items():
        argv += ["--setenv", name, value]
    if os.geteuid() == 0:
        os.chown(sockets, uid, uid)
        argv += ["--chmod", "0644", "{connection_file}", "--",
                 "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]
    argv += ["--", "prlimit", f"--data={MEMORY_BYTES}", f"--nproc={PROCESSES}", "--",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    # interrupts as messages: a SIGINT sent to bwrap does not interrupt the kernel inside it (tried)
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3 (sandboxed)",
                                                  "language": "python", "interrupt_mode": "message"}, indent=1))
    return {"JUPYTER_PATH": str(runtime)}, [f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc",
                                            f"--KernelManager.connection_file={sockets / 'kernel.json'}"]

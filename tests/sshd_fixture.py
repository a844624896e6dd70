"""A real OpenSSH server on 127.0.0.1 for SFTP tests (no mocks).

Import the fixture into a test module: `from sshd_fixture import sshd_server`.
It generates a host key and a client key with ssh-keygen, writes a minimal
sshd_config, runs `/usr/sbin/sshd -D -e -f config` on a free port, and logs
in as the current user (root may log in with a key: PermitRootLogin
prohibit-password). Tests are skipped only when sshd or ssh-keygen is absent.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path(os.environ.get("IMGPIPE_TEST_SSHD", "/usr/sbin/sshd"))


@dataclass
class SshServer:
    host: str
    port: int
    user: str
    key_file: Path       # private key the server accepts
    home: Path           # a folder the tests may use as backup root
    config: Path

    def url(self, path: Path | str) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}{Path(path).as_posix()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_banner(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(2)
                if s.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer on port {port} within {timeout} s")


@contextlib.contextmanager
def run_sshd(base: Path):
    """Start sshd with fresh keys under `base`; yields an SshServer; stops it on exit."""
    keygen = shutil.which("ssh-keygen")
    host_key = base / "host_ed25519"
    client_key = base / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "imgpipe-test", "-f", str(key)], check=True)
    authorized = base / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    os.chmod(authorized, 0o600)
    home = base / "remote"
    home.mkdir()
    port = _free_port()
    config = base / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                f"PidFile {base / 'sshd.pid'}",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        # Privilege separation directory; Debian's package creates it only at service start.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_banner(port, proc)
        yield SshServer("127.0.0.1", port, getpass.getuser(), client_key, home, config)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sshd_available() -> str | None:
    """None when a test server can run here, else why not."""
    if not SSHD.exists():
        return f"OpenSSH server not installed ({SSHD} missing): apt-get install openssh-server"
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen not installed (openssh-client)"
    return None


@pytest.fixture(scope="module")
def sshd_server(tmp_path_factory):
    why = sshd_available()
    if why:
        pytest.skip(why)
    with run_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server

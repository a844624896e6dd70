"""Where backups live: a folder (disk, share) or an SSH host over SFTP; `open_target` picks one."""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
import shlex
import stat as stat_mod
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import CHUNK, atomic_write_stream, is_within, sha256_file
from imgpipe.messages import t
from imgpipe.backup.base import (
    DRIVE_LETTER, VERSIONS, TargetUnavailable, describe_error, is_temp_name, safe_rel, utc_stamp,
)


# --------------------------------------------------------------------------- targets


class Target:
    """Where backups live. Paths (`rel`) are relative and "/"-separated."""

    display = ""

    def put(self, rel: str, data_path: Path) -> str:
        """Copy `data_path` to `rel` atomically; returns sha256 of the bytes sent."""
        raise NotImplementedError

    def sha256(self, rel: str) -> str | None:
        """Hash of the bytes stored on the target (read back), None when missing."""
        raise NotImplementedError

    def size(self, rel: str) -> int | None:
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        return self.size(rel) is not None

    def list_files(self) -> dict[str, int]:
        """Every file on the target (temp files left out), `.versions/` included."""
        raise NotImplementedError

    def get(self, rel: str, dest: Path) -> str:
        """Copy `rel` to local `dest` atomically; returns sha256 of the bytes received."""
        raise NotImplementedError

    def rename(self, rel: str, new_rel: str) -> None:
        raise NotImplementedError

    def move_to_versions(self, rel: str) -> str:
        """Move the current copy of `rel` to `.versions/<rel>.<UTC stamp>`; returns that path."""
        new_rel = f"{VERSIONS}/{rel}.{utc_stamp()}"
        self.rename(rel, new_rel)
        return new_rel

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FolderTarget(Target):
    """A folder: a second disk, a mounted share, or a UNC path (`//nas/share/shop`)."""

    def __init__(self, root: Path, *, create: bool = False):
        self.root = Path(root)
        self.display = str(self.root)
        if create and not self.root.is_dir() and self.root.parent.is_dir():
            # Only the last folder: a missing parent means a disk or share that is not there.
            try:
                self.root.mkdir(exist_ok=True)
            except OSError as exc:
                raise TargetUnavailable(
                    t("backup.unreachable", target=self.display, detail=describe_error(exc)),
                    fix=t("backup.unreachable.fix"),
                ) from None
        if not self.root.is_dir():
            # Do not create it silently: an unmounted share would fill the local disk instead.
            raise TargetUnavailable(
                t("backup.folder_missing", target=self.display), fix=t("backup.folder_missing.fix")
            )

    def _path(self, rel: str) -> Path:
        return self.root.joinpath(*safe_rel(rel).parts)

    def put(self, rel: str, data_path: Path) -> str:
        return atomic_write_stream(self._path(rel), lambda: open(data_path, "rb"))

    def sha256(self, rel: str) -> str | None:
        try:
            return sha256_file(self._path(rel))
        except FileNotFoundError:
            return None

    def size(self, rel: str) -> int | None:
        try:
            st = self._path(rel).stat()
        except FileNotFoundError:
            return None
        return st.st_size if stat_mod.S_ISREG(st.st_mode) else None

    def list_files(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for dirpath, _dirs, files in os.walk(self.root):
            base = Path(dirpath).relative_to(self.root)
            for name in files:
                if is_temp_name(name):
                    continue
                p = Path(dirpath, name)
                rel = (base / name).as_posix()
                try:
                    out[rel] = p.stat().st_size
                except OSError:
                    continue
        return out

    def get(self, rel: str, dest: Path) -> str:
        src = self._path(rel)
        return atomic_write_stream(dest, lambda: open(src, "rb"))

    def rename(self, rel: str, new_rel: str) -> None:
        new = self._path(new_rel)
        new.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(rel), new)



class SftpTarget(Target):
    """An SSH host over SFTP (paramiko).

    Authentication: `key_file` when given, else the SSH agent and the default
    keys in ~/.ssh. Host keys: ~/.ssh/known_hosts plus `known_hosts` (the
    workspace's own file); a host seen for the first time is remembered there
    (like `ssh -o StrictHostKeyChecking=accept-new`); a host whose key changed is refused.
    Verification hashes the bytes on the server: with `sha256sum` run there when
    the account may run commands, else by reading the file back.
    """

    def __init__(
        self,
        host: str,
        user: str,
        port: int = 22,
        root: str = ".",
        key_file: str | Path | None = None,
        *,
        known_hosts: Path | None = None,
        create: bool = False,
        timeout: float = 10.0,
        remote_hash: bool = True,
        remote_hash_min_bytes: int = 32_000_000,
    ):
        try:
            import paramiko
        except ImportError:  # pragma: no cover - depends on the install
            raise ImgpipeError(t("backup.no_paramiko"), fix=t("backup.no_paramiko.fix")) from None
        self._paramiko = paramiko
        self.host, self.user, self.port = host, user, int(port)
        self.root = root.rstrip("/") or "/"
        self.display = f"sftp://{user}@{host}:{self.port}/{self.root.lstrip('/')}"
        self._dirs: set[str] = set()
        self.timeout = timeout
        # Large files are hashed on the server (sha256sum) when the account may run commands:
        # each command costs a few tenths of a second (measured on OpenSSH 9, localhost), so
        # below ~32 MB reading the file back is faster; over a slow link the server wins sooner.
        self.remote_hash = remote_hash
        self.remote_hash_min_bytes = remote_hash_min_bytes
        self._remote_hash_ok: bool | None = None

        client = paramiko.SSHClient()
        try:
            client.load_system_host_keys()
        except OSError:
            pass
        if known_hosts is not None:
            known_hosts.parent.mkdir(parents=True, exist_ok=True)
            if known_hosts.exists():
                client.load_host_keys(str(known_hosts))
            client.set_missing_host_key_policy(_RememberNewHost(known_hosts))
        else:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())

        key_path = Path(key_file).expanduser() if key_file else None
        pkey, key_locked = self._load_key(key_path) if key_path else (None, False)
        began = time.monotonic()

        def why(exc) -> str:  # paramiko reports a banner timeout as "No existing session": go by the clock
            return t("backup.timeout") if time.monotonic() - began >= timeout * 0.9 else describe_error(exc)

        try:
            client.connect(
                host,
                port=self.port,
                username=user,
                pkey=pkey,
                allow_agent=True,  # also the way to use a key with a passphrase
                look_for_keys=key_path is None,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
            )
        except paramiko.BadHostKeyException:
            client.close()
            raise ImgpipeError(
                t("backup.host_key_changed", host=host),
                fix=t("backup.host_key_changed.fix", known_hosts=known_hosts or "~/.ssh/known_hosts"),
            ) from None
        except paramiko.PasswordRequiredException:
            client.close()
            raise ImgpipeError(
                t("backup.key_passphrase", key=key_path or "~/.ssh"), fix=t("backup.key_passphrase.fix")
            ) from None
        except (paramiko.AuthenticationException, paramiko.SSHException) as exc:
            client.close()
            # "No authentication methods available" is a plain SSHException: still a login problem.
            is_auth = isinstance(exc, paramiko.AuthenticationException) or "authentication" in str(exc).lower()
            if not is_auth:
                raise TargetUnavailable(
                    t("backup.unreachable", target=self.display, detail=why(exc)),
                    fix=t("backup.unreachable.fix"),
                ) from None
            if key_locked:
                raise ImgpipeError(
                    t("backup.key_passphrase", key=key_path), field="backup.key_file",
                    fix=t("backup.key_passphrase.fix"),
                ) from None
            raise ImgpipeError(
                t("backup.auth_failed", target=self.display), fix=t("backup.auth_failed.fix")
            ) from None
        except (OSError, EOFError) as exc:
            client.close()
            raise TargetUnavailable(
                t("backup.unreachable", target=self.display, detail=why(exc)),
                fix=t("backup.unreachable.fix"),
            ) from None
        self._client = client
        try:
            # open_sftp() waits without limit for a server that accepted the login and then froze:
            # the session and the SFTP handshake get the same bound as the connection
            chan = client.get_transport().open_session(timeout=timeout)
            chan.settimeout(timeout)
            chan.invoke_subsystem("sftp")
            self.sftp = paramiko.SFTPClient(chan)
            self.sftp.get_channel().settimeout(max(timeout, 30.0))
            try:
                st = self.sftp.stat(self.root)
                if not stat_mod.S_ISDIR(st.st_mode or 0):
                    raise FileNotFoundError(errno.ENOTDIR, "not a folder", self.root)
            except FileNotFoundError:
                if not create:
                    raise TargetUnavailable(
                        t("backup.folder_missing", target=self.display), fix=t("backup.folder_missing.fix")
                    ) from None
                try:
                    self.sftp.mkdir(self.root)  # the last folder only, as for a folder target
                except OSError:
                    raise TargetUnavailable(
                        t("backup.folder_missing", target=self.display), fix=t("backup.folder_missing.fix")
                    ) from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            self.close()
            raise TargetUnavailable(
                t("backup.unreachable", target=self.display, detail=describe_error(exc)),
                fix=t("backup.unreachable.fix"),
            ) from None
        except BaseException:
            self.close()
            raise

    def _load_key(self, key_path: Path):
        """(key, locked): the private key in `key_path`; locked=True when it needs a passphrase."""
        paramiko = self._paramiko
        if not key_path.is_file():
            raise ImgpipeError(t("backup.key_missing", key=key_path), field="backup.key_file")
        try:
            return paramiko.PKey.from_path(str(key_path)), False
        except paramiko.PasswordRequiredException:
            return None, True
        except TypeError as exc:
            # cryptography reports an encrypted key this way; anything else is not a key.
            if "password" in str(exc).lower() or "passphrase" in str(exc).lower():
                return None, True
            raise ImgpipeError(
                t("backup.key_unreadable", key=key_path), field="backup.key_file", fix=t("backup.key_unreadable.fix")
            ) from None
        except (ValueError, OSError, paramiko.SSHException):
            raise ImgpipeError(
                t("backup.key_unreadable", key=key_path), field="backup.key_file", fix=t("backup.key_unreadable.fix")
            ) from None

    def _path(self, rel: str) -> str:
        return posixpath.join(self.root, *safe_rel(rel).parts)

    def _mkdirs(self, path: str) -> None:
        if path in self._dirs or path in ("", "/", "."):
            return
        try:
            st = self.sftp.stat(path)
            if stat_mod.S_ISDIR(st.st_mode or 0):
                self._dirs.add(path)
                return
        except FileNotFoundError:
            pass
        self._mkdirs(posixpath.dirname(path))
        try:
            self.sftp.mkdir(path)
        except OSError:
            # Raced with another writer, or a real problem: stat tells which.
            st = self.sftp.stat(path)
            if not stat_mod.S_ISDIR(st.st_mode or 0):
                raise
        self._dirs.add(path)

    def _replace(self, src: str, dest: str) -> None:
        try:
            self.sftp.posix_rename(src, dest)
        except OSError:
            # Server without posix-rename@openssh.com: plain SFTP rename refuses to overwrite.
            try:
                self.sftp.remove(dest)
            except FileNotFoundError:
                pass
            self.sftp.rename(src, dest)

    def put(self, rel: str, data_path: Path) -> str:
        dest = self._path(rel)
        folder, name = posixpath.split(dest)
        self._mkdirs(folder)
        tmp = posixpath.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.tmp")
        h = hashlib.sha256()
        try:
            with open(data_path, "rb") as src, self.sftp.open(tmp, "wb") as out:
                out.set_pipelined(True)
                for block in iter(lambda: src.read(CHUNK), b""):
                    h.update(block)
                    out.write(block)
            self._replace(tmp, dest)
        except BaseException:
            try:
                self.sftp.remove(tmp)
            except Exception:
                pass
            raise
        return h.hexdigest()

    def _open_read(self, path: str):
        f = self.sftp.open(path, "rb")
        f.prefetch()  # pipelined reads: much faster than one request per block
        return f

    def sha256(self, rel: str) -> str | None:
        path = self._path(rel)
        if self.remote_hash and self._remote_hash_ok is not False:
            try:
                st = self.sftp.stat(path)
            except FileNotFoundError:
                return None
            if (st.st_size or 0) >= self.remote_hash_min_bytes:
                got = self._exec_sha256(path)
                if got is not None:
                    return got
        return self._read_sha256(path)

    def _exec_sha256(self, path: str) -> str | None:
        """sha256 computed by the server itself (`sha256sum`): the bytes on its disk, no transfer.

        None when the account has no shell or no sha256sum (sftp-only, Windows
        servers): the caller then reads the file back instead.
        """
        try:
            chan = self._client.get_transport().open_session(timeout=self.timeout)
            chan.settimeout(max(self.timeout, 300.0))
            chan.exec_command("sha256sum -b -- " + shlex.quote(path))
            out = b""
            while True:
                block = chan.recv(65536)
                if not block:
                    break
                out += block
            rc = chan.recv_exit_status()
            chan.close()
        except (OSError, EOFError, self._paramiko.SSHException):
            self._remote_hash_ok = False
            return None
        m = re.match(rb"\\?([0-9a-f]{64}) ", out)
        if rc != 0 or not m:
            if self._remote_hash_ok is None:
                self._remote_hash_ok = False  # never worked here: stop trying
            return None
        self._remote_hash_ok = True
        return m.group(1).decode()

    def _read_sha256(self, path: str) -> str | None:
        try:
            f = self._open_read(path)
        except FileNotFoundError:
            return None
        h = hashlib.sha256()
        with f:
            for block in iter(lambda: f.read(CHUNK), b""):
                h.update(block)
        return h.hexdigest()

    def size(self, rel: str) -> int | None:
        try:
            st = self.sftp.stat(self._path(rel))
        except FileNotFoundError:
            return None
        return st.st_size if stat_mod.S_ISREG(st.st_mode or 0) else None

    def list_files(self) -> dict[str, int]:
        out: dict[str, int] = {}
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            remote = posixpath.join(self.root, rel_dir) if rel_dir else self.root
            for attr in self.sftp.listdir_attr(remote):
                rel = f"{rel_dir}/{attr.filename}" if rel_dir else attr.filename
                if stat_mod.S_ISDIR(attr.st_mode or 0):
                    stack.append(rel)
                elif stat_mod.S_ISREG(attr.st_mode or 0) and not is_temp_name(attr.filename):
                    out[rel] = attr.st_size or 0
        return out

    def get(self, rel: str, dest: Path) -> str:
        path = self._path(rel)
        return atomic_write_stream(dest, lambda: self._open_read(path))

    def rename(self, rel: str, new_rel: str) -> None:
        new = self._path(new_rel)
        self._mkdirs(posixpath.dirname(new))
        self._replace(self._path(rel), new)

    def close(self) -> None:
        for thing in (getattr(self, "sftp", None), getattr(self, "_client", None)):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass


class _RememberNewHost:
    """Missing-host-key policy: accept a host seen for the first time and save its key."""

    def __init__(self, known_hosts: Path):
        self.known_hosts = known_hosts

    def missing_host_key(self, client, hostname, key):
        client.get_host_keys().add(hostname, key.get_name(), key)
        try:
            client.save_host_keys(str(self.known_hosts))
        except OSError:
            pass


def _parse_sftp(url: str, default_port: int) -> tuple[str, str, int, str]:
    """(host, user, port, root) from sftp://user@host[:port]/path.

    `/path` is absolute on the server; `/~/path` is relative to the user's home.
    """
    parts = urlsplit(url)
    shown = re.sub(r"//[^@/]*:[^@/]*@", "//***@", url)  # never echo a password
    if parts.password is not None:
        raise ImgpipeError(
            t("backup.password_in_url"), field="backup.target", fix=t("backup.password_in_url.fix")
        )
    try:
        port = parts.port or default_port
    except ValueError:
        raise ImgpipeError(
            t("backup.bad_url", target=shown, why="port"), field="backup.target", fix=t("backup.bad_url.fix")
        ) from None
    if not parts.hostname:
        raise ImgpipeError(
            t("backup.bad_url", target=shown, why="host"), field="backup.target", fix=t("backup.bad_url.fix")
        )
    user = unquote(parts.username) if parts.username else _local_user()
    path = unquote(parts.path) or "/"
    if path == "/~" or path.startswith("/~/"):
        root = path[3:] or "."
    else:
        root = path
    return parts.hostname, user, port, root


def _local_user() -> str:
    import getpass

    return getpass.getuser()


def open_target(settings, workspace: Path, *, create: bool = False) -> Target:
    """The backup target named by `settings` (imgpipe.settings.BackupSettings).

    Raises ImgpipeError for a setting that can never work (target inside the
    workspace, malformed URL, key file missing, login refused) and
    TargetUnavailable (a subclass) for trouble that may pass (not mounted, host down).
    `create`: make the target folder when missing and its parent exists (first
    backup only: later, a missing folder usually means an unmounted share).
    """
    workspace = Path(workspace)
    target = (settings.target or "").strip()
    if not target:
        raise ImgpipeError(t("backup.no_target"), field="backup.target", fix=t("backup.no_target.fix"))
    if target.lower().startswith("sftp://"):
        host, user, port, root = _parse_sftp(target, settings.port or 22)
        if host in ("localhost", "127.0.0.1", "::1") and root.startswith("/") and is_within(Path(root), workspace):
            raise ImgpipeError(
                t("backup.inside_workspace", target=target), field="backup.target",
                fix=t("backup.inside_workspace.fix"),
            )
        key = settings.key_file.strip() if settings.key_file else ""
        key_path = None
        if key:
            key_path = Path(key).expanduser()
            if not key_path.is_absolute():
                key_path = workspace / key_path
        return SftpTarget(
            host, user, port, root, key_path,
            known_hosts=workspace / ".imgpipe" / "known_hosts", create=create,
        )
    if os.name != "nt" and (DRIVE_LETTER.match(target) or target.startswith("\\\\")):
        # `D:/备份` or `\\nas\share` written on Windows, read on macOS/Linux.
        raise TargetUnavailable(t("backup.windows_path", target=target), fix=t("backup.windows_path.fix"))
    root = Path(os.path.expandvars(target)).expanduser()
    if not root.is_absolute():
        root = workspace / root
    if is_within(root, workspace):
        raise ImgpipeError(
            t("backup.inside_workspace", target=target), field="backup.target",
            fix=t("backup.inside_workspace.fix"),
        )
    return FolderTarget(root, create=create)

"""Verified, incremental, versioned backups of originals and outputs (R9).

Every file under `originals/` and `output/` is copied to a target named in
`imgpipe.toml` ([backup] target): a folder (second disk, mounted share, UNC
path on Windows) or an SSH host over SFTP. A copy counts as safe only after
the bytes *on the target* hash to what was sent; the catalog table
`backup_files` records that. A file that changed is sent again and the old
copy on the target is kept under `.versions/<rel>.<UTC timestamp>`, so a
mistaken overlay can be undone from the backup alone.

Target trouble (share not mounted, host down, disk full, no permission) never
raises out of `sync`/`backup_workspace`: the files stay pending and go out on
the next run. Nothing in the workspace is ever deleted here.

Table `backup_files` (one row per workspace file, `path` relative, "/"-separated):
sha256/size describe the copy last verified on the target; `state` is
pending (not safe yet), done (verified) or failed (copy did not verify);
mtime_ns is the local file's mtime when it was verified, so an unchanged
file is not re-hashed on every run.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import json
import re
import shlex
import sqlite3
import stat as stat_mod
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import CHUNK, atomic_write_stream, is_within, sha256_file
from imgpipe.messages import t

VERSIONS = ".versions"
# rel -> sha256 of every verified file, kept on the target itself: a restore after
# the workspace (and its catalog) is lost can still check every byte it brings back.
MANIFEST = ".imgpipe-manifest.json"
BACKED_UP_DIRS = ("originals", "output")
CATALOG_COPY = "catalog/catalog.sqlite"  # on the target: the catalog as it was at the last backup
COMMIT_EVERY = 50  # rows between commits: a crash re-checks at most this many (by hash, not re-sent)

Progress = Callable[[int, int, str], None]


class TargetUnavailable(ImgpipeError):
    """The target cannot be used right now (not mounted, host down, disk full, refused).

    Files stay queued; the next run tries again. Not a configuration error.
    """


# --------------------------------------------------------------------------- results


@dataclass
class BackupResult:
    """What one sync did. `pending` = files not yet safe on the target after it."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    message: str = ""          # why the sync stopped early / did not start; "" when all went well
    target: str = ""           # target as shown to users (never with credentials)

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.failed == 0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        """For `--json` and run summaries (no credentials: `target` never carries any)."""
        return {
            "sent": self.sent, "skipped": self.skipped, "failed": self.failed, "pending": self.pending,
            "bytes": self.bytes, "seconds": round(self.seconds, 3), "errors": list(self.errors),
            "message": self.message, "target": self.target,
        }

    def summary(self) -> str:
        return t(
            "backup.summary",
            sent=self.sent,
            mb=f"{self.bytes / 1e6:.1f}",
            skipped=self.skipped,
            failed=self.failed,
            pending=self.pending,
        )


@dataclass
class VerifyReport:
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.changed

    def as_dict(self) -> dict:
        return {"ok": self.ok, "missing": list(self.missing), "changed": list(self.changed)}

    def summary(self) -> str:
        return t("backup.verify_summary", ok=self.ok, missing=len(self.missing), changed=len(self.changed))


class RestoredFiles(list):
    """list[Path] of files restored (or already identical in dest).

    `kept`: files that already existed in dest with other content and were left alone.
    `missing`: files the backup's manifest (or the catalog) records but the target no longer has.
    """

    def __init__(self):
        super().__init__()
        self.kept: list[Path] = []
        self.missing: list[str] = []


# --------------------------------------------------------------------------- paths


_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_rel(rel: str) -> PurePosixPath:
    """`rel` as a relative path that cannot leave the folder it is joined to.

    Refuses absolute paths, drive letters, backslashes, `..`, empty parts and
    NUL: a listing from a tampered target must not write outside the restore folder.
    """
    bad = (
        not rel
        or "\x00" in rel
        or "\\" in rel
        or ":" in rel
        or _DRIVE.match(rel)
        or rel.startswith("/")
    )
    parts = rel.split("/")
    if bad or any(p in ("", ".", "..") for p in parts):
        raise ImgpipeError(t("backup.unsafe_path", path=rel), fix=t("backup.unsafe_path.fix"))
    return PurePosixPath(rel)


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _utc_stamp() -> str:
    # No colons: the stamp is part of a file name, and Windows forbids ':'.
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _describe(exc: BaseException) -> str:
    """A short reason for an OS/network error, without credentials."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return t("backup.disk_full")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return t("backup.no_permission", detail=exc.filename or exc.strerror or "")
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower() or (
            "banner" in str(exc).lower()):  # a frozen server: named, never a bare "TimeoutError"
        return t("backup.timeout")
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc) or type(exc).__name__


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
        new_rel = f"{VERSIONS}/{rel}.{_utc_stamp()}"
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
                    t("backup.unreachable", target=self.display, detail=_describe(exc)),
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
                if _is_temp(name):
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
            return t("backup.timeout") if time.monotonic() - began >= timeout * 0.9 else _describe(exc)

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
                t("backup.unreachable", target=self.display, detail=_describe(exc)),
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
                elif stat_mod.S_ISREG(attr.st_mode or 0) and not _is_temp(attr.filename):
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
    if os.name != "nt" and (_DRIVE.match(target) or target.startswith("\\\\")):
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


# --------------------------------------------------------------------------- catalog table


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS backup_files(
            path TEXT PRIMARY KEY,
            sha256 TEXT,
            size INTEGER,
            state TEXT,              -- pending | done | failed
            backed_up_at TEXT,
            verified_at TEXT,
            error TEXT,
            mtime_ns INTEGER
        )"""
    )
    cols = {row[1] for row in conn.execute("PRAGMA table_info(backup_files)")}
    if "mtime_ns" not in cols:
        conn.execute("ALTER TABLE backup_files ADD COLUMN mtime_ns INTEGER")


def _local(root: Path, rel: str) -> Path:
    return Path(root).joinpath(*safe_rel(rel).parts)


def queue(conn: sqlite3.Connection, root: Path, rel_paths: Iterable[str]) -> int:
    """Mark files pending when they differ from the copy last verified on the target.

    A file whose size and mtime match the verified copy is not re-read.
    Returns how many files became pending.
    """
    ensure_table(conn)
    newly = 0
    for rel in rel_paths:
        local = _local(root, rel)
        try:
            st = local.stat()
        except FileNotFoundError:
            continue
        row = conn.execute(
            "SELECT sha256, size, state, mtime_ns FROM backup_files WHERE path = ?", (rel,)
        ).fetchone()
        if row is None:
            conn.execute("INSERT INTO backup_files(path, state) VALUES (?, 'pending')", (rel,))
            newly += 1
            continue
        sha, size, state, mtime_ns = row
        if state != "done":
            continue  # already queued (or failed: sync retries it)
        if size == st.st_size and mtime_ns == st.st_mtime_ns:
            continue
        if size == st.st_size and sha256_file(local) == sha:
            conn.execute("UPDATE backup_files SET mtime_ns = ? WHERE path = ?", (st.st_mtime_ns, rel))
            continue
        conn.execute("UPDATE backup_files SET state = 'pending', error = NULL WHERE path = ?", (rel,))
        newly += 1
    conn.commit()
    return newly


def pending_count(conn: sqlite3.Connection) -> int:
    ensure_table(conn)
    return conn.execute("SELECT COUNT(*) FROM backup_files WHERE state != 'done'").fetchone()[0]


def workspace_files(root: Path) -> list[str]:
    """Relative paths of every original and output (temp files left out)."""
    out = []
    for top in BACKED_UP_DIRS:
        base = Path(root) / top
        if not base.is_dir():
            continue
        for dirpath, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if _is_temp(name):
                    continue
                out.append(Path(dirpath, name).relative_to(root).as_posix())
    return out


# --------------------------------------------------------------------------- sync


_TARGET_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError)


def _target_errors() -> tuple[type[BaseException], ...]:
    try:
        import paramiko

        return _TARGET_ERRORS + (paramiko.SSHException,)
    except ImportError:  # pragma: no cover
        return _TARGET_ERRORS


def sync(
    conn: sqlite3.Connection,
    root: Path,
    target: Target,
    progress: Progress | None = None,
) -> BackupResult:
    """Send every pending file to `target`, verify it there, record it.

    The previous copy on the target moves to `.versions/` before it is replaced.
    Stops at the first target error (the rest stay pending, `message` says why);
    never raises for target trouble.
    """
    ensure_table(conn)
    root = Path(root)
    result = BackupResult(target=target.display)
    start = time.perf_counter()
    errors = _target_errors()
    rows = conn.execute(
        "SELECT path, sha256 FROM backup_files WHERE state != 'done' ORDER BY path"
    ).fetchall()
    since_commit = 0
    for i, (rel, recorded_sha) in enumerate(rows):
        since_commit += 1
        if since_commit >= COMMIT_EVERY:
            conn.commit()
            since_commit = 0
        if progress:
            progress(i, len(rows), rel)
        local = _local(root, rel)
        try:
            st = local.stat()
        except FileNotFoundError:
            _local_gone(conn, target, rel, recorded_sha, result, errors)
            continue
        local_sha = None
        try:
            have = target.size(rel)
            if have is not None:
                if have == st.st_size:
                    local_sha = _local_sha(local)
                    if target.sha256(rel) == local_sha:
                        _mark_done(conn, rel, local_sha, st)
                        result.skipped += 1
                        continue
                target.move_to_versions(rel)
            sent_sha = target.put(rel, local)
            stored_sha = target.sha256(rel)
        except _LocalReadError as exc:
            _mark(conn, rel, "failed", error=_describe(exc.__cause__))
            result.failed += 1
            result.errors.append(f"{rel}: {_describe(exc.__cause__)}")
            continue
        except errors as exc:
            detail = _describe(exc)
            conn.execute("UPDATE backup_files SET error = ? WHERE path = ?", (detail, rel))
            result.message = t("backup.stopped", target=target.display, detail=detail)
            result.errors.append(f"{rel}: {detail}")
            break
        # The hash of the bytes sent is the file's hash unless the file changed meanwhile
        # (one read of the file instead of two).
        changed = sent_sha != local_sha if local_sha else _stat_key(local) != _stat_key_of(st)
        if changed:
            # Leave it queued for the next run.
            conn.execute("UPDATE backup_files SET error = ? WHERE path = ?", (t("backup.changed_during_copy"), rel))
        elif stored_sha != sent_sha:
            _mark(conn, rel, "failed", error=t("backup.hash_mismatch"))
            result.failed += 1
            result.errors.append(f"{rel}: {t('backup.hash_mismatch')}")
        else:
            _mark_done(conn, rel, sent_sha, st)
            result.sent += 1
            result.bytes += st.st_size
    conn.commit()
    if result.sent or result.skipped:
        try:
            _write_manifest(conn, target)
        except errors as exc:
            result.message = result.message or t("backup.stopped", target=target.display, detail=_describe(exc))
    result.pending = conn.execute("SELECT COUNT(*) FROM backup_files WHERE state = 'pending'").fetchone()[0]
    result.seconds = time.perf_counter() - start
    if progress:
        progress(len(rows), len(rows), "")
    return result


class _LocalReadError(Exception):
    """Reading the workspace file failed (not the target's fault)."""


def _local_sha(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise _LocalReadError() from exc


def _stat_key_of(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _stat_key(path: Path) -> tuple | None:
    try:
        return _stat_key_of(path.stat())
    except OSError:
        return None


def _write_manifest(conn, target: Target) -> None:
    shas = dict(conn.execute("SELECT path, sha256 FROM backup_files WHERE state = 'done' ORDER BY path"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.json"
        path.write_text(json.dumps({"version": 1, "files": shas}, ensure_ascii=False, indent=0), encoding="utf-8")
        target.put(MANIFEST, path)


def read_manifest(target: Target) -> dict[str, str]:
    """rel -> sha256 recorded on the target at the last backup; {} when there is none."""
    if not target.exists(MANIFEST):
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.json"
        target.get(MANIFEST, path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data.get("files", {})
        except (ValueError, AttributeError):
            return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _mark(conn, rel: str, state: str, *, error: str | None = None) -> None:
    conn.execute("UPDATE backup_files SET state = ?, error = ? WHERE path = ?", (state, error, rel))


def _mark_done(conn, rel: str, sha: str, st: os.stat_result) -> None:
    now = _now_iso()
    conn.execute(
        """UPDATE backup_files SET state = 'done', sha256 = ?, size = ?, mtime_ns = ?,
           backed_up_at = ?, verified_at = ?, error = NULL WHERE path = ?""",
        (sha, st.st_size, st.st_mtime_ns, now, now, rel),
    )


def _local_gone(conn, target: Target, rel: str, recorded_sha, result: BackupResult, errors) -> None:
    """A queued file left the workspace before it was sent."""
    if recorded_sha is None:
        conn.execute("DELETE FROM backup_files WHERE path = ?", (rel,))
        return
    try:
        intact = target.sha256(rel) == recorded_sha
    except errors:
        intact = False
    if intact:
        conn.execute("UPDATE backup_files SET state = 'done', error = NULL WHERE path = ?", (rel,))
    else:
        _mark(conn, rel, "failed", error=t("backup.local_missing"))
        result.failed += 1
        result.errors.append(f"{rel}: {t('backup.local_missing')}")


def backup_workspace(
    conn: sqlite3.Connection,
    root: Path,
    settings,
    progress: Progress | None = None,
) -> BackupResult:
    """Queue every original and output, then sync to the configured target.

    What `imgpipe run`, `imgpipe watch` and `imgpipe backup` call. Never raises
    for an unreachable target; raises ImgpipeError only for a setting that can
    never work (target inside the workspace, bad URL, login refused).
    """
    root = Path(root)
    ensure_table(conn)
    queue(conn, root, workspace_files(root))
    if not (settings.target or "").strip():
        n = pending_count(conn)
        return BackupResult(pending=n, message=t("backup.no_target_pending", count=n))
    first_time = conn.execute("SELECT 1 FROM backup_files WHERE state = 'done' LIMIT 1").fetchone() is None
    try:
        target = open_target(settings, root, create=first_time)
    except TargetUnavailable as exc:
        n = pending_count(conn)
        return BackupResult(pending=n, message=str(exc), errors=[str(exc)])
    with target:
        result = sync(conn, root, target, progress)
        if not result.pending and not result.failed and (result.sent or target.size(CATALOG_COPY) is None):
            try:
                send_catalog(conn, root, target)
            except _target_errors() as exc:  # the files are safe; the catalog copy goes next time
                result.errors.append(f"{CATALOG_COPY}: {_describe(exc)}")
        return result


def send_catalog(conn: sqlite3.Connection, root: Path, target: Target) -> None:
    """Put a consistent copy of the catalog on the target (SQLite's online backup).

    With it, `restore` brings back not just the files but what only the
    catalog knows: reference shots and slates, capture times, colour analyses,
    sold-out variants and listings; a restored workspace then has nothing to redo.
    """
    snapshot = Path(root) / ".imgpipe" / "catalog-snapshot.sqlite"
    tmp = snapshot.with_name(".catalog-snapshot.tmp")
    tmp.unlink(missing_ok=True)
    copy = sqlite3.connect(tmp)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    os.replace(tmp, snapshot)
    target.put(CATALOG_COPY, snapshot)


def restore_catalog(conn: sqlite3.Connection | None, target: Target, dest: Path) -> bool:
    """Bring the catalog copy back into an empty workspace; True when it was restored.

    A catalog that already knows photos is never replaced. With `conn` open on
    the destination's catalog the copy is written through it (SQLite backup),
    so no open connection is pulled from under.
    """
    if target.size(CATALOG_COPY) is None:
        return False
    folder = Path(dest) / ".imgpipe"
    folder.mkdir(parents=True, exist_ok=True)
    if conn is None:
        if (folder / "catalog.sqlite").exists():
            return False
        target.get(CATALOG_COPY, folder / "catalog.sqlite")
        return True
    # the photos table is the catalog's (catalog.py): empty means nothing would be lost
    if conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]:
        return False
    tmp = folder / ".catalog-restore.tmp"
    target.get(CATALOG_COPY, tmp)
    source = sqlite3.connect(tmp)
    try:
        source.backup(conn)
    finally:
        source.close()
        tmp.unlink(missing_ok=True)
    return True


# --------------------------------------------------------------------------- verify / restore


def verify(conn: sqlite3.Connection, root: Path, target: Target) -> VerifyReport:
    """Re-hash every verified file on the target; missing or changed ones go back to pending.

    Raises TargetUnavailable when the target fails midway (nothing is marked then).
    """
    ensure_table(conn)
    report = VerifyReport()
    rows = conn.execute("SELECT path, sha256 FROM backup_files WHERE state = 'done' ORDER BY path").fetchall()
    now = _now_iso()
    try:
        for rel, sha in rows:
            got = target.sha256(rel)
            if got is None:
                report.missing.append(rel)
            elif got != sha:
                report.changed.append(rel)
            else:
                report.ok += 1
    except _target_errors() as exc:
        raise TargetUnavailable(
            t("backup.unreachable", target=target.display, detail=_describe(exc)), fix=t("backup.unreachable.fix")
        ) from None
    for rel in report.missing:
        _mark(conn, rel, "pending", error=t("backup.verify_missing"))
    for rel in report.changed:
        _mark(conn, rel, "pending", error=t("backup.verify_changed"))
    bad = set(report.missing) | set(report.changed)
    conn.executemany(
        "UPDATE backup_files SET verified_at = ? WHERE path = ?",
        [(now, rel) for rel, _ in rows if rel not in bad],
    )
    conn.commit()
    return report


def _lands_inside(path: Path, dest: Path) -> bool:
    probe = path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return is_within(probe, dest) and not path.is_symlink()


def _article_of(rel: PurePosixPath) -> str | None:
    # originals/<category>/<article>/… and output/<platform>/<article>/…
    parts = rel.parts
    if len(parts) >= 4 and parts[0] in BACKED_UP_DIRS:
        return parts[2]
    return None


def restore(
    conn: sqlite3.Connection | None,
    target: Target,
    dest: Path,
    articles: list[str] | None = None,
    *,
    overwrite: bool = False,
) -> RestoredFiles:
    """Bring originals and outputs back from `target` into `dest` (a workspace folder).

    `articles`: only files in those article folders; None = everything.
    Every path from the target is checked before anything is written (a
    tampered listing cannot escape `dest`). Each file is hashed as it arrives
    and compared with the catalog (when `conn` is given); a damaged file is not
    written and ImgpipeError lists them after the good files are in place.
    Existing files with other content are left alone unless `overwrite`.
    """
    dest = Path(dest)
    listing = target.list_files()
    wanted: list[tuple[str, PurePosixPath]] = []
    found_articles: set[str] = set()
    for rel in sorted(listing):
        p = safe_rel(rel)  # raises on the first hostile name, before any write
        if p.parts[0] == VERSIONS or p.parts[0] not in BACKED_UP_DIRS:
            continue
        art = _article_of(p)
        if art:
            found_articles.add(art)
        if articles is None or art in articles:
            wanted.append((rel, p))
    if articles:
        unknown = [a for a in articles if a not in found_articles]
        if unknown:
            known = sorted(found_articles)
            raise ImgpipeError(
                t("backup.restore_unknown_article", articles=", ".join(unknown)),
                fix=t("backup.restore_unknown_article.fix", known=", ".join(known[:30]) + (" …" if len(known) > 30 else "")),
            )
    recorded = read_manifest(target)
    if conn is not None:
        ensure_table(conn)
        recorded.update(conn.execute("SELECT path, sha256 FROM backup_files WHERE sha256 IS NOT NULL"))
    restored = RestoredFiles()
    for rel in sorted(set(recorded) - set(listing)):  # recorded as backed up, gone from the target
        try:
            p = safe_rel(rel)
        except ImgpipeError:
            continue
        if p.parts[0] in BACKED_UP_DIRS and (articles is None or _article_of(p) in articles):
            restored.missing.append(rel)
    damaged: list[str] = []
    if wanted:
        dest.mkdir(parents=True, exist_ok=True)
    for rel, p in wanted:
        out = dest.joinpath(*p.parts)
        if not _lands_inside(out, dest):
            # A symlink already in dest would carry the write elsewhere.
            raise ImgpipeError(t("backup.unsafe_path", path=rel), fix=t("backup.unsafe_path.fix"))
        expected = recorded.get(rel)
        if out.exists():
            have = sha256_file(out)
            if have == (expected or target.sha256(rel)):
                restored.append(out)
                continue
            if not overwrite:
                restored.kept.append(out)
                continue
        # Into a temp name first: a damaged copy never takes the real name.
        tmp = out.with_name(f".{out.name}.restore.tmp")
        got = target.get(rel, tmp)
        if expected is None:
            expected = target.sha256(rel)  # no record anywhere: at least a consistent second read
        if got != expected:
            tmp.unlink(missing_ok=True)
            damaged.append(rel)
            continue
        os.replace(tmp, out)
        restored.append(out)
    if damaged:
        raise ImgpipeError(
            t("backup.restore_damaged", count=len(damaged), files=", ".join(damaged[:10])),
            fix=t("backup.restore_damaged.fix"),
        )
    return restored


def list_versions(target: Target, rel: str) -> list[str]:
    """UTC stamps of the earlier copies of `rel` kept on the target, oldest first."""
    p = safe_rel(rel)
    prefix = f"{VERSIONS}/{p.as_posix()}."
    return sorted(k[len(prefix):] for k in target.list_files() if k.startswith(prefix) and "/" not in k[len(prefix):])


def restore_version(target: Target, rel: str, timestamp: str, dest: Path) -> Path:
    """Copy the earlier copy of `rel` saved at `timestamp` to the file `dest`."""
    safe_rel(rel)
    if not re.fullmatch(r"\d{8}T\d{6}(\.\d+)?Z", timestamp):
        raise ImgpipeError(t("backup.version_missing", path=rel, timestamp=timestamp),
                           fix=t("backup.version_missing.fix", known=", ".join(list_versions(target, rel)) or "-"))
    vrel = f"{VERSIONS}/{rel}.{timestamp}"
    if not target.exists(vrel):
        raise ImgpipeError(t("backup.version_missing", path=rel, timestamp=timestamp),
                           fix=t("backup.version_missing.fix", known=", ".join(list_versions(target, rel)) or "-"))
    target.get(vrel, Path(dest))
    return Path(dest)

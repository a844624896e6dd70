"""What keeps the workbench safe: who may connect, which requests may change things, which files it serves.

- Access: a request passes when it carries the server's token (cookie, set
  once from `?token=`; or `Authorization: Bearer`), or when it comes from
  this machine (loopback address) *and* names this machine in its Host
  header — the second condition stops DNS-rebinding pages from reaching a
  local server through the browser. Anything else: 401 without a token,
  403 with a wrong one.
- CSRF: every POST carries the page's CSRF token in `X-CSRF-Token`; a page
  from another site cannot read it (no CORS), so it cannot forge one.
- Files: only regular files under originals/, output/, reports/ (and the
  thumbnail cache), after decoding, normalising and resolving links.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import unicodedata
from pathlib import Path, PurePosixPath

TOKEN_COOKIE = "imgpipe_token"
CSRF_HEADER = "x-csrf-token"
FILE_AREAS = ("originals", "output", "reports")
_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost` (a host name or an IP, with or without brackets)."""
    if not host:
        return False
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """The host part of a Host header: `127.0.0.1:8765` -> `127.0.0.1`, `[::1]:80` -> `::1`."""
    header = header.strip()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def server_token(host: str, token: str | None) -> str | None:
    """The access token the server requires: the given one, a new one for a non-loopback host, else None."""
    if token:
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def safe_name(name: str, max_len: int = 120, max_bytes: int = 180) -> str:
    """A dropped file's name made safe as one file name in the inbox.

    Keeps only the last path component (browsers may send `folder/a.jpg`,
    Windows `C:\\x\\a.jpg`), NFC-normalised, without control characters,
    reserved characters or leading dots; '' when nothing usable is left.
    At most `max_len` characters and `max_bytes` UTF-8 bytes (ext4 and NTFS
    allow 255; the rest is room for ` (12).jpg`): 120 Chinese characters are
    360 bytes, so their stem is cut to fit and the extension kept.
    """
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join("_" if (ord(c) < 32 or c in '<>:"|?*%') else c for c in name).strip(" .")
    if name.split(".", 1)[0].strip(" ").upper() in _WINDOWS_RESERVED:  # `CON.jpg` cannot exist on Windows
        name = "_" + name
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and len(ext) < 10):
        stem, dot, ext = name, "", ""
    while stem and (len(stem) + len(dot + ext) > max_len or len((stem + dot + ext).encode("utf-8")) > max_bytes):
        stem = stem[:-1]
    return (stem.rstrip(" .") + dot + ext) if stem else name[:max_len].encode("utf-8")[:max_bytes].decode(
        "utf-8", "ignore")


def safe_file(root: Path, area: str, rel: str) -> Path | None:
    """The file `root/area/rel` when it is a regular file inside that area, else None.

    `rel` is the already-decoded URL path. Refused: any `%` left (a second
    encoding layer), backslashes, NUL, drive letters, absolute paths, empty,
    `.` or `..` segments, hidden names, anything that resolves (links
    followed) outside the area, and files with more than one hard link.
    """
    if area not in FILE_AREAS and area != ".imgpipe/thumbs":
        return None
    if not rel or any(c in rel for c in "%\\\x00:") or rel.startswith("/"):
        return None
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or rel.split("/") != list(parts):
        return None
    base = (Path(root) / area).resolve()
    path = base.joinpath(*parts)
    try:
        resolved = path.resolve(strict=True)
        resolved.relative_to(base)
        # a hard link is the same file as its other names, one of which may lie outside the area
        # (`ln /etc/passwd output/x`): refused as a symlink leading out would be
        return resolved if resolved.is_file() and resolved.stat().st_nlink == 1 else None
    except (OSError, ValueError, RuntimeError):
        return None

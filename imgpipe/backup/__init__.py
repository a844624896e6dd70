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

The package: `base` (constants, results, path rules), `targets` (folder and
SFTP), `state` (queueing into the catalog's backup ledger, catalog.backup_*), `sync` (sending, the manifest,
`backup_workspace`), `restore` (verify, restore, versions). Import from
`imgpipe.backup` as before.
"""

from __future__ import annotations

from imgpipe.backup.base import (
    BACKED_UP_DIRS,
    BackupResult,
    CATALOG_COPY,
    COMMIT_EVERY,
    MANIFEST,
    Progress,
    RestoredFiles,
    TargetUnavailable,
    VERSIONS,
    VerifyReport,
    safe_rel,
)
from imgpipe.backup.targets import FolderTarget, SftpTarget, Target, open_target
from imgpipe.backup.state import pending_count, queue, workspace_files
from imgpipe.backup.sync import backup_workspace, read_manifest, restore_catalog, send_catalog, sync
from imgpipe.backup.restore import list_versions, restore, restore_version, verify

__all__ = [
    "BACKED_UP_DIRS",
    "BackupResult",
    "CATALOG_COPY",
    "COMMIT_EVERY",
    "MANIFEST",
    "Progress",
    "RestoredFiles",
    "TargetUnavailable",
    "VERSIONS",
    "VerifyReport",
    "safe_rel",
    "FolderTarget",
    "SftpTarget",
    "Target",
    "open_target",
    "pending_count",
    "queue",
    "workspace_files",
    "backup_workspace",
    "read_manifest",
    "restore_catalog",
    "send_catalog",
    "sync",
    "list_versions",
    "restore",
    "restore_version",
    "verify",
]

"""One error type that always says which file, which field and what to do."""

from __future__ import annotations

from pathlib import Path

from imgpipe.messages import Text, t


class ImgpipeError(Exception):
    """A problem a user can fix: carries the file, row, field and the fix.

    Raised for bad input (a photo, a sheet row, a setting). Front ends print
    `str(err)`; the batch records it against the item and goes on.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.fix = fix

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(t("error.row", row=self.row))
        if self.field:
            where.append(f"{t('error.field')} {self.field}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" ({t('error.fix')}: {self.fix})"
        return text

    def as_dict(self) -> dict:
        """The error as a record; `message`/`fix` stay `Text` (key + arguments) until shown.

        `key`/`args` name the message for readers of --json that translate it themselves.
        """
        out = {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
        }
        if isinstance(self.message, Text):
            out.update(self.message.record())
        return out


class ConfigError(ImgpipeError):
    """Settings or profile problem: nothing can run until it is fixed (exit 2)."""


class GlobalFailure(ImgpipeError):
    """Nothing more can be done this run (disk full, catalog unwritable).

    The run stops at once with this one message; what was done is recorded,
    and the next run, once the cause is fixed, carries on from there.
    """


def global_failure(exc: BaseException, where: str | Path | None = None) -> GlobalFailure | None:
    """The GlobalFailure `exc` stands for (a full disk, an unwritable catalog), or None for an item's error."""
    import errno
    import sqlite3

    if isinstance(exc, GlobalFailure):
        return exc
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        place = where or exc.filename or ""
        return GlobalFailure(t("fs.disk_full"), file=place, fix=t("fs.disk_full.fix"))
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "disk is full" in text:
            return GlobalFailure(t("fs.disk_full"), file=where, fix=t("fs.disk_full.fix"))
        if "disk i/o" in text or "readonly" in text or "read-only" in text or "unable to open" in text or "locked" in text:
            return GlobalFailure(t("catalog.unwritable", detail=exc), file=where, fix=t("catalog.unwritable.fix"))
    return None


def item_error(exc: BaseException, file: str | Path | None, stage: str) -> ImgpipeError:
    """Any exception as one item's error in the user's language: file, stage, reason and fix.

    ImgpipeErrors pass as they are; an OSError says what the system said
    (permission denied, read-only file system…); anything else is an
    internal error whose details show with IMGPIPE_DEBUG=1.
    """
    if isinstance(exc, ImgpipeError):
        if exc.file is None and file is not None:
            exc.file = str(file)
        return exc
    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc)
        where = exc.filename if exc.filename and str(exc.filename) != str(file) else None
        message = t("error.os", stage=t(f"stage.{stage}"), detail=detail + (f" ({where})" if where else ""))
        import errno

        # 206: Windows' ERROR_FILENAME_EXCED_RANGE; the fix is a shorter name, not a permission
        too_long = exc.errno == errno.ENAMETOOLONG or getattr(exc, "winerror", None) == 206
        return ImgpipeError(message, file=file, fix=t("error.name_too_long.fix" if too_long else "error.os.fix"))
    import os

    if os.environ.get("IMGPIPE_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    return ImgpipeError(t("error.internal", stage=t(f"stage.{stage}"), detail=f"{type(exc).__name__}: {exc}"),
                        file=file, fix=t("error.internal.fix"))


def error_dict(err: Exception, file: str, stage: str = "render") -> dict:
    """Any exception as one item's error (file, reason and fix in the user's language).

    A full disk is marked `"global": True`: the coordinator stops the run on it.
    """
    fatal = global_failure(err, file)
    if fatal:
        return dict(fatal.as_dict(), **{"global": True})
    out = item_error(err, file, stage).as_dict()
    out["file"] = out["file"] or file
    return out


def shown_file(record: dict) -> str | None:
    """The file a record names, as a person reads it: a photo by the name it was dropped with
    ("01-条纹.jpg（归档为 originals/服装/G501/G501-02.jpg）") when the record knows it (`source`)."""
    file = record.get("file")
    if not file:
        return None
    if record.get("source"):
        return t("run.photo_dropped_as", source=record["source"], archived=file)
    return str(file)

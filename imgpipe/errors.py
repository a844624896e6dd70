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

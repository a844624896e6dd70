"""A workspace on disk (contract.md): settings, profiles, sheet, catalog, folders."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from imgpipe import clock
from imgpipe.catalog import Catalog
from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.fsutil import atomic_write_bytes
from imgpipe.messages import set_language, t
from imgpipe.profiles import Profile, load_profiles
from imgpipe.resources import builtin_dir
from imgpipe.settings import DEFAULT_TOML, Settings, load_settings
from imgpipe.sheet import COLUMNS, Sheet, find_sheet, ignored_sheets, load_sheet, write_empty_sheet

FOLDERS = ("inbox", "originals", "output", "reports", "profiles", ".imgpipe")


@dataclass
class Workspace:
    root: Path
    settings: Settings
    profiles: dict[str, Profile]

    @classmethod
    def open(cls, root: Path) -> "Workspace":
        """Load and check settings and profiles; ConfigError names file and key."""
        root = root.resolve()
        toml = root / "imgpipe.toml"
        if not toml.is_file():
            raise ConfigError(t("error.not_workspace", path=root), fix=t("error.not_workspace.fix"))
        settings = load_settings(toml)
        set_language(settings.language)
        profiles = load_profiles(settings.platforms, root)
        return cls(root, settings, profiles)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.root / ".imgpipe" / "catalog.sqlite")

    def sheet(self) -> Sheet:
        path = find_sheet(self.root)
        if path is None:
            return Sheet(errors=[ImgpipeError(t("sheet.missing"), file=self.root, fix=t("sheet.missing.fix"))])
        sheet = load_sheet(path)
        sheet.errors.extend(ignored_sheets(self.root, path))
        return sheet

    @cached_property
    def _font(self) -> Path:
        from imgpipe.fonts import resolve_font

        configured = self.settings.fonts.path
        if configured and not Path(configured).is_absolute():
            configured = str(self.root / configured)
        return resolve_font(configured or None)

    @cached_property
    def cutout_model(self) -> Path | None:
        """The `[cutout] model` file, checked once (loads, image in, map out); None = the classical cut-out.

        The setting names an installed model or a file (order: models.resolve).
        Checked without keeping a session: the coordinator of a process pool
        never runs the model, and an 88 MB IS-Net session holds ~500 MB.
        """
        from imgpipe.models import inspect, is_name, model_not_installed, resolve

        configured = self.settings.cutout.model.strip()
        path, entry = resolve(configured, self.root)
        if path is None:
            return None
        where = {"file": self.root / "imgpipe.toml", "field": "cutout.model"}
        if not path.is_file():
            if entry is None and is_name(configured):
                raise model_not_installed(configured, where["file"])
            raise ConfigError(t("cutout.model_missing", path=path), fix=t("cutout.model.fix"), **where)
        try:
            inspect(path)
        except ImportError:
            raise ConfigError(t("cutout.model_runtime"), fix=t("cutout.model_runtime.fix"), **where) from None
        except ImgpipeError as err:  # not a model, a broken file, or not image in, map out
            raise ConfigError(err.message, fix=err.fix, **where) from None
        return path

    def font_path(self) -> Path:
        """The font of all text on images and pages (found once per opened workspace)."""
        return self._font

    def enabled(self, platforms=None) -> dict[str, Profile]:
        if not platforms:
            return self.profiles
        unknown = [p for p in platforms if p not in self.profiles]
        if unknown:
            raise ConfigError(t("config.unknown_platform", name=unknown[0]),
                              fix=t("config.unknown_platform.fix", known=", ".join(self.profiles), name=unknown[0]))
        return {p: self.profiles[p] for p in platforms}


def init_workspace(root: Path, demo: bool = False) -> tuple[bool, int]:
    """Create the folders, a commented imgpipe.toml and an empty sheet.

    Never overwrites: an existing workspace is left as it is. `demo` copies the
    sample shop (sheet and photos in inbox/). Returns (created, demo photos).
    """
    root.mkdir(parents=True, exist_ok=True)
    created = not (root / "imgpipe.toml").exists()
    for folder in FOLDERS:
        (root / folder).mkdir(exist_ok=True)
    if created:
        (root / "imgpipe.toml").write_text(DEFAULT_TOML, encoding="utf-8")
    copied = 0
    samples = builtin_dir("samples")
    if demo:
        for src in samples.rglob("*"):
            rel = src.relative_to(samples)
            if src.is_dir() or rel.parts[0] not in ("inbox", "products.xlsx", "products.csv", "logo.png"):
                continue
            dest = root / rel
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
                copied += rel.parts[0] == "inbox"
                if rel.name == "products.xlsx":
                    date_demo_arrivals(dest)
    if find_sheet(root) is None:
        write_empty_sheet(root / "products.xlsx")
    return created, copied


def date_demo_arrivals(sheet: Path) -> None:
    """Move the demo sheet's arrival dates so the latest is yesterday, keeping their spacing.

    The demo is shot on one day; copied on another, every article would be
    long overdue on the first `imgpipe status`. The day comes from clock.today().
    """
    import openpyxl

    book = openpyxl.load_workbook(sheet)
    rows = book.active
    header = [str(c.value or "").strip().lower() for c in rows[1]]
    column = next((i for i, name in enumerate(header) if name in COLUMNS["arrival_date"]), None)
    if column is None:
        return
    cells = [row[column] for row in rows.iter_rows(min_row=2) if isinstance(row[column].value, (dt.date, dt.datetime))]
    if not cells:
        return
    latest = max(c.value.date() if isinstance(c.value, dt.datetime) else c.value for c in cells)
    shift = (clock.today() - dt.timedelta(days=1)) - latest
    if not shift:
        return
    for cell in cells:
        cell.value = cell.value + shift
    buf = io.BytesIO()
    book.save(buf)
    atomic_write_bytes(sheet, buf.getvalue())

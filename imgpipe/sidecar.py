"""Per-article role overrides: `article.toml` beside the photos.

Dropped as `inbox/<article>/article.toml`, archived to
`originals/<category>/<article>/article.toml`. Every key is optional:

    main = [2, 1, 3]        # photos (sequence numbers) for the main images, in order
    white = 4               # the white-background image's photo
    large = 1               # the labelled large image's photo
    skip = [6]              # photos never published
    [colours]               # colour -> photos showing it (SKU image = the first);
    "红色" = [3, 5]          #   sold-out overlays go on every image of these photos
    [[selling_points]]      # one per selling point, in sheet order
    photo = 2
    crop = [0.1, 0.2, 0.6, 0.7]   # x0, y0, x1, y1 as shares (0..1) of the photo
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.schema import load_dataclass, read_toml


@dataclass(frozen=True)
class SellingPointSource:
    photo: int = 0
    crop: list[float] = field(default_factory=list)

    def check(self):
        if self.crop and (len(self.crop) != 4 or not all(0 <= v <= 1 for v in self.crop)
                          or self.crop[0] >= self.crop[2] or self.crop[1] >= self.crop[3]):
            yield "crop", "[x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"


@dataclass(frozen=True)
class Sidecar:
    main: list[int] = field(default_factory=list)
    white: int = 0
    large: int = 0
    skip: list[int] = field(default_factory=list)
    colours: dict[str, list[int]] = field(default_factory=dict)
    selling_points: list[SellingPointSource] = field(default_factory=list)


def load_sidecar(path: Path) -> Sidecar:
    if not path.is_file():
        return Sidecar()
    data = read_toml(path)
    # a single number is accepted where a list is expected: `"红色" = 3`
    if isinstance(data.get("colours"), dict):
        data["colours"] = {k: ([v] if isinstance(v, int) else v) for k, v in data["colours"].items()}
    return load_dataclass(Sidecar, data, path)


def sidecar_path(root: Path, product) -> Path:
    """Where the article's archived sidecar lives: originals/<category>/<article>/article.toml."""
    from imgpipe.ingest import SIDECAR_NAME, category_folder

    return Path(root) / "originals" / category_folder(product.category) / product.article / SIDECAR_NAME


def _toml_str(text: str) -> str:
    # a JSON string is a valid TOML basic string (same escapes, \uXXXX included)
    import json

    return json.dumps(text, ensure_ascii=False)


def dump_sidecar(sidecar: Sidecar) -> str:
    """`sidecar` as article.toml text; keys left at their defaults are omitted."""
    lines = ["# imgpipe article.toml: which photo (sequence number) plays which role; see imgpipe/sidecar.py"]
    if sidecar.main:
        lines.append(f"main = [{', '.join(str(int(s)) for s in sidecar.main)}]")
    if sidecar.white:
        lines.append(f"white = {int(sidecar.white)}")
    if sidecar.large:
        lines.append(f"large = {int(sidecar.large)}")
    if sidecar.skip:
        lines.append(f"skip = [{', '.join(str(int(s)) for s in sidecar.skip)}]")
    if sidecar.colours:
        lines += ["", "[colours]"]
        lines += [f"{_toml_str(c)} = [{', '.join(str(int(s)) for s in seqs)}]"
                  for c, seqs in sidecar.colours.items() if seqs]
    for sp in sidecar.selling_points:
        lines += ["", "[[selling_points]]", f"photo = {int(sp.photo)}"]
        if sp.crop:
            lines.append(f"crop = [{', '.join(f'{float(v):.4f}' for v in sp.crop)}]")
    return "\n".join(lines) + "\n"


def save_sidecar(path: Path, sidecar: Sidecar) -> None:
    """Write `sidecar` to `path` atomically; it reads back equal (load_sidecar).

    Checked as a run checks it first: ConfigError rather than a file the next run refuses.
    """
    from imgpipe.fsutil import atomic_write_bytes
    from imgpipe.schema import tomllib

    text = dump_sidecar(sidecar)
    load_dataclass(Sidecar, tomllib.loads(text), Path(path))  # the checks a run applies, before writing
    atomic_write_bytes(Path(path), text.encode("utf-8"))

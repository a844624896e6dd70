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

"""Shop colour names (红色, 藏青, 米白, navy, …) as CIELAB regions, and which photo shows which.

A name is a region in LCh (CIELAB lightness L* 0-100, chroma C* 0-~130,
hue angle h° 0-360, D65): a range of each, hue optional (achromatic names).
`Lexicon.distance(lab, name)` is the ΔE from a measured colour to the
region (0 inside), so "the SKU image shows its named colour" is a number a
check can hold against a limit. "浅/深" (light/dark) modifiers move a
name's lightness range up or down; a trailing 色 is ignored; English names
are aliases. A workspace extends or overrides the lexicon (`Lexicon.extended`):

    [colours.names]                    # in imgpipe.toml (or a file of the same form)
    "雾霾蓝" = { lab = [62, -4, -14] }    # a centre; the region reaches ±10 ΔE around it
    "焦糖色" = { sample = "#A0632E", tolerance = 12 }   # a sample colour (sRGB hex) as the centre
    "奶茶" = { L = [60, 80], C = [10, 30], h = [50, 85] }
    "砖红" = "红"                         # another name for a known one (modifiers work: "深蓝")

`assign` pairs the sheet's colours with photos by the best overall match
(an assignment over colour groups, not a nearest-per-photo guess) and says
plainly when a person must decide.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from imgpipe.colour import delta_e_2000, srgb_to_lab

MAX_MATCH = 14.0      # ΔE from a photo's colour to its name's region above which a match is doubtful
GROUP_DE = 10.0       # photos whose dominant colours differ by less (ΔE2000) show the same colour
AMBIGUOUS_DE = 4.0    # a different pairing this close in total ΔE means the pairing is not clear
CENTRE_WEIGHT = 0.15  # ties inside overlapping regions (红色/酒红) go to the nearer centre


@dataclass(frozen=True)
class Region:
    """A colour name's region: ranges of L*, C* and (optionally) hue angle in degrees.

    h: (start, end) counter-clockwise, may wrap (340, 20); None = any hue.
    centre: a typical Lab of the name (ties between overlapping names).
    """

    L: tuple[float, float]
    C: tuple[float, float]
    h: tuple[float, float] | None
    centre: tuple[float, float, float]

    def distance(self, lab) -> float:
        """ΔE (CIE76 in LCh parts) from `lab` to the region; 0 inside."""
        L, a, b = (float(v) for v in lab)
        C = float(np.hypot(a, b))
        dL = max(0.0, self.L[0] - L, L - self.L[1])
        dC = max(0.0, self.C[0] - C, C - self.C[1])
        dH = 0.0
        if self.h is not None and C > 0:
            hue = float(np.degrees(np.arctan2(b, a))) % 360
            dh = _hue_outside(hue, self.h)
            dH = 2 * C * np.sin(np.radians(min(dh, 180.0)) / 2)
        return float(np.sqrt(dL * dL + dC * dC + dH * dH))

    def centre_distance(self, lab) -> float:
        return float(np.linalg.norm(np.asarray(lab, float) - np.asarray(self.centre, float)))


def _hue_outside(hue: float, rng: tuple[float, float]) -> float:
    """Degrees from `hue` to the arc rng (start -> end counter-clockwise); 0 on the arc."""
    start, end = rng[0] % 360, rng[1] % 360
    span = (end - start) % 360
    if (hue - start) % 360 <= span:
        return 0.0
    return min((start - hue) % 360, (hue - end) % 360)


def _lch(L, C, h) -> tuple[float, float, float]:
    return (float(L), float(C * np.cos(np.radians(h))), float(C * np.sin(np.radians(h))))


def _r(L, C, h, centre) -> Region:
    return Region(tuple(map(float, L)), tuple(map(float, C)), None if h is None else tuple(map(float, h)),
                  _lch(*centre))


# The base names: L* range, C* range, hue arc, typical (L, C, h). Checked against the sRGB
# colours shops use for these names (e.g. 藏青 #242E52 -> L 19, C 25, h 286).
BASE: dict[str, Region] = {
    "白": _r((85, 100), (0, 8), None, (95, 2, 90)),
    "黑": _r((0, 22), (0, 10), None, (12, 1, 270)),
    "灰": _r((22, 85), (0, 8), None, (55, 2, 270)),
    "银": _r((60, 90), (0, 8), None, (75, 2, 270)),
    "米白": _r((80, 97), (3, 18), (55, 115), (88, 11, 88)),
    "米": _r((70, 92), (8, 28), (60, 100), (81, 18, 84)),
    "杏": _r((75, 95), (12, 38), (50, 90), (86, 22, 72)),
    "卡其": _r((50, 76), (12, 40), (70, 105), (63, 24, 85)),
    "驼": _r((52, 76), (18, 48), (55, 85), (66, 29, 76)),
    "棕": _r((15, 52), (12, 50), (30, 85), (36, 28, 62)),
    "咖啡": _r((18, 46), (8, 36), (35, 88), (36, 20, 63)),
    "红": _r((25, 62), (35, 110), (5, 48), (40, 62, 32)),
    "酒红": _r((12, 40), (18, 58), (350, 40), (29, 35, 17)),
    "玫红": _r((35, 68), (40, 100), (330, 15), (50, 70, 358)),
    "粉": _r((58, 93), (10, 58), (330, 50), (75, 28, 8)),
    "橙": _r((50, 82), (40, 110), (45, 72), (65, 75, 58)),
    "黄": _r((65, 98), (35, 110), (70, 105), (82, 70, 88)),
    "金": _r((55, 86), (28, 80), (68, 96), (73, 60, 85)),
    "绿": _r((28, 85), (20, 100), (105, 180), (55, 50, 140)),
    "墨绿": _r((10, 42), (8, 42), (110, 205), (30, 19, 159)),
    "军绿": _r((28, 52), (12, 35), (95, 130), (39, 24, 112)),
    "青": _r((40, 85), (15, 60), (180, 230), (65, 30, 205)),
    "蓝": _r((25, 72), (25, 110), (230, 300), (40, 55, 284)),
    "藏青": _r((5, 32), (8, 45), (230, 310), (20, 25, 286)),
    "天蓝": _r((65, 90), (12, 45), (215, 265), (77, 27, 246)),
    "宝蓝": _r((22, 48), (45, 110), (270, 305), (35, 75, 292)),
    "紫": _r((18, 72), (20, 100), (295, 345), (36, 52, 316)),
}

ALIASES: dict[str, str] = {
    "藏蓝": "藏青", "海军蓝": "藏青", "咖": "咖啡", "咖色": "咖啡", "橘": "橙", "米黄": "米", "象牙白": "米白",
    "奶白": "米白", "乳白": "米白", "银灰": "银", "枣红": "酒红", "紫红": "玫红", "卡其色": "卡其",
    # English (lower case; "light"/"dark" work as 浅/深)
    "white": "白", "black": "黑", "grey": "灰", "gray": "灰", "silver": "银", "off-white": "米白",
    "offwhite": "米白", "ivory": "米白", "cream": "米白", "beige": "米", "apricot": "杏", "khaki": "卡其",
    "camel": "驼", "brown": "棕", "coffee": "咖啡", "red": "红", "wine": "酒红", "burgundy": "酒红",
    "rose": "玫红", "pink": "粉", "orange": "橙", "yellow": "黄", "gold": "金", "green": "绿",
    "dark green": "墨绿", "army green": "军绿", "olive": "军绿", "cyan": "青", "teal": "青", "blue": "蓝",
    "navy": "藏青", "navy blue": "藏青", "sky blue": "天蓝", "royal blue": "宝蓝", "purple": "紫",
    "violet": "紫",
}

LIGHT = ("浅", "淡", "light ", "pale ")
DARK = ("深", "暗", "dark ", "deep ")


def _light(r: Region) -> Region:
    """浅: the upper half of the lightness range, reaching 10 higher; less chroma needed."""
    lo, hi = r.L
    L = (lo + 0.5 * (hi - lo), min(100.0, hi + 10))
    return replace(r, L=L, C=(0.5 * r.C[0], r.C[1]),
                   centre=(sum(L) / 2, r.centre[1] * 0.8, r.centre[2] * 0.8))


def _dark(r: Region) -> Region:
    """深: the lower half of the lightness range, reaching 10 lower; less chroma needed."""
    lo, hi = r.L
    L = (max(0.0, lo - 10), lo + 0.5 * (hi - lo))
    return replace(r, L=L, C=(0.6 * r.C[0], r.C[1]), centre=(sum(L) / 2, r.centre[1], r.centre[2]))


def normalise(name: str) -> str:
    """`红色` -> `红`, ` Navy ` -> `navy`: the key a name is looked up by."""
    key = " ".join(name.strip().lower().split())
    if key.endswith("色") and len(key) > 1:
        key = key[:-1]
    return key


@dataclass(frozen=True)
class Lexicon:
    """Colour names -> regions. `region(name)` is None for a name it does not know."""

    names: dict[str, Region] = field(default_factory=lambda: dict(BASE))
    aliases: dict[str, str] = field(default_factory=lambda: dict(ALIASES))

    def region(self, name: str) -> Region | None:
        key = normalise(name)
        found = self._lookup(key)
        if found is not None:
            return found
        for prefixes, shift in ((LIGHT, _light), (DARK, _dark)):
            for p in prefixes:
                if key.startswith(p) and len(key) > len(p):
                    base = self._lookup(normalise(key[len(p):]))
                    if base is not None:
                        return shift(base)
        return None

    def _lookup(self, key: str) -> Region | None:
        if key in self.names:
            return self.names[key]
        if key in self.aliases and self.aliases[key] in self.names:
            return self.names[self.aliases[key]]
        return None

    def distance(self, lab, name: str) -> float | None:
        """ΔE from a measured Lab colour to the named region (0 inside); None: unknown name."""
        r = self.region(name)
        return None if r is None else r.distance(lab)

    def extended(self, table: dict) -> Lexicon:
        """A lexicon with the workspace's own names added or replaced (see the module docstring).

        Raises ValueError naming the entry and what is wrong with it.
        """
        names = dict(self.names)
        for raw, spec in (table or {}).items():
            if isinstance(spec, str) and not spec.strip().startswith("#"):
                known = self.region(spec)  # an alias: the known name's region (shop names are not chained)
                if known is None:
                    raise ValueError(f"{raw}: '{spec}' is not a known colour name")
                names[normalise(str(raw))] = known
            else:
                names[normalise(str(raw))] = region_from_spec(str(raw), spec)
        return Lexicon(names, dict(self.aliases))


def region_from_spec(name: str, spec) -> Region:
    """One `[colours.names]` entry: `{lab = [L, a, b], tolerance = 10}`, `{sample = "#RRGGBB", tolerance = 10}`
    or `{L = [..], C = [..], h = [..]}` (L* 0-100, C* 0-~130, h in degrees; tolerance in ΔE).

    A bare list [L, a, b] or a bare "#RRGGBB" is a centre with the default tolerance.
    """
    if isinstance(spec, (list, tuple)):
        spec = {"lab": list(spec)}
    if isinstance(spec, str):
        spec = {"sample": spec}
    if not isinstance(spec, dict):
        raise ValueError(f"{name}: expected a table, [L, a, b] or \"#RRGGBB\"")
    try:
        if "sample" in spec:
            hexa = str(spec["sample"]).strip().lstrip("#")
            if len(hexa) != 6:
                raise ValueError(f"sample '{spec['sample']}' is not #RRGGBB")
            rgb = np.array([[int(hexa[i:i + 2], 16) for i in (0, 2, 4)]], np.uint8)
            spec = {**spec, "lab": [float(v) for v in srgb_to_lab(rgb)[0]]}
        if "lab" in spec:
            L, a, b = (float(v) for v in spec["lab"])
            tol = float(spec.get("tolerance", 10.0))
            C = float(np.hypot(a, b))
            h = float(np.degrees(np.arctan2(b, a))) % 360
            # a ball of radius tol around the centre, as L/C/h ranges (hue arc from the chord)
            arc = 180.0 if C <= tol else float(np.degrees(2 * np.arcsin(min(1.0, tol / (2 * C)))))
            hue = None if arc >= 180 else (h - arc, h + arc)
            return Region((max(0.0, L - tol), min(100.0, L + tol)), (max(0.0, C - tol), C + tol), hue, (L, a, b))
        Lr = tuple(float(v) for v in spec["L"])
        Cr = tuple(float(v) for v in spec.get("C", [0, 150]))
        hr = tuple(float(v) for v in spec["h"]) if "h" in spec else None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None
    if len(Lr) != 2 or len(Cr) != 2 or (hr is not None and len(hr) != 2):
        raise ValueError(f"{name}: L, C and h are [low, high]")
    mid_h = 0.0 if hr is None else (hr[0] + ((hr[1] - hr[0]) % 360) / 2)
    return Region(Lr, Cr, hr, _lch(sum(Lr) / 2, sum(Cr) / 2 if hr is not None else 0.0, mid_h))


DEFAULT = Lexicon()


# ---------------------------------------------------------------- measuring a photo

@dataclass(frozen=True)
class Swatch:
    """One colour of a product: Lab (D65) and its share of the product's pixels (0-1)."""

    lab: tuple[float, float, float]
    share: float


def dominant_colours(img_u8: np.ndarray, mask: np.ndarray, k: int = 3, sample: int = 20000) -> list[Swatch]:
    """The product's main colours, largest share first, from its mask (after colour correction).

    The mask is eroded (edge pixels mix with the backdrop) and the lightest
    and darkest 3 % dropped (specular highlights, deep creases), then the
    rest is clustered in Lab (k-means, fixed seed: the same photo always
    gives the same answer).
    """
    m = mask.astype(np.uint8)
    r = max(1, round(min(m.shape) / 150))
    inner = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(bool)
    if inner.sum() < 50:
        inner = m.astype(bool)
    pix = img_u8[inner]
    if pix.shape[0] == 0:
        return []
    if pix.shape[0] > sample:
        idx = np.random.default_rng(0).choice(pix.shape[0], sample, replace=False)
        pix = pix[np.sort(idx)]
    lab = srgb_to_lab(pix).astype(np.float32).reshape(-1, 3)
    lo, hi = np.percentile(lab[:, 0], [3, 97])
    keep = (lab[:, 0] >= lo) & (lab[:, 0] <= hi)
    lab = lab[keep] if keep.sum() >= 10 else lab
    k = max(1, min(k, lab.shape[0]))
    cv2.setRNGSeed(12345)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.2)
    _, labels, centres = cv2.kmeans(lab, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k)
    order = np.argsort(-counts, kind="stable")
    total = float(counts.sum())
    return [Swatch(tuple(float(v) for v in np.median(lab[labels.ravel() == i], axis=0)), counts[i] / total)
            for i in order if counts[i]]


# ---------------------------------------------------------------- which photo shows which colour

@dataclass(frozen=True)
class PhotoColour:
    """A photo to assign: `key` (any id), its dominant colour, whole-product shot or close-up.

    score: which of a colour's photos becomes its SKU image (higher first).
    """

    key: object
    lab: tuple[float, float, float]
    whole: bool = True
    score: float = 0.0


@dataclass(frozen=True)
class Problem:
    """Something a person must decide. code: unknown_name | one_colour_shot | no_photo |
    far_match | ambiguous | extra_colour."""

    code: str
    colour: str = ""
    delta_e: float = 0.0
    photos: tuple = ()


@dataclass
class Assignment:
    """Sheet colour -> the photos that show it (SKU image first), and what needs a person."""

    photos: dict[str, list] = field(default_factory=dict)
    colour_of: dict = field(default_factory=dict)       # photo key -> sheet colour (or None)
    delta_e: dict[str, float] = field(default_factory=dict)  # colour -> ΔE of its photos to its region
    problems: list[Problem] = field(default_factory=list)

    @property
    def needs_person(self) -> bool:
        return bool(self.problems)

    def sku(self, colour: str):
        shown = self.photos.get(colour) or []
        return shown[0] if shown else None


@functools.lru_cache(maxsize=1)
def _scipy_assignment():
    """scipy's linear_sum_assignment, loaded from its own extension module when it can be.

    `import scipy.optimize` costs ~0.6 s of CPU (all of optimize, linalg, sparse) in every
    run and validation for this one function; its extension alone loads in ~10 ms.
    """
    import importlib.machinery
    import importlib.util

    import scipy  # the package alone: its version and folder

    folder = Path(scipy.__file__).parent / "optimize"
    if folder.is_dir():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_lsap{suffix}"
            if path.is_file():
                try:
                    ext = importlib.util.spec_from_file_location("scipy.optimize._lsap", path)
                    module = importlib.util.module_from_spec(ext)
                    ext.loader.exec_module(module)
                    return module.linear_sum_assignment
                except Exception:  # noqa: BLE001 - another scipy layout: the public import below
                    break
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


def _solve(cost: np.ndarray) -> list[tuple[int, int]]:
    """Minimum-cost assignment of rows to columns (rectangular), as (row, column) pairs by row."""
    linear_sum_assignment = _scipy_assignment()
    rows, cols = linear_sum_assignment(cost)
    return list(zip(rows.tolist(), cols.tolist()))


def _groups(photos: list[PhotoColour]) -> list[list[PhotoColour]]:
    """Photos of one colour together: each joins the first group within GROUP_DE (ΔE2000) of its mean."""
    groups: list[list[PhotoColour]] = []
    for p in photos:
        for g in groups:
            centre = np.mean([q.lab for q in g], axis=0)
            if float(delta_e_2000(np.asarray(p.lab), centre)) < GROUP_DE:
                g.append(p)
                break
        else:
            groups.append([p])
    return groups


def assign(colours: list[str], photos: list[PhotoColour], lexicon: Lexicon = DEFAULT) -> Assignment:
    """Pair the sheet's colours with the photos that show them (see the module docstring).

    Whole-product photos are grouped by colour and the groups assigned to the
    known names by minimum total ΔE (Hungarian). Needs a person (a Problem,
    and that colour gets no photos): a name the lexicon does not know; all
    whole shots in one colour while the sheet names several; a name no group
    is left for; a match further than MAX_MATCH from the name's region; two
    pairings within AMBIGUOUS_DE of each other. Close-ups join the colour whose
    group they match; with no whole shot at all, the close-ups are grouped and
    assigned instead. A group of whole shots no name fits is reported (extra_colour).
    """
    out = Assignment(photos={c: [] for c in colours}, colour_of={p.key: None for p in photos})
    known = []
    for c in colours:
        if lexicon.region(c) is None:
            out.problems.append(Problem("unknown_name", c))
        else:
            known.append(c)
    whole = [p for p in photos if p.whole]
    # no whole shot (every photo touches the frame: a holdall or a white bulb shot tight): the close-ups decide,
    # else every colour of such an article was "no photo" though its photos show it
    close_only = not whole
    groups = _groups(whole or list(photos))
    if not known or not groups:
        for c in known:
            out.problems.append(Problem("no_photo", c))
        return out
    if len(groups) == 1 and len(colours) > 1:
        out.problems.append(Problem("one_colour_shot", "/".join(colours), photos=tuple(p.key for p in whole)))
        return out
    centres = [tuple(np.mean([p.lab for p in g], axis=0)) for g in groups]
    cost = np.array([[_cost(lexicon, c, n) for n in known] for c in centres])
    pairs = _solve(cost)
    total = sum(cost[i, j] for i, j in pairs)
    assigned_groups = set()
    for i, j in pairs:
        name, d = known[j], float(lexicon.distance(centres[i], known[j]))
        alt = cost.copy()
        alt[i, j] = 1e6
        alt_total = sum(alt[a, b] for a, b in _solve(alt))
        if d > MAX_MATCH:
            out.problems.append(Problem("far_match", name, round(d, 1), tuple(p.key for p in groups[i])))
            continue
        if len(known) > 1 and alt_total - total < AMBIGUOUS_DE:
            out.problems.append(Problem("ambiguous", name, round(d, 1), tuple(p.key for p in groups[i])))
            continue
        members = sorted(groups[i], key=lambda p: -p.score)
        out.photos[name] = [p.key for p in members]
        out.delta_e[name] = round(d, 1)
        for p in members:
            out.colour_of[p.key] = name
        assigned_groups.add(i)
    for j, name in enumerate(known):
        if all(jj != j for _, jj in pairs):
            out.problems.append(Problem("no_photo", name))
    for i, g in enumerate(groups):
        if i in assigned_groups or any(ii == i for ii, _ in pairs):
            continue
        # more colours shot than named: the nearest name if it fits, else a person looks
        j = int(np.argmin(cost[i]))
        d = float(lexicon.distance(centres[i], known[j]))
        if d <= MAX_MATCH and out.photos.get(known[j]):
            out.photos[known[j]].extend(p.key for p in g)
            for p in g:
                out.colour_of[p.key] = known[j]
        elif not close_only:  # a close-up's other colour (a lining, a model in silhouette) is no colour shot
            out.problems.append(Problem("extra_colour", "", round(d, 1), tuple(p.key for p in g)))
    if close_only:  # close-ups measure less surely (a white bulb on white): the first shot in order is the SKU image
        score = {p.key: p.score for p in photos}
        for name in known:
            out.photos[name].sort(key=lambda k: -score[k])
    assigned = {n: np.mean([q.lab for q in photos if q.key in out.photos[n]], axis=0)
                for n in known if out.photos.get(n)}
    for p in photos:
        if p.whole or not assigned or out.colour_of[p.key] is not None:
            continue
        name, centre = min(assigned.items(), key=lambda kv: float(delta_e_2000(np.asarray(p.lab), kv[1])))
        if float(delta_e_2000(np.asarray(p.lab), centre)) < GROUP_DE:
            out.photos[name].append(p.key)
            out.colour_of[p.key] = name
    return out


def _cost(lexicon: Lexicon, lab, name: str) -> float:
    region = lexicon.region(name)
    return region.distance(lab) + CENTRE_WEIGHT * region.centre_distance(lab)

"""Rebuild the real-photo cut-out set (photos + true masks) from its public sources.

    python benchmarks/fetch_cutout_real.py DIR [--mirror ROOT] [--only NAME]

Writes DIR/images/NAME.jpg, DIR/masks/NAME.png (0/255, same size as the photo)
and DIR/SOURCES.md. Each source file is fetched by raw URL at a fixed commit and
checked against its sha256; a file that fails the check is skipped with a line
saying so, the rest goes on. --mirror reads the same commits from local bare
git copies (ROOT/<owner>+<name>/repo) instead of the network.

The photos are not in the repository: their licences (CC BY-NC, research-only
terms) allow measuring with them, not shipping them. Photos are cropped where a
source frames several things of which only some are masked, and downscaled to
at most 1600 px on the long side (masks resized with them, then thresholded).
`benchmarks/cutout.py --real DIR` measures on the result.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

LONG_SIDE = 1600  # px: the most a photo of the set keeps on its long side

VITON_LICENCE = "CC BY-NC 4.0 (VITON-HD dataset, NeStyle Inc.; Zalando catalogue images)"
CARVANA_LICENCE = "Kaggle Carvana Image Masking Challenge data: competition rules, non-commercial research"
CLEARGRASP_LICENCE = "Apache-2.0 (repository); ClearGrasp dataset, Google"
DIS_LICENCE = "DIS5K Terms of Use (research only; Flickr photos), repository MIT"
GRABCUT_LICENCE = "GrabCut ground-truth database (Rother et al. 2004, Microsoft Research Cambridge): research use; repository has no licence"


@dataclass(frozen=True)
class Source:
    repo: str      # owner/name on GitHub
    commit: str    # 40 hex digits
    path: str      # file inside the repository
    sha256: str    # of the file's bytes as stored

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{urllib.parse.quote(self.path)}"


@dataclass(frozen=True)
class Pair:
    name: str
    kind: str       # "plain-backdrop" (one even backdrop: sweep, sheet, cloth, studio) or "scene"
    shows: str
    licence: str
    image: Source
    mask: Source
    crop: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in px of the source photo


_AGRIKA = ("agrikatheprogrammer/VITON-HD", "7df013e1b0601d1b7418e5565493b20bb5a00002")
_CG = ("Shreeyak/cleargrasp", "0688647e49380139e440bacbe8562132bb2afbd7")
_DIS = ("Tennine2077/DIS-SAM", "af0e0cd7cf5575f3c4c742d31c9a944b6797aa49")
_CARVANA = ("Efesasa0/carvana-unet", "dd32b82095c2b2244cec1de9528582f1f6e5616f")
_GRABCUT = ("anmolagarwal999/GrabCut-based-Image-Segmentation", "01ead718ebd32494359467f6ed3a2534197684c3")


def _viton(name: str, stem: str, shows: str, sha_image: str, sha_mask: str) -> Pair:
    return Pair(name, "plain-backdrop", shows, VITON_LICENCE,
                Source(*_AGRIKA, f"datasets/test/cloth/{stem}.jpg", sha_image),
                Source(*_AGRIKA, f"datasets/test/cloth-mask/{stem}.jpg", sha_mask))


def _cleargrasp(name: str, n: str, kind: str, shows: str, sha_image: str, sha_mask: str,
                crop: tuple[int, int, int, int] | None = None) -> Pair:
    d = "data/sample_dataset/real-val/d435/000000"
    return Pair(name, kind, shows, CLEARGRASP_LICENCE, Source(*_CG, f"{d}{n}-transparent-rgb-img.jpg", sha_image),
                Source(*_CG, f"{d}{n}-mask.png", sha_mask), crop)


def _dis(name: str, stem: str, shows: str, sha_image: str, sha_mask: str) -> Pair:
    d = "IS_Net/DIS5K/DIS5K-test"
    return Pair(name, "plain-backdrop", shows, DIS_LICENCE, Source(*_DIS, f"{d}/im/1#Accessories#1#Bag#{stem}.jpg", sha_image),
                Source(*_DIS, f"{d}/gt/1#Accessories#1#Bag#{stem}.png", sha_mask))


def _carvana(name: str, view: str, shows: str, sha_image: str, sha_mask: str) -> Pair:
    return Pair(name, "plain-backdrop", shows, CARVANA_LICENCE,
                Source(*_CARVANA, f"data/manual_test/0cdf5b5d0ce1_{view}.jpg", sha_image),
                Source(*_CARVANA, f"data/manual_test_masks/0cdf5b5d0ce1_{view}_mask.gif", sha_mask))


def _grabcut(name: str, stem: str, kind: str, shows: str, sha_image: str, sha_mask: str) -> Pair:
    return Pair(name, kind, shows, GRABCUT_LICENCE, Source(*_GRABCUT, f"images/{stem}.jpg", sha_image),
                Source(*_GRABCUT, f"ground_truth/{stem}.bmp", sha_mask))


PAIRS: tuple[Pair, ...] = (
    _viton("garment-stripes", "00008_00", "red long-sleeve top with white stripes and a white logo, on a light-grey sweep",
           "70516f73beb8c275c457a589bc7db74c4f503daa1c0037a7e02dce1b93dedebf",
           "7c0eec8e19f0e3a35874e5dfeae2db7a51d27c25b3b7873eef7eaa02ee2eb70d"),
    _viton("garment-print", "01430_00", "red T-shirt with a large printed picture and white lettering",
           "102023344850da6b07e684913fd379d2d86ce8be5a5b11b9399df1174a2a9fed",
           "0d99269dbd7bc91a0ef83d10a9bfad7f1bbe9b5274f648bdf30ef6cb421b4315"),
    _viton("garment-dots", "06802_00", "navy top with white/silver dots",
           "74f6b37414fdb3a044901a570043287f63574f4b0cf5086f1e7041f6f87c6b2b",
           "04818d9b88e596d546de372dac83acc22ba40c2500d358d23f50aa9bc6d04c9c"),
    _viton("garment-lace", "07429_00", "black top with see-through lace sleeves",
           "2ea5e27f424938f76651139f8f30d5f123b3fb9781b2e50aaf8d017b7490a852",
           "c4976352343f5419b24a7d814db7e5ac1a9ddee917186c7df3df290b2f632518"),
    _viton("garment-grey-cami", "09933_00", "light-grey camisole with white lace and thin straps (light on light)",
           "263c12f70e33180f29766817a9523ac86a972162fcb87acb7d34a2cf11a76a84",
           "37ce2b7403ef6fd6a7036a4ab51e6386c0199f57e79bd14c874e0f8f7a70821e"),
    _viton("garment-black-white-print", "11351_00", "black T-shirt with a small white print on the chest",
           "10af30e7036527e23765cf113fa02b83ef862416e361001905189f5e67feebe2",
           "6ac012eeee8011e3dd0dde5983b95f1643c86caad2bc06ea1779bb111159d7f0"),
    Pair("garment-ck-white-print", "plain-backdrop",
         "black T-shirt with a white 'CALVIN KLEIN JEANS' print and a white neck label", VITON_LICENCE,
         Source("shadow2496/VITON-HD", "39931f54b37db46a5b54ddb65f03ebe48d56a84d", "datasets/cloth/00010_00.jpg",
                "33c965c06f46566adc7fb507f87329ce45a8346ac9ef601c897fd6297ae01c94"),
         Source("shadow2496/VITON-HD", "39931f54b37db46a5b54ddb65f03ebe48d56a84d", "datasets/cloth-mask/00010_00.jpg",
                "64f08a8f780e30c9347b171b791b3421fc9415e972d31aca6eec02e4308dbae4")),
    _carvana("car-front", "01", "dark-blue car, front view, on a studio turntable with lettering on the back wall",
             "1c7241fa4de93aa57510b4d2114247b5cffe97caeb1ff8f341565bbcddd44a4e",
             "816876618977c0cb2e70d8be71fc84a5d787d58f5f1334cde1ca9cd3fa4e8b9a"),
    _carvana("car-side", "04", "the same car, three-quarter side view",
             "c021fe2e0304c7386561adb7a5e70930839cf1a3bdea45b75f08469e2a4d4fee",
             "ada7eaf854cb69b37df5ed6dea66038dc7998fa03bf2432cd559345080669abf"),
    _dis("bag-embroidered", "2339506821_83cf9f1d22_o", "embroidered red bag with a thin wire handle and fringe, on blue cloth",
         "4cb7d3c28db6f3bc4d2227d7551b1ba85abc9d335a1c6a625777de351bb9d469",
         "0ba0b5fd928ea2ce9ed157da546b619785d497cf3c2cd9fb2615020ee6f8e566"),
    _dis("bags-canvas", "3292738108_c51336a8be_o", "two painted canvas bags with rope straps, on a grey surface",
         "2c4229b3b7978308ba3f28903e5a65e2bce7bfa7bd684f53c5bb23f3067dd6c4",
         "b185240429eedb157b82aa365fc7dc4fe2e582de72e122fd4375b215f1e507bc"),
    _cleargrasp("glass-bottles-white-sheet", "153", "plain-backdrop", "three clear plastic bottles lying on a white sheet",
                "dba34756891653254a865944331de31e83983efd26fe7c264a61b04f4e208201",
                "9da0131e319b089a484ed2cb94455f848bda4b693139e9e6e6ba193efe11b077"),
    _cleargrasp("glass-cups-table", "130", "scene", "four clear plastic cups on a dark wooden table (cropped to the cups)",
                "7c68f7b33f4e1777ca571e95d6203b625e47380e2d89e6b85006a8330d2130d4",
                "15fad9a4cdf132759278288d140c73b46a1159c77ce36477f73b65d6aaaf6eae", (729, 36, 1262, 624)),
    _cleargrasp("glass-flowers-table", "123", "scene", "two small clear flower-shaped containers on a dark wooden table (cropped)",
                "66193417d6acc052380061764de79ad038dbcdd2cc1cf0540d3f6829794c4f49",
                "65dea1c7cf37a52a6db267b422467368494a3ac6f3d59d19ac90d9f950501dc8", (745, 107, 1173, 392)),
    _grabcut("banana-table", "banana1", "plain-backdrop", "a ripe banana on a plain orange table",
             "200c21709298155205840885c48b9662108e41d20de7cb43e7bc0d45edf3ca5d",
             "776d5900b72b79d7c9b2ee1c4dd600f6a5f6ab662e3627531f977abecdfaf4db"),
    _grabcut("book-table", "book", "plain-backdrop", "a patterned book on a plain orange table",
             "c91d7d49d17e725388ce4c5cadc1d8dc24b1968d5677ff4944e27c6e79387547",
             "cf650c9de82d7584b9cb5417097272bf76ed30ecf5761cbc144ce5f400272b3f"),
    _grabcut("ceramic-elephant", "ceramic", "plain-backdrop", "a yellow and black ceramic elephant on an orange table",
             "0eaa9bf91b25ecc6f8fa63d7be355610bb626e404ddc7fc37fb91ccf8f08faae",
             "53bbebb1bfe80bc4e0271437d7a1d943860afbc3576fb967483b28013d004627"),
    _grabcut("clay-elephant", "elefant", "plain-backdrop", "a terracotta elephant on an orange table (similar colours)",
             "bd230a8a632825505048b60fae3552bdc8aa3058e7425b1ff1ee7bba5aa77bc4",
             "8b39170cb656edc56a48774e9baeb0d83b817e75ebaf1d06bc27845b3cf7ff66"),
    _grabcut("stone-table", "stone1", "plain-backdrop", "a pale porous stone on an orange table",
             "59a911de40b9b28e785a68abae3122af86cfbf90c8d82166a8ff4e955b0f1a20",
             "d531b38216fce97cc86ccd986609d13d07f9481557dee5988cb80362cfb6fc6e"),
    _grabcut("teddy-red", "teddy", "plain-backdrop", "a small furry toy on a dark red cloth (small photo, soft edge)",
             "79e32836fe1e77978df9384b3871b5916c480c815c1ed6622d41609e04a358cb",
             "cc34b150e6443fdd2772b392f47ab3bd03588710bfa7bf301f84417d241ccbe1"),
    _grabcut("banana-oranges-cloth", "banana2", "scene", "the banana on a busy printed cloth (oranges)",
             "b6fed0efb2e9cf7da9213fdcfdb1131c1d66911facda213643d7180fe35afb4a",
             "87b86134bfe21919854d643dc7d4d96c694bb30f2efa3dc3513757719c158fe9"),
    _grabcut("banana-roses-cloth", "banana3", "scene", "the banana on a busy printed cloth (red roses)",
             "23164ad00760aca8205724b9dfb650cb7f16612c10718f23bdc85c54a47d7ab4",
             "fbd5f798c298930ad85b845cd7b0b4f59200885f51a25a464d6e459dbcd91b6a"),
    _grabcut("scissors-cloth", "scissors", "scene", "scissors with thin blades on a busy printed cloth",
             "40297756fc5e37a752a5cb0fe205058d8c5626e7a7310d0114f088da4b728c3b",
             "c753378941e7bf28972e0763e1df33ebe8393a043563e9459e08d24c042dbb78"),
    _grabcut("stone-cloth", "stone2", "scene", "the pale stone on a busy printed cloth",
             "9aeb23a60649323587bd7977ba6111bf215fde88de69e2edc89eeede311e2f7d",
             "e04175f6cff04ff5946d6a15de543e4a56d277ba06cb56b7ec904729e703c3f5"),
    _grabcut("castanets-cloth", "music", "scene", "glossy wooden castanets on a busy printed cloth",
             "6f0f0ec5e7bbfdc6ef2ebe99d033b5b8896d4da6517279205f05a5c8ab00ad1b",
             "a6506192406eefabacfe789da0d044a71dbd3d7f5b6e2bb75ae2c08c612c23f6"),
)


ABO_LICENCE = "CC BY 4.0, Amazon.com (Amazon Berkeley Objects dataset)"
_ABO = ("aws-samples/aws-smart-product-onboarding", "8091f49c9dd8df707d56f7b759e8a46662ae7aa9")

# Real product photos on white without masks (to run and look at): written as DIR/unmasked/NAME.jpg.
UNMASKED: tuple[tuple[str, str, Source], ...] = tuple(
    (f"abo-{item}-{stem}", shows, Source(*_ABO, f"samples/{item}/{stem}.jpg", sha)) for item, stem, shows, sha in (
        ("B074M5HPBD", "9ea6992d", "sixteen white LED bulbs in a grid",
         "167d2559a769529ac221dfe8c4160bd2f37200b3a959a60fb01534728a0ab0ff"),
        ("B074M5HPBD", "dcace9b5", "one white LED bulb (white on white)",
         "24de47769e21fb134f1c8a9e2270c965bda97bc632800bef3e8beb475428bba4"),
        ("B0799CK52K", "25ffa37c", "a man in black carrying a grey sports bag",
         "2f71946e0a6d71555ac2daaa8a781daaf11ffe696fb0e1264cf30a4375e49b41"),
        ("B0799CK52K", "528c608a", "grey sports bag with black 'STARTER' straps",
         "f9c3dc12782568327365aba639701bc8c5b542460508cf27d28d39ad43d55594"),
        ("B0799CK52K", "d80a51d3", "the bag, another view",
         "7caea82fac2f114e55ab2ceeda210c4d472d02e48cbbfa4b747f0a5835cec8b6"),
        ("B07GTFSCHB", "844a1cce", "a vitamin jar with a black-and-yellow label",
         "3144ecdd6ed65c83e0fdf84cbc56e18e15e296413aac309b50c283946259496e"),
    ))


def read_source(src: Source, mirror: Path | None) -> bytes:
    """The file's bytes, from the local git copy under `mirror` or from its raw URL."""
    if mirror:
        git_dir = mirror / src.repo.replace("/", "+") / "repo"
        return subprocess.run(["git", "-C", str(git_dir), "show", f"{src.commit}:{src.path}"],
                              check=True, capture_output=True).stdout
    with urllib.request.urlopen(src.url, timeout=60) as r:
        return r.read()


def true_mask(data: bytes) -> np.ndarray:
    """Product pixels of a stored mask (grey, palette or GIF; JPEG masks carry ringing): bool."""
    img = Image.open(io.BytesIO(data))
    grey = np.asarray(img.convert("L"), dtype=np.uint8)
    return grey >= 128


def build_pair(pair: Pair, image: bytes, mask: bytes) -> tuple[Image.Image, Image.Image]:
    """The photo (RGB, long side <= LONG_SIDE) and its mask (L, 0/255, same size)."""
    photo = Image.open(io.BytesIO(image)).convert("RGB")
    truth = true_mask(mask)
    if truth.shape != (photo.height, photo.width):
        raise ValueError(f"{pair.name}: mask {truth.shape[::-1]} is not the photo's size {photo.size}")
    m = Image.fromarray((truth * 255).astype(np.uint8))
    if pair.crop:
        photo, m = photo.crop(pair.crop), m.crop(pair.crop)
    scale = min(1.0, LONG_SIDE / max(photo.size))
    if scale < 1:
        size = (round(photo.width * scale), round(photo.height * scale))
        photo = photo.resize(size, Image.LANCZOS)
        m = Image.fromarray(((np.asarray(m.resize(size, Image.BILINEAR)) >= 128) * 255).astype(np.uint8))
    return photo, m


def sources_md(pairs: tuple[Pair, ...], unmasked: tuple = ()) -> str:
    lines = ["# Real photos with true masks, for `benchmarks/cutout.py --real`", "",
             "Built by `benchmarks/fetch_cutout_real.py` (each source file at a fixed commit, sha256-checked).",
             "For measuring only: none of these may be shipped with imgpipe (licences below).", "",
             "| name | kind | shows | repository @ commit | photo / mask path | licence | crop |",
             "|---|---|---|---|---|---|---|"]
    for p in pairs:
        crop = "x0,y0,x1,y1 = " + ",".join(map(str, p.crop)) if p.crop else ""
        lines.append(f"| {p.name} | {p.kind} | {p.shows} | {p.image.repo} @ {p.image.commit[:12]} | "
                     f"`{p.image.path}` / `{p.mask.path}` | {p.licence} | {crop} |")
    if unmasked:
        lines += ["", "Without masks (`unmasked/`, run and looked at only):", "",
                  "| name | shows | repository @ commit | path | licence |", "|---|---|---|---|---|"]
        lines += [f"| {name} | {shows} | {src.repo} @ {src.commit[:12]} | `{src.path}` | {ABO_LICENCE} |"
                  for name, shows, src in unmasked]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write images/, masks/ and SOURCES.md into")
    ap.add_argument("--mirror", type=Path, help="read sources from local git copies ROOT/<owner>+<name>/repo")
    ap.add_argument("--only", help="only pairs whose name contains this")
    args = ap.parse_args(argv)
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    (args.out / "masks").mkdir(parents=True, exist_ok=True)
    done, failed = [], 0
    for pair in PAIRS:
        if args.only and args.only not in pair.name:
            continue
        try:
            blobs = [read_source(s, args.mirror) for s in (pair.image, pair.mask)]
            for src, blob in zip((pair.image, pair.mask), blobs):
                got = hashlib.sha256(blob).hexdigest()
                if got != src.sha256:
                    raise ValueError(f"sha256 of {src.url} is {got}, expected {src.sha256}")
            photo, mask = build_pair(pair, *blobs)
        except Exception as exc:  # noqa: BLE001 - one bad source must not stop the set
            failed += 1
            print(f"skipped {pair.name}: {exc}", file=sys.stderr)
            continue
        photo.save(args.out / "images" / f"{pair.name}.jpg", quality=95)
        mask.save(args.out / "masks" / f"{pair.name}.png")
        done.append(pair)
        print(f"{pair.name:28s} {pair.kind:15s} {photo.width}x{photo.height}")
    plain = []
    (args.out / "unmasked").mkdir(exist_ok=True)
    for name, shows, src in UNMASKED:
        if args.only and args.only not in name:
            continue
        try:
            blob = read_source(src, args.mirror)
            if hashlib.sha256(blob).hexdigest() != src.sha256:
                raise ValueError(f"sha256 of {src.url} is not {src.sha256}")
        except Exception as exc:  # noqa: BLE001
            failed += 1
            print(f"skipped {name}: {exc}", file=sys.stderr)
            continue
        (args.out / "unmasked" / f"{name}.jpg").write_bytes(blob)
        plain.append((name, shows, src))
    (args.out / "SOURCES.md").write_text(sources_md(tuple(done), tuple(plain)), encoding="utf-8")
    print(f"{len(done)} pairs and {len(plain)} photos without masks written to {args.out}, {failed} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

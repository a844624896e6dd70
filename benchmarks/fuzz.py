"""Fuzz load_photo (mutated JPEG/PNG/TIFF bytes) and parse_rows for minutes, by hand.

    python benchmarks/fuzz.py --minutes 3

Any exception other than ImgpipeError is a finding: printed with the input
saved under --findings (default /tmp/imgpipe-fuzz/). Plain random mutation
(bit flips, byte runs, cuts, splices), no coverage guidance: hypothesis is
too slow per example for image decoding, atheris is not required.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import sys
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from imgpipe.errors import ImgpipeError  # noqa: E402
from imgpipe.imageio import load_photo  # noqa: E402
from imgpipe.sheet import parse_rows  # noqa: E402


def seeds() -> list[bytes]:
    from corpus import cases

    out = [c.data for c in cases() if c.data]
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    for fmt, kw in (("JPEG", {"quality": 80}), ("PNG", {}), ("TIFF", {}), ("JPEG", {"progressive": True})):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        out.append(buf.getvalue())
    return out


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        if not b:
            b = bytearray(rng.choice(pool))
        if op < 0.4:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        elif op < 0.6:
            i = rng.randrange(len(b))
            b[i:i + rng.randint(1, 8)] = bytes(rng.choice([0, 0xFF, 0x7F, 0x80]) for _ in range(rng.randint(1, 8)))
        elif op < 0.75:
            b = b[: rng.randrange(len(b) + 1)]
        elif op < 0.9:
            other = rng.choice(pool)
            i, j = rng.randrange(len(b) + 1), rng.randrange(len(other) + 1)
            b = b[:i] + other[j:j + rng.randint(1, 256)] + b[i:]
        else:  # big numbers in headers: sizes, lengths
            i = rng.randrange(len(b))
            b[i:i + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x00\x01\x00\x00"])
    return bytes(b)


CELLS = [None, "", "A1023", "../x", "a/b", "CON", "Ａ１０２３", "=1/0", "2026-02-30", 46000, 1e308, -1, float("nan"),
         True, "\x00", "长(cm)", "货号", "颜色", "红/白;蓝", "¥12,000", "9" * 400]


def random_rows(rng: random.Random) -> list[list]:
    header = ["货号", "名称", "类目", "颜色", "尺码", "长", "到货日期", "价格", "卖点"]
    if rng.random() < 0.3:
        rng.shuffle(header)
    rows = [header] if rng.random() < 0.9 else []
    for _ in range(rng.randint(0, 12)):
        rows.append([rng.choice(CELLS) if rng.random() < 0.7 else
                     "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 12)))
                     for _ in range(rng.randint(0, 12))])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--findings", type=Path, default=Path("/tmp/imgpipe-fuzz"))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rng = random.Random(args.seed)
    pool = seeds()
    end = time.monotonic() + args.minutes * 60
    execs = {"load_photo": 0, "parse_rows": 0}
    findings: dict[str, str] = {}
    while time.monotonic() < end:
        data = mutate(rng.choice(pool), rng, pool)
        try:
            load_photo(data, max_megapixels=40, min_long_side=rng.choice([0, 0, 32]), name="fuzz")
        except ImgpipeError:
            pass
        except Exception as exc:  # a finding
            key = f"load_photo:{type(exc).__name__}:{traceback.extract_tb(exc.__traceback__)[-1][:2]}"
            if key not in findings:
                args.findings.mkdir(parents=True, exist_ok=True)
                path = args.findings / (hashlib.sha256(data).hexdigest()[:12] + ".bin")
                path.write_bytes(data)
                findings[key] = f"{exc!r} ({path})"
                print("FINDING", key, findings[key], flush=True)
        execs["load_photo"] += 1
        rows = random_rows(rng)
        try:
            parse_rows(rows)
        except ImgpipeError:
            pass
        except Exception as exc:
            key = f"parse_rows:{type(exc).__name__}:{traceback.extract_tb(exc.__traceback__)[-1][:2]}"
            if key not in findings:
                findings[key] = f"{exc!r} rows={rows!r}"[:500]
                print("FINDING", key, findings[key], flush=True)
        execs["parse_rows"] += 1
    print(f"executions: {execs}, distinct findings: {len(findings)}")
    for key, what in findings.items():
        print(" ", key, "->", what)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

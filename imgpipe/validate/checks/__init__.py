"""The check families, one module each; every module's `check(validator, inputs)` returns a CheckResult.

A new check is a module here, an entry in REGISTRY and its id in model.CHECKS
(the report's column order), with its texts under `validate.<code>` in messages.py.
"""

from __future__ import annotations

from imgpipe.validate.checks import (
    backup, counts, data, framing, freshness, marks, naming, pairing, quality, sizes, soldout,
)

# soldout runs before freshness: it notes the outputs whose staleness it explains
REGISTRY = {
    "naming": naming.check, "counts": counts.check, "sizes": sizes.check, "marks": marks.check,
    "data": data.check, "pairing": pairing.check, "framing": framing.check, "soldout": soldout.check, "backup": backup.check, "quality": quality.check,
    "freshness": freshness.check,
}

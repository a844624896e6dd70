"""Colour true to the object (R8): cast removal, grey card, colour chart, ΔE2000.

All correction arithmetic happens in *linear* sRGB light (decode, correct,
encode): a white-balance gain is a physical multiplier of light only there.

Layers (each module imports only the ones above it):

- `maths`: sRGB encode/decode, Lab, CIEDE2000, angular error, CCT/tint;
- `correction`: the `Correction` record and `apply_correction`;
- `light`: estimating the light without a reference (`estimate_auto`);
- `chart`: the ColorChecker: reference values, `find_chart`, `fit_chart`,
  `correction_from_chart`;
- `reference`: grey card, `detect_reference`, reference file names.

Everything is pure (arrays in, values out; no I/O). Images are numpy uint8
HxWx3 RGB sRGB (0-255) unless a docstring says linear float (0-1).
"""

from imgpipe.colour.maths import (  # noqa: F401
    DECODE_LUT, RGB_TO_XYZ, XYZ_TO_RGB, Y_WEIGHTS, rgb_to_uv, srgb_decode, srgb_encode,
    angular_error, cct_and_tint, delta_e_2000, illuminant_rgb, linear_to_lab, linear_to_srgb,
    srgb_to_lab, srgb_to_linear,
)
from imgpipe.colour.correction import (  # noqa: F401
    Correction, ReferenceNotFound, ReferenceRejected, check_image, gains_from_light, proxy_image,
    apply_correction, apply_curve, terms,
)
from imgpipe.colour.light import (  # noqa: F401
    BACKDROP_TARGET, SMOOTH_TEXTURE, WHITE_OK, estimate_auto, grey_edge, shades_of_grey, surface_texture,
)
from imgpipe.colour.chart import (  # noqa: F401
    CHART_PATCH_NAMES, CHART_REFERENCE_LAB_D50, CHART_REFERENCE_LINEAR, GREY_ROW, ChartFound,
    MAX_LOO_MEAN_DE, ChartFit, sample_chart, best_chart_fit, chart_delta_e, correction_from_chart, find_chart,
    fit_chart, leave_one_out,
)
from imgpipe.colour.reference import (  # noqa: F401
    GREY_CARD_NOMINAL, correction_from_grey_card, correction_from_reference, detect_reference,
    is_reference_name,
)

__all__ = [
    "Correction", "ReferenceNotFound", "ReferenceRejected",
    "srgb_to_linear", "linear_to_srgb", "srgb_to_lab", "linear_to_lab", "delta_e_2000",
    "estimate_auto", "shades_of_grey", "correction_from_grey_card", "correction_from_chart", "correction_from_reference",
    "find_chart", "fit_chart", "detect_reference", "is_reference_name", "apply_correction",
    "cct_and_tint", "illuminant_rgb", "angular_error",
    "CHART_REFERENCE_LINEAR", "CHART_REFERENCE_LAB_D50", "BACKDROP_TARGET", "GREY_CARD_NOMINAL",
]

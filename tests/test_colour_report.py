"""The colour line per article (issue 29): method, the reference's ΔE2000, the cast left -- report and workbench."""

from types import SimpleNamespace

from imgpipe import colour as C
from imgpipe.validate.model import colour_summary
from imgpipe.validate.report import colour_line


def row(kind, corr):
    return SimpleNamespace(kind=kind, analysis={"correction": corr.to_dict()}, source_name="x.jpg")


def test_colour_line_names_methods_reference_and_cast_left():
    chart = C.Correction(method="chart", fit={"loo_mean_de": 2.345, "model": "3x3"})
    photos = [row("reference", chart),
              row("photo", C.Correction(method="chart")), row("photo", C.Correction(method="chart")),
              row("photo", C.Correction(method="none", cast_left_deg=4.26)),
              SimpleNamespace(kind="photo", analysis=None, source_name="not analysed yet.jpg")]
    s = colour_summary(photos)
    assert s == {"methods": {"chart": 2, "none": 1}, "reference_de": 2.345, "cast_left_deg": 4.26,
                 "cast_left_photos": 1}
    assert colour_line(s, "en") == "colour: chart ×2, not corrected ×1; reference ΔE2000 2.35; cast left up to 4.3° (1 photos)"
    assert colour_line(s, "zh") == "颜色：色卡 ×2、未校色 ×1；参考 ΔE2000 2.35；残余色偏 最大 4.3°（1 张）"


def test_colour_line_without_reference_or_cast_and_without_photos():
    s = colour_summary([row("photo", C.Correction(method="backdrop"))])
    assert colour_line(s, "en") == "colour: backdrop ×1; reference ΔE2000 —; cast left none"
    assert colour_line(colour_summary([]), "en") == ""

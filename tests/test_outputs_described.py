"""Outputs described once: the catalog's typed output record and roles that describe themselves to
every reader (workbench, detail pages, validation, status board, report), for the built-in roles and
for the roles a profile adds with `like`."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from conftest import drop_photos
from imgpipe.catalog import Catalog
from imgpipe.pipeline import run
from imgpipe.roles import ROLE_ORDER, ROLES, kinds, label_of
from imgpipe.validate import Validator, validate_workspace
from imgpipe.workspace import Workspace

PACKAGE = Path(__file__).resolve().parents[1] / "imgpipe"

# Strings equal to a role name that are something else (each says what), and the naming code.
NOT_ROLES = {
    ("cli.py", "main"): "click's command group",
    ("colour_names.py", "white"): "a colour word",
    ("detail_page.py", "large"): "a detail-page section (profile detail_page.sections)",
    ("pages.py", "large"): "a detail-page section",
    ("profiles.py", "white"): "a shape (render.SHAPES)",
    ("profiles.py", "transparent"): "a shape",
    ("render.py", "white"): "a shape",
    ("render.py", "transparent"): "a shape",
    ("sheet.py", "sku"): "a sheet column header",
    ("watch.py", "detail"): "an event's field",
    ("web/app.py", "main"): "a workbench fix action (Role.fix)",
    ("web/app.py", "white"): "a workbench fix action",
    ("web/app.py", "large"): "a workbench fix action",
    ("web/app.py", "sku"): "a workbench fix action",
    ("web/app.py", "selling_point"): "a workbench fix action",
    ("review.py", "main"): "a workbench fix action, as the history names it",
    ("review.py", "white"): "a workbench fix action",
    ("review.py", "large"): "a workbench fix action",
    ("review.py", "sku"): "a workbench fix action",
    ("review.py", "selling_point"): "a workbench fix action",
    ("review.py", "detail"): "an activity entry's field",
    ("catalog.py", "detail"): "the activity log's column",
}
NAMING_CODE = {"roles.py", "messages.py", "validate/checks/naming.py"}


def test_no_role_name_literal_and_no_name_parsing_outside_the_registry():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in NAMING_CODE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value in ROLES and (rel, node.value) not in NOT_ROLES:
                found.append(f"{rel}:{node.lineno} {node.value!r}")
            if "-sp" in node.value:  # a selling point's number parsed back out of its file name
                found.append(f"{rel}:{node.lineno} {node.value!r}")
    assert not found, "read roles.ROLES / catalog.OutputRecord instead:\n" + "\n".join(found)


def test_one_order_and_every_role_labelled_in_both_languages():
    from imgpipe.messages import MESSAGES

    assert ROLE_ORDER == tuple(sorted(ROLES, key=lambda r: ROLES[r].order)) and len(set(ROLE_ORDER)) == len(ROLES)
    for role in ROLES.values():
        assert role.label in MESSAGES and role.label + "_group" in MESSAGES, role.name
    assert kinds("header") == ("main",) and kinds("details") == ("detail",)
    assert ROLES["transparent"].checks == {"framed", "cut_out", "alpha"}
    assert ROLES["large"].checks == {"text"}


def test_a_like_roles_label_is_its_kinds_label_and_shape():
    from imgpipe.profiles import RoleSpec

    assert label_of("main_34", RoleSpec(width=750, height=1000, like="main"), group=True) == "主图（3:4）"
    assert label_of("large_750", RoleSpec(width=750, like="large")) == "大图（750 px）"
    assert label_of("sku", None, colour="红色") == "SKU 红色"


# the built-in 3:4 main (main_3x4) off: this shop's own roles are what is described here
LIKE_ROLES = ("[roles.main_3x4]\nenabled = false\n[roles.main_34]\nlike = \"main\"\nwidth = 750\nheight = 1000\ncount = 2\n"
              "[roles.large_750]\nlike = \"large\"\nwidth = 750\n")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """One article, 3 photos, run for Tmall with a 3:4 main image and a second large image."""
    from conftest import PRODUCT_ROW, write_sheet
    from imgpipe.workspace import init_workspace

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMGPIPE_NOW", "2026-11-26T10:00:00")
        mp.setenv("IMGPIPE_BROWSER", "none")
        root = tmp_path_factory.mktemp("described") / "shop"
        init_workspace(root)
        write_sheet(root, [PRODUCT_ROW])
        toml = root / "imgpipe.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("jobs = 0", "jobs = 1"), encoding="utf-8")
        (root / "profiles" / "tmall.toml").write_text(LIKE_ROLES, encoding="utf-8")
        drop_photos(root, count=3)
        ws = Workspace.open(root)
        assert run(ws, platforms=["tmall"], backup=False).ok
        ws.catalog.close()
        yield root


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_the_catalog_keeps_the_planners_record(shop):
    cat = Catalog(shop / ".imgpipe" / "catalog.sqlite")
    try:
        records = cat.outputs("A1023", "tmall")
        by_role = {}
        for r in records:
            by_role.setdefault(r.role, []).append(r)
        assert set(by_role) >= set(ROLES) | {"main_34", "large_750"}
        assert {r.kind for r in by_role["main_34"]} == {"main"} and {r.kind for r in by_role["large_750"]} == {"large"}
        assert {r.colour for r in by_role["sku"]} == {"白色", "藏青", "红色"}
        assert sorted(r.selling_point for r in by_role["selling_point"]) == [1, 2, 3, 4, 5]
        assert {r.size for r in by_role["main_34"]} == {(750, 1000)} and {r.size for r in by_role["detail"]} == {(790, 0)}
        assert {r.fmt for r in by_role["transparent"]} == {"png"}
        for r in records:
            assert r["path"] == r.path and (r.width, r.height) != (None, None)
            assert r.seq is not None and r.path.split("/")[-1].startswith(f"A1023-{r.seq:02d}") or r.kind == "main"
        # the kind filter: a profile's own role comes back with the one it works like
        assert {r.role for r in cat.outputs("A1023", kind="main")} == {"main", "main_34"}
        assert cat.outputs(platform="jd") == []
    finally:
        cat.close()


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_a_catalog_from_before_the_record_is_migrated_and_filled_in_by_the_next_run(shop, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(shop, root)
    path = root / ".imgpipe" / "catalog.sqlite"
    cat = Catalog(path)
    wanted = {r.path: (r.kind, r.colour, r.selling_point) for r in cat.outputs()}
    # as version 1 left it: no kind, no job columns
    cat.db.executescript("CREATE TABLE o AS SELECT path, platform, article, role, photo_id, fingerprint, sha256, width,"
                         " height, bytes, quality, meta, updated_at FROM outputs; DROP TABLE outputs;"
                         " ALTER TABLE o RENAME TO outputs; UPDATE meta SET value='1' WHERE key='schema_version';")
    cat.close()
    ws = Workspace.open(root)
    migrated = ws.catalog.outputs()
    assert len(migrated) == len(wanted) and all(r.kind == r.role for r in migrated)  # kind: the folder's name
    assert not [r for r in migrated if r.colour or r.selling_point]  # nothing parsed back out of file names
    summary = run(ws, platforms=["tmall"], backup=False)
    assert summary.ok and not summary.written  # nothing redrawn ...
    assert {r.path: (r.kind, r.colour, r.selling_point) for r in ws.catalog.outputs()} == wanted  # ... all known


def test_workbench_shows_every_role_and_the_like_roles(shop):
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    with TestClient(create_app(shop), client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765") as c:
        r = c.get("/a/A1023")
        icon = c.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert r.status_code == 200, r.text[:2000]
    for heading in ("主图", "白底图", "透明素材图", "大图", "SKU 图（每个颜色一张）", "卖点图", "细节图",
                    "主图（3:4）", "大图（750 px）"):
        assert f"<h3>{heading} <small>" in r.text, heading
    groups = [line.split('role-', 1)[1].split('"', 1)[0] for line in r.text.splitlines() if 'class="role role-' in line]
    assert groups == ["main", "main_34", "white", "transparent", "large", "large_750", "sku", "selling_point", "detail"]
    assert "SKU 藏青" in r.text and "卖点 3" in r.text  # badges from the record, not the file names
    # the main order the fixes start from: the main images' photos once each, not the 3:4 role's again
    assert 'class="main-order" data-auto="1,2,3"' in r.text


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_validation_and_report_list_the_like_roles(shop, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(shop, root)
    ws = Workspace.open(root)
    result = validate_workspace(ws, platforms=["tmall"])
    report = json.loads(next(r.json for r in result.reports).read_text(encoding="utf-8"))
    images = next(a for a in report["articles"] if a["article"] == "A1023")["images"]
    roles = list(dict.fromkeys(i["role"] for i in images))
    assert roles == ["main", "main_34", "white", "transparent", "large", "large_750", "sku", "selling_point",
                     "detail", "page"][: len(roles)] and "main_34" in roles
    html = next(r.html for r in result.reports).read_text(encoding="utf-8")
    assert "主图（3:4）" in html and "大图（750 px）" in html


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_soldout_check_checks_a_like_large_role(shop, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(shop, root)
    ws = Workspace.open(root)
    ws.catalog.set_soldout("A1023", "", "XL", True)  # sold out after the run: both large images are stale
    profile = ws.enabled(["tmall"])["tmall"]
    findings = Validator(ws, platforms=["tmall"]).validate_article("A1023", profile).checks["soldout"].findings
    flagged = {Path(f.file).parent.name for f in findings if f.code == "overlay_missing"}
    assert flagged == {"large", "large_750"}


# --- one input gate: the decoder registry ---------------------------------------------------------


def _avif(seed: int) -> bytes:
    import io

    from PIL import Image

    from corpus import photo

    buf = io.BytesIO()
    Image.fromarray(photo(seed)).save(buf, "AVIF")
    return buf.getvalue()


def test_the_registry_names_every_format_its_decoders_read():
    from corpus import dng_bytes, jpeg, layered_psd, photo
    from imgpipe.decoders import PHOTO_EXTENSIONS, REGISTRY, decoder_for, extension_for

    assert PHOTO_EXTENSIONS == frozenset().union(*(d.extensions for d in REGISTRY.values()))
    made = {".jpg": jpeg(1), ".dng": dng_bytes(photo(2)), ".psd": layered_psd(photo(3)), ".avif": _avif(4)}
    for ext, data in made.items():
        assert decoder_for(ext, data, f"x{ext}").name == {".dng": "raw", ".psd": "psd"}.get(ext, "pillow")
        # a nameless upload is named for what it is (a DNG is a TIFF inside: .tif, which Pillow reads too)
        assert extension_for(data[:64]) == {".dng": ".tif"}.get(ext, ext)
    assert extension_for(b"\x00\x00\x00\x18ftypmp42" + bytes(40)) is None   # a phone's video
    assert extension_for(b"%PDF-1.7\n" + bytes(40)) is None
    assert extension_for(b"\x00" * 64, "IMG_0001.CRW") == ".crw"            # LibRaw knows it by its name


def test_ingest_watch_and_upload_take_what_the_decoders_read(workspace, tmp_path):
    from corpus import dng_bytes, layered_psd, photo
    from imgpipe.decoders import is_photo_name, unsupported_reason
    from imgpipe.web.uploads import store_uploads

    class Upload:  # what the workbench's parser hands store_uploads: a part streamed to a temporary file
        def __init__(self, name, data):
            temp = tmp_path / f".upload-{len(list(tmp_path.iterdir()))}.part"
            temp.write_bytes(data)
            self.filename, self.size, self.file = name, len(data), temp.open("rb")

    files = {"a.avif": _avif(5), "b.dng": dng_bytes(photo(6)), "c.psd": layered_psd(photo(7)), "blob": _avif(8),
             "notes.txt": b"hello"}
    result = store_uploads(workspace, "A1023", [Upload(n, d) for n, d in files.items()], 50 << 20)
    assert sorted(result["stored"]) == ["inbox/A1023/a.avif", "inbox/A1023/b.dng", "inbox/A1023/blob.avif",
                                        "inbox/A1023/c.psd"]
    assert [r["file"] for r in result["refused"]] == ["notes.txt"]
    for name in ("a.avif", "b.dng", "c.psd"):
        assert is_photo_name(Path(name)) and unsupported_reason(Path(name)) is None  # ingest's and the watcher's
    ws = Workspace.open(workspace)
    summary = run(ws, platforms=["tmall"], backup=False)
    archived = sorted(p.source_name for p in ws.catalog.photos("A1023"))
    assert archived == ["a.avif", "b.dng", "blob.avif", "c.psd"], summary.failed

"""Two languages: `language` for the interface, `listing_language` for what customers see.

Worker processes get the interface language passed in, and messages keep
their key and arguments across processes, so a front end shows them in its
own language.
"""

import hashlib
import pickle
import re

import pytest

from imgpipe.errors import ImgpipeError
from imgpipe.messages import Text, get_language, localise, set_language, t, t_in
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from conftest import drop_photos, jpeg_bytes, studio_photo

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture(autouse=True)
def restore_language():
    before = get_language()
    yield
    set_language(before)


def set_toml(root, **values):
    path = root / "imgpipe.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path.write_text(text, encoding="utf-8")


def test_a_message_keeps_its_key_and_arguments_across_pickling():
    set_language("zh")
    err = ImgpipeError(t("image.unreadable", detail="bad"), file="x.jpg", fix=t("image.unreadable.fix"))
    record = pickle.loads(pickle.dumps(err.as_dict()))
    assert isinstance(record["message"], Text)
    assert record["message"] == "无法解码图片：bad"
    assert record["key"] == "image.unreadable" and record["args"] == {"detail": "bad"}
    assert localise(record["message"], "en") == "cannot decode the image: bad"
    assert localise(record["fix"], "en") == t_in("en", "image.unreadable.fix")
    assert localise("plain text", "en") == "plain text"
    # a message inside a message follows the language too
    nested = t("watch.failed", detail=t("image.empty"))
    assert localise(pickle.loads(pickle.dumps(nested)), "en") == "failed: the file is empty (0 bytes)"


def test_english_interface_gets_english_reasons_from_two_workers(workspace):
    set_toml(workspace, language='"en"', jobs="2")
    drop_photos(workspace, count=2)
    inbox = workspace / "inbox"
    (inbox / "A1023_empty.jpg").write_bytes(b"")
    (inbox / "A1023_text.jpg").write_bytes("不是图片".encode())
    good = jpeg_bytes(studio_photo(seed=3))
    (inbox / "A1023_cut.jpg").write_bytes(good[: len(good) // 3])
    set_language("zh")  # whatever the process had before: the workspace's setting wins
    ws = Workspace.open(workspace)
    summary = run(ws, platforms=["tmall"], jobs=2, backup=False)
    reasons = {p.path.name: (p.reason, p.fix) for p in summary.ingest.pending}
    assert set(reasons) == {"A1023_empty.jpg", "A1023_text.jpg", "A1023_cut.jpg"}
    for name, (reason, fix) in reasons.items():
        assert reason and not CJK.search(reason.replace("不是图片", "")), (name, reason)
        assert not fix or not CJK.search(fix), (name, fix)
    assert reasons["A1023_empty.jpg"][0] == "the file is empty (0 bytes)"
    # the same records shown by a Chinese front end are Chinese
    assert localise(summary.ingest.pending[0].reason, "zh") != summary.ingest.pending[0].reason
    assert len(summary.written) > 0


def _large_and_page(root):
    large = sorted((root / "output" / "tmall").rglob("large/*.jpg"))
    page = (root / "output" / "tmall" / "A1023" / "page" / "index.html").read_text(encoding="utf-8")
    return hashlib.sha256(large[0].read_bytes()).hexdigest(), page


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_listing_language_decides_the_text_customers_see(tmp_path):
    from conftest import PRODUCT_ROW, write_sheet
    from imgpipe.workspace import init_workspace

    made = {}
    for name, language, listing in (("zh", '"zh"', '"zh"'), ("en_ui", '"en"', '"zh"'), ("en_all", '"en"', '"en"')):
        root = tmp_path / name
        init_workspace(root)
        write_sheet(root, [PRODUCT_ROW])
        set_toml(root, language=language, listing_language=listing, jobs="2")
        drop_photos(root, count=2)
        summary = run(Workspace.open(root), platforms=["tmall"], backup=False)
        assert summary.ok, summary.failed
        made[name] = _large_and_page(root)
    # an English interface leaves the Chinese listing as it is, byte for byte
    assert made["en_ui"][0] == made["zh"][0]
    assert t_in("zh", "detail.label.specs") in made["en_ui"][1]
    assert t_in("en", "detail.label.specs") not in made["en_ui"][1]
    # an English listing draws other text on the large image and the page
    assert made["en_all"][0] != made["zh"][0]
    assert t_in("en", "detail.label.specs") in made["en_all"][1]


def test_listing_language_is_checked(workspace):
    from imgpipe.errors import ConfigError

    set_toml(workspace, listing_language='"fr"')
    with pytest.raises(ConfigError) as info:
        Workspace.open(workspace)
    assert info.value.field == "listing_language"

"""Role assignment and colour sharing rules, on catalog rows made by hand."""

from dataclasses import replace

from imgpipe.catalog import PhotoRow
from imgpipe.context import article_context, plan_article
from imgpipe.profiles import load_profile
from imgpipe.roles import MIN_SHARED_RUN, photo_subject, shared_run
from imgpipe.settings import Settings
from imgpipe.sheet import Product
from imgpipe.sidecar import Sidecar

PRODUCT = Product(article="A1", name="衬衫", category="服装", colours=("红色", "藏青"),
                  selling_points=tuple(f"卖点{i}" for i in range(5)))


def photo(seq, method="backdrop", gains=(1.2, 1.0, 0.8), box=(0.2, 0.2, 0.8, 0.8), kind="photo", backdrop=0.5):
    analysis = {"correction": {"gains": list(gains), "exposure": 1.0, "method": method},
                "box": list(box), "size": [1000, 800], "backdrop": backdrop, "box_confident": True}
    return PhotoRow(seq, "A1", seq, ".jpg", f"sha{seq}", f"originals/x/A1-{seq:02d}.jpg", f"{seq}.jpg",
                    None, kind, analysis, "k")


def test_roles_whole_shots_first_cleanest_backdrop_white_references_never_published():
    photos = [photo(1, box=[0, 0, 1, 1]), photo(2, backdrop=0.4), photo(3, backdrop=0.9),
              photo(4, kind="reference"), photo(5)]
    profile = load_profile("tmall")
    jobs = plan_article(article_context(PRODUCT, photos), profile, Settings())
    by_role = {}
    for job in jobs:
        by_role.setdefault(job.role, []).append(job)
    # whole shots first, the close-up (photo 1) last; files named by slot, so 主图1 is never the close-up
    assert [j.seq for j in by_role["main"]] == [2, 3, 5, 1]
    assert [j.path.rsplit("/", 1)[1] for j in by_role["main"]] == ["A1-01.jpg", "A1-02.jpg", "A1-03.jpg", "A1-04.jpg"]
    assert [j.photo_id for j in by_role["white"]] == [3]
    assert all(j.photo_id != 4 for j in jobs)
    assert len(by_role["selling_point"]) == 5 and len(by_role["sku"]) == 2
    assert len({j.path for j in jobs}) == len(jobs)


def test_sold_out_colour_goes_on_its_sku_image_only_unless_the_sidecar_says_more():
    photos = [photo(1), photo(2), photo(3)]
    profile = load_profile("tmall")
    settings = Settings()
    jobs = plan_article(article_context(PRODUCT, photos, sold=[("红色", "")]), profile, settings)
    marked = {j.path.split("/", 3)[3] for j in jobs if j.params["overlays"]}
    assert marked == {"sku/A1-01-红色.jpg"}
    sidecar = Sidecar(colours={"红色": [2]})
    jobs = plan_article(article_context(PRODUCT, photos, sidecar=sidecar, sold=[("红色", "")]), profile, settings)
    marked = {j.path.split("/", 3)[3] for j in jobs if j.params["overlays"]}
    assert "sku/A1-02-红色.jpg" in marked and "main/A1-02.jpg" in marked and "main/A1-01.jpg" not in marked


def test_selling_points_go_to_photos_named_after_them_then_to_close_ups():
    """Designers name shots after what they show (`B2045-把手.jpg`): a point about the handle goes to
    that photo even when it is not a close-up; the rest take close-ups first, each photo once."""
    mug = Product(article="B2045", name="马克杯", category="家居", colours=("白色",),
                  selling_points=("高温烧制陶瓷", "釉下彩工艺", "人体工学把手，握感舒适", "手工捻制流苏"))
    names = {1: "B2045_正面.jpg", 2: "B2045 细节.jpg", 3: "B2045-把手.jpg", 4: "IMG_0007.jpg"}
    photos = [replace(photo(seq, box=(0, 0, 1, 1) if seq == 2 else (0.2, 0.2, 0.8, 0.8)), source_name=name)
              for seq, name in names.items()]
    jobs = plan_article(article_context(mug, photos), load_profile("tmall"), Settings())
    shown = {j.params["caption"]: j.seq for j in jobs if j.role == "selling_point"}
    assert shown["人体工学把手，握感舒适"] == 3        # by its file name, though a whole shot
    assert shown["高温烧制陶瓷"] == 2                  # the close-up next
    assert shown["釉下彩工艺"] == 4                    # then whole shots other than the large image's (1)
    assert all(j.params["auto"] for j in jobs if j.role == "selling_point")  # a person still confirms them
    # a shared character or a shot word is no match: 细节 says how, not what
    assert shared_run("手工捻制流苏", photo_subject("B2045 细节.jpg", "B2045")) == 0
    assert shared_run("经典格纹", photo_subject("纹理细节.jpg", "D4410")) < MIN_SHARED_RUN
    assert shared_run("Ergonomic handle", photo_subject("handle_2.JPG", "X1")) >= MIN_SHARED_RUN


def test_a_selling_point_goes_to_the_photo_named_after_it_even_when_that_photo_is_the_large_images():
    """Real shop (tops on white, oper review): `01-条纹.jpg` was the large image's photo, so
    "经典条纹，百搭配色" was shown on the lace top; the point's own photo wins over that rule."""
    top = Product(article="G501", name="上衣", category="服装", colours=("红色",),
                  selling_points=("精梳棉，柔软亲肤", "经典条纹，百搭配色", "波点印花", "蕾丝袖口"))
    names = {2: "01-条纹.jpg", 3: "02-波点.jpg", 4: "03-黑色.jpg", 5: "04-蕾丝.jpg"}
    photos = [replace(photo(seq, backdrop=0.9 if seq == 2 else 0.5), source_name=name) for seq, name in names.items()]
    jobs = plan_article(article_context(top, photos), load_profile("tmall"), Settings())
    assert [j.seq for j in jobs if j.role == "large"] == [2]
    shown = {j.params["caption"]: j.seq for j in jobs if j.role == "selling_point"}
    assert shown == {"经典条纹，百搭配色": 2, "波点印花": 3, "蕾丝袖口": 5, "精梳棉，柔软亲肤": 4}

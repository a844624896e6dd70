"""Every user-facing string, in Simplified Chinese and English.

`t("key", name=value)` returns the text in the current language (`zh` by
default, set from `language` in imgpipe.toml via `set_language`). Keys are
grouped by the module that uses them; add new ones to the matching section.
A key missing from the table is a bug, so `t` raises KeyError rather than
printing something half-translated.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
_language = "zh"


def set_language(lang: str) -> None:
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    _language = lang


def get_language() -> str:
    return _language


def t(msg_id: str, /, **fields) -> str:
    """The message `msg_id` in the current language, with `{fields}` filled in."""
    return t_in(_language, msg_id, **fields)


def t_in(lang: str, msg_id: str, /, **fields) -> str:
    """The message `msg_id` in `lang` ("zh" or "en")."""
    zh, en = MESSAGES[msg_id]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


MESSAGES: dict[str, tuple[str, str]] = {
    # --- general errors (errors.py, cli.py) ---
    "error.prefix": ("错误", "Error"),
    "error.warning": ("警告", "Warning"),
    "error.file": ("文件", "file"),
    "error.field": ("字段", "field"),
    "error.fix": ("处理办法", "what to do"),
    "error.row": ("第 {row} 行", "row {row}"),
    "error.not_workspace": (
        "{path} 不是 imgpipe 工作区（缺少 imgpipe.toml）",
        "{path} is not an imgpipe workspace (no imgpipe.toml)",
    ),
    "error.not_workspace.fix": (
        "先运行 imgpipe init 目录，或用 -w 指定工作区",
        "run `imgpipe init DIR` first, or name the workspace with -w",
    ),
    # --- settings and profiles (settings.py, profiles.py) ---
    "config.toml_syntax": ("TOML 语法错误：{detail}", "TOML syntax error: {detail}"),
    "config.unknown_key": ("未知的设置项「{key}」", "unknown setting '{key}'"),
    "config.unknown_key.fix": ("可用的设置项：{known}", "known settings: {known}"),
    "config.wrong_type": ("「{key}」应为 {expected}，实际为 {got!r}", "'{key}' must be {expected}, got {got!r}"),
    "config.bad_value": ("「{key}」的值 {got!r} 不合理：{why}", "'{key}' has an impossible value {got!r}: {why}"),
    "config.unknown_platform": ("未知平台「{name}」", "unknown platform '{name}'"),
    "config.unknown_platform.fix": (
        "已有平台：{known}；新平台请在 profiles/ 中添加 {name}.toml",
        "known platforms: {known}; add profiles/{name}.toml for a new one",
    ),
    # --- product sheet (sheet.py) ---
    "sheet.missing": ("找不到商品表 products.xlsx 或 products.csv", "no product sheet (products.xlsx or products.csv)"),
    "sheet.missing.fix": ("把采购提供的商品表放到工作区根目录", "put the purchasing sheet in the workspace folder"),
    "sheet.unreadable": ("无法读取商品表：{detail}", "cannot read the product sheet: {detail}"),
    "sheet.encoding": (
        "无法识别 CSV 编码（已尝试 UTF-8、GB18030）",
        "cannot tell the CSV encoding (tried UTF-8 and GB18030)",
    ),
    "sheet.encoding.fix": ("在 Excel 中另存为 UTF-8 CSV 或 .xlsx", "save it from Excel as UTF-8 CSV or .xlsx"),
    "sheet.missing_column": ("缺少必填列「{column}」", "required column '{column}' is missing"),
    "sheet.missing_column.fix": ("表头应包含：{columns}", "the header row must contain: {columns}"),
    "sheet.missing_value": ("必填项「{column}」为空", "required value '{column}' is empty"),
    "sheet.duplicate_article": ("货号 {article} 重复（首次出现在第 {first} 行）", "article {article} repeated (first on row {first})"),
    "sheet.duplicate_article.fix": ("每个货号只保留一行", "keep one row per article"),
    "sheet.bad_article": ("货号「{article}」不能用作文件名：{why}", "article '{article}' is not a safe file name: {why}"),
    "sheet.bad_article.fix": ("货号只用字母、数字和 - _ .", "use letters, digits and - _ . only"),
    "sheet.bad_date": ("无法识别日期「{value}」", "cannot read date '{value}'"),
    "sheet.bad_date.fix": ("写成 2026-11-20、2026/11/20 或 20261120", "write it as 2026-11-20, 2026/11/20 or 20261120"),
    "sheet.bad_number": ("「{value}」不是数字", "'{value}' is not a number"),
    "sheet.bad_number.fix": ("只填数字，如 12.5（单位：厘米或元）", "enter a plain number such as 12.5 (cm or yuan)"),
    "article.why.empty": ("为空", "it is empty"),
    "article.why.separator": ("含有路径分隔符", "it contains a path separator"),
    "article.why.dots": ("不能是 . 或 ..", "it cannot be . or .."),
    "article.why.reserved": ("是 Windows 保留名", "it is a Windows reserved name"),
    "article.why.trailing": ("以点或空格结尾", "it ends with a dot or space"),
    "article.why.chars": ("含有不允许的字符「{chars}」", "it contains characters not allowed: '{chars}'"),
    "article.why.long": ("超过 64 个字符", "it is longer than 64 characters"),
    # --- image loading (imageio.py) ---
    "image.empty": ("文件为空（0 字节）", "the file is empty (0 bytes)"),
    "image.empty.fix": ("重新复制这张照片", "copy the photo again"),
    "image.unreadable": ("无法解码图片：{detail}", "cannot decode the image: {detail}"),
    "image.unreadable.fix": (
        "文件可能损坏或复制不完整，请重新导出或复制",
        "the file may be damaged or incompletely copied; export or copy it again",
    ),
    "image.unsupported": ("不支持的格式 {fmt}", "unsupported format {fmt}"),
    "image.unsupported.fix": ("导出为 JPEG、PNG、TIFF 或 HEIC", "export it as JPEG, PNG, TIFF or HEIC"),
    "image.too_large": (
        "图片有 {pixels} 百万像素，超过上限 {limit} 百万像素",
        "the image has {pixels} megapixels, over the limit of {limit}",
    ),
    "image.too_large.fix": (
        "缩小后再放入，或在 imgpipe.toml 中调高 max_megapixels",
        "shrink it first, or raise max_megapixels in imgpipe.toml",
    ),
    "image.cap_unreachable": (
        "即使质量降到 {quality}，{role} 图仍有 {size} 字节，超过上限 {cap}",
        "{role} image is still {size} bytes at quality {quality}, over the cap of {cap}",
    ),
    "image.cap_unreachable.fix": (
        "在平台配置中调高 max_bytes 或降低 min_jpeg_quality",
        "raise max_bytes or lower min_jpeg_quality in the platform profile",
    ),
    # --- ingest (ingest.py) ---
    "ingest.unknown_article": ("商品表中没有货号 {article}", "article {article} is not in the product sheet"),
    "ingest.unknown_article.fix": (
        "把该货号加入商品表，下次运行时会自动处理",
        "add the article to the product sheet; the next run picks the photo up",
    ),
    "ingest.no_article": ("无法从文件名或文件夹判断货号", "cannot tell the article from the file or folder name"),
    "ingest.no_article.fix": (
        "放到 inbox/货号/ 文件夹，或把文件命名为 货号_xxx.jpg",
        "put it in inbox/ARTICLE/ or name it ARTICLE_anything.jpg",
    ),
    "ingest.duplicate": ("与已归档的 {existing} 内容相同，已跳过", "same bytes as archived {existing}; skipped"),
    "ingest.not_image": ("不是支持的图片类型", "not a supported image type"),
    "ingest.copy_mismatch": ("归档副本校验失败，原图保留在 inbox", "archived copy did not verify; the photo stays in inbox"),
    # --- run (pipeline.py, cli.py) ---
    "run.title": ("处理结果", "Run summary"),
    "run.col.what": ("项目", "what"),
    "run.col.count": ("数量", "count"),
    "run.new": ("新归档照片", "new photos archived"),
    "run.done": ("生成的图片", "images written"),
    "run.skipped": ("未变化、已跳过", "unchanged, skipped"),
    "run.failed": ("失败", "failed"),
    "run.pending": ("留在 inbox 的照片", "photos left in inbox"),
    "run.progress": ("处理照片", "processing photos"),
    "run.dry_run": ("试运行：不会写入任何文件", "dry run: nothing is written"),
    "run.would_archive": ("将归档 {src} → {dest}", "would archive {src} -> {dest}"),
    "run.would_render": ("将生成 {count} 张图片（{platform}）", "would write {count} images ({platform})"),
    "run.problems": ("问题", "Problems"),
    "run.nothing": ("没有需要处理的内容", "nothing to do"),
    "run.pages": ("详情页", "detail pages"),
    "run.backup_pending": ("尚未备份的文件", "files not yet backed up"),
    "progress.analyse": ("分析照片", "analysing photos"),
    "progress.render": ("生成图片", "making images"),
    "progress.pages": ("渲染详情页", "rendering detail pages"),
    "progress.backup": ("备份", "backing up"),
    "run.output_at": ("输出位于 {path}", "outputs are in {path}"),
    # --- catalog (catalog.py) ---
    "catalog.corrupt": ("目录数据库已损坏：{detail}", "the catalog database is damaged: {detail}"),
    "catalog.corrupt.fix": (
        "运行 imgpipe doctor --rebuild，从原图和输出重建目录",
        "run `imgpipe doctor --rebuild` to rebuild it from originals and outputs",
    ),
    "catalog.too_new": ("目录由更新版本的 imgpipe 创建（版本 {version}）", "the catalog was written by a newer imgpipe (schema {version})"),
    "catalog.too_new.fix": ("升级 imgpipe", "upgrade imgpipe"),
    # --- correct (correct.py) ---
    "correct.same_file": ("输出会覆盖原图", "the output would overwrite the original"),
    "correct.same_file.fix": ("用 -o 指定另一个文件夹", "name another folder with -o"),
    # --- init (workspace.py) ---
    "init.created": ("已创建工作区 {path}", "workspace created at {path}"),
    "init.exists": ("{path} 已是工作区，未改动", "{path} is already a workspace; left as it is"),
    "init.demo": ("已复制示例店铺（{count} 张照片）", "demo shop copied in ({count} photos)"),
    "init.next": ("下一步：imgpipe -w {path} run", "next: imgpipe -w {path} run"),
    # --- colour (colour.py) ---
    "colour.no_chart": ("参考照片中找不到 24 色标准色卡", "no 24-patch ColorChecker found in the reference shot"),
    "colour.no_chart.fix": (
        "让色卡完整、正面、占画面至少 1/6 再拍一张；这批照片先用自动校色",
        "reshoot with the whole chart facing the camera, at least 1/6 of the frame; these photos use auto colour meanwhile",
    ),
    "colour.no_grey_card": ("参考照片中找不到灰卡", "no grey card found in the reference shot"),
    "colour.no_grey_card.fix": (
        "让灰卡平整、均匀受光、占画面至少 1/20 再拍一张；这批照片先用自动校色",
        "reshoot with the card flat, evenly lit, at least 1/20 of the frame; these photos use auto colour meanwhile",
    ),
    "colour.chart_rejected": ("色卡不可用：{reason}", "colour chart not usable: {reason}"),
    "colour.chart_rejected.fix": (
        "重拍色卡（完整入画、无反光、不过曝）；这批照片先用自动校色",
        "reshoot the chart (whole, no glare, not overexposed); these photos use auto colour meanwhile",
    ),
    "colour.card_rejected": ("灰卡不可用：{reason}", "grey card not usable: {reason}"),
    "colour.card_rejected.fix": (
        "重拍灰卡（曝光正常、无反光）；这批照片先用自动校色",
        "reshoot the card (normal exposure, no glare); these photos use auto colour meanwhile",
    ),
    "colour.why.chart_clipped": ("色卡有部分在画面之外", "part of the chart is outside the frame"),
    "colour.why.chart_small": ("色卡在画面中太小", "the chart is too small in the frame"),
    "colour.why.dark": ("太暗，无法测量", "too dark to measure"),
    "colour.why.fit_poor": (
        "拟合误差过大（平均 ΔE2000 {mean}，最差 {worst}，色块「{patch}」），可能有反光、阴影或光线不均",
        "the fit is poor (mean ΔE2000 {mean}, worst {worst} on '{patch}'): glare, shadow or uneven light",
    ),
    "colour.warn.no_backdrop": (
        "未找到干净的背景，改用整体色彩估计（精度较低）",
        "no clean backdrop found; used a whole-image estimate (less accurate)",
    ),
    "colour.warn.backdrop_dark": (
        "背景太暗，无法判断光源颜色，改用整体色彩估计",
        "backdrop too dark to judge the light; used a whole-image estimate",
    ),
    "colour.warn.backdrop_coloured": (
        "背景本身有颜色（不是白/灰背景），改用整体色彩估计",
        "the backdrop is itself coloured (not white or grey); used a whole-image estimate",
    ),
    "colour.warn.no_usable_pixels": ("图片几乎全部过曝或全黑，未校色", "the photo is almost all clipped or black; colour left as it is"),
    "colour.warn.gain_clamped": (
        "色偏极强，校正增益已限制在 {ratio} 倍以内",
        "extreme cast: correction gains limited to a ratio of {ratio}",
    ),
    "colour.warn.exposure_limited": (
        "为避免商品过曝，背景未完全提亮到白色",
        "backdrop not fully lifted to white, to keep the product from clipping",
    ),
    "colour.warn.white_clipped": ("色卡白色块过曝，已从拟合中排除", "the chart's white patch is clipped; left out of the fit"),
    "colour.warn.card_exposure": (
        "灰卡曝光异常（需要 ×{exposure} 的曝光修正）",
        "grey card exposure is far off (needs ×{exposure})",
    ),
    # --- text, labels, watermark (fonts.py, text.py, labels.py, watermark.py) ---
    "font.configured_missing": ("找不到字体文件 {path}", "font file {path} not found"),
    "font.configured_missing.fix": (
        "在 imgpipe.toml 的 [fonts] path 填写一个存在的含中文字形的 .ttf/.otf/.ttc 文件，或留空以自动查找",
        "set [fonts] path in imgpipe.toml to an existing .ttf/.otf/.ttc with Chinese glyphs, or leave it empty to find one",
    ),
    "font.unreadable": ("无法读取字体 {path}：{detail}", "cannot read font {path}: {detail}"),
    "font.none_found": ("本机没有找到含中文字形的字体", "no font with Chinese glyphs found on this computer"),
    "font.none_found.fix": (
        "Windows：系统自带微软雅黑（C:/Windows/Fonts/msyh.ttc），若被删除请重新安装；"
        "macOS：系统自带苹方 PingFang；"
        "Linux：sudo apt-get install fonts-noto-cjk（Debian/Ubuntu）或 sudo dnf install google-noto-sans-cjk-fonts（Fedora）；"
        "也可以在 imgpipe.toml 的 [fonts] path 指定字体文件",
        "Windows: Microsoft YaHei ships with Windows (C:/Windows/Fonts/msyh.ttc), reinstall it if removed; "
        "macOS: PingFang ships with macOS; "
        "Linux: sudo apt-get install fonts-noto-cjk (Debian/Ubuntu) or sudo dnf install google-noto-sans-cjk-fonts (Fedora); "
        "or name a font file in [fonts] path in imgpipe.toml",
    ),
    "font.missing_glyphs": (
        "字体 {font} 无法显示{where}中的字符：{chars}",
        "font {font} has no glyph for these characters in {where}: {chars}",
    ),
    "font.missing_glyphs.fix": (
        "删除或替换这些字符，或在 imgpipe.toml 的 [fonts] path 换一个包含它们的字体",
        "remove or replace those characters, or set [fonts] path in imgpipe.toml to a font that has them",
    ),
    "text.too_long": (
        "文字太长：最小字号 {min_px} 像素时仍放不进 {box_w}×{box_h} 像素的区域：「{text}」",
        "text too long: even at the minimum size of {min_px} px it does not fit a {box_w}×{box_h} px box: '{text}'",
    ),
    "text.too_long.fix": ("缩短这段文字（例如在商品表中改写）", "shorten the text (e.g. rewrite it in the product sheet)"),
    "framing.busy_scene": (
        "无法从背景中分离商品（背景不是纯色），已按整张图居中",
        "cannot separate the product from the backdrop (not a plain backdrop); framed the whole photo",
    ),
    "framing.busy_scene.fix": (
        "在纯色背景（白色最佳）前拍摄，或在附属文件中指定用作主图的照片",
        "shoot on a plain (ideally white) backdrop, or choose other photos for this role in the sidecar file",
    ),
    "watermark.logo_missing": ("找不到水印图片 {path}", "watermark logo {path} not found"),
    "watermark.logo_unreadable": ("无法读取水印图片 {path}：{detail}", "cannot read watermark logo {path}: {detail}"),
    "watermark.logo.fix": (
        "在 imgpipe.toml 的 [watermark] logo 填写一个存在的 PNG（带透明通道），或改用 text",
        "set [watermark] logo in imgpipe.toml to an existing PNG (with transparency), or use text instead",
    ),
    "watermark.skipped": (
        "水印无法避开商品区域，本图未加水印",
        "the watermark cannot be placed outside the product area; this image has none",
    ),
    "watermark.skipped.fix": (
        "减小 [watermark] size 或 margin，或在平台配置中降低该图的 fill",
        "lower [watermark] size or margin, or lower this role's fill in the platform profile",
    ),
    "label.article": ("货号", "Article no."),
    "label.colour": ("颜色", "Colour"),
    "label.fabric": ("面料", "Fabric"),
    "label.size": ("尺码", "Size"),
    "label.measurements": ("长×宽×高", "L×W×H"),
    "label.note": ("说明", "Note"),
    "label.sold_out": ("已售完", "sold out"),
    "label.separator": ("：", ": "),
    # --- detail pages (detail_page.py) ---
    "detail.label.selling_points": ("产品卖点", "Highlights"),
    "detail.label.specs": ("商品参数", "Specifications"),
    "detail.label.details": ("细节展示", "Details"),
    "detail.label.name": ("品名", "Name"),
    "detail.label.article": ("货号", "Article no."),
    "detail.label.brand": ("品牌", "Brand"),
    "detail.label.colours": ("颜色", "Colours"),
    "detail.label.fabric": ("面料", "Fabric"),
    "detail.label.sizes": ("尺码", "Sizes"),
    "detail.label.measurements": ("尺寸（长×宽×高）", "Size (L×W×H)"),
    "detail.label.note": ("说明", "Note"),
    "detail.label.list_sep": ("、", ", "),
    "detail.label.thanks": ("感谢您的光临", "Thank you for shopping with us"),
    "detail.section.header": ("头图", "header image"),
    "detail.section.large": ("大图", "large image"),
    "detail.section.selling_point": ("卖点 {n}", "selling point {n}"),
    "detail.section.detail": ("细节图 {n}", "detail image {n}"),
    "detail.image_missing": (
        "{section}的图片不存在，详情页中已略去：{path}",
        "{section}: image not found, left out of the detail page: {path}",
    ),
    "detail.image_unusable": (
        "{section}的图片无法在网页中显示（{detail}），详情页中已略去：{path}",
        "{section}: image cannot be shown in a web page ({detail}), left out of the detail page: {path}",
    ),
    "detail.unknown_section": ("平台配置中的详情页部分「{name}」未知，已忽略", "unknown detail-page section '{name}' in the platform profile; ignored"),
    "detail.unknown_section.fix": ("可用的部分：{known}", "known sections: {known}"),
    "detail.template_syntax": ("模板第 {line} 行有语法错误：{detail}", "template syntax error on line {line}: {detail}"),
    "detail.template_syntax.fix": (
        "改正模板后重新运行；删除工作区中的 templates/detail.html.j2 即恢复内置模板",
        "correct the template and run again; delete the workspace's templates/detail.html.j2 to use the built-in one",
    ),
    "detail.template_error": ("模板第 {line} 行渲染出错：{detail}", "template failed on line {line}: {detail}"),
    "detail.template_missing": ("找不到详情页模板 {name}", "detail-page template {name} not found"),
    "detail.browser_missing": (
        "未找到 Chromium / Chrome / Edge 浏览器：详情页只生成了 HTML，没有切图",
        "no Chromium, Chrome or Edge found: detail pages were written as HTML only, without sliced images",
    ),
    "detail.browser_missing.fix_linux": (
        "安装浏览器：sudo apt-get install chromium（或设置环境变量 {env} 为浏览器程序路径）",
        "install one: sudo apt-get install chromium (or set {env} to the browser program)",
    ),
    "detail.browser_missing.fix_other": (
        "安装 Google Chrome 或 Microsoft Edge（或设置环境变量 {env} 为浏览器程序路径）",
        "install Google Chrome or Microsoft Edge (or set {env} to the browser program)",
    ),
    "detail.browser_failed": ("浏览器渲染详情页失败：{detail}", "the browser could not render the detail page: {detail}"),
    "detail.slice_role": ("详情页切图", "detail-page slice"),
    # --- sold out and backup (soldout.py, backup.py) ---
    "backup.summary": (
        "备份：发送 {sent} 个文件（{mb} MB），未变 {skipped} 个，失败 {failed} 个，尚未备份 {pending} 个",
        "backup: {sent} files sent ({mb} MB), {skipped} unchanged, {failed} failed, {pending} not yet safe",
    ),
    "backup.verify_summary": (
        "备份校验：{ok} 个正常，{missing} 个缺失，{changed} 个被改动（缺失和改动的已重新排队）",
        "backup check: {ok} intact, {missing} missing, {changed} changed (missing and changed ones queued again)",
    ),
    "backup.no_target": ("未设置备份位置", "no backup target is set"),
    "backup.no_target.fix": (
        "在 imgpipe.toml 的 [backup] 中设置 target（文件夹、网络共享或 sftp://用户@主机/路径）",
        "set target under [backup] in imgpipe.toml (a folder, a share, or sftp://user@host/path)",
    ),
    "backup.no_target_pending": (
        "未设置备份位置：{count} 个文件尚未备份到另一台电脑",
        "no backup target set: {count} files are not yet on another computer",
    ),
    "backup.inside_workspace": (
        "备份位置 {target} 在工作区里面，不能作为备份",
        "the backup target {target} is inside the workspace; a backup must live elsewhere",
    ),
    "backup.inside_workspace.fix": (
        "选择另一块硬盘、网络共享或 sftp:// 主机",
        "choose another disk, a network share or an sftp:// host",
    ),
    "backup.folder_missing": (
        "备份文件夹 {target} 不存在（硬盘或网络共享未连接？）",
        "the backup folder {target} does not exist (disk or share not connected?)",
    ),
    "backup.folder_missing.fix": (
        "连接硬盘或挂载共享后再运行 imgpipe backup；文件已排队，不会丢失",
        "connect the disk or mount the share, then run `imgpipe backup`; the files stay queued",
    ),
    "backup.windows_path": (
        "{target} 是 Windows 路径，在这台电脑上无法使用",
        "{target} is a Windows path and cannot be used on this computer",
    ),
    "backup.windows_path.fix": (
        "在这台电脑上挂载该共享，并在 target 中写挂载后的文件夹",
        "mount the share on this computer and set target to the mounted folder",
    ),
    "backup.bad_url": ("备份地址 {target} 无法识别（{why}）", "cannot read the backup address {target} ({why})"),
    "backup.bad_url.fix": ("格式：sftp://用户@主机[:端口]/路径", "format: sftp://user@host[:port]/path"),
    "backup.password_in_url": ("备份地址中不能写密码", "the backup address must not contain a password"),
    "backup.password_in_url.fix": (
        "删除地址中的密码，改用 SSH 密钥（[backup] key_file）或 SSH agent",
        "remove the password and use an SSH key ([backup] key_file) or the SSH agent",
    ),
    "backup.key_missing": ("SSH 密钥文件 {key} 不存在", "SSH key file {key} not found"),
    "backup.key_passphrase": ("SSH 密钥 {key} 有密码保护，imgpipe 无法直接读取", "SSH key {key} is protected by a passphrase"),
    "backup.key_passphrase.fix": (
        "用 ssh-add 把密钥加入 SSH agent，并清空 key_file",
        "add it to the SSH agent with ssh-add and leave key_file empty",
    ),
    "backup.auth_failed": ("登录 {target} 失败：密钥被拒绝", "login to {target} failed: the key was refused"),
    "backup.auth_failed.fix": (
        "检查 key_file 或 SSH agent，并把公钥加入服务器上该用户的 ~/.ssh/authorized_keys",
        "check key_file or the SSH agent, and add the public key to ~/.ssh/authorized_keys of that user on the server",
    ),
    "backup.host_key_changed": (
        "主机 {host} 的 SSH 密钥与上次不同，已拒绝连接（可能被冒充）",
        "the SSH host key of {host} differs from last time; connection refused (possible impostor)",
    ),
    "backup.host_key_changed.fix": (
        "确认服务器确实更换了密钥后，从 {known_hosts} 中删除该主机的行",
        "once you are sure the server's key was changed, delete its line from {known_hosts}",
    ),
    "backup.no_paramiko": ("SFTP 备份需要 paramiko", "SFTP backups need paramiko"),
    "backup.no_paramiko.fix": ("pip install \"imgpipe[sftp]\"", "pip install \"imgpipe[sftp]\""),
    "backup.unreachable": ("无法使用备份位置 {target}：{detail}", "cannot use the backup target {target}: {detail}"),
    "backup.unreachable.fix": (
        "文件已排队，下次运行时自动补传",
        "the files stay queued and go out on the next run",
    ),
    "backup.stopped": ("备份中断（{target}）：{detail}", "backup stopped ({target}): {detail}"),
    "backup.disk_full": ("备份盘已满", "the backup disk is full"),
    "backup.no_permission": ("没有写入权限：{detail}", "no permission to write: {detail}"),
    "backup.hash_mismatch": (
        "复制后校验失败：备份中的文件与原文件不一致",
        "check after copy failed: the backup copy differs from the file",
    ),
    "backup.changed_during_copy": ("复制时文件被改动，下次再传", "the file changed while being copied; sent next time"),
    "backup.local_missing": (
        "文件已不在工作区，备份中的副本也不完整",
        "the file left the workspace and its backup copy is not intact",
    ),
    "backup.verify_missing": ("备份中缺少此文件", "missing from the backup"),
    "backup.verify_changed": ("备份中的此文件已被改动", "changed in the backup"),
    "backup.unsafe_path": (
        "备份中的路径「{path}」不安全（会写到恢复目录之外），已拒绝恢复",
        "the backup path '{path}' is unsafe (it would write outside the restore folder); restore refused",
    ),
    "backup.unsafe_path.fix": (
        "检查备份位置是否被他人改动；删除该文件后再恢复",
        "check whether someone tampered with the backup; remove that file and restore again",
    ),
    "backup.restore_unknown_article": ("备份中没有货号 {articles} 的文件", "the backup holds no files of article {articles}"),
    "backup.restore_unknown_article.fix": ("备份中的货号：{known}", "articles in the backup: {known}"),
    "backup.restore_damaged": (
        "{count} 个文件在备份中已损坏，未恢复：{files}",
        "{count} files are damaged in the backup and were not restored: {files}",
    ),
    "backup.restore_damaged.fix": (
        "其余文件已恢复；较早的版本在备份的 .versions/ 中",
        "the other files were restored; earlier versions are in .versions/ on the backup",
    ),
    "backup.version_missing": ("备份中没有 {path} 在 {timestamp} 的旧版本", "no earlier copy of {path} from {timestamp} in the backup"),
    "backup.version_missing.fix": ("已有版本：{known}", "copies kept: {known}"),
    # --- validation and status board (validate.py, status.py) ---
    # --- watcher (watch.py) ---
}

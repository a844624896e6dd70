"""Every user-facing string, in Simplified Chinese and English.

Two languages are in play (settings `language` and `listing_language`):
the interface language of the CLI, reports and board, and the language of
the text drawn on images and pages. `t("key", name=value)` gives a message
in the interface language (`zh` by default; a front end sets it from
`language` via `set_language`); `t_in(lang, …)` in a language passed
explicitly, which is how listing text is made.

A message made by `t` is a `Text`: a str that also remembers its key and
arguments. It survives pickling to and from worker processes as key +
arguments, and `localise(text, lang)` shows it again in any language, so a
message made in a worker is shown in the language of the front end that
prints it. Keys are grouped by the module that uses them; add new ones to
the matching section. A key missing from the table is a bug, so `t` raises
KeyError rather than printing something half-translated.
"""

from __future__ import annotations

from pathlib import PurePath

LANGUAGES = ("zh", "en")
_language = "zh"


def set_language(lang: str) -> None:
    """Set this process's interface language (front ends; workers get it passed in)."""
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    _language = lang


def get_language() -> str:
    return _language


class Text(str):
    """A message shown in one language that keeps its key and arguments.

    Behaves as the str it was rendered to; `.key` and `.args` let a front
    end render it again (`localise`). Pickles as key + arguments.
    """

    __slots__ = ("key", "args")

    def __new__(cls, key: str, args: dict, rendered: str):
        obj = super().__new__(cls, rendered)
        obj.key = key
        obj.args = args
        return obj

    def __reduce__(self):
        return (Text, (self.key, {k: _portable(v) for k, v in self.args.items()}, str(self)))

    def in_language(self, lang: str) -> str:
        return t_in(lang, self.key, **self.args)

    def record(self) -> dict:
        """{"key", "args"} with JSON-safe arguments, for --json and reports."""
        return {"key": self.key, "args": {k: _jsonable(v) for k, v in self.args.items()}}


def _portable(value):
    """An argument as it crosses processes: plain data kept, anything else (exceptions…) as text."""
    if isinstance(value, (str, int, float, bool, type(None), PurePath)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool, type(None))) for v in value):
        return value
    return str(value)


def _jsonable(value):
    if isinstance(value, Text):
        return value.record()
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def t(msg_id: str, /, **fields) -> Text:
    """The message `msg_id` in the interface language, with `{fields}` filled in."""
    return Text(msg_id, fields, t_in(_language, msg_id, **fields))


def t_in(lang: str, msg_id: str, /, **fields) -> str:
    """The message `msg_id` in `lang` ("zh" or "en"); `Text` arguments follow it into `lang`."""
    zh, en = MESSAGES[msg_id]
    text = zh if lang == "zh" else en
    if not fields:
        return text
    return text.format(**{k: localise(v, lang) for k, v in fields.items()})


def localise(value, lang: str | None = None):
    """`value` in `lang` (default: the interface language) when it is a `Text`; else as it is.

    Front ends pass every message that came from elsewhere (a worker, a stored
    record) through this before showing it.
    """
    if isinstance(value, Text):
        return value.in_language(lang or _language)
    return value


def localise_record(record: dict, lang: str | None = None) -> dict:
    """An error/warning record ({file, message, fix, …}) with its texts in `lang`."""
    return {k: localise(v, lang) for k, v in record.items()}


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
    # --- command line (cli.py): command and option help, keyed cli.<command>[.<option>] ---
    "cli.main": (
        "imgpipe：产品照片进，天猫、京东、1688 上架所需的每一张图出。",
        "imgpipe: product photos in, every image a Tmall, JD and 1688 listing needs out.",
    ),
    "cli.main.workspace": ("工作区文件夹（默认：当前文件夹）。", "Workspace folder (default: the current one)."),
    "cli.options_metavar": ("[选项]", "[OPTIONS]"),
    "cli.opt.as_json": ("在标准输出打印一份 JSON 文档。", "Print one JSON document on stdout."),
    "cli.opt.platforms": ("只处理这个平台（可重复）。", "Only this platform (repeatable)."),
    "cli.opt.articles": ("只处理这个货号（可重复）。", "Only this article (repeatable)."),
    "cli.opt.jobs": ("工作进程数（默认：CPU 核数）。", "Worker processes (default: CPU count)."),
    "cli.opt.no_backup": ("结束时不备份。", "Skip the backup at the end."),
    "cli.init": (
        "在 DIRECTORY 中新建工作区（文件夹、imgpipe.toml、空商品表；已有的不会覆盖）。",
        "Create a workspace in DIRECTORY (folders, imgpipe.toml, an empty sheet; never overwrites one).",
    ),
    "cli.init.demo": ("同时放入示例店铺：商品表和 inbox/ 中的照片。", "Also fill it with the sample shop: sheet and photos in inbox/."),
    "cli.run": (
        "处理一次：归档 inbox/ 的新照片，生成所有新增或改动的图片和详情页，然后备份。",
        "One pass: archive new photos from inbox/, make every new or changed image and detail page, back up.",
    ),
    "cli.run.dry_run": ("只列出将要做的事，不写入任何文件。", "Say what would happen; write nothing."),
    "cli.run.executor": ("在哪里处理照片：本机进程（local）或 Dask 集群（dask）。", "Where photos are processed: local processes, or a Dask cluster."),
    "cli.run.scheduler": ("--executor dask 的调度器地址，例如 tcp://主机:8786。", "Dask scheduler address for --executor dask, e.g. tcp://HOST:8786."),
    "cli.watch": (
        "热文件夹：照片一放进 inbox/ 就自动处理，直到按 Ctrl-C。",
        "The hot folder: process photos as they arrive in inbox/, until Ctrl-C.",
    ),
    "cli.watch.poll": (
        "定时扫描文件夹而不等系统事件（SMB/NFS 共享、映射的 Windows 网络驱动器）。",
        "Scan the folder instead of waiting for system events (SMB/NFS shares, mapped Windows drives).",
    ),
    "cli.watch.settle": (
        "文件需保持不变多少秒才处理（默认：imgpipe.toml 的 [watch]）。",
        "Seconds a file must stay unchanged before it is taken (default: imgpipe.toml [watch]).",
    ),
    "cli.watch.no_backup": ("每批处理后不备份。", "Skip the backup after each batch."),
    "cli.serve": (
        "工作台：在浏览器里查看每张图、指点修正、标记售罄和上架，不用命令行。",
        "The workbench: a local web page to see every image, fix picks by pointing, mark sold out and listed.",
    ),
    "cli.serve.host": (
        "监听的地址；除本机（127.0.0.1）外都需要访问令牌（未给出时自动生成）。",
        "Address to listen on; any other than this PC's own needs a token (one is made when not given).",
    ),
    "cli.serve.port": ("端口号。", "Port number."),
    "cli.serve.token": (
        "其他电脑访问所需的令牌（默认：非本机地址时自动生成）。",
        "Access token for other PCs (default: generated for a non-local --host).",
    ),
    "cli.serve.open_browser": ("启动后用默认浏览器打开页面。", "Open the page in the default browser."),
    "cli.serve.watch_inbox": ("同时监视 inbox/（同 imgpipe watch）。", "Also watch inbox/ (as `imgpipe watch`)."),
    "cli.validate": (
        "上传前检查每个货号在每个平台的图片和资料；报告写入 reports/（有错误时退出码 1）。",
        "Pre-upload check of every article per platform; reports go to reports/ (exit 1 on any error).",
    ),
    "cli.status": (
        "三天看板：每个货号的到货日、截止日、状态和用时，最紧急的在前。",
        "The three-day board: arrival, due date, state and timing per article, most urgent first.",
    ),
    "cli.status.today": ("从这一天算起（默认：今天）。", "Count from this day (default: today)."),
    "cli.listed": ("把 ARTICLE 标记为已上架（在售），看板就知道它已完成。", "Mark ARTICLE as listed (on sale), so the board knows it is done."),
    "cli.listed.platforms": ("只标记这个平台（可重复；默认：所有启用的平台）。", "Only this platform (repeatable; default: all enabled)."),
    "cli.listed.on_date": ("上架日期（默认：今天）。", "Listed on this day (default: today)."),
    "cli.soldout": (
        "把 ARTICLE 的某个颜色、尺码或整个货号标记为售罄：图片加上售罄标记，文件名不变。",
        "Mark a colour, size or the whole ARTICLE sold out: overlays on the images, file names kept.",
    ),
    "cli.restock": (
        "撤销 soldout：重新生成不带该售罄标记的图片，文件名不变。",
        "Undo `soldout`: the images are made again without that overlay, file names kept.",
    ),
    "cli.soldout.colour": ("颜色，与商品表一致。", "The colour, as in the product sheet."),
    "cli.soldout.size": ("尺码，与商品表一致（单独使用时在大图上划掉）。", "The size, as in the product sheet (alone: struck on the large image)."),
    "cli.soldout.whole": ("整个货号。", "The whole article."),
    "cli.soldout.dry_run": ("只列出将会改写的文件，不做任何改动。", "List the files that would change; change nothing."),
    "cli.backup": (
        "把原图和输出复制到备份位置（逐个校验哈希），或用 --verify 检查备份。",
        "Copy originals and outputs to the backup target (verified by hash), or check it (--verify).",
    ),
    "cli.backup.verify": ("重新计算备份中每个文件的哈希，报告缺失或改动的文件。", "Re-hash every file on the target; report missing or changed ones."),
    "cli.restore": (
        "从备份取回原图和输出（全部，或只取 ARTICLE…）。",
        "Bring originals and outputs back from the backup (all, or only ARTICLE…).",
    ),
    "cli.restore.dest": ("恢复到这个文件夹（默认：工作区本身）。", "Restore into this folder (default: the workspace itself)."),
    "cli.restore.overwrite": ("替换与备份不同的文件（默认：保留它们）。", "Replace files that differ from the backup (default: leave them)."),
    "cli.correct": (
        "只做颜色校正，可用于任意文件（不需要工作区）。",
        "Colour correction alone, on any files (no workspace needed).",
    ),
    "cli.correct.out_dir": ("校正后副本的存放文件夹（文件名不变）。", "Folder for the corrected copies (same file names)."),
    "cli.correct.reference": ("同一光线下拍的灰卡或色卡照片。", "A grey-card or colour-chart shot taken under the same light."),
    "cli.correct.strength": ("校正力度，0–1。", "Share of the correction applied, 0–1."),
    "cli.correct.lang": ("提示信息的语言（zh 或 en；工作区外没有 imgpipe.toml 可读，默认中文）。",
                         "Language of messages (zh or en; outside a workspace there is no imgpipe.toml to say; default zh)."),
    "cli.doctor": (
        "核对目录与磁盘上的文件；--rebuild 从文件重建目录。",
        "Check the catalog against the files on disk; --rebuild makes a new one from them.",
    ),
    "cli.doctor.rebuild": ("从 originals/ 和 output/ 重建目录（旧目录保留）。", "Rebuild the catalog from originals/ and output/ (the old one is kept)."),
    # click's own texts (usage errors, headings), keyed click.*; the English side is click's exact text
    "click.usage": ("用法:", "Usage:"),
    "click.options": ("选项", "Options"),
    "click.commands": ("命令", "Commands"),
    "click.positional": ("位置参数", "Positional arguments"),
    "click.help_option": ("显示本帮助并退出。", "Show this message and exit."),
    "click.version_option": ("显示版本号并退出。", "Show the version and exit."),
    "click.version": ("%(prog)s，版本 %(version)s", "%(prog)s, version %(version)s"),
    "click.error": ("错误：{message}", "Error: {message}"),
    "click.try_help": ("运行 '{command} {option}' 查看帮助。", "Try '{command} {option}' for help."),
    "click.missing_argument": ("缺少参数", "Missing argument"),
    "click.missing_option": ("缺少选项", "Missing option"),
    "click.missing_parameter": ("缺少参数", "Missing parameter"),
    "click.missing_type": ("缺少 {param_type}", "Missing {param_type}"),
    "click.missing_named": ("缺少参数：{param_name}", "Missing parameter: {param_name}"),
    "click.missing_command": ("缺少命令。", "Missing command."),
    "click.no_command": ("没有名为 {name!r} 的命令。", "No such command {name!r}."),
    "click.no_option": ("没有选项 {name!r}。", "No such option {name!r}."),
    "click.no_value": ("选项 {name!r} 不接受值。", "Option {name!r} does not take a value."),
    "click.invalid_for": ("{param_hint} 的值无效：{message}", "Invalid value for {param_hint}: {message}"),
    "click.invalid": ("值无效：{message}", "Invalid value: {message}"),
    "click.range": ("{value} 不在范围 {range} 内。", "{value} is not in the range {range}."),
    "click.not_number": ("{value!r} 不是有效的 {number_type}。", "{value!r} is not a valid {number_type}."),
    "click.not_exists": ("{name} {filename!r} 不存在。", "{name} {filename!r} does not exist."),
    "click.is_dir": ("{name} {filename!r} 是文件夹。", "{name} {filename!r} is a directory."),
    "click.is_file": ("{name} {filename!r} 是文件。", "{name} {filename!r} is a file."),
    "click.aborted": ("已中止！", "Aborted!"),
    "click.default": ("默认：{default}", "default: {default}"),
    "click.file": ("文件", "file"),
    "click.directory": ("文件夹", "directory"),
    "click.path": ("路径", "path"),
    "click.extra_args.one": ("多余的参数（{args}）", "Got unexpected extra argument ({args})"),
    "click.extra_args.many": ("多余的参数（{args}）", "Got unexpected extra arguments ({args})"),
    "click.needs_value.one": ("选项 {name!r} 需要一个值。", "Option {name!r} requires an argument."),
    "click.needs_value.many": ("选项 {name!r} 需要 {nargs} 个值。", "Option {name!r} requires {nargs} arguments."),
    "click.did_you_mean.one": ("是不是 {possibility}？", "Did you mean {possibility}?"),
    "click.did_you_mean.many": ("（是不是其中之一：{possibilities}？）", "(Did you mean one of: {possibilities}?)"),
    "click.not_choice.one": ("{value!r} 不是 {choice}。", "{value!r} is not {choice}."),
    "click.not_choice.many": ("{value!r} 不是 {choices} 之一。", "{value!r} is not one of {choices}."),
    # --- settings and profiles (settings.py, profiles.py) ---
    "config.toml_syntax": ("TOML 语法错误：{detail}", "TOML syntax error: {detail}"),
    "config.unknown_key": ("未知的设置项「{key}」", "unknown setting '{key}'"),
    "config.unknown_key.fix": ("可用的设置项：{known}", "known settings: {known}"),
    "config.wrong_type": ("「{key}」应为 {expected}，实际为 {got!r}", "'{key}' must be {expected}, got {got!r}"),
    "config.bad_value": ("「{key}」的值 {got!r} 不合理：{why}", "'{key}' has an impossible value {got!r}: {why}"),
    "config.bad_key": ("「{key}」的设置不合理：{why}", "'{key}' is not possible: {why}"),
    "colours.names.bad": (
        "{detail}。写法：样色 {{ sample = \"#A0632E\" }} 或 {{ lab = [L, a, b] }}、区域 {{ L = [低, 高], C = [低, 高], h = [起, 止] }}，或已知的颜色名（如 \"红\"）",
        "{detail}. Write a sample colour {{ sample = \"#A0632E\" }} or {{ lab = [L, a, b] }}, a region {{ L = [lo, hi], C = [lo, hi], h = [from, to] }}, or a known colour name (e.g. \"red\")",
    ),
    "config.type.bool": ("true 或 false", "true/false"),
    "config.type.int": ("整数", "an integer"),
    "config.type.float": ("数字", "a number"),
    "config.type.str": ("文本（加引号）", "text (in quotes)"),
    "config.type.list": ("列表 [...]", "a list [...]"),
    "config.type.table": ("表 [...] 或 {...}", "a table [...] or {...}"),
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
    "sheet.missing_value.fix": ("在商品表中填写该项", "fill it in on the product sheet"),
    "sheet.unreadable.fix": ("用 Excel 打开并另存为 .xlsx，或导出为 CSV（UTF-8）", "open it in Excel and save it as .xlsx again, or export CSV (UTF-8)"),
    "sheet.too_big": ("商品表文件有 {mb} MB，超过上限 {limit} MB", "the product sheet is {mb} MB, over the limit of {limit} MB"),
    "sheet.part_too_big": ("商品表中的 {part} 解压后有 {mb} MB，超过上限 {limit} MB",
                           "{part} inside the product sheet unpacks to {mb} MB, over the limit of {limit} MB"),
    "sheet.too_long": ("商品表超过 {limit} 行", "the product sheet has more than {limit} rows"),
    "sheet.too_wide": ("这一行有 {columns} 列，超过上限 {limit} 列", "this row has {columns} columns, over the limit of {limit}"),
    "sheet.too_big.fix": ("只保留商品行和表头（删除多余的行、列和大段内容），再保存",
                          "keep only the header and the product rows (delete extra rows, columns, long texts) and save again"),
    "sheet.cell_too_long": ("单元格有 {chars} 个字符，超过上限 {limit}", "a cell holds {chars} characters, over the limit of {limit}"),
    "sheet.cell_too_long.fix": ("缩短该单元格的内容", "shorten the text of that cell"),
    "sheet.case_twin": ("货号 {article} 与第 {first} 行的 {other} 只有大小写不同",
                        "article {article} differs from {other} on row {first} only in upper/lower case"),
    "sheet.case_twin.fix": ("两行都未载入：改正其中一行的货号（同一商品只留一行）",
                            "neither row was loaded: correct the article of one of them (one row per product)"),
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
    "fs.disk_full": ("磁盘已满，本次运行已停止；已完成的部分都已记录",
                     "the disk is full; the run stopped here, and everything done so far is recorded"),
    "fs.disk_full.fix": ("腾出磁盘空间后重新运行，会从中断处继续",
                         "free some disk space and run again: it carries on where it stopped"),
    "catalog.unwritable": ("无法写入目录数据库：{detail}", "cannot write the catalog: {detail}"),
    "catalog.unwritable.fix": (
        "检查 .imgpipe/ 文件夹的权限和磁盘，然后重新运行（数据未丢失）",
        "check the permissions and disk of the .imgpipe/ folder, then run again (nothing is lost)",
    ),
    "error.os": ("{stage}失败：{detail}", "{stage} failed: {detail}"),
    "error.os.fix": ("检查该文件或文件夹的权限、是否被占用，然后重新运行",
                     "check the permissions of the file or folder and whether another program holds it, then run again"),
    "stage.check": ("检查照片", "checking the photo"),
    "stage.archive": ("归档", "archiving"),
    "stage.analyse": ("分析", "analysing"),
    "stage.plan": ("规划输出", "planning the outputs"),
    "stage.render": ("生成图片", "making the images"),
    "stage.remove": ("删除过期图片", "removing an outdated image"),
    "stage.pages": ("生成详情页", "making the detail page"),
    "stage.backup": ("备份", "backing up"),
    "stage.sheet": ("读取商品表", "reading the product sheet"),
    "error.internal": ("内部错误（{stage}）：{detail}", "internal error ({stage}): {detail}"),
    "error.internal.fix": (
        "其他文件照常处理；设置 IMGPIPE_DEBUG=1 重新运行可看到详情，并报告此问题",
        "the other files went on; run again with IMGPIPE_DEBUG=1 for the details, and report it",
    ),
    # --- image loading (imageio.py) ---
    "image.empty": ("文件为空（0 字节）", "the file is empty (0 bytes)"),
    "image.empty.fix": ("重新复制这张照片", "copy the photo again"),
    "image.unreadable": ("无法解码图片：{detail}", "cannot decode the image: {detail}"),
    "image.unreadable.fix": (
        "文件可能损坏或复制不完整，请重新导出或复制",
        "the file may be damaged or incompletely copied; export or copy it again",
    ),
    "image.unsupported": ("不支持的格式 {fmt}", "unsupported format {fmt}"),
    "image.unsupported.fix": ("导出为 JPEG、PNG、TIFF、HEIC、PSD 或相机 RAW",
                              "export it as JPEG, PNG, TIFF, HEIC, PSD or camera RAW"),
    "image.too_large": (
        "图片有 {pixels} 百万像素，超过上限 {limit} 百万像素",
        "the image has {pixels} megapixels, over the limit of {limit}",
    ),
    "image.too_large.fix": (
        "缩小后再放入，或在 imgpipe.toml 中调高 max_megapixels",
        "shrink it first, or raise max_megapixels in imgpipe.toml",
    ),
    "image.no_extension": ("（无扩展名）", "(no extension)"),
    "image.video": ("视频文件（{fmt}）暂不支持", "video files ({fmt}) are not supported yet"),
    "image.video.fix": ("视频请另行上传；从 inbox 移走即可", "upload videos separately; move it out of inbox"),
    "image.not_image": ("不是图片：文件内容不是任何图片格式（扩展名为 {fmt}）",
                        "not an image: the content is no picture format (though named {fmt})"),
    "image.not_image.fix": ("检查是否放错了文件；重新导出照片", "check that this is the right file; export the photo again"),
    "image.truncated": ("图片数据不完整：{detail}", "the image data is incomplete: {detail}"),
    "image.underfilled": ("文件声明 {declared} 像素，但只有 {have} 字节压缩数据",
                          "the file declares {declared} pixels but holds only {have} bytes of compressed data"),
    "image.underfilled_rows": ("只有 {rows}/{height} 行像素数据", "pixel data for only {rows} of {height} rows"),
    "image.tiff_short": ("像素数据应到第 {need} 字节，文件只有 {have} 字节",
                         "the pixel data should reach byte {need}, the file has {have}"),
    "image.jpeg_no_end": ("JPEG 缺少结束标记", "the JPEG has no end marker"),
    "image.float_range": ("浮点（HDR）图片的数值在 {low}…{high}，超出 0…1，无法直接转换",
                          "a float (HDR) image with values {low}…{high}, outside 0…1, cannot be converted as is"),
    "image.float_range.fix": ("在修图软件中色调映射后导出为 8 位或 16 位 TIFF/JPEG",
                              "tone-map it in your editor and export an 8- or 16-bit TIFF or JPEG"),
    "image.raw_unreadable": ("无法读取 RAW 文件：{detail}", "cannot read the RAW file: {detail}"),
    "image.raw_missing": ("读取 RAW 需要 rawpy", "reading RAW files needs rawpy"),
    "image.raw_missing.fix": ("pip install rawpy", "pip install rawpy"),
    "image.psd_unreadable": ("无法读取 PSD 文件：{detail}", "cannot read the PSD file: {detail}"),
    "image.psd_missing": ("读取 PSD 需要 psd-tools", "reading PSD files needs psd-tools"),
    "image.psd_missing.fix": ("pip install psd-tools", "pip install psd-tools"),
    "image.too_small": ("图片只有 {size} 像素，短边小于 {min} 像素，不能作为商品照片",
                        "the image is only {size} pixels, its short side under {min}: not a product photo"),
    "image.too_thin": ("图片为 {size} 像素，长宽比 {ratio}:1 超过 {max}:1，不能作为商品照片",
                       "the image is {size} pixels, {ratio}:1, beyond {max}:1: not a product photo"),
    "image.too_small.fix": ("放入原尺寸的商品照片；图标、横幅请另行处理",
                            "drop the full-size product photo; icons and banners are not processed"),
    "image.bad_icc": ("嵌入的 ICC 色彩配置文件损坏，已忽略（按 sRGB 处理）：{detail}",
                      "the embedded ICC colour profile is broken and was ignored (taken as sRGB): {detail}"),
    "image.cap_unreachable": (
        "即使质量降到 {quality}，{role} 图仍有 {size} 字节，超过上限 {cap}",
        "{role} image is still {size} bytes at quality {quality}, over the cap of {cap}",
    ),
    "image.cap_unreachable.fix": (
        "在平台配置中调高 max_bytes 或降低 min_jpeg_quality",
        "raise max_bytes or lower min_jpeg_quality in the platform profile",
    ),
    "image.png_cap": (
        "{role} 图存为 PNG 有 {size} 字节，超过上限 {cap}（PNG 无损，无法降低质量）",
        "{role} image is {size} bytes as PNG, over the cap of {cap} (PNG is lossless: there is no quality to lower)",
    ),
    "image.png_cap.fix": (
        "在平台配置中调高该角色的 max_bytes，或用 format = \"jpg\"",
        "raise the role's max_bytes in the platform profile, or set format = \"jpg\"",
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
    "ingest.hidden_folder": ("隐藏文件夹 {folder} 中的文件不会被处理", "files in the hidden folder {folder} are not processed"),
    "ingest.hidden_folder.fix": ("把文件夹改名为 {name}（去掉开头的点）", "rename the folder to {name} (without the leading dot)"),
    "ingest.link_outside": ("这是指向 inbox 以外的链接，不会跟随", "a link that leads out of the inbox; not followed"),
    "ingest.link_outside.fix": ("把照片本身复制到 inbox，而不是链接", "copy the photo itself into inbox, not a link to it"),
    "ingest.changed": ("检查后文件又被改动，下次运行时再处理", "the file changed after it was checked; the next run takes it"),
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
    "run.would_plan": ("{article} · {platform}：将写入 {write} 张，将删除 {remove} 张，{same} 张不变",
                       "{article} · {platform}: would write {write}, would remove {remove}, {same} unchanged"),
    "run.would_analyse": ("{article}：将分析 {count} 张照片（新归档的照片分析后再安排输出）",
                          "{article}: would analyse {count} photos (photos not archived yet are planned once analysed)"),
    "run.would_remove": ("  将删除 {path}", "  would remove {path}"),
    "run.problems": ("问题", "Problems"),
    "run.nothing": ("没有需要处理的内容", "nothing to do"),
    "run.pages": ("详情页", "detail pages"),
    "run.worker_died": ("处理此文件时工作进程意外退出（内存不足？）", "the worker process died on this file (out of memory?)"),
    "run.worker_died.fix": (
        "其余文件已处理；可用 --jobs 1 重试，或缩小这张图片",
        "the other files were done; retry with --jobs 1, or shrink this image",
    ),
    "run.unknown_article": ("商品表中没有货号 {articles}，未处理任何内容", "article {articles} is not in the product sheet; nothing done"),
    "run.unknown_article.fix": ("商品表中的货号：{known}", "articles in the sheet: {known}"),
    "run.locked": (
        "另一个 imgpipe 进程（PID {pid}，主机 {host}，启动于 {started}）正在处理此工作区",
        "another imgpipe run (PID {pid} on {host}, started {started}) is working on this workspace",
    ),
    "run.locked.fix": ("等它结束后再运行", "wait for it to finish, then try again"),
    "run.backup_pending": ("尚未备份的文件", "files not yet backed up"),
    "progress.analyse": ("分析照片", "analysing photos"),
    "progress.render": ("生成图片", "making images"),
    "progress.pages": ("渲染详情页", "rendering detail pages"),
    "progress.backup": ("备份", "backing up"),
    "run.output_at": ("输出位于 {path}", "outputs are in {path}"),
    # --- executors (executors.py) ---
    "dask.missing": ("未安装 Dask，无法使用 --executor dask", "Dask is not installed: --executor dask needs it"),
    "dask.missing.fix": ('运行 pip install "dask[distributed]"', 'run pip install "dask[distributed]"'),
    "dask.no_scheduler": ("--executor dask 需要调度器地址", "--executor dask needs a scheduler address"),
    "dask.no_scheduler.fix": ("加上 --scheduler tcp://主机:8786", "add --scheduler tcp://HOST:8786"),
    "dask.unreachable": ("无法连接 Dask 调度器 {address}：{detail}",
                         "cannot reach the Dask scheduler {address}: {detail}"),
    "dask.unreachable.fix": ("在该主机上运行 dask scheduler，并检查地址和防火墙",
                             "start `dask scheduler` on that host and check the address and firewall"),
    "dask.unknown_executor": ("未知的执行方式：{name}", "unknown executor: {name}"),
    "dask.unknown_executor.fix": ("使用 local 或 dask", "use local or dask"),
    # --- catalog (catalog.py) ---
    "catalog.corrupt": ("目录数据库已损坏：{detail}", "the catalog database is damaged: {detail}"),
    "catalog.corrupt.fix": (
        "运行 imgpipe doctor --rebuild，从原图和输出重建目录",
        "run `imgpipe doctor --rebuild` to rebuild it from originals and outputs",
    ),
    "catalog.too_new": ("目录由更新版本的 imgpipe 创建（版本 {version}）", "the catalog was written by a newer imgpipe (schema {version})"),
    "catalog.too_new.fix": ("升级 imgpipe", "upgrade imgpipe"),
    # --- correct (correct.py) ---
    "correct.same_file": ("输出 {dest} 会覆盖一张输入图片或本批的另一个输出", "the output {dest} would overwrite an input or another output of this batch"),
    "correct.same_file.fix": ("用 -o 指定另一个文件夹，或给同名文件改名", "name another folder with -o, or rename one of the files"),
    # --- init (workspace.py) ---
    "init.created": ("已创建工作区 {path}", "workspace created at {path}"),
    "init.exists": ("{path} 已是工作区，未改动", "{path} is already a workspace; left as it is"),
    "init.demo": ("已复制示例店铺（{count} 张照片）", "demo shop copied in ({count} photos)"),
    "init.next": ("下一步：imgpipe -w {path} run", "next: imgpipe -w {path} run"),
    # --- colour (colour.py) ---
    "colour.warn.no_reference": (
        "颜色模式为 reference，但没有可用的灰卡或色卡照片，已改用自动校色",
        "colour mode is reference but no usable grey card or chart shot was found; automatic correction used",
    ),
    "colour.no_chart": ("参考照片中找不到 24 色标准色卡", "no 24-patch ColorChecker found in the reference shot"),
    "colour.no_chart.fix": (
        "让色卡完整、正面、占画面至少 1/6 再拍一张；这批照片先用自动校色",
        "reshoot with the whole chart facing the camera, at least 1/6 of the frame; these photos use auto colour meanwhile",
    ),
    "colour.no_reference": (
        "参考照片中既找不到 24 色标准色卡（ColorChecker），也找不到灰卡",
        "no ColorChecker (24-patch) and no grey card found in the reference shot",
    ),
    "colour.no_reference.fix": (
        "色卡须 24 个色块全部入画、色块之间的黑框清晰、每个色块至少约 15 像素宽、没有强反光、没有阴影落在色块上（方向、位置不限，"
        "可以很小；Passport 打开拍 24 色一面）；灰卡须平整、均匀受光、占画面至少 1/20。重拍后再运行；这批照片先用自动校色",
        "the chart must show all 24 patches with the black gaps between them visible, each patch at least about "
        "15 pixels wide and free of strong glare and from shadows across the patches (any position or turn, small is fine; open a Passport "
        "on its 24-patch side); a grey card must be flat, evenly lit and fill at least 1/20 of the frame. "
        "Reshoot and run again; these photos use auto colour meanwhile",
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
    "colour.why.chart_overexposed": ("过曝：{n} 个色块已到顶（白色块应低于约 245）", "overexposed: {n} patches clipped (the white patch should read below about 245)"),
    "colour.why.fit_poor": (
        "交叉验证误差过大（留一法平均 ΔE2000 {mean}，最差 {worst}，色块「{patch}」），可能有反光、阴影或光线不均",
        "the cross-validated fit is poor (leave-one-out mean ΔE2000 {mean}, worst {worst} on '{patch}'): glare, shadow or uneven light",
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
    "colour.warn.cast_left": (
        "估计有 {deg}° 的色偏未校正，原因：{reason}",
        "an estimated cast of {deg}° was left uncorrected because: {reason}",
    ),
    "colour.warn.cast_left.fix": (
        "在同样的光下拍一张灰卡或色卡参考照片（文件名带 _ref），或在 imgpipe.toml 的 [colour.articles.货号] 设 gains",
        "shoot a grey-card or ColorChecker reference under the same light (file name with _ref), "
        "or set gains under [colour.articles.<article>] in imgpipe.toml",
    ),
    "colour.warn.one_colour": (
        "画面几乎只有一种颜色（特写？），无法判断光源，未校色；建议用同组照片的校正或色卡",
        "the frame is nearly one colour (a close-up?): the light cannot be judged, colour left as it is; "
        "use a correction from the same session or a chart",
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
    # --- cut-out model (workspace.py, cutout.py) ---
    "cutout.model_missing": ("找不到抠图模型文件 {path}", "cut-out model file {path} not found"),
    "cutout.model_unreadable": ("无法加载抠图模型 {path}：{detail}", "cannot load the cut-out model {path}: {detail}"),
    "cutout.model.fix": (
        "在 imgpipe.toml 的 [cutout] model 填写一个 ONNX 显著物体分割模型（如 U²-Net 导出的 u2netp.onnx），或留空使用经典抠图",
        "set [cutout] model in imgpipe.toml to an ONNX salient-object model (e.g. a U²-Net export such as u2netp.onnx), "
        "or leave it empty for the classical cut-out",
    ),
    "cutout.model_runtime": ("使用抠图模型需要 onnxruntime，本机没有安装", "the cut-out model needs onnxruntime, which is not installed"),
    "cutout.model_runtime.fix": ("运行 pip install onnxruntime（或 pip install \"imgpipe[model]\"），或在 [cutout] model 留空",
                                 "run pip install onnxruntime (or pip install \"imgpipe[model]\"), or leave [cutout] model empty"),
    # --- text, labels, watermark (fonts.py, text.py, labels.py, watermark.py) ---
    "font.configured_missing": ("找不到字体文件 {path}", "font file {path} not found"),
    "font.configured_missing.fix": (
        "在 imgpipe.toml 的 [fonts] path 填写一个存在的含中文字形的 .ttf/.otf/.ttc 文件，或留空以自动查找",
        "set [fonts] path in imgpipe.toml to an existing .ttf/.otf/.ttc with Chinese glyphs, or leave it empty to find one",
    ),
    "font.unreadable": ("无法读取字体 {path}：{detail}", "cannot read font {path}: {detail}"),
    "font.none_found": (
        "本机没有找到可免费商用的中文字体（系统自带的微软雅黑、宋体、黑体、苹方等不能用于商品图片）",
        "no Chinese font free for commercial use on this computer (system fonts such as Microsoft YaHei, "
        "SimSun, SimHei or PingFang may not be used on product images)",
    ),
    "font.install.linux": (
        "安装思源黑体 / Noto Sans CJK：$(command -v sudo) apt-get install -y fonts-noto-cjk（Debian/Ubuntu），"
        "或 sudo dnf install google-noto-sans-cjk-fonts（Fedora）；也可在 imgpipe.toml 的 [fonts] path 指定字体文件",
        "install Noto Sans CJK (Source Han Sans): $(command -v sudo) apt-get install -y fonts-noto-cjk (Debian/Ubuntu) "
        "or sudo dnf install google-noto-sans-cjk-fonts (Fedora); or name a font file in [fonts] path in imgpipe.toml",
    ),
    "font.install.windows": (
        "从 https://fonts.google.com/noto/specimen/Noto+Sans+SC 下载 Noto Sans SC（或阿里巴巴普惠体、HarmonyOS Sans SC），"
        "解压后右键字体文件 →「为所有用户安装」；也可在 imgpipe.toml 的 [fonts] path 指定字体文件",
        "download Noto Sans SC from https://fonts.google.com/noto/specimen/Noto+Sans+SC (or Alibaba PuHuiTi, "
        "HarmonyOS Sans SC), unzip, right-click the font file → \"Install for all users\"; "
        "or name a font file in [fonts] path in imgpipe.toml",
    ),
    "font.install.macos": (
        "brew install --cask font-noto-sans-cjk-sc，或从 https://fonts.google.com/noto/specimen/Noto+Sans+SC 下载后"
        "双击字体文件安装；也可在 imgpipe.toml 的 [fonts] path 指定字体文件",
        "brew install --cask font-noto-sans-cjk-sc, or download Noto Sans SC from "
        "https://fonts.google.com/noto/specimen/Noto+Sans+SC and double-click the font file; "
        "or name a font file in [fonts] path in imgpipe.toml",
    ),
    "font.restricted": (
        "字体 {font}（版权属 {owner}）不可免费用于商品图片：系统自带字体只授权在本机显示，不包含商业图片用途，"
        "已有字体公司就电商图片起诉店铺",
        "font {font} (owned by {owner}) is not free for product images: a system font is licensed for display "
        "on that computer, not for commercial images, and font owners have sued shops over exactly this",
    ),
    "font.restricted.fix": (
        "在 imgpipe.toml 的 [fonts] path 改用可免费商用的字体（思源黑体 / Noto Sans CJK SC、阿里巴巴普惠体、"
        "HarmonyOS Sans SC、霞鹜文楷），或确认已购买该字体的商用授权",
        "set [fonts] path in imgpipe.toml to a font free for commercial use (Noto Sans CJK SC / Source Han Sans, "
        "Alibaba PuHuiTi, HarmonyOS Sans SC, LXGW WenKai), or make sure you have bought a commercial licence for it",
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
    "backup.key_unreadable": ("{key} 不是可用的 SSH 私钥", "{key} is not a usable SSH private key"),
    "backup.key_unreadable.fix": (
        "key_file 应指向私钥文件（如 id_ed25519），而不是 .pub 公钥",
        "key_file must name the private key (e.g. id_ed25519), not the .pub file",
    ),
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
    "soldout.unknown_article": ("商品表中没有货号 {article}", "article {article} is not in the product sheet"),
    "soldout.unknown_article.fix": ("商品表中的货号：{known}", "articles in the sheet: {known}"),
    "soldout.unknown_colour": ("货号 {article} 没有颜色「{colour}」", "article {article} has no colour '{colour}'"),
    "soldout.unknown_colour.fix": ("商品表中的颜色：{known}", "colours in the sheet: {known}"),
    "soldout.unknown_size": ("货号 {article} 没有尺码「{size}」", "article {article} has no size '{size}'"),
    "soldout.unknown_size.fix": ("商品表中的尺码：{known}", "sizes in the sheet: {known}"),
    "soldout.need_variant": ("请指定 --colour 或 --size，整个货号用 --all", "give --colour or --size, or --all for the whole article"),
    "soldout.all_conflict": ("--all 不能与 --colour 或 --size 同时使用", "--all cannot be combined with --colour or --size"),
    "soldout.variant_all": ("整个货号", "whole article"),
    "soldout.marked": ("{article} {variant}：已标记售罄", "{article} {variant}: marked sold out"),
    "soldout.restocked": ("{article} {variant}：已恢复有货", "{article} {variant}: back in stock"),
    "soldout.would_mark": ("试运行：{article} {variant} 将被标记售罄（未做任何改动）", "dry run: {article} {variant} would be marked sold out (nothing changed)"),
    "soldout.would_restock": ("试运行：{article} {variant} 将恢复有货（未做任何改动）", "dry run: {article} {variant} would be back in stock (nothing changed)"),
    "soldout.already": ("{article} {variant}：状态未变，无需改图", "{article} {variant}: already so, no image changes"),
    "soldout.would_change": ("将改写 {count} 个文件（文件名不变）：", "{count} files would be rewritten (same names):"),
    "soldout.changed": ("已改写 {count} 个文件（文件名不变）：", "{count} files rewritten (same names):"),
    "soldout.no_outputs": ("该货号还没有输出图片；下次 imgpipe run 时生效", "no output images yet for this article; takes effect at the next `imgpipe run`"),
    "soldout.failed": ("{count} 个文件未能重做：", "{count} files could not be redone:"),
    "backup.cli_verify_missing": ("缺失：{path}", "missing: {path}"),
    "backup.cli_verify_changed": ("已改动：{path}", "changed: {path}"),
    "backup.cli_verify_hint": ("运行 imgpipe backup 重新发送这些文件", "run `imgpipe backup` to send them again"),
    "backup.cli_error": ("{error}", "{error}"),
    "restore.done": ("已从备份恢复 {count} 个文件到 {dest}", "restored {count} files from the backup into {dest}"),
    "backup.timeout": ("服务器在限定时间内没有响应（超时）", "the server did not answer in time (timed out)"),
    "restore.missing": (
        "备份中缺少 {count} 个文件（清单中有记录，目标里已没有）：",
        "{count} files are missing from the backup (the manifest lists them, the target lacks them):",
    ),
    "restore.kept": (
        "{count} 个文件与备份不同，未覆盖（如需覆盖加 --overwrite）",
        "{count} files differ from the backup and were left alone (add --overwrite to replace them)",
    ),
    # --- validation and status board (validate.py, status.py) ---
    "validate.unknown_article": ("找不到货号 {article}（商品表和目录中都没有）", "article {article} is in neither the product sheet nor the catalog"),
    "validate.unknown_article.fix": ("检查货号拼写，或先把它加入商品表", "check the spelling, or add it to the product sheet first"),
    "validate.no_outputs": ("还没有任何输出图片，无法校验", "there are no output images yet, nothing to validate"),
    "validate.no_outputs.fix": ("先运行 imgpipe run 处理照片", "run `imgpipe run` to process the photos first"),
    "validate.plan_unavailable": ("无法重新计算应有的输出：{detail}", "cannot work out which outputs should exist: {detail}"),
    "validate.plan_unavailable.fix": ("先解决该问题，再运行 imgpipe validate", "fix that first, then run `imgpipe validate` again"),
    "validate.name_pattern": ("文件名 {name} 不是「{article}-序号」格式", "file name {name} does not start with '{article}-NN'"),
    "validate.name_pattern.fix": ("删除或改名为 {article}-NN…；imgpipe 生成的文件不要手动改名", "delete it or rename it {article}-NN…; never rename files imgpipe made"),
    "validate.name_long": ("文件名 {name} 超过 {limit} 个字符", "file name {name} is longer than {limit} characters"),
    "validate.name_long.fix": ("缩短颜色名称或货号", "use a shorter colour name or article number"),
    "validate.name_chars": ("文件名 {name} 含有平台不接受的字符（空格、#、%、& 等）", "file name {name} has characters platforms refuse (space, #, %, &, …)"),
    "validate.name_chars.fix": ("在商品表中修改颜色名称后重新运行 imgpipe run", "change the colour name in the sheet and run `imgpipe run` again"),
    "validate.name_unknown": ("{name} 不是 imgpipe 生成的文件", "{name} was not made by imgpipe"),
    "validate.name_unknown.fix": ("确认后删除，或移出输出文件夹", "delete it, or move it out of the output folder"),
    "validate.name_duplicate": ("{role}中序号 {name} 重复", "number {name} appears twice among the {role} images"),
    "validate.name_duplicate.fix": ("删除多余的文件后重新运行 imgpipe run", "delete the extra file and run `imgpipe run` again"),
    "validate.seq_gap": ("{article} 的序号不连续，缺少 {numbers}", "numbers missing in {article}: {numbers}"),
    "validate.seq_gap.fix": ("从备份恢复缺失的文件（imgpipe restore），或重新运行 imgpipe run", "restore the missing files (`imgpipe restore`) or run `imgpipe run` again"),
    "validate.original_missing": ("原图 {name} 不见了", "the original {name} is gone"),
    "validate.original_missing.fix": ("用 imgpipe restore 从备份恢复原图；原图不能删除（R9）", "bring it back with `imgpipe restore`; originals must be kept (R9)"),
    "validate.waiting": ("{article} 还没有照片", "{article} has no photos yet"),
    "validate.waiting.fix": ("拍摄后把照片放进 inbox/{article}/，再运行 imgpipe run", "put the photos in inbox/{article}/ and run `imgpipe run`"),
    "validate.main_none": ("没有主图", "no main image"),
    "validate.main_none.fix": ("补拍照片后运行 imgpipe run", "add photos and run `imgpipe run`"),
    "validate.main_too_many": ("主图 {count} 张，平台最多 {limit} 张", "{count} main images, the platform takes at most {limit}"),
    "validate.main_too_many.fix": ("在 article.toml 的 main 中选出 {limit} 张，或检查平台配置中的 count", "pick {limit} in article.toml (main = [...]) or check count in the profile"),
    "validate.white_none": ("缺少白底图", "no white-background image"),
    "validate.white_none.fix": ("拍一张浅色背景的正面照，或在 article.toml 中用 white = 序号 指定", "shoot one front view on a light backdrop, or choose one with white = N in article.toml"),
    "validate.white_too_many": ("白底图有 {count} 张，只能有 1 张", "{count} white-background images, there must be one"),
    "validate.white_too_many.fix": ("删除多余的白底图后运行 imgpipe run", "delete the extra ones and run `imgpipe run`"),
    "validate.large_none": ("缺少带标注的大图（R7）", "no labelled large image (R7)"),
    "validate.large_none.fix": ("运行 imgpipe run 生成大图", "run `imgpipe run` to make it"),
    "validate.selling_points_few": ("只有 {count} 张卖点图，至少需要 {need} 张（R4）", "only {count} selling-point images, at least {need} are needed (R4)"),
    "validate.selling_points_few.fix": ("在商品表「卖点」列补足 {need} 条卖点（用换行或分号分隔），再运行 imgpipe run", "write at least {need} selling points in the sheet's 卖点 column (one per line or ';'), then run `imgpipe run`"),
    "validate.undecodable": ("{name} 无法解码：{detail}", "{name} cannot be decoded: {detail}"),
    "validate.undecodable.fix": ("删除该文件后重新运行 imgpipe run；原图损坏时从备份恢复", "delete it and run `imgpipe run` again; restore the original from the backup if that is the broken one"),
    "validate.dimensions": ("尺寸 {got} 像素，应为 {want}", "size is {got} px, must be {want}"),
    "validate.dimensions.fix": ("不要手动修改输出图片；重新运行 imgpipe run", "do not edit outputs by hand; run `imgpipe run` again"),
    "validate.width": ("宽度 {got} 像素，应为 {want}", "width is {got} px, must be {want}"),
    "validate.width.fix": ("重新运行 imgpipe run；原图太小时补拍更大的照片", "run `imgpipe run` again; reshoot larger if the original is too small"),
    "validate.slice_height": ("详情切图高 {got} 像素，平台上限 {limit}", "detail slice is {got} px high, the platform takes at most {limit}"),
    "validate.slice_height.fix": ("重新运行 imgpipe run 重新切图", "run `imgpipe run` to slice the page again"),
    "validate.format": ("格式 {got} 不被平台接受（可用：{allowed}）", "format {got} is not accepted (allowed: {allowed})"),
    "validate.format.fix": ("删除该文件后重新运行 imgpipe run", "delete it and run `imgpipe run` again"),
    "validate.format_mismatch": ("文件内容是 {got}，扩展名却是 .{ext}", "the file holds {got} but is named .{ext}"),
    "validate.format_mismatch.fix": ("删除该文件后重新运行 imgpipe run", "delete it and run `imgpipe run` again"),
    "validate.bytes": ("文件大小 {got}，超过平台上限 {limit}", "file is {got}, over the platform's {limit}"),
    "validate.bytes.fix": ("重新运行 imgpipe run（会自动降低质量以满足上限）", "run `imgpipe run` again (quality is lowered to fit)"),
    "validate.cmyk": ("图片是 CMYK，平台需要 RGB", "the image is CMYK; platforms need RGB"),
    "validate.cmyk.fix": ("重新运行 imgpipe run，不要上传 Photoshop 印刷稿", "run `imgpipe run` again; do not upload print (CMYK) files"),
    "validate.not_srgb": ("色彩配置是「{profile}」，不是 sRGB", "colour profile is '{profile}', not sRGB"),
    "validate.not_srgb.fix": ("重新运行 imgpipe run（会转换为 sRGB）", "run `imgpipe run` again (it converts to sRGB)"),
    "validate.alpha": ("图片带透明通道，平台会把透明处变黑或变白", "the image has transparency; the platform flattens it unpredictably"),
    "validate.alpha.fix": ("重新运行 imgpipe run（会铺上白底）", "run `imgpipe run` again (it flattens on white)"),
    "validate.no_watermark_set": ("未设置店铺水印（R2）", "no shop watermark is set (R2)"),
    "validate.no_watermark_set.fix": ("在 imgpipe.toml 的 [watermark] 中设置 text 或 logo，再运行 imgpipe run", "set text or logo under [watermark] in imgpipe.toml, then run `imgpipe run`"),
    "validate.mark_on_white": ("白底图上有水印，平台不允许", "the white-background image carries a mark; the platform forbids it"),
    "validate.mark_on_white.fix": ("检查平台配置 roles.white.watermark = \"none\"，再运行 imgpipe run", "set roles.white.watermark = \"none\" in the profile, then run `imgpipe run`"),
    "validate.white_border": ("白底图边缘不是纯白", "the white-background image's border is not pure white"),
    "validate.white_border.fix": ("选一张背景更干净的照片（article.toml 中 white = 序号），或补拍", "choose a photo with a cleaner backdrop (white = N in article.toml) or reshoot"),
    "validate.mark_skipped": ("产品占满画面，放不下水印，已跳过", "the product fills the frame; the mark was left off"),
    "validate.mark_skipped.fix": ("拍摄时多留边，或在 [watermark] 中减小 size", "leave more margin when shooting, or use a smaller [watermark] size"),
    "validate.mark_missing": ("缺少店铺水印（R2）", "the shop's watermark is missing (R2)"),
    "validate.mark_missing.fix": ("重新运行 imgpipe run；不要上传未加水印的图", "run `imgpipe run` again; never upload unmarked images"),
    "validate.product_box_unknown": ("无法确认水印是否压到商品", "cannot tell whether the mark covers the product"),
    "validate.product_box_unknown.fix": ("重新运行 imgpipe run", "run `imgpipe run` again"),
    "validate.mark_over_product": ("水印压在商品上，该平台主图不允许", "the mark lies over the product; the platform forbids that on main images"),
    "validate.mark_over_product.fix": ("换一个 [watermark] position，或拍摄时多留边，再运行 imgpipe run", "choose another [watermark] position or leave more margin, then run `imgpipe run`"),
    "validate.mark_faint": (
        "水印不够清楚：笔画与周围的对比度只有 {ratio}:1（至少 {level}:1，WCAG 对比度）",
        "the mark is hard to read: its strokes measure only {ratio}:1 against their surroundings (at least {level}:1, WCAG contrast)",
    ),
    "validate.mark_faint.fix": (
        "在 imgpipe.toml 的 [watermark] 设 outline = \"auto\"（或 \"always\"），或调高 opacity、换用与背景反差大的 colour，再运行 imgpipe run",
        "set outline = \"auto\" (or \"always\") under [watermark] in imgpipe.toml, or raise opacity or pick a colour that stands out from the backdrop, then run `imgpipe run`",
    ),
    "validate.mark_invisible": (
        "水印几乎看不见：笔画与周围的对比度 {ratio}:1（至少 {level}:1，WCAG 对比度）",
        "the mark is as good as invisible: its strokes measure {ratio}:1 against their surroundings (at least {level}:1, WCAG contrast)",
    ),
    "validate.mark_invisible.fix": (
        "在 imgpipe.toml 的 [watermark] 设 outline = \"auto\"（或 \"always\"），或换用与背景反差大的 colour（浅色背景用深色水印），再运行 imgpipe run",
        "set outline = \"auto\" (or \"always\") under [watermark] in imgpipe.toml, or pick a colour that stands out (a dark mark on light backdrops), then run `imgpipe run`",
    ),
    "validate.not_in_sheet": ("商品表中没有货号 {article}", "article {article} is not in the product sheet"),
    "validate.not_in_sheet.fix": ("把它加回商品表，或删除其输出文件夹", "add it back to the sheet, or delete its output folder"),
    "validate.missing_name": ("缺少商品名称（R7）", "no product name (R7)"),
    "validate.missing_name.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_colours": ("缺少颜色（R7）", "no colour (R7)"),
    "validate.missing_colours.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_fabric": ("缺少面料/材质（R7）", "no fabric (R7)"),
    "validate.missing_fabric.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_sizes": ("缺少尺码（R7）", "no size (R7)"),
    "validate.missing_sizes.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_note": ("缺少采购说明（R7）", "no purchasing note (R7)"),
    "validate.missing_note.fix": ("请采购在商品表「{column}」列填写", "ask purchasing to fill in the sheet's {column} column"),
    "validate.missing_category": ("缺少类目（R10）", "no category (R10)"),
    "validate.missing_category.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_brand": ("缺少品牌（R10）", "no brand (R10)"),
    "validate.missing_brand.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.missing_title": ("缺少商品标题（R10）", "no listing title (R10)"),
    "validate.missing_title.fix": ("在商品表「{column}」列写一个完整、可搜索的标题", "write a complete, searchable title in the sheet's {column} column"),
    "validate.missing_measurements": ("缺少尺寸数据（R6）", "no measurements (R6)"),
    "validate.missing_measurements.fix": ("在商品表「{column}」列填写实测厘米数", "fill in the measured centimetres in {column}"),
    "validate.missing_price": ("缺少价格（R10）", "no price (R10)"),
    "validate.missing_price.fix": ("在商品表「{column}」列填写", "fill in the sheet's {column} column"),
    "validate.title_long": ("标题 {units} 个字符单位，{platform}上限 {limit}（约 {chars} 个汉字）", "title is {units} units, {platform} allows {limit} (about {chars} Chinese characters)"),
    "validate.title_long.fix": ("在商品表「标题」列缩短标题（汉字算 2，字母数字算 1）", "shorten the title in the sheet (a Chinese character counts 2, a letter or digit 1)"),
    "validate.names_changed": ("售罄后文件名与原来不同（R11）", "sold-out images no longer have their original names (R11)"),
    "validate.names_changed.fix": ("请报告此问题；文件名必须保持不变", "please report this; file names must stay the same"),
    "validate.overlay_missing": ("应有售罄标记「{text}」，但图片上没有（R11）", "should carry the sold-out mark '{text}' but does not (R11)"),
    "validate.overlay_missing.fix": ("运行 imgpipe run 加上标记（文件名不变）", "run `imgpipe run` to add it (names stay the same)"),
    "validate.overlay_left": ("已补货，但图片上仍有售罄标记「{text}」", "restocked, but the image still says '{text}'"),
    "validate.overlay_left.fix": ("运行 imgpipe run 去掉标记", "run `imgpipe run` to take it off"),
    "validate.soldout_unknown_colour": ("售罄颜色「{colour}」不在商品表的颜色中（{known}）", "sold-out colour '{colour}' is not one of the sheet's colours ({known})"),
    "validate.soldout_unknown_colour.fix": ("用 imgpipe restock 取消后，按商品表中的名称重新标记", "undo it with `imgpipe restock` and mark it again with the sheet's name"),
    "validate.soldout_unknown_size": ("售罄尺码「{size}」不在商品表的尺码中（{known}）", "sold-out size '{size}' is not one of the sheet's sizes ({known})"),
    "validate.soldout_unknown_size.fix": ("用 imgpipe restock 取消后，按商品表中的名称重新标记", "undo it with `imgpipe restock` and mark it again with the sheet's name"),
    "validate.no_target": ("未设置备份位置，图片只在这台电脑上（R9）", "no backup target: the images exist on this computer only (R9)"),
    "validate.no_target.fix": ("在 imgpipe.toml 的 [backup] 中设置 target", "set target under [backup] in imgpipe.toml"),
    "validate.not_backed_up": ("{name} 尚未在备份中核实（{state}）", "{name} is not verified in the backup ({state})"),
    "validate.inbox_left": ("仍留在 inbox，未归档：{reason}", "still in the inbox, not archived: {reason}"),
    "validate.inbox_left.fix": ("{fix}", "{fix}"),
    "validate.not_backed_up.fix": ("运行 imgpipe backup，确认备份位置可用", "run `imgpipe backup` with the backup target connected"),
    "validate.backup_stale": ("{name} 在备份后又被改动，备份中是旧版本", "{name} changed after it was backed up; the backup holds an older copy"),
    "validate.backup_stale.fix": ("运行 imgpipe backup", "run `imgpipe backup`"),
    "validate.backup_state.pending": ("等待备份", "waiting"),
    "validate.backup_state.failed": ("上次备份失败", "the last attempt failed"),
    "validate.backup_state.none": ("从未备份", "never sent"),
    "validate.backup_state.done": ("已备份", "done"),
    "validate.cast": ("{name} 校色后背景仍偏色（ΔE {delta_e}，{degrees}°）（R8）", "{name}: the backdrop still has a colour cast after correction (ΔE {delta_e}, {degrees}°) (R8)"),
    "validate.cast.fix": ("同一光线下拍一张灰卡或色卡（文件名含 _ref），或检查背景是否干净", "shoot a grey card or colour chart under the same light (name it …_ref), or check the backdrop is clean"),
    "validate.edge": ("{name} 中商品碰到画面边缘", "{name}: the product touches the edge of the frame"),
    "validate.edge.fix": ("重拍，四周留出空白", "reshoot with a margin all round"),
    "validate.blur": ("{name} 可能失焦（清晰度 {value}，同款其他照片中位数 {median}）", "{name} looks out of focus (sharpness {value}, other photos of the article {median})"),
    "validate.blur.fix": ("重拍，或在 article.toml 的 skip 中排除这张", "reshoot, or leave it out with skip = [N] in article.toml"),
    "validate.duplicate": ("{name} 与 {other} 几乎相同", "{name} is almost the same as {other}"),
    "validate.duplicate.fix": ("换一个角度补拍，或在 article.toml 的 skip 中排除其中一张", "shoot another angle, or leave one out with skip = [N] in article.toml"),
    "validate.not_analysed": ("照片 {name} 尚未处理（可能读取失败）", "photo {name} has not been processed (it may have failed)"),
    "validate.not_analysed.fix": ("运行 imgpipe run 并查看失败信息", "run `imgpipe run` and read its failures"),
    "validate.analysis_stale": ("照片 {name} 的校色设置已改变，尚未重新处理", "the colour settings of {name} changed since it was processed"),
    "validate.analysis_stale.fix": ("运行 imgpipe run", "run `imgpipe run`"),
    "validate.not_made": ("{name} 尚未生成", "{name} has not been made yet"),
    "validate.not_made.fix": ("运行 imgpipe run", "run `imgpipe run`"),
    "validate.file_missing": ("{name} 已被删除或移走", "{name} was deleted or moved"),
    "validate.file_missing.fix": ("运行 imgpipe run 重新生成", "run `imgpipe run` to make it again"),
    "validate.stale": ("{name} 已过期：商品表、设置或平台配置在生成后有改动", "{name} is stale: the sheet, settings or profile changed after it was made"),
    "validate.stale.fix": ("运行 imgpipe run 更新", "run `imgpipe run` to bring it up to date"),
    "validate.older_than_original": ("{name} 比原图 {original} 旧", "{name} is older than its original {original}"),
    "validate.older_than_original.fix": ("原图不应被修改；如确需替换，放入 inbox 作为新照片后运行 imgpipe run", "originals must not change; drop a replacement in inbox/ as a new photo and run `imgpipe run`"),
    "validate.changed_by_hand": ("{name} 在 imgpipe 生成后被手动改过", "{name} was changed by hand after imgpipe made it"),
    "validate.changed_by_hand.fix": ("手动修改会在下次运行时丢失；把修改放在原图或设置中", "hand edits are lost on the next run; make the change in the original or the settings"),
    "validate.left_over": ("{name} 已不再需要", "{name} is no longer wanted"),
    "validate.left_over.fix": ("下次 imgpipe run 会删除它；不要上传", "the next `imgpipe run` removes it; do not upload it"),
    "validate.page_missing": ("{article} 的详情页切图尚未生成", "the detail page of {article} has not been sliced yet"),
    "validate.page_missing.fix": ("安装 Chromium/Chrome 后运行 imgpipe run", "install Chromium or Chrome, then run `imgpipe run`"),
    "validate.page_stale": ("{article} 的详情页已过期", "the detail page of {article} is stale"),
    "validate.page_stale.fix": ("运行 imgpipe run 重新生成", "run `imgpipe run` to render it again"),
    "validate.selling_point_auto": ("卖点图的照片是自动配的，请确认：{pairs}", "selling points were paired with photos automatically, please confirm: {pairs}"),
    "validate.selling_point_auto.fix": ("不对的，在 article.toml 的 selling_points 表中为该卖点指定照片（和裁切）",
                                        "where wrong, name the photo (and crop) for that point in the selling_points tables of article.toml"),
    # --- framing (validate/checks/framing.py) ---
    "validate.fill_out_of_range": ("商品占画面 {fill}，应在 {low}–{high} 之间", "the product fills {fill} of the frame; it should be {low}–{high}"),
    "validate.fill_out_of_range.fix": ("检查原图的商品框；需要时在配置中调整 fill", "check the photo's product box; adjust the role's fill in the profile if needed"),
    "validate.transparent_no_alpha": ("透明图没有透明通道（{mode}）", "the transparent image has no alpha channel ({mode})"),
    "validate.transparent_no_alpha.fix": ("配置中该角色用 png，并设 flatten_alpha = false", "use png for the role and flatten_alpha = false in the profile"),
    "validate.transparent_alpha": ("透明图抠图异常：不透明 {opaque}，半透明 {partial}，或四角不透明", "the transparent image is not a clean cut-out: {opaque} opaque, {partial} partly transparent, or opaque corners"),
    "validate.transparent_alpha.fix": ("换一张背景干净的整件商品照片（article.toml 的 white）", "use a whole-product photo on a plain backdrop (white in article.toml)"),
    "validate.backdrop_in_holes": ("商品镂空处（把手、提带内）留着原图背景，约占画面 {share}；应为纯白或透明",
                                   "the photo's backdrop is left inside a hole of the product (handle, strap), about {share} of the image; it should be white or transparent"),
    "validate.backdrop_in_holes.fix": ("在 article.toml 的 white 中换一张把手/提带内背景干净的照片，或手工修图后放回",
                                       "pick another photo for white in article.toml (backdrop plain inside the handle/strap), or retouch the image by hand"),
    "validate.cutout_scene": ("这张照片不是在纯色背景前拍的（背景起伏 ΔE {noise}，纯色背景不超过 {limit}），抠不出商品，做不了白底图/透明图",
                              "this photo was not shot on a plain backdrop (its border varies by ΔE {noise}; a plain one stays within {limit}): the product cannot be cut out for a white-background or transparent image"),
    "validate.cutout_scene.fix": ("在纯色（最好白色）背景前补拍一张整件商品照，或在 article.toml 中用 white = 序号 选一张背景干净的照片",
                                  "shoot the whole product on a plain (ideally white) backdrop, or pick a photo with a plain backdrop with white = N in article.toml"),
    "validate.role.transparent": ("透明图", "transparent"),
    # --- pairing (validate/checks/pairing.py) ---
    "validate.sku_colour_mismatch": ("SKU 图「{colour}」上的商品看起来是{seen}（与「{colour}」相差 ΔE {delta_e}）",
                                     "the SKU image for '{colour}' shows a {seen} product (ΔE {delta_e} from '{colour}')"),
    "validate.sku_colour_mismatch.fix": ("在 article.toml 的 colours 表中把「{colour}」对应到拍出该颜色的照片序号",
                                         "in the colours table of article.toml, map '{colour}' to the number of a photo that shows it"),
    "validate.colour_unknown_name": ("颜色名「{colour}」不在颜色词表中，无法判断哪张照片是它",
                                     "colour name '{colour}' is not in the colour lexicon: no photo can be matched to it"),
    "validate.colour_unknown_name.fix": ("在 article.toml 的 colours 表中指定照片，或在 imgpipe.toml 的 colours.names 表中定义该颜色",
                                         "map it to a photo in the colours table of article.toml, or define it in the colours.names table of imgpipe.toml"),
    "validate.colour_one_colour_shot": ("商品表有多个颜色（{colour}），但整件商品的照片都是同一种颜色（{photos}）",
                                        "the sheet names several colours ({colour}) but every whole-product photo shows one colour ({photos})"),
    "validate.colour_one_colour_shot.fix": ("补拍其他颜色，或在 article.toml 的 colours 表中逐个指定照片",
                                            "shoot the other colours, or map each colour to a photo in the colours table of article.toml"),
    "validate.colour_no_photo": ("没有照片拍出颜色「{colour}」，它的 SKU 图是猜的", "no photo shows '{colour}': its SKU image is a guess"),
    "validate.colour_no_photo.fix": ("补拍该颜色，或在 article.toml 的 colours 表中指定照片", "shoot that colour, or map it to a photo in the colours table of article.toml"),
    "validate.colour_far_match": ("照片 {photos} 的颜色离「{colour}」较远（ΔE {delta_e}），它的 SKU 图是猜的",
                                  "photos {photos} are far from '{colour}' (ΔE {delta_e}): its SKU image is a guess"),
    "validate.colour_far_match.fix": ("确认后在 article.toml 的 colours 表中指定", "if right, map it in the colours table of article.toml"),
    "validate.colour_ambiguous": ("「{colour}」与另一个颜色都可能是照片 {photos}，无法自动区分",
                                  "'{colour}' and another colour could both be photos {photos}: cannot tell them apart"),
    "validate.colour_ambiguous.fix": ("在 article.toml 的 colours 表中逐个指定照片", "map each colour to its photos in the colours table of article.toml"),
    "validate.colour_extra_colour": ("照片 {photos} 的颜色不在商品表的颜色中", "photos {photos} show a colour that is not in the sheet"),
    "validate.colour_extra_colour.fix": ("检查商品表的颜色，或用 article.toml 的 skip 排除这些照片",
                                         "check the sheet's colours, or leave these photos out with skip in article.toml"),
    "validate.role.main": ("主图", "main"),
    "validate.role.white": ("白底图", "white background"),
    "validate.role.large": ("大图", "large"),
    "validate.role.selling_point": ("卖点图", "selling point"),
    "validate.role.detail": ("细节图", "detail"),
    "validate.role.sku": ("SKU 图", "SKU"),
    "validate.role.page": ("详情切图", "page slice"),
    "validate.check.naming": ("命名", "Naming"),
    "validate.check.counts": ("数量", "Counts"),
    "validate.check.sizes": ("尺寸", "Sizes"),
    "validate.check.marks": ("水印", "Marks"),
    "validate.check.data": ("资料", "Data"),
    "validate.check.pairing": ("配图", "Pairing"),
    "validate.check.framing": ("取景", "Framing"),
    "validate.check.soldout": ("售罄", "Sold out"),
    "validate.check.backup": ("备份", "Backup"),
    "validate.check.quality": ("照片质量", "Photo quality"),
    "validate.check.freshness": ("是否最新", "Up to date"),
    "validate.check_help.naming": ("文件名为「货号-序号」，序号不重复不缺号（R9）", "names are article-NN, numbers neither repeated nor missing (R9)"),
    "validate.check_help.counts": ("主图张数、白底图、大图、至少 5 张卖点图（R4）", "main images, white image, large image, at least 5 selling points (R4)"),
    "validate.check_help.sizes": ("尺寸、详情宽度、切图高度、文件大小、格式、sRGB", "dimensions, detail width, slice height, bytes, format, sRGB"),
    "validate.check_help.marks": ("水印齐全，白底图无水印，主图水印不压商品（R2）", "marks present, none on the white image, none over the product (R2)"),
    "validate.check_help.data": ("名称、颜色、面料、尺码、说明、尺寸、标题、类目、品牌、价格（R6 R7 R10）", "name, colour, fabric, size, note, measurements, title, category, brand, price (R6 R7 R10)"),
    "validate.check_help.pairing": ("SKU 图的颜色与颜色名相符；无法自动判定的颜色、自动配的卖点图需人工确认", "each SKU image shows its named colour; colours that could not be matched and automatic selling-point pairings need a person"),
    "validate.check_help.framing": ("整件商品图的占比、白底图留边、透明图的透明通道", "product fill of whole-product images, margins of white images, alpha of transparent images"),
    "validate.check_help.soldout": ("售罄标记齐全，文件名不变（R11）", "sold-out marks present, names kept (R11)"),
    "validate.check_help.backup": ("每个文件已在备份中核实（R9）", "every file verified in the backup (R9)"),
    "validate.check_help.quality": ("原图：偏色、失焦、重复、商品碰边（R8）", "originals: colour cast, blur, duplicates, product at the edge (R8)"),
    "validate.check_help.freshness": ("输出齐全且与原图、设置一致", "outputs present and made from the current originals and settings"),
    "validate.html.title": ("上架前图片审核", "Pre-upload image review"),
    "validate.html.generated": ("生成于", "generated"),
    "validate.html.platform": ("平台", "Platform"),
    "validate.html.status": ("状态", "Status"),
    "validate.html.all": ("全部", "All"),
    "validate.html.filter_platform": ("平台", "Platform"),
    "validate.html.filter_status": ("状态", "Status"),
    "validate.html.shown": ("显示", "shown"),
    "validate.html.no_findings": ("没有问题", "no problems"),
    "validate.html.more": ("另有 {n} 项", "{n} more"),
    "validate.html.file": ("文件", "file"),
    "validate.html.fix": ("处理办法", "what to do"),
    "validate.html.images": ("图片", "images"),
    "validate.html.missing_file": ("文件缺失", "file missing"),
    "validate.html.checks": ("检查项", "checks"),
    "validate.html.summary_line": ("共 {articles} 个商品：{pass_} 个通过，{warning} 个有提醒，{error} 个有错误，{waiting} 个等待拍摄", "{articles} products: {pass_} pass, {warning} with warnings, {error} with errors, {waiting} waiting for photos"),
    "validate.html.legend": ("绿色通过，黄色提醒，红色必须处理", "green passes, amber is a warning, red must be fixed"),
    "validate.html.article": ("商品", "Product"),
    "validate.html.colour_refs": ("颜色参考", "Colour reference"),
    "validate.colour_ref.chart": (
        "色卡 {file}：留一法 ΔE2000 平均 {loo_mean}，最大 {loo_max}，中性灰行 {loo_neutral}（拟合内平均 {mean}，模型 {model}）",
        "colour chart {file}: leave-one-out ΔE2000 mean {loo_mean}, max {loo_max}, neutral row {loo_neutral} "
        "(in-sample mean {mean}, model {model})"),
    "validate.colour_ref.card": ("灰卡 {file}：白平衡和曝光取自灰卡（只有一个色块，没有留一法误差）",
                                 "grey card {file}: white balance and exposure from the card (one patch: no leave-one-out error)"),
    "validate.html.st.pass": ("通过", "pass"),
    "validate.html.st.warning": ("提醒", "warning"),
    "validate.html.st.error": ("错误", "error"),
    "validate.html.st.waiting": ("等待拍摄", "waiting"),
    "validate.html.sev.error": ("错误", "error"),
    "validate.html.sev.warning": ("提醒", "warning"),
    "validate.table_title": ("图片审核：{platform}（{date}）", "Image review: {platform} ({date})"),
    "validate.summary": ("共 {articles} 个商品：{pass} 个通过，{warning} 个有提醒，{error} 个有错误，{waiting} 个等待拍摄", "{articles} products: {pass} pass, {warning} with warnings, {error} with errors, {waiting} waiting for photos"),
    "validate.more_errors": ("……另有 {n} 个错误，见报告", "… {n} more errors, see the report"),
    "validate.written": ("报告：{html}（JSON：{json}）", "report: {html} (JSON: {json})"),
    "validate.written_all": ("全部平台：{html}", "all platforms: {html}"),
    "validate.seconds": ("校验用时 {seconds} 秒", "validated in {seconds} s"),
    "status.title": ("三天上架看板（今天 {today}，到货后 {days} 天内上架）", "Three-day board (today {today}; on sale within {days} days of arrival)"),
    "status.col.article": ("货号", "Article"),
    "status.col.name": ("名称", "Name"),
    "status.col.arrival": ("到货", "Arrived"),
    "status.col.due": ("截止", "Due"),
    "status.col.state": ("进度", "State"),
    "status.col.timing": ("时限", "Timing"),
    "status.col.listed": ("已上架平台", "Listed on"),
    "status.state.waiting": ("等待拍摄", "waiting for photos"),
    "status.state.processing": ("处理中", "processing"),
    "status.state.ready": ("可上架", "ready"),
    "status.state.listed": ("已上架", "listed"),
    "status.timing.overdue": ("已超期 {days} 天", "overdue by {days} d"),
    "status.timing.due_today": ("今天截止", "due today"),
    "status.timing.on_time": ("还剩 {days} 天", "{days} d left"),
    "status.timing.late": ("已上架（超期）", "listed late"),
    "status.timing.done": ("按时完成", "done on time"),
    "status.timing.no_date": ("没有到货日期", "no arrival date"),
    "status.summary": ("共 {total} 个商品，超期 {overdue} 个，今天截止 {due_today} 个", "{total} products, {overdue} overdue, {due_today} due today"),
    "status.bad_today": ("日期应为 YYYY-MM-DD，而不是 {value}", "a date must be YYYY-MM-DD, not {value}"),
    "status.listed": ("{article} 已标记为在 {platforms} 上架", "{article} marked as listed on {platforms}"),
    "status.unknown_article": ("找不到货号 {article}", "no article {article}"),
    "status.unknown_article.fix": ("检查货号拼写；imgpipe status 列出所有货号", "check the spelling; `imgpipe status` lists every article"),
    # --- watcher (watch.py) ---
    "watch.locked": (
        "已有一个监视进程在处理此工作区（PID {pid}，主机 {host}，启动于 {started}）",
        "another watcher is already running on this workspace (PID {pid} on {host}, started {started})",
    ),
    "watch.locked.fix": (
        "一个工作区只需一个监视进程；如需重启，先停止 PID {pid}",
        "one watcher per workspace is enough; to restart it, stop PID {pid} first",
    ),
    "watch.run_refused": (
        "监视进程（PID {pid}）正在处理此工作区，run 未执行，以免同一照片被编号两次",
        "a watcher (PID {pid}) is processing this workspace; run did nothing, so no photo gets two numbers",
    ),
    "watch.run_refused.fix": (
        "照片放进 inbox/ 即可，监视进程会自动处理；或先停止 PID {pid} 再运行",
        "just drop photos into inbox/, the watcher processes them; or stop PID {pid} and run again",
    ),
    "watch.started": ("开始监视 {inbox}（{mode}，稳定 {settle} 秒后处理）", "watching {inbox} ({mode}, files taken after {settle} s unchanged)"),
    "watch.mode_native": ("系统事件", "native events"),
    "watch.mode_poll": ("轮询，每 {interval} 秒", "polling every {interval} s"),
    "watch.catch_up": ("处理停机期间到达的照片", "processing photos that arrived while stopped"),
    "watch.photo": ("{original} ← {source}（{outputs} 个输出）", "{original} ← {source} ({outputs} outputs)"),
    "watch.slate": ("场记板 {source} → 货号 {article}", "slate {source} → article {article}"),
    "watch.batch": ("本批 {photos} 张照片，{written} 个文件，用时 {seconds} 秒", "batch: {photos} photos, {written} files, {seconds} s"),
    "watch.failed": ("失败：{detail}", "failed: {detail}"),
    "watch.pending": ("留在 inbox：{file}：{reason}", "left in inbox: {file}: {reason}"),
    "watch.unmatched": ("{file} 已移到 inbox/_unmatched/：{reason}", "{file} moved to inbox/_unmatched/: {reason}"),
    "watch.unmatched_reason": (
        "此照片无法对应到商品表中的货号：{reason}。\n把货号加入商品表（products.xlsx / products.csv）并保存，监视进程会自动重试。",
        "this photo matches no article in the product sheet: {reason}.\nAdd the article to the product sheet (products.xlsx / products.csv) and save it; the watcher retries by itself.",
    ),
    "watch.slate_unknown": ("场记板上的货号 {article} 不在商品表中", "the slate names article {article}, which is not in the product sheet"),
    "watch.no_slate_guess": (
        "文件名中的 {article} 不是商品表中的货号，前面也没有场记板",
        "'{article}' from the file name is not an article in the product sheet, and no slate came before it",
    ),
    "watch.no_slate": ("文件名和文件夹中没有货号，前面也没有场记板", "no article in the file or folder name and no slate before it"),
    "watch.sheet_changed": ("商品表已更新，重试 _unmatched 中的照片", "product sheet changed; retrying photos in _unmatched"),
    "watch.undecodable": ("{file} 已稳定 {seconds} 秒但无法解码，继续等待", "{file} unchanged for {seconds} s but does not decode yet; still waiting"),
    "watch.batch_error": ("本批处理出错，稍后重试：{detail}", "batch failed, will retry: {detail}"),
    "watch.stopping": ("正在停止：处理完手头的照片后退出", "stopping: finishing the photo in hand"),
    "watch.stopped": ("监视已停止", "watcher stopped"),
    # --- doctor (doctor.py) ---
    "doctor.disk_low": ("磁盘空间不足：只剩 {free} MB，运行至少需要 {need} MB；目录完好，无需重建。腾出空间后重新运行",
                        "the disk is nearly full: {free} MB free, a run needs at least {need} MB; the catalog is fine, "
                        "no rebuild needed. Free some space, then run again"),
    "doctor.ok": ("检查通过：目录与原图、输出一致", "all good: the catalog matches the originals and outputs"),
    "doctor.catalog_bad": ("目录无法打开：{detail}", "the catalog cannot be opened: {detail}"),
    "doctor.original_missing": ("原图缺失：{path}", "original missing: {path}"),
    "doctor.original_changed": ("原图内容已改变（哈希不符）：{path}", "original changed (hash differs): {path}"),
    "doctor.output_missing": ("输出缺失：{path}（下次 run 会重新生成）", "output missing: {path} (the next run makes it again)"),
    "doctor.temp_files": ("有 {count} 个中断留下的临时文件（下次 run 会清除）", "{count} temp files left by an interrupted run (the next run removes them)"),
    "doctor.fix": ("运行 imgpipe doctor --rebuild 重建目录", "run `imgpipe doctor --rebuild` to rebuild the catalog"),
    "doctor.rebuilt": (
        "目录已重建：{photos} 张原图，{outputs} 个输出；下次 run 会重新生成输出",
        "catalog rebuilt: {photos} originals, {outputs} outputs; the next run redraws the outputs",
    ),
    "doctor.kept": ("损坏的目录保留为 .imgpipe/{name}", "the damaged catalog is kept as .imgpipe/{name}"),
    "doctor.skipped": ("文件名无法识别，未收录：{path}", "name not understood, not indexed: {path}"),
    "doctor.recovered": (
        "从损坏的目录中找回：{photos} 张照片的标记与拍摄时间，{soldout} 条售罄记录，{listings} 条上架记录",
        "taken over from the damaged catalog: marks and capture times of {photos} photos, {soldout} sold-out "
        "marks, {listings} listings",
    ),
    "doctor.lost": (
        "无法从文件名恢复：参考照/场记板标记、拍摄时间、售罄与上架记录",
        "not recoverable from file names: reference/slate marks, capture times, sold-out and listing records",
    ),
    # --- workbench (web/) ---
    "web.serving": ("工作台已启动：{url}（Ctrl-C 停止）", "workbench running at {url} (Ctrl-C stops it)"),
    "web.token_generated": (
        "已生成访问令牌（在上面的地址里）；同一局域网的同事用这个完整地址打开；本机也可用 http://127.0.0.1:{port}/",
        "an access token was generated (it is in the address above); colleagues on the network open that full address; on this PC http://127.0.0.1:{port}/ works too",
    ),
    "web.port_taken": ("无法在 {host}:{port} 上启动：{detail}", "cannot listen on {host}:{port}: {detail}"),
    "web.port_taken.fix": (
        "工作台可能已经在运行（直接打开 http://127.0.0.1:{port}/）；或用 --port 换一个端口",
        "the workbench may already be running (open http://127.0.0.1:{port}/); or choose another --port",
    ),
    "web.watch_failed": ("监视 inbox 未能启动：{detail}", "watching inbox could not start: {detail}"),
    "web.need_token": ("需要访问令牌", "an access token is needed"),
    "web.denied": ("访问令牌不对", "wrong access token"),
    "web.need_token.fix": (
        "用启动 imgpipe serve 时打印的完整地址（含 ?token=…）打开",
        "open the full address printed by imgpipe serve (with ?token=…)",
    ),
    "web.csrf": ("请求缺少页面的安全令牌（CSRF），已拒绝", "request refused: the page's security token (CSRF) is missing"),
    "web.csrf.fix": ("刷新页面后再试", "reload the page and try again"),
    "web.error_title": ("出错了（{status}）", "Something went wrong ({status})"),
    "web.server_error": ("服务器处理时出错（{detail}），详情见运行 imgpipe serve 的窗口", "the server failed ({detail}); the window running imgpipe serve has the details"),
    "web.job_crashed": ("后台任务出错（{detail}），详情见运行 imgpipe serve 的窗口", "the background job failed ({detail}); the window running imgpipe serve has the details"),
    "web.back": ("返回今日看板", "back to today's board"),
    "web.no_file": ("没有这个文件（只提供 originals/、output/、reports/ 里的文件）", "no such file (only files under originals/, output/, reports/ are served)"),
    "web.bad_request": ("请求格式不对", "malformed request"),
    "web.bad_action": ("未知的操作「{action}」", "unknown action '{action}'"),
    "web.bad_photo": ("{article} 没有可用的照片 {seq}", "{article} has no usable photo {seq}"),
    "web.bad_photo.fix": ("可选的照片序号：{known}", "photos you can choose: {known}"),
    "web.bad_selling_point": ("卖点 {index} 不存在（共 {count} 个）", "no selling point {index} (there are {count})"),
    "web.bad_crop": ("裁剪框应为 [x0, y0, x1, y1]，取值 0 到 1", "a crop box is [x0, y0, x1, y1], values 0 to 1"),
    "web.watching.fix": (
        "用 imgpipe serve（不加 --watch）启动工作台即可在页面上修改；照片仍可拖进来",
        "start the workbench without --watch to change things on the page; dropping photos still works",
    ),
    "web.watching_note": ("工作台带 --watch 运行：拖入的照片由监视进程处理；修改、售罄需要不带 --watch 启动", "running with --watch: dropped photos go to the watcher; fixes and sold out need a start without --watch"),
    "web.upload_not_image": ("不是图片（按文件内容判断），已拒绝", "not an image (judged by its content); refused"),
    "web.upload_not_image.fix": ("只拖入照片（JPEG、PNG、TIFF、HEIC、WebP）", "drop photos only (JPEG, PNG, TIFF, HEIC, WebP)"),
    "web.upload_too_big": ("文件超过 {mb} MB，已拒绝", "file larger than {mb} MB; refused"),
    "web.upload_too_big.fix": ("直接复制到工作区的 inbox/ 文件夹", "copy it into the workspace's inbox/ folder instead"),
    "web.nav.today": ("今日看板", "Today"),
    "web.nav.reports": ("检查报告", "Checks"),
    "web.act.validate": ("重新检查全部", "check everything"),
    "web.report_counts": (
        "{articles} 个商品：未通过 {error}，警告 {warning}，通过 {pass}，等待拍摄 {waiting}",
        "{articles} articles: {error} failing, {warning} with warnings, {pass} passing, {waiting} waiting",
    ),
    "web.no_reports": ("还没有检查报告：点「重新检查全部」，或运行 imgpipe validate", "no report yet: press 'check everything', or run imgpipe validate"),
    "web.filter.any_status": ("全部结果", "any result"),
    "web.filter.any_platform": ("全部平台", "any platform"),
    "web.status.error": ("未通过", "failing"),
    "web.status.warning": ("警告", "warning"),
    "web.status.pass": ("通过", "passing"),
    "web.status.waiting": ("等待拍摄", "waiting"),
    "web.filter.search": ("货号或名称", "article or name"),
    "web.filter.any_state": ("全部进度", "any state"),
    "web.filter.any_timing": ("全部时限", "any timing"),
    "web.filter.apply": ("筛选", "Filter"),
    "web.timing.overdue": ("已超期", "overdue"),
    "web.timing.due_today": ("今天截止", "due today"),
    "web.timing.on_time": ("未到期", "on time"),
    "web.timing.late": ("超期上架", "listed late"),
    "web.timing.done": ("按时完成", "done"),
    "web.timing.no_date": ("没有到货日期", "no date"),
    "web.col.photos": ("照片", "Photos"),
    "web.col.failures": ("未通过检查", "Failed checks"),
    "web.pf.ready": ("可上架", "ready"),
    "web.pf.listed": ("已上架", "listed"),
    "web.board_empty": ("没有符合条件的商品", "no article matches"),
    "web.rendered": ("显示 {count} 个商品，用时 {ms} 毫秒", "{count} articles shown in {ms} ms"),
    "web.drop_inbox": ("把照片（或文件夹）拖到这里，等同于复制进 inbox/", "drop photos (or a folder) here: the same as copying them into inbox/"),
    "web.pick_files": ("选择照片…", "Choose photos…"),
    "web.after": ("校色后", "corrected"),
    "web.show_after": ("显示校色后", "show corrected"),
    "web.show_before": ("显示原图", "show originals"),
    "web.drop_article": ("把 {article} 的照片拖到这里", "drop photos of {article} here"),
    "web.colours": ("颜色", "Colours"),
    "web.sizes": ("尺码", "Sizes"),
    "web.selling_points": ("卖点", "Selling points"),
    "web.originals": ("原图", "Originals"),
    "web.originals_hint": ("按拍摄顺序；点一张照片选中它", "in capture order; click a photo to select it"),
    "web.no_photos": ("还没有照片", "no photos yet"),
    "web.kind.reference": ("色卡/灰卡", "reference"),
    "web.kind.slate": ("场记板", "slate"),
    "web.kind.photo": ("照片", "photo"),
    "web.skipped": ("不使用", "skipped"),
    "web.role.main": ("主图", "main"),
    "web.role.white": ("白底图", "white"),
    "web.role.transparent": ("透明图", "transparent"),
    "web.role.large": ("大图", "large"),
    "web.role.detail": ("详情", "detail"),
    "web.role.sku": ("SKU {colour}", "SKU {colour}"),
    "web.role.selling_point": ("卖点 {index}", "selling point {index}"),
    "web.role.main_group": ("主图", "Main images"),
    "web.role.white_group": ("白底图", "White image"),
    "web.role.large_group": ("大图", "Large image"),
    "web.role.sku_group": ("SKU 图（每个颜色一张）", "SKU images (one per colour)"),
    "web.role.selling_point_group": ("卖点图", "Selling-point images"),
    "web.role.detail_group": ("详情图", "Detail images"),
    # outputs described once (roles.py label_of): the transparent image's group, a profile's own role
    "web.role.transparent_group": ("透明素材图", "Transparent images"),
    "web.role.like": ("{label}（{shape}）", "{label} ({shape})"),
    "web.fix": ("指定用图", "Choose photos"),
    "web.select_photo": ("先在上面点选一张照片", "first click a photo above"),
    "web.main_order": ("主图顺序", "main order"),
    "web.auto": ("自动", "automatic"),
    "web.colour": ("颜色", "Colour"),
    "web.size": ("尺码", "Size"),
    "web.selling_point": ("卖点", "Selling point"),
    "web.act.main_add": ("加入主图（排在最后）", "add to main images (last)"),
    "web.act.main_up": ("主图中前移一位", "move earlier among main images"),
    "web.act.main_remove": ("移出主图", "remove from main images"),
    "web.act.main_clear": ("主图恢复自动", "main images: automatic"),
    "web.act.white": ("设为白底图", "make it the white image"),
    "web.act.large": ("设为大图", "make it the large image"),
    "web.act.skip": ("不使用 / 恢复使用", "skip / use again"),
    "web.act.sku": ("设为该颜色的 SKU 图", "make it this colour's SKU image"),
    "web.act.selling_point": ("用于该卖点（整张）", "use for this selling point (whole photo)"),
    "web.act.crop": ("画裁剪框…", "draw a crop box…"),
    "web.act.crop_save": ("保存裁剪", "save the crop"),
    "web.crop_hint": ("在照片上按住鼠标拖出裁剪框", "drag on the photo to draw the crop box"),
    "web.cancel": ("取消", "Cancel"),
    "web.soldout": ("售罄 / 补货", "Sold out / restock"),
    "web.whole_article": ("整个商品", "whole article"),
    "web.sold_out": ("已售罄", "sold out"),
    "web.in_stock": ("有货", "in stock"),
    "web.act.soldout": ("标记售罄", "mark sold out"),
    "web.act.restock": ("补货", "restock"),
    "web.listing": ("上架", "Listing"),
    "web.act.listed": ("标记已在 {platform} 上架", "mark listed on {platform}"),
    "web.checks": ("检查结果", "Checks"),
    "web.act.check": ("重新检查", "check again"),
    "web.checked_now": ("检查于本次修改之后", "checked after the latest change"),
    "web.checked_report": ("来自 {date} 的检查报告（imgpipe validate）", "from the validation report of {date} (imgpipe validate)"),
    "web.not_checked": ("还没有检查过；点「重新检查」，或修改后自动检查", "not checked yet; press 'check again' (fixes check by themselves)"),
    "web.js.saved": ("已保存，正在重新生成…", "saved; redrawing…"),
    "web.js.progress": ("{article}：{stage} {done}/{total}", "{article}: {stage} {done}/{total}"),
    "web.js.started": ("{article}：开始处理", "{article}: started"),
    "web.js.done": ("{article}：完成，写入 {written} 个文件", "{article}: done, {written} files written"),
    "web.js.uploaded": ("已放入 inbox：{count} 个文件", "{count} files put in inbox"),
    "web.js.upload_failed": ("上传失败（连接中断）", "upload failed (connection lost)"),
    "web.js.select_first": ("先点选一张照片", "click a photo first"),
    "web.js.selected": ("已选中照片 {seq}", "photo {seq} selected"),
    "web.js.stage_analyse": ("分析", "analysing"),
    "web.js.stage_render": ("生成图片", "rendering"),
    "web.js.stage_pages": ("详情页", "detail pages"),
}

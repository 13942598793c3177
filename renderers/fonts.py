"""Fonts of the PDF renderer: a subset of Noto Serif CJK SC, built once and cached on disk.

The system font (fonts-noto-cjk) is a 20-27 MB TTC collection holding five regional faces
of 65,535 glyphs each. Pango loads the whole file and WeasyPrint's own per-document
subsetting works on the whole file too, so every PDF pays for it in time and size. We
therefore extract, once per machine, the SC face restricted to the GB2312 character set
(all 6,763 hanzi and its symbols) plus ASCII, Latin-1, general punctuation, CJK symbols
and full-width forms, of the Regular face (bold is the Regular face emboldened when the PDF is
written, see renderers/pdf_fonts.py: the Bold face alone cost some 85 KB per agreement):

- fontTools subsetting, hinting removed, the layout tables kept (GSUB/GPOS features of
  horizontal text, for the ZHS language system), so text and layout stay identical; the
  vertical metrics (vmtx, vhea, VORG) dropped, since no text is set vertically;
- the glyphs of the characters the clause sources use (`priority_codepoints()`, listed in
  renderers/priority_chars.py, and what their layout features reach) moved to the front of
  the glyph order. WeasyPrint embeds each face keeping glyph ids, with a slot for every id
  up to the highest one used: an agreement whose glyphs all lie in the first thousand ids
  embeds a thousand slots, not 8,145 (the empty slots cost about 35 KB per face in the PDF);
- the result is renamed to `SUBSET_FAMILY` (a modified font must not carry the original
  name) and saved under the user cache directory (`font_cache_dir()`), named after a key
  derived from the source file's path, mtime, size and face index (and the priority
  characters), so that a font update rebuilds it; concurrent workers serialise the build with a file lock;
- the subset is served to WeasyPrint through @font-face rules (`font_face_css()`) at weight 400
  and at weight 700 (`is_emboldened()` tells the PDF writer which fonts to embolden), and the
  CSS font-family (`FONT_FAMILY`) lists "Noto Serif CJK SC" right after the subset, so
  that characters outside GB2312 (堃, 喆, 𠇔 in names) still come from the serif face.

When the source font cannot be found or the subset cannot be built, no @font-face rule
is emitted and the system "Noto Serif CJK SC" is used as is (logged, never fatal).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from renderers import locations
from renderers.priority_chars import PRIORITY_CHARS
from store.atomic import atomic_write

log = logging.getLogger(__name__)

SOURCE_FAMILY = "Noto Serif CJK SC"
SUBSET_FAMILY = "VIPContract Serif SC"
# The CSS font stack: the subset first, then the full serif face for rare characters.
FONT_FAMILY = f'"{SUBSET_FAMILY}", "{SOURCE_FAMILY}", serif'
WEIGHTS = {400: "Regular", 700: "Bold"}
# Bump when the character set, the options or the renaming change: old files are ignored.
SUBSET_VERSION = 3
CACHE_ENV = "VIPCONTRACT_FONT_CACHE"

# OpenType features HarfBuzz applies to horizontal text, plus the proportional ones.
_LAYOUT_FEATURES = [
    "ccmp", "locl", "calt", "liga", "clig", "rlig", "rclt",
    "kern", "mark", "mkmk", "palt", "halt",
]
_EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement: ¥ § · ×
    (0x2000, 0x206F),  # general punctuation: — ‘ ’ “ ” … ‰
    (0x2100, 0x218F),  # letterlike symbols and number forms: ℃ № Ⅰ
    (0x2190, 0x22FF),  # arrows, mathematical operators
    (0x2460, 0x24FF),  # enclosed alphanumerics: ① ⑴ ⒈
    (0x2500, 0x25FF),  # box drawing, geometric shapes: □ ■ ○
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、 。 〇 《 》 【 】
    (0xFF00, 0xFFEF),  # full-width forms: （ ） ， ： ；
)


TEMPLATES = locations.TEMPLATES


@dataclass(frozen=True)
class FontFace:
    """One face served by @font-face."""

    weight: int
    path: Path


def font_cache_dir() -> Path:
    """Where subsets are kept: $VIPCONTRACT_FONT_CACHE, else the user cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vipcontract")) / "fonts"


def subset_codepoints() -> set[int]:
    """GB2312 (hanzi and symbols) plus the ranges of `_EXTRA_RANGES`."""
    chars: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for first, last in _EXTRA_RANGES:
        chars.update(range(first, last + 1))
    return chars


def priority_codepoints() -> set[int]:
    """ASCII and `PRIORITY_CHARS`: the characters nearly every document prints, given the lowest
    glyph ids."""
    return set(range(0x20, 0x7F)) | {ord(c) for c in PRIORITY_CHARS}


# Printed by code rather than written in a clause source: amounts in capitals (cn2an), blanks.
_GENERATED_CHARS = "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整＿"
# What a customer's name and address most often hold and the clause sources may not: the common
# surnames, given-name characters, place names, address words and words of company names. GB2312 orders its common hanzi
# by pinyin, which would put 张, 赵 and 周 near the end (a slot each for the 3,000 before them).
_NAME_AND_ADDRESS_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
    "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连"
    "芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖"
    "巩明佘池查麻苑迟邝伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞刚英华玉萍红鹏飞斌宇浩凯健俊帆帅旭阳婷雪琳颖"
    "倩佳怡嘉梓轩涵睿博思雨欣然诗萱晨辉鑫波宏志峰建国平春燕丹海东亮梅晓玲慧莉蕾洁琴桂珍秋菊翠凤云霖"
    "省市区县镇乡村街道路号楼室栋单元层院园巷弄胡同厦广场花园小大中心东西南北京沪津渝冀晋辽吉黑苏浙皖闽"
    "赣鲁豫鄂湘粤桂琼川贵云陕甘青宁新藏港澳台深圳杭州成都武汉沈阳青岛厦门济南哈尔滨福昆合肥郑长沙朝阳"
    "海淀丰台通州顺义昌平浦闵徐汇静安虹口杨普陀宝山嘉定松江奉贤崇明天河越秀番禺福田南山罗湖龙岗滨江"
    "科技股份集团实业贸易投资咨询网络电子商务传媒教育医药健康建筑工程设计物流酒店旅游能源汽车环保装饰置业"
    "地产证券保险农业食品制造机械材料化工纺织服装软件数据智能创新控股国际"
)


def clause_characters() -> str:
    """The characters outside ASCII of templates/ (clause sources, profile defaults, HTML) and of
    the texts contracts/ composes, sorted: what renderers/priority_chars.py lists."""
    chars: set[str] = set(_GENERATED_CHARS) | set(_NAME_AND_ADDRESS_CHARS)
    sources = [*sorted(TEMPLATES.rglob("*")), *sorted((TEMPLATES.parent / "contracts").glob("*.py"))]
    for path in sources:
        if path.suffix in (".yaml", ".toml", ".j2", ".py") and path.is_file():
            chars.update(path.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if ord(c) > 0x7E and (not c.isspace() or c == "\u3000")))


def find_source_font(weight: int) -> tuple[Path, int] | None:
    """File and face index of Noto Serif CJK SC at this weight.

    Asks fontconfig (`fc-match`); without the fontconfig tools, looks for the
    fonts-noto-cjk files in the usual font directories.
    """
    style = WEIGHTS[weight]
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}\n%{family}\n%{style}",
             f"{SOURCE_FAMILY}:style={style}"],
            capture_output=True, text=True, timeout=30, check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("fc-match is not usable (%s), looking in the font directories", exc)
        return _scan_font_dirs(style)
    lines = result.stdout.splitlines()
    if len(lines) < 4:
        return _scan_font_dirs(style)
    path, index, family, found_style = lines[:4]
    if SOURCE_FAMILY not in family.split(",") or style not in found_style.split(","):
        log.warning("%s %s is not installed (fontconfig offers %s %s)",
                    SOURCE_FAMILY, style, family, found_style)
        return None
    return Path(path), int(index or 0)


FONT_SUFFIXES = (".ttc", ".ttf", ".otc", ".otf")


def _scan_font_dirs(style: str) -> tuple[Path, int] | None:
    from fontTools.ttLib import TTCollection, TTFont

    folders = [
        Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
        Path.home() / ".local/share/fonts", Path.home() / ".fonts",
    ]
    # Windows has no fc-match on the PATH: the system fonts folder, and the per-user one that
    # "为当前用户安装" (install for me) uses, where a clerk without admin rights puts the font
    if os.name == "nt":
        folders += [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts",
                    Path(os.environ.get("LOCALAPPDATA", Path.home())) / "Microsoft" / "Windows" / "Fonts"]
    for folder in folders:
        # .otf too: Adobe's and Google's downloads are NotoSerifCJKsc-Regular.otf
        candidates = (p for p in folder.glob(f"**/NotoSerifCJK*-{style}.*") if p.suffix.lower() in FONT_SUFFIXES)
        for path in sorted(candidates):
            try:
                faces = (
                    TTCollection(path, lazy=True).fonts if path.suffix.lower() in (".ttc", ".otc")
                    else [TTFont(path, lazy=True)]
                )
                for index, face in enumerate(faces):
                    names = face["name"]
                    if (names.getDebugName(1), names.getDebugName(2)) == (SOURCE_FAMILY, style):
                        return path, index
            except Exception:  # an unreadable file is skipped
                log.debug("cannot read %s", path, exc_info=True)
    log.warning("%s %s is not installed", SOURCE_FAMILY, style)
    return None


def _cache_key(source: Path, index: int) -> str:
    stat = source.stat()
    # the priority characters too: a clause source gaining a character rebuilds the subset
    first = hashlib.sha256("".join(map(chr, sorted(priority_codepoints()))).encode()).hexdigest()[:16]
    text = f"{source.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{index}|v{SUBSET_VERSION}|{first}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_subset(source: Path, index: int, weight: int, target: Path) -> None:
    """Write the subset of face `index` of `source` to `target` (atomically)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=index, lazy=True, recalcBBoxes=False)
    cmap = font.getBestCmap()
    codepoints = sorted(c for c in subset_codepoints() if c in cmap)
    # Keep only the Simplified Chinese language system: the closure of the JAN/KOR/ZHT/ZHH
    # `locl` lookups would otherwise pull in some 5,500 regional variants.
    for tag in ("GSUB", "GPOS"):
        if tag in font:
            for record in font[tag].table.ScriptList.ScriptRecord:
                script = record.Script
                script.LangSysRecord = [
                    r for r in script.LangSysRecord if r.LangSysTag.strip() == "ZHS"
                ]
                script.LangSysCount = len(script.LangSysRecord)
    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.layout_features = _LAYOUT_FEATURES
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x409]
    options.drop_tables += ["vmtx", "vhea", "VORG"]
    with _quiet("fontTools.subset"):
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        first = _closure(font, options, priority_codepoints())
    _priority_first(font, first)
    _rename(font, weight)
    # A cache of a public font: readable by all, replaced when rebuilt.
    with _quiet("fontTools.ttLib.tables.otTables"):
        atomic_write(target, lambda tmp: font.save(str(tmp)), mode=0o644, overwrite=True)


@contextlib.contextmanager
def _quiet(logger_name: str):
    """fontTools' informational logging held back to warnings (and warnings to errors for the
    reordering, whose Coverage tables are written in range form on purpose)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(max(level, logging.WARNING if logger_name == "fontTools.subset" else logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def _closure(font, options, codepoints: set[int]) -> set[str]:
    """Names of the glyphs a subset to CODEPOINTS keeps: their cmap glyphs and what the layout
    features reach from them (a copy of FONT is subset; FONT itself is left alone)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    buffer = io.BytesIO()
    font.save(buffer)
    copy = TTFont(io.BytesIO(buffer.getvalue()), recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(copy)
    return set(copy.getGlyphOrder())


def _common_hanzi() -> set[int]:
    """GB2312 level 1: the 3,755 hanzi in common use (rows 16-55)."""
    found = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                found.add(ord(bytes((high, low)).decode("gb2312")))
    return found


def _priority_first(font, first: set[str]) -> None:
    """FONT's glyphs reordered: .notdef, the glyphs named in FIRST, the common hanzi (a name or
    an address mostly uses those), then the rest, each group in its former order. Every table is
    read under the old order and written under the new one (for the CID-keyed CFF the charset
    and the FDSelect follow the glyphs)."""
    order = font.getGlyphOrder()
    common_codes = _common_hanzi()
    common = {name for code, name in font.getBestCmap().items() if code in common_codes}

    def rank(name: str) -> int:
        return 0 if name == order[0] else 1 if name in first else 2 if name in common else 3

    new_order = sorted(order, key=rank)  # stable: each group keeps its order
    for tag in font.keys():
        if tag != "GlyphOrder":
            font[tag]  # decompiled while the old glyph ids still hold
    if "CFF " in font:
        top = font["CFF "].cff.topDictIndex[0]
        if hasattr(top, "FDSelect"):
            for gid, name in enumerate(order):
                top.CharStrings[name].fdSelectIndex = top.FDSelect[gid]
            top.FDSelect.gidArray = []  # rebuilt from the charstrings in the new order
        top.charset = new_order
    font.setGlyphOrder(new_order)


def _rename(font, weight: int) -> None:
    style = WEIGHTS[weight]
    ps_name = SUBSET_FAMILY.replace(" ", "") + "-" + style
    names = font["name"]
    for name_id, value in (
        (1, SUBSET_FAMILY),
        (2, style),
        (3, f"{ps_name};subset-v{SUBSET_VERSION}"),
        (4, f"{SUBSET_FAMILY} {style}"),
        (6, ps_name),
    ):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)
    names.names = [
        n for n in names.names if n.nameID not in (1, 2, 3, 4, 6) or n.langID in (0x409, 0)
    ]
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps_name]
        top = cff.topDictIndex[0]
        for key, value in (("FullName", f"{SUBSET_FAMILY} {style}"), ("FamilyName", SUBSET_FAMILY)):
            if hasattr(top, key):
                setattr(top, key, value)


def cached_subset(weight: int) -> Path | None:
    """Path of the cached subset at this weight, building it first if needed."""
    found = find_source_font(weight)
    if found is None:
        return None
    source, index = found
    cache = font_cache_dir()
    # The version in the name: a stale subset is one of the same version (see _remove_stale), so
    # checkouts of two versions on one machine do not remove each other's subsets.
    name = f"{SUBSET_FAMILY.replace(' ', '')}-{WEIGHTS[weight]}-v{SUBSET_VERSION}-{_cache_key(source, index)}.otf"
    target = cache / name
    if target.is_file():
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        with FileLock(str(target) + ".lock", timeout=600):
            if not target.is_file():
                started = time.perf_counter()
                build_subset(source, index, weight, target)
                log.info("built font subset %s in %.1f s", target, time.perf_counter() - started)
                _remove_stale(cache, target)
    except Exception:
        log.warning("cannot build the font subset at %s, using the full font", target,
                    exc_info=True)
        return None
    return target


def _remove_stale(cache: Path, keep: Path) -> None:
    prefix = keep.name.rsplit("-", 1)[0] + "-"
    for old in cache.glob(prefix + "*.otf*"):
        if old.name not in (keep.name, keep.name + ".lock"):
            with contextlib.suppress(OSError):
                old.unlink()


@functools.cache
def font_faces() -> tuple[FontFace, ...]:
    """The faces served at weights 400 and 700, both the Regular subset (bold is drawn by
    emboldening it: renderers.pdf_fonts), or () when the full system font must be used."""
    path = cached_subset(400)
    if path is None:
        return ()
    return tuple(FontFace(weight, path) for weight in WEIGHTS)


def is_emboldened(font) -> bool:
    """Whether WeasyPrint's FONT (weasyprint.pdf.fonts.Font) is the Regular subset served at a bold
    weight (`font_faces`), whose text is to be drawn emboldened."""
    return font.family == SUBSET_FAMILY and font.weight >= 600 and bool(font_faces())


def font_face_css() -> str:
    """@font-face rules of the subset faces ("" when they are not available)."""
    return "\n".join(
        f'@font-face {{ font-family: "{SUBSET_FAMILY}"; font-weight: {face.weight}; '
        f'font-style: normal; src: url("{face.path.as_uri()}"); }}'
        for face in font_faces()
    )


def clear_cache() -> None:
    """Delete the cached subsets (they are rebuilt on next use)."""
    font_faces.cache_clear()
    shutil.rmtree(font_cache_dir(), ignore_errors=True)


if __name__ == "__main__":  # python -m renderers.fonts --priority-chars > renderers/priority_chars.py
    import sys

    if sys.argv[1:] != ["--priority-chars"]:
        sys.exit("usage: python -m renderers.fonts --priority-chars")
    print((Path(__file__).parent / "priority_chars.py").read_text(encoding="utf-8").split("PRIORITY_CHARS = (")[0]
          + "PRIORITY_CHARS = (\n" + "\n".join(
              f'    "{line}"' for line in (lambda t: [t[i:i + 60] for i in range(0, len(t), 60)])(clause_characters()))
          + "\n)", end="\n")

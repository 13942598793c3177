"""Draw a command's terminal text as a PNG, cell by cell, for the README's pictures.

    COLUMNS=80 vipcontract list | python docs/terminal_png.py docs/list-80.png "vipcontract list"

Each character is placed at its terminal cell (a Chinese character takes two), so the picture
shows exactly what an 80-column terminal shows. Box lines are drawn as lines through the middle
of their cell and the full height of the line (the font draws them two cells wide, and a line
spacing wider than the glyph would break the vertical ones).
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 7  # Noto Sans Mono CJK SC in the collection
# one cell wide in a terminal, full width in the CJK font (“ ” …): drawn with a narrow font
NARROW_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SIZE = 16
CELL = SIZE // 2
LINE = int(SIZE * 1.3)
PAD = 12
INK, PAPER, PROMPT = (32, 32, 32), (252, 252, 250), (0, 110, 60)
# which arms of a box-drawing character are drawn: up, down, left, right
ARMS = {"─": "lr", "│": "ud", "┌": "dr", "┐": "dl", "└": "ur", "┘": "ul", "├": "udr", "┤": "udl",
        "┬": "dlr", "┴": "ulr", "┼": "udlr"}


def cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def draw(text: str, command: str, columns: int = 80) -> Image.Image:
    lines = [f"$ {command}", *text.rstrip("\n").split("\n")]
    font = ImageFont.truetype(FONT, SIZE, index=FONT_INDEX)
    narrow = ImageFont.truetype(NARROW_FONT, SIZE - 3)
    image = Image.new("RGB", (columns * CELL + 2 * PAD, len(lines) * LINE + 2 * PAD), PAPER)
    pen = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        col, y = 0, PAD + row * LINE
        for ch in line:
            x = PAD + col * CELL
            if ch in ARMS:
                box(pen, ARMS[ch], x, y)
            else:
                ambiguous = unicodedata.east_asian_width(ch) == "A" and ord(ch) > 0x7F
                pen.text((x, y + (2 if ambiguous else 0)), ch, font=narrow if ambiguous else font,
                         fill=PROMPT if row == 0 else INK)
            col += cells(ch)
    return image


def box(pen: ImageDraw.ImageDraw, arms: str, x: float, y: float) -> None:
    cx, cy = x + CELL / 2, y + LINE / 2
    ends = {"u": (cx, y), "d": (cx, y + LINE), "l": (x, cy), "r": (x + CELL, cy)}
    for arm in arms:
        pen.line([(cx, cy), ends[arm]], fill=INK, width=1)


if __name__ == "__main__":
    draw(sys.stdin.read(), sys.argv[2]).save(Path(sys.argv[1]), optimize=True)

"""Draw the brand images in custom_components/sms_gateway/brand/.

Home Assistant 2026.3 and later serve a custom integration's own icon and logo
from its ``brand/`` directory (``/api/brands/integration/sms_gateway/...``).
The images follow the home-assistant/brands specification: PNG with a
transparent background, trimmed to the artwork; icons square at 256x256
(``@2x``: 512x512); logos with a shortest side of 128-256 px (``@2x``:
256-512 px, the largest preferred); ``dark_`` variants for dark themes.

The artwork is original: two overlapping speech bubbles, a teal one in front
carrying three white text lines (a message sent) and an amber one behind it (a
message received), separated by a transparent gap. The logo adds the words
"SMS Gateway" in Pillow's own bundled font, so the result does not depend on
the fonts of the machine that runs this script. Every image is drawn at
``SUPERSAMPLE`` times its size and reduced with a Lanczos filter, which gives
clean anti-aliased edges.

Usage: scripts/py scripts/brand.py [--out DIRECTORY]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import PIL
from PIL import Image, ImageChops, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = ROOT / "custom_components" / "sms_gateway" / "brand"

SUPERSAMPLE = 4
# The icon is designed on a GRID x GRID canvas and scaled to the output size.
GRID = 256.0
ICON_SIZE = 256
LOGO_HEIGHT = 256  # the brands rules allow 128-256 px and prefer the largest
# Written into every PNG: the drawing is exact for one Pillow version, so the
# test compares pixels only when it runs on the Pillow that drew the files.
SOFTWARE = f"scripts/brand.py, Pillow {PIL.__version__}"

type Point = tuple[float, float]
type Color = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """Colours of one variant (for light or for dark backgrounds)."""

    front_top: Color
    front_bottom: Color
    back_top: Color
    back_bottom: Color
    glyph: Color
    word_accent: Color
    word: Color


LIGHT = Palette(
    front_top=(0x14, 0xB8, 0xA6),
    front_bottom=(0x0B, 0x76, 0x6E),
    back_top=(0xFC, 0xC9, 0x3A),
    back_bottom=(0xF5, 0x9E, 0x0B),
    glyph=(0xFF, 0xFF, 0xFF),
    word_accent=(0x0B, 0x76, 0x6E),
    word=(0x1E, 0x29, 0x3B),
)
DARK = Palette(
    front_top=(0x2D, 0xD4, 0xBF),
    front_bottom=(0x0D, 0x94, 0x88),
    back_top=(0xFD, 0xD5, 0x5C),
    back_bottom=(0xFB, 0xB0, 0x24),
    glyph=(0xFF, 0xFF, 0xFF),
    word_accent=(0x2D, 0xD4, 0xBF),
    word=(0xF1, 0xF5, 0xF9),
)

# Geometry on the design grid. Front bubble: the message going out; its tail
# grows out of the bottom-left corner.
FRONT_BOX = (0.0, 62.0, 206.0, 214.0)
FRONT_RADIUS = 40.0
FRONT_TAIL = ((0.0, 150.0), (0.0, 256.0), (36.0, 226.0), (84.0, 213.0), (84.0, 150.0))
# Back bubble: the message coming in, partly hidden behind the front one; its
# tail grows out of the bottom-right corner.
BACK_BOX = (90.0, 0.0, 256.0, 136.0)
BACK_RADIUS = 36.0
BACK_TAIL = ((256.0, 70.0), (256.0, 174.0), (228.0, 148.0), (190.0, 135.0), (190.0, 70.0))
# Transparent gap cut around the front bubble into the back bubble.
GAP = 11.0
# Text lines inside the front bubble: (left, right, vertical centre).
LINES = ((36.0, 170.0, 104.0), (36.0, 170.0, 138.0), (36.0, 122.0, 172.0))
LINE_THICKNESS = 18.0

# Logo: space between icon and words, and the words' cap height, as fractions
# of the logo height.
WORD_GAP = 0.17
CAP_HEIGHT = 0.40


def _bezier(start: Point, control: Point, end: Point, steps: int = 48) -> list[Point]:
    """Return points along a quadratic Bezier curve, both ends included."""
    points = []
    for index in range(steps + 1):
        t = index / steps
        u = 1.0 - t
        points.append(
            (
                u * u * start[0] + 2 * u * t * control[0] + t * t * end[0],
                u * u * start[1] + 2 * u * t * control[1] + t * t * end[1],
            )
        )
    return points


def _tail(edge: Point, tip: Point, control: Point, base: Point, inside: Point) -> list[Point]:
    """Outline a speech-bubble tail growing out of a corner of its bubble.

    One side continues the bubble's straight edge from ``edge`` down to the
    ``tip``; the other swoops back to the bubble's bottom edge at ``base``,
    bent towards ``control``. ``inside`` closes the shape within the bubble, so
    the tail covers the rounded corner it replaces.
    """
    return [edge, *_bezier(tip, control, base), inside]


def _gradient(size: int, top: Color, bottom: Color, mask: Image.Image) -> Image.Image:
    """Fill a vertical top-to-bottom gradient, opaque where mask is set."""
    ramp = Image.linear_gradient("L").resize((size, size), Image.Resampling.BILINEAR)
    layer = Image.composite(
        Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), ramp
    ).convert("RGBA")
    layer.putalpha(mask)
    return layer


def _icon_supersampled(size: int, palette: Palette) -> Image.Image:
    """Draw the icon at size x size pixels (size already supersampled), unreduced."""
    scale = size / GRID

    def box(left: float, top: float, right: float, bottom: float) -> list[float]:
        return [left * scale, top * scale, right * scale - 1, bottom * scale - 1]

    def polygon(points: Sequence[Point]) -> list[Point]:
        return [(x * scale, y * scale) for x, y in points]

    front = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(front)
    draw.rounded_rectangle(box(*FRONT_BOX), radius=FRONT_RADIUS * scale, fill=255)
    draw.polygon(polygon(_tail(*FRONT_TAIL)), fill=255)

    back = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(back)
    draw.rounded_rectangle(box(*BACK_BOX), radius=BACK_RADIUS * scale, fill=255)
    draw.polygon(polygon(_tail(*BACK_TAIL)), fill=255)

    # The gap follows the front bubble's outline: the same rounded rectangle,
    # grown by GAP on every side (the front tail is far from the back bubble).
    gap = Image.new("L", (size, size), 0)
    left, top, right, bottom = FRONT_BOX
    ImageDraw.Draw(gap).rounded_rectangle(
        box(left - GAP, top - GAP, right + GAP, bottom + GAP),
        radius=(FRONT_RADIUS + GAP) * scale,
        fill=255,
    )
    back = ImageChops.subtract(back, gap)

    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    icon.alpha_composite(_gradient(size, palette.back_top, palette.back_bottom, back))
    icon.alpha_composite(_gradient(size, palette.front_top, palette.front_bottom, front))

    draw = ImageDraw.Draw(icon)
    half = LINE_THICKNESS / 2
    for line_left, line_right, centre in LINES:
        draw.rounded_rectangle(
            box(line_left, centre - half, line_right, centre + half),
            radius=half * scale,
            fill=(*palette.glyph, 255),
        )
    return icon


def _reduce(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Reduce a supersampled image (Lanczos; Pillow premultiplies alpha for it)."""
    return image.resize(size, Image.Resampling.LANCZOS)


def _trim(image: Image.Image) -> Image.Image:
    """Crop an image to its non-transparent pixels."""
    bbox = image.getchannel("A").getbbox()
    if bbox is None:
        raise ValueError("empty image")
    return image.crop(bbox)


def draw_icon(size: int, palette: Palette) -> Image.Image:
    """Draw the square icon, size x size pixels."""
    return _reduce(_icon_supersampled(size * SUPERSAMPLE, palette), (size, size))


def draw_logo(height: int, palette: Palette) -> Image.Image:
    """Draw the logo: the icon and the words "SMS Gateway", height pixels tall."""
    big = height * SUPERSAMPLE
    # Pillow's bundled scalable font (Aileron Regular): the same on every machine.
    probe = ImageFont.load_default(size=1000)
    cap_top, cap_bottom = probe.getbbox("H", anchor="ls")[1::2]
    font_size = round(CAP_HEIGHT * big * 1000 / (cap_bottom - cap_top))
    font = ImageFont.load_default(size=font_size)
    # A stroke in the fill colour turns the regular weight into a semi-bold one.
    stroke = max(1, round(font_size * 0.028))

    accent, rest = "SMS", " Gateway"
    text_left = big + round(WORD_GAP * big)
    width = text_left + round(font.getlength(accent + rest)) + 4 * stroke + big // 8
    canvas = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    canvas.alpha_composite(_icon_supersampled(big, palette))

    draw = ImageDraw.Draw(canvas)
    # Baseline such that the capitals sit centred on the icon's middle.
    baseline = big / 2 + CAP_HEIGHT * big / 2
    for text, x, colour in (
        (accent, text_left, palette.word_accent),
        (rest, text_left + font.getlength(accent), palette.word),
    ):
        draw.text(
            (x, baseline),
            text,
            font=font,
            anchor="ls",
            fill=(*colour, 255),
            stroke_width=stroke,
            stroke_fill=(*colour, 255),
        )
    canvas = _trim(canvas)
    reduced_width = round(canvas.width * height / canvas.height)
    return _reduce(canvas, (reduced_width, height))


def render_all() -> dict[str, Image.Image]:
    """Draw every brand image, by file name."""
    images: dict[str, Image.Image] = {}
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        for suffix, factor in (("", 1), ("@2x", 2)):
            images[f"{prefix}icon{suffix}.png"] = draw_icon(ICON_SIZE * factor, palette)
            images[f"{prefix}logo{suffix}.png"] = draw_logo(LOGO_HEIGHT * factor, palette)
    return images


def main(argv: Sequence[str] | None = None) -> int:
    """Write the brand images."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=BRAND_DIR, help=f"target directory (default: {BRAND_DIR})"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    for name, image in render_all().items():
        path = out / name
        image.save(path, optimize=True, pnginfo=info)
        print(f"{path}: {image.width}x{image.height}, {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

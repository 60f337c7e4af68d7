"""Brand images: the files Home Assistant 2026.3+ serves from brand/, and their rules.

Rules from the home-assistant/brands README (image specification), which the
developer documentation points to for a custom integration's ``brand/``
directory: PNG, transparency preferred, trimmed to the artwork; icon 1:1 at
256x256 (hDPI 512x512); logo with a shortest side of 128-256 px (hDPI
256-512 px), landscape preferred; ``dark_`` variants for dark backgrounds.
"""

from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
import sys
from types import ModuleType

from homeassistant.components.brands.const import ALLOWED_IMAGES
import PIL
from PIL import Image
import pytest

ROOT = Path(__file__).resolve().parent.parent
BRAND = ROOT / "custom_components" / "sms_gateway" / "brand"
SCRIPT = ROOT / "scripts" / "brand.py"

ICONS = {
    "icon.png": 256,
    "icon@2x.png": 512,
    "dark_icon.png": 256,
    "dark_icon@2x.png": 512,
}
LOGOS = {  # shortest side: (at least, at most)
    "logo.png": (128, 256),
    "logo@2x.png": (256, 512),
    "dark_logo.png": (128, 256),
    "dark_logo@2x.png": (256, 512),
}
REQUIRED = set(ICONS) | set(LOGOS)


def _open(name: str) -> Image.Image:
    image = Image.open(BRAND / name)
    image.load()
    return image


def _brand_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import scripts/brand.py (scripts/ is not a package)."""
    name = "sms_gateway_brand_script"
    spec = spec_from_file_location(name, SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the script loads.
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_exactly_the_supported_files() -> None:
    """Home Assistant looks up only these eight names; nothing else belongs there."""
    assert set(ALLOWED_IMAGES) == REQUIRED
    assert {path.name for path in BRAND.iterdir()} == REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_png_with_transparent_background(name: str) -> None:
    image = _open(name)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    # The background is transparent: the top-left corner lies outside the artwork.
    assert alpha.getpixel((0, 0)) == 0
    # Trimmed: the artwork reaches every edge, no empty border is left around it.
    assert alpha.getbbox() == (0, 0, image.width, image.height)


@pytest.mark.parametrize(("name", "size"), sorted(ICONS.items()))
def test_icon_size(name: str, size: int) -> None:
    assert _open(name).size == (size, size)


@pytest.mark.parametrize(("name", "limits"), sorted(LOGOS.items()))
def test_logo_size(name: str, limits: tuple[int, int]) -> None:
    width, height = _open(name).size
    low, high = limits
    assert low <= min(width, height) <= high
    assert width > height  # landscape, as the brands rules prefer


def test_variants_match() -> None:
    """hDPI images are the same artwork at twice the size; dark ones match light ones."""
    for base in ("icon", "logo"):
        normal = _open(f"{base}.png").size
        double = _open(f"{base}@2x.png").size
        assert double[1] == 2 * normal[1]
        assert abs(double[0] - 2 * normal[0]) <= 4
        for suffix in ("", "@2x"):
            assert _open(f"dark_{base}{suffix}.png").size == _open(f"{base}{suffix}.png").size


def test_script_reproduces_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/brand.py draws exactly the committed images."""
    brand = _brand_script(monkeypatch)
    assert brand.main(["--out", str(tmp_path)]) == 0
    assert {path.name for path in tmp_path.iterdir()} == REQUIRED
    for name in sorted(REQUIRED):
        committed, drawn = _open(name), Image.open(tmp_path / name)
        assert drawn.size == committed.size, name
        assert drawn.mode == committed.mode, name
    # The drawing is exact for one Pillow version; another one may rasterise
    # edges a little differently, so pixels are compared only on the same one.
    made_with = _open("icon.png").info.get("Software")
    if made_with != brand.SOFTWARE:
        pytest.skip(
            f"brand images were drawn by {made_with!r}, this is Pillow {PIL.__version__}: "
            "sizes match; run scripts/brand.py to redraw them with this Pillow"
        )
    for name in sorted(REQUIRED):
        committed, drawn = _open(name), Image.open(tmp_path / name)
        assert committed.tobytes() == drawn.tobytes(), (
            f"{name} differs from what scripts/brand.py draws: run it to redraw the images"
        )

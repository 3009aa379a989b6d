"""Makes the ImageData test fixtures and their reference arrays.

Run from anywhere with the reference venv (see scripts/requirements.txt):
    /tmp/graft-venv/bin/python Tests/ImageDataTests/Fixtures/make_fixtures.py

Inputs are photos bundled with scikit-image (chelsea, coffee, astronaut), shrunk so each
file is a few KB. Outputs, next to this script:
  jpeg/*.jpg + *.npy     JPEGs (qualities, progressive, gray, CMYK, EXIF orientations 1-8)
                         and Pillow's decoded pixels (EXIF applied), uint8 [H, W, 3]
  png/*.png + *.npy      PNGs written by the small encoder below (every colour type, bit
                         depths 1-16, tRNS, alpha) and the expected RGB8 pixels, computed
                         from the source arrays with the rules ImageData documents:
                         16-bit -> round(v / 257); low bit depths replicate bits
                         (v * 255 / (2^n - 1)); alpha composited on white,
                         (c * a + 255 * (255 - a) + 127) // 255.
  resize/*.npy           resize references of png/rgb8.png: Pillow BILINEAR (antialiased)
                         as uint8 and skimage order=1 without antialiasing (mode="edge")
                         as float32
  preprocess/*.npy       [1, 3, H, W] float32 tensors for three small recipes
  corrupt/huge_header.png  a valid-looking PNG whose IHDR claims 100000 x 100000
"""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import skimage
import skimage.data
import skimage.transform
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent


def save_npy(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def shrink(photo: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(photo).resize((width, height), Image.BILINEAR))


# ---------------------------------------------------------------- JPEG

def make_jpegs(chelsea: np.ndarray, coffee: np.ndarray, astronaut: np.ndarray) -> None:
    folder = HERE / "jpeg"
    folder.mkdir(exist_ok=True)

    def write(name: str, image: Image.Image, **options) -> None:
        image.save(folder / f"{name}.jpg", format="JPEG", **options)
        with Image.open(folder / f"{name}.jpg") as decoded:
            upright = ImageOps.exif_transpose(decoded).convert("RGB")
            save_npy(folder / f"{name}.npy", np.asarray(upright))

    base = Image.fromarray(shrink(chelsea, 48, 32))
    for quality in (30, 75, 95):
        write(f"chelsea_q{quality}", base, quality=quality)
    write("chelsea_q90_444", base, quality=90, subsampling=0)
    write("coffee_progressive", Image.fromarray(shrink(coffee, 60, 40)), quality=85, progressive=True)
    write("astronaut_gray", Image.fromarray(shrink(astronaut, 40, 40)).convert("L"), quality=90)
    write("coffee_cmyk", Image.fromarray(shrink(coffee, 30, 20)).convert("CMYK"), quality=95)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        write(f"orientation_{orientation}", base, quality=90, exif=exif.tobytes())


# ---------------------------------------------------------------- PNG

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(samples: np.ndarray, color_type: int, bit_depth: int,
               palette: np.ndarray | None = None, trns: bytes | None = None,
               width: int | None = None, height: int | None = None) -> bytes:
    """samples: [H, W, C] integers already in the PNG's sample range (indices for palettes)."""
    h, w, c = samples.shape
    rows = []
    for row in samples:
        if bit_depth == 16:
            raw = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            raw = row.astype(np.uint8).tobytes()
        else:
            values = row.reshape(-1).astype(np.uint8)
            per_byte = 8 // bit_depth
            padded = np.zeros(-(-len(values) // per_byte) * per_byte, np.uint8)
            padded[: len(values)] = values
            groups = padded.reshape(-1, per_byte)
            packed = np.zeros(len(groups), np.uint8)
            for i in range(per_byte):
                packed |= groups[:, i] << (8 - bit_depth * (i + 1))
            raw = packed.tobytes()
        rows.append(b"\x00" + raw)
    ihdr = struct.pack(">IIBBBBB", width or w, height or h, bit_depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if palette is not None:
        out += png_chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + png_chunk(b"IEND", b"")
    return out


def on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.int64)
    a = alpha.astype(np.int64)[..., None]
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def to8(samples16: np.ndarray) -> np.ndarray:
    return np.round(samples16.astype(np.float64) / 257).astype(np.uint8)


def make_pngs(chelsea: np.ndarray, coffee: np.ndarray) -> None:
    folder = HERE / "png"
    folder.mkdir(exist_ok=True)

    def write(name: str, data: bytes, expected_rgb: np.ndarray) -> None:
        (folder / f"{name}.png").write_bytes(data)
        save_npy(folder / f"{name}.npy", expected_rgb.astype(np.uint8))

    rgb = shrink(coffee, 40, 30)
    h, w, _ = rgb.shape
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    ramp = np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))
    rng = np.random.default_rng(7)
    wide = rgb.astype(np.uint16) * 257 + rng.integers(0, 257, rgb.shape, dtype=np.uint16)
    wide_gray = gray.astype(np.uint16) * 257 + rng.integers(0, 257, gray.shape, dtype=np.uint16)

    write("rgb8", encode_png(rgb, 2, 8), rgb)
    # Pillow must agree on the plain case, or the encoder above is wrong.
    assert (np.asarray(Image.open(folder / "rgb8.png").convert("RGB")) == rgb).all()
    write("rgba8", encode_png(np.dstack([rgb, ramp]), 6, 8), on_white(rgb, ramp))
    write("gray8", encode_png(gray[..., None], 0, 8), np.dstack([gray] * 3))
    write("gray_alpha8", encode_png(np.dstack([gray, ramp]), 4, 8),
          on_white(np.dstack([gray] * 3), ramp))
    write("rgb16", encode_png(wide, 2, 16), to8(wide))
    write("rgba16", encode_png(np.dstack([wide, ramp.astype(np.uint16) * 257]), 6, 16),
          on_white(to8(wide), ramp))
    write("gray16", encode_png(wide_gray[..., None], 0, 16), np.dstack([to8(wide_gray)] * 3))
    for bits in (1, 2, 4):
        levels = (gray.astype(np.int64) * ((1 << bits) - 1) + 127) // 255
        expanded = (levels * 255 // ((1 << bits) - 1)).astype(np.uint8)
        write(f"gray{bits}", encode_png(levels[..., None], 0, bits), np.dstack([expanded] * 3))

    # Gray with tRNS: one gray level becomes fully transparent.
    transparent_level = int(gray[h // 2, w // 2])
    alpha = np.where(gray == transparent_level, 0, 255)
    write("gray8_trns", encode_png(gray[..., None], 0, 8, trns=struct.pack(">H", transparent_level)),
          on_white(np.dstack([gray] * 3), alpha))

    # Palette of 16 colours (4-bit indices) with partial transparency via tRNS.
    quantised = Image.fromarray(rgb).quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    indices = np.asarray(quantised)
    palette = np.asarray(quantised.getpalette()[: 16 * 3]).reshape(16, 3)
    palette_alpha = np.linspace(255, 40, 16).round().astype(np.uint8)
    write("palette4_trns", encode_png(indices[..., None], 3, 4, palette=palette, trns=palette_alpha.tobytes()),
          on_white(palette[indices], palette_alpha[indices]))
    write("palette8", encode_png(indices[..., None], 3, 8, palette=palette), palette[indices])


# ---------------------------------------------------------------- resize and preprocessing

def make_resize_references() -> None:
    folder = HERE / "resize"
    source = np.load(HERE / "png" / "rgb8.npy")  # 40 x 30
    for width, height in ((17, 11), (20, 15), (9, 30), (73, 50)):
        pil = np.asarray(Image.fromarray(source).resize((width, height), Image.BILINEAR))
        save_npy(folder / f"pil_bilinear_{width}x{height}.npy", pil)
        plain = skimage.transform.resize(source, (height, width), order=1, mode="edge",
                                         anti_aliasing=False, preserve_range=True)
        save_npy(folder / f"skimage_linear_{width}x{height}.npy", plain.astype(np.float32))


def to_tensor(hwc: np.ndarray, mean, std, bgr: bool = False) -> np.ndarray:
    x = hwc.astype(np.float32)
    if bgr:
        x = x[:, :, ::-1]
    x = (x - np.float32(mean)) / np.float32(std)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def make_preprocess_references() -> None:
    folder = HERE / "preprocess"
    image = Image.fromarray(np.load(HERE / "jpeg" / "coffee_progressive.npy"))  # 60 x 40

    # size=24, resize=shorter:32 (torchvision-like): 32 on the shorter side, truncated longer side.
    w, h = image.size
    short = 32
    resized = image.resize((int(short * w / h), short) if h < w else (short, int(short * h / w)), Image.BILINEAR)
    rw, rh = resized.size
    left, top = (rw - 24) // 2, (rh - 24) // 2
    crop = np.asarray(resized)[top:top + 24, left:left + 24]
    mean = [123.675, 116.28, 103.53]
    std = [58.395, 57.12, 57.375]
    save_npy(folder / "shorter32_crop24.npy", to_tensor(crop, mean, std))

    # size=24, resize=32x32, order=bgr (open-nsfw-like, without its JPEG round trip).
    resized = np.asarray(image.resize((32, 32), Image.BILINEAR))
    save_npy(folder / "stretch32_crop24_bgr.npy",
             to_tensor(resized[4:28, 4:28], [104, 117, 123], [1, 1, 1], bgr=True))

    # size=24x20 stretched, antialias=no (efficientnet-lite-like).
    plain = skimage.transform.resize(np.asarray(image), (24, 20), order=1, mode="edge",
                                     anti_aliasing=False, preserve_range=True)
    rounded = np.floor(plain + 0.5).clip(0, 255)
    save_npy(folder / "plain24x20.npy", to_tensor(rounded, 127, 128))


def make_corrupt_sources() -> None:
    folder = HERE / "corrupt"
    folder.mkdir(exist_ok=True)
    tiny = np.zeros((1, 1, 3), np.uint8)
    (folder / "huge_header.png").write_bytes(encode_png(tiny, 2, 8, width=100_000, height=100_000))


def main() -> None:
    chelsea, coffee, astronaut = skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut()
    make_jpegs(chelsea, coffee, astronaut)
    make_pngs(chelsea, coffee)
    make_resize_references()
    make_preprocess_references()
    make_corrupt_sources()
    print("skimage", skimage.__version__, "Pillow", Image.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()

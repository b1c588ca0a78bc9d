#!/usr/bin/python3
# Generates tests/fixtures/images/*: small images written by Pillow (libjpeg, zlib), which
# tests/io/test_image.cpp reads with readImage. They cover what the C++ test cannot write by
# hand: JPEG, and PNG variants that dlcam's own writePng never produces (16-bit, palette).
#
# Rerun only to regenerate the committed fixtures (the C++ tests need neither Python nor Pillow):
#
#     /usr/bin/python3 tests/io/make_image_fixtures.py
#
# Deterministic: every pixel is a formula of its row y and column x, which the C++ test
# recomputes. The script prints how far Pillow's own decoding of each JPEG is from those
# formulas; the C++ test's tolerance is set from it.
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "images")
H, W = 12, 16  # non-square, and not a multiple of JPEG's 8×8 blocks in height

y, x = np.mgrid[0:H, 0:W]
# Smooth ramps (JPEG keeps them well), different in each channel and direction, so that a
# transposed, flipped or channel-swapped decode is far off.
rgb = np.stack([16 * x, 20 * y, 255 - 8 * x - 6 * y], axis=-1).astype(np.uint8)
gray = (10 * x + 5 * y).astype(np.uint8)


def save_jpeg(array, name):
    path = os.path.join(OUT, name)
    # 4:4:4 (no chroma subsampling) and quality 95: the decoded pixels stay within a few levels.
    Image.fromarray(array).save(path, quality=95, subsampling=0)
    decoded = np.asarray(Image.open(path)).astype(int)
    print(f"{name}: Pillow decodes it within {np.abs(decoded - array.astype(int)).max()} of the formula")


def main():
    os.makedirs(OUT, exist_ok=True)
    save_jpeg(rgb, "rgb_q95.jpg")
    save_jpeg(gray, "gray_q95.jpg")

    # 16-bit gray PNG: sample = 4000 * x + 257 * y + 18 (at most 62845); 8-bit readers keep the high byte.
    gray16 = (4000 * x + 257 * y + 18).astype(np.uint16)
    Image.fromarray(gray16).save(os.path.join(OUT, "gray16.png"))

    # Palette PNG: palette entry k is (10k, 255 - 10k, 3k); pixel (y, x) uses entry (x + y) % 8.
    index = ((x + y) % 8).astype(np.uint8)
    pal = Image.fromarray(index, mode="P")
    pal.putpalette([v for k in range(8) for v in (10 * k, 255 - 10 * k, 3 * k)])
    pal.save(os.path.join(OUT, "palette.png"))


if __name__ == "__main__":
    main()

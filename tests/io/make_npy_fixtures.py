#!/usr/bin/python3
# Generates tests/fixtures/npy/*.npy: small arrays written by NumPy itself, which
# tests/io/test_npy.cpp reads (every dtype, both orders, every format version) and compares
# byte for byte with what writeNpy produces.
#
# Rerun only to regenerate the committed fixtures (the C++ tests need neither Python nor NumPy):
#
#     /usr/bin/python3 tests/io/make_npy_fixtures.py
#
# Deterministic: every value is a formula of its C-order (row-major) linear index L, which the
# C++ test recomputes.  The header bytes depend on the NumPy version (1.24 here).
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "npy")
SHAPE = (2, 3, 4)
N = 24

# dtype -> (offset, scale): element L holds (L + offset) * scale, converted to the dtype.
# The scales put values in the high bytes (and, for unsigned types, above the signed range)
# so that a wrong width or byte order shows.
FORMULAS = {
    "<f4": (-10, 0.1),
    "<f8": (-10, 0.1),
    "<f2": (-10, 0.25),
    "|i1": (-10, 3),
    "<i2": (-10, 1000),
    "<i4": (-10, 100000),
    "<i8": (-10, 2**33),
    "|u1": (0, 10),
    "<u2": (0, 2000),
    "<u4": (0, 100000000),
    "<u8": (0, 2**59),
}


def stem(descr):
    return descr[1:]  # "f4", "i1", ...


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version)


def main():
    os.makedirs(OUT, exist_ok=True)
    for descr, (offset, scale) in FORMULAS.items():
        values = [(L + offset) * scale for L in range(N)]  # Python ints stay exact
        a = np.array(values, dtype=np.float64 if isinstance(scale, float) else object)
        a = a.astype(np.dtype(descr)).reshape(SHAPE)
        save(f"{stem(descr)}_c.npy", a)
        save(f"{stem(descr)}_f.npy", np.asfortranarray(a))
    b = (np.arange(N) % 3 == 0).reshape(SHAPE)
    save("b1_c.npy", b)
    save("b1_f.npy", np.asfortranarray(b))

    # float16 corner cases: signed zero, the largest finite, infinities, NaN, the smallest
    # subnormal and normal, and a rounded value.
    special = [0.0, -0.0, 1.0, 65504.0, np.inf, -np.inf, np.nan, 2.0**-24, 2.0**-14, 1.0 / 3.0]
    save("f2_special.npy", np.array(special, dtype="<f2"))

    # Format versions 2.0 (4-byte header length) and 3.0 (UTF-8 header).
    v = (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3)
    save("v1_f4_2x3.npy", v, version=(1, 0))
    save("v2_f4_2x3.npy", v, version=(2, 0))
    save("v3_f4_2x3.npy", v, version=(3, 0))

    # Ranks 0, 1 and 4 (odd sizes, both orders), and a zero-sized array.
    save("scalar_f4.npy", np.array(3.5, dtype="<f4"))
    save("scalar_f8.npy", np.array(-0.1, dtype="<f8"))
    save("rank1_f4.npy", np.arange(5, dtype="<f4") - 2)
    r4 = (np.arange(2 * 3 * 5 * 7, dtype="<f8") * 0.5 - 7).reshape(2, 3, 5, 7)
    save("rank4_f8_c.npy", r4)
    save("rank4_f8_f.npy", np.asfortranarray(r4))
    save("empty_f4_2x0x3.npy", np.zeros((2, 0, 3), dtype="<f4"))


if __name__ == "__main__":
    main()

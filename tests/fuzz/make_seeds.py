#!/usr/bin/env python3
"""Writes small generated seed files for the fuzzers.

    make_seeds.py [--out DIR] [--only npy,safetensors,tflite,config,image]

Without --out: the config seeds into tests/fuzz/corpus/config/, where they are committed (rerun
to refresh). With --out: every target (default) into DIR/<target>/. The npy, safetensors, tflite
and image seeds are binary files, so they are not committed: scripts/fuzz.sh and the tests write
them at run time with --out (numpy; images also Pillow). Each target also gets the inputs that
once broke its reader (named regression_*), built here from what made them break. Every seed is a small VALID file, so the fuzzers start from inputs that reach
deep into each reader. Configs come from configs/ and real models/images from $MNET_TESTDATA at
run time (scripts/fuzz.sh); neither is copied here.
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- .npy: what numpy.save writes, in every format version the reader takes
def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def npy_seeds():
    rng = np.random.default_rng(1)
    put("npy", "f4_2x3.npy", npy_bytes(rng.standard_normal((2, 3)).astype("<f4")))
    put("npy", "f8_4.npy", npy_bytes(rng.standard_normal(4).astype("<f8")))
    put("npy", "f4_scalar.npy", npy_bytes(np.array(1.5, dtype="<f4")))
    put("npy", "f4_empty.npy", npy_bytes(np.zeros((0, 3), dtype="<f4")))
    put("npy", "f4_nchw.npy", npy_bytes(rng.standard_normal((1, 3, 4, 4)).astype("<f4")))
    put("npy", "v2_f4.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(3, 2), version=(2, 0)))
    put("npy", "v3_f8.npy", npy_bytes(np.arange(3, dtype="<f8"), version=(3, 0)))
    # Refused, but one mutation away from accepted: Fortran order, other dtypes.
    put("npy", "fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 2), dtype="<f4"))))
    put("npy", "i4.npy", npy_bytes(np.arange(4, dtype="<i4")))
    # Once broke the reader (found by fuzz_npy, tested in tests/test_bad_input.cpp): a zero
    # dimension beside dimensions whose product overflows, with no data after the header.
    # (As found: a leading zero, no space after some commas, space padding and no newline.)
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (5, 08000004, 4, 44,1400700000, 4, 4, 44,0, 3, 4, 4), }"
    header += b" " * (-(10 + len(header)) % 64)
    put("npy", "regression_zero_beside_huge_dims.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)


# ---- .safetensors: header length, JSON header padded to 8 bytes, data buffer
def safetensors_bytes(tensors, metadata=None, pad=True):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    rng = np.random.default_rng(2)
    f32 = rng.standard_normal((2, 3)).astype("<f4")
    put("safetensors", "f32.safetensors", safetensors_bytes([("w", "F32", f32.shape, f32.tobytes())]))
    put("safetensors", "all_dtypes.safetensors", safetensors_bytes([
        ("a.f32", "F32", (2,), np.array([1, -2], "<f4").tobytes()),
        ("b.f16", "F16", (3,), np.array([0.5, -0.0, 65504], "<f2").tobytes()),
        ("c.bf16", "BF16", (2,), (np.array([1.0, -3.0], "<f4").view("<u4") >> 16).astype("<u2").tobytes()),
        ("d.f64", "F64", (1, 2), np.array([[1e-3, 2e30]], "<f8").tobytes()),
        ("e.scalar", "F32", (), np.array(7, "<f4").tobytes()),
        ("f.empty", "F32", (0, 4), b""),
    ], metadata={"format": "pt", "note": "seed"}))
    put("safetensors", "unpadded.safetensors",
        safetensors_bytes([("x", "F32", (1,), np.array([3], "<f4").tobytes())], pad=False))
    put("safetensors", "empty_header.safetensors", safetensors_bytes([]))
    put("safetensors", "i64.safetensors", safetensors_bytes([("i", "I64", (2,), np.array([1, 2], "<i8").tobytes())]))


# ---- configs: features the configs/ files do not use
def config_seeds():
    put("config", "explicit_inputs.json", json.dumps({
        "name": "branches", "resolution": 9, "input_channels": 2, "width": 0.5,
        "channel_rounding": "divisible_by_8", "bn_eps": 0.01, "labels": "labels.txt",
        "preprocess": {"crop": "resize_center", "resize": 11, "mean": [1, 2, 3], "std": [4, 5, 6]},
        "layers": [
            {"type": "conv", "name": "a", "out": 8, "kernel": 3, "pad": "same", "out_scaling": "none"},
            {"type": "conv", "name": "b", "inputs": ["a"], "out": 8, "kernel": 1, "bias": True},
            {"type": "add", "inputs": ["a", "b"]},
            {"type": "conv_bn", "out_ratio": 2, "kernel": 1, "act": "HS", "bn": False},
            {"type": "bneck", "kernel": 5, "exp": 24, "out": 16, "se": True, "nl": "RE", "stride": 2},
            {"type": "inverted_residual", "t": 1, "c": 16, "n": 2, "s": 1},
            {"type": "dw_separable", "out": 8, "stride": 2, "n": 2, "act": "relu"},
            {"type": "gap"}, {"type": "fc", "out": 3}, {"type": "softmax"},
        ]}).encode())
    put("config", "minimal.json", b'{"name":"m","resolution":1,"layers":[{"type":"relu"}]}')


# ---- images: tiny PNG, BMP and JPEG variants
def image_bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def image_seeds():
    global Image
    from PIL import Image  # only here: the other targets need numpy alone
    rng = np.random.default_rng(3)
    rgb = Image.fromarray(rng.integers(0, 256, (7, 5, 3), dtype=np.uint8), "RGB")
    put("image", "rgb.png", image_bytes(rgb, "PNG"))
    put("image", "rgba.png", image_bytes(rgb.convert("RGBA"), "PNG"))
    put("image", "grey.png", image_bytes(rgb.convert("L"), "PNG"))
    put("image", "la.png", image_bytes(rgb.convert("LA"), "PNG"))
    put("image", "palette.png", image_bytes(rgb.convert("P"), "PNG"))
    put("image", "bilevel.png", image_bytes(rgb.convert("1"), "PNG"))
    put("image", "interlaced.png", _interlaced_png(np.asarray(rgb)))
    put("image", "grey16.png", image_bytes(Image.fromarray(
        rng.integers(0, 65536, (4, 6), dtype=np.uint16).astype(np.int32), "I"), "PNG"))
    put("image", "rgb.bmp", image_bytes(rgb, "BMP"))
    put("image", "palette.bmp", image_bytes(rgb.convert("P"), "BMP"))
    put("image", "grey.bmp", image_bytes(rgb.convert("L"), "BMP"))
    put("image", "baseline.jpg", image_bytes(rgb.resize((17, 9)), "JPEG", quality=90))
    put("image", "progressive.jpg", image_bytes(rgb.resize((9, 17)), "JPEG", progressive=True))
    put("image", "grey.jpg", image_bytes(rgb.convert("L").resize((8, 8)), "JPEG"))
    put("image", "subsampled.jpg", image_bytes(rgb.resize((33, 20)), "JPEG", subsampling=2))
    # Once broke the decoder (found by fuzz_image, tested in tests/test_bad_input.cpp): a
    # progressive JPEG whose scan uses a Huffman table no DHT segment defined.
    sof2 = bytes([0xff, 0xc2, 0x00, 0x11, 0x08, 0x08, 0x11, 0x00, 0x09, 0x03,
                  0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01])
    sos = bytes([0xff, 0xda, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3f, 0x10])
    put("image", "regression_undefined_huffman_table.jpg", b"\xff\xd8" + sof2 + sos + b"\x9b\xcc\xff\xd9")


def _interlaced_png(pixels):
    """Adam7-interlaced 8-bit RGB PNG (Pillow cannot write interlaced PNGs)."""
    h, w, _ = pixels.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def tflite_seeds():
    sys.path.insert(0, HERE)
    import make_tflite_seeds  # noqa: E402  (flatbuffer builder, kept apart)
    make_tflite_seeds.write(lambda name, data: put("tflite", name, data))


WRITERS = {"npy": npy_seeds, "safetensors": safetensors_seeds, "tflite": tflite_seeds,
           "config": config_seeds, "image": image_seeds}

if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for <target>/ subfolders (default: tests/fuzz/corpus)")
    parser.add_argument("--only", help="comma-separated targets (default: all with --out, else config)")
    args = parser.parse_args()
    if args.out:
        CORPUS = args.out
    only = args.only or (",".join(WRITERS) if args.out else "config")
    for target in only.split(","):
        if target not in WRITERS:
            raise SystemExit(f"make_seeds.py: unknown target '{target}' ({', '.join(WRITERS)})")
        WRITERS[target]()
    print("seeds written to", CORPUS, file=sys.stderr)

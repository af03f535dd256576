"""Small valid TFLite models for the fuzz_tflite seed corpus, built with a minimal flatbuffer
writer (no flatbuffers/tensorflow package needed). Field ids follow tensorflow/lite/schema/
schema.fbs (version 3) and tflite_support's metadata_schema.fbs; a union takes two ids."""
import io
import struct
import zipfile

import numpy as np


class S:
    """An inline scalar field: struct format ('b', 'B', 'h', 'i', 'I', 'q', 'Q', 'f') and value."""
    def __init__(self, fmt, value):
        self.fmt, self.value = fmt, value


class Table:
    def __init__(self, fields):
        self.fields = {i: v for i, v in fields.items() if v is not None}


class Vec:
    """Vector of scalars (fmt) or, with fmt None, of Tables / str."""
    def __init__(self, items, fmt=None, align=None):
        self.items, self.fmt, self.align = list(items), fmt, align


class Writer:
    """Writes front to back: each object before the children it points to (uoffsets go forward)."""
    def __init__(self):
        self.b = bytearray()

    def pad_to(self, n, extra=0):
        while (len(self.b) + extra) % n:
            self.b.append(0)

    def patch_offset(self, at, target):
        struct.pack_into("<I", self.b, at, target - at)

    def obj(self, o):
        if isinstance(o, Table):
            return self.table(o)
        if isinstance(o, (str, bytes)):  # bytes: a string that need not be UTF-8
            self.pad_to(4)
            pos = len(self.b)
            data = o.encode() if isinstance(o, str) else o
            self.b += struct.pack("<I", len(data)) + data + b"\0"
            return pos
        if isinstance(o, Vec):
            return self.vector(o)
        raise TypeError(o)

    def vector(self, v):
        if v.fmt is not None:
            size = struct.calcsize("<" + v.fmt)
            self.pad_to(4)
            self.pad_to(max(size, v.align or 1, 4), extra=4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(v.items))
            for x in v.items:
                self.b += struct.pack("<" + v.fmt, x)
            return pos
        self.pad_to(4)
        pos = len(self.b)
        self.b += struct.pack("<I", len(v.items)) + b"\0" * (4 * len(v.items))
        for i, item in enumerate(v.items):
            self.patch_offset(pos + 4 + 4 * i, self.obj(item))
        return pos

    def table(self, t):
        ids = sorted(t.fields)
        sizes = {i: (struct.calcsize("<" + v.fmt) if isinstance(v, S) else 4) for i, v in t.fields.items()}
        layout, off = {}, 4  # after the soffset to the vtable
        for i in sorted(ids, key=lambda i: -sizes[i]):
            while off % sizes[i]:
                off += 1
            layout[i] = off
            off += sizes[i]
        inline_size = off
        nfields = (max(ids) + 1) if ids else 0
        self.pad_to(2)
        vtable = len(self.b)
        self.b += struct.pack("<HH", 4 + 2 * nfields, inline_size)
        for i in range(nfields):
            self.b += struct.pack("<H", layout.get(i, 0))
        self.pad_to(8)
        pos = len(self.b)
        self.b += b"\0" * inline_size
        struct.pack_into("<i", self.b, pos, pos - vtable)
        children = []
        for i, v in t.fields.items():
            if isinstance(v, S):
                struct.pack_into("<" + v.fmt, self.b, pos + layout[i], v.value)
            else:
                children.append((pos + layout[i], v))
        for at, child in children:
            self.patch_offset(at, self.obj(child))
        return pos


def finish(root, identifier):
    w = Writer()
    w.b += b"\0\0\0\0" + identifier.encode()
    w.patch_offset(0, w.obj(root))
    return bytes(w.b)


# ---- schema helpers
FLOAT32, INT32, UINT8, INT8 = 0, 2, 3, 9
ADD, AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED = 0, 1, 3, 4, 9
RESHAPE, SOFTMAX, MEAN, HARD_SWISH = 22, 25, 40, 117
OPT_CONV, OPT_DW, OPT_POOL, OPT_FC, OPT_SOFTMAX, OPT_ADD, OPT_RESHAPE, OPT_REDUCER = 1, 2, 5, 8, 9, 11, 17, 27


def tensor(name, shape, type_=FLOAT32, buffer=0, scale=None, zero_point=None, qdim=None):
    quant = None
    if scale is not None:
        quant = Table({2: Vec(scale, "f"), 3: Vec(zero_point, "q"), 6: S("i", qdim) if qdim else None})
    return Table({0: Vec(shape, "i"), 1: S("b", type_), 2: S("I", buffer), 3: name, 4: quant})


def op(index, inputs, outputs, options_type=0, options=None):
    return Table({0: S("I", index), 1: Vec(inputs, "i"), 2: Vec(outputs, "i"),
                  3: S("B", options_type) if options_type else None, 4: options})


def opcode(code):
    return Table({0: S("b", min(code, 127)), 2: S("i", 1), 3: S("i", code)})


def buffer(data=None):
    return Table({0: Vec(data, "B", align=16) if data is not None else None})


def model(tensors, ops, codes, buffers, inputs, outputs, metadata=None, description="mnet fuzz seed"):
    sg = Table({0: Vec(tensors), 1: Vec(inputs, "i"), 2: Vec(outputs, "i"), 3: Vec(ops), 4: "main"})
    return Table({0: S("I", 3), 1: Vec(codes), 2: Vec([sg]), 3: description, 4: Vec(buffers),
                  6: Vec(metadata) if metadata else None})


def raw(a):
    return list(np.ascontiguousarray(a).tobytes())


def float_model(fc_bias_values=3, conv_name="conv"):
    """conv 3x3 s2 → depthwise 3x3 → mean → fully connected → softmax, float32. The keywords make
    the regression inputs: an FC bias of another length, a tensor name that is not UTF-8."""
    rng = np.random.default_rng(4)
    buffers = [buffer(), buffer(raw(rng.standard_normal((4, 3, 3, 3)).astype("<f4"))),
               buffer(raw(np.zeros(4, "<f4"))), buffer(raw(rng.standard_normal((1, 3, 3, 4)).astype("<f4"))),
               buffer(raw(np.ones(4, "<f4"))), buffer(raw(np.array([1, 2], "<i4"))),
               buffer(raw(rng.standard_normal((3, 4)).astype("<f4"))), buffer(raw(np.zeros(fc_bias_values, "<f4"))),
               buffer(list(b"1.14.0\0"))]
    tensors = [tensor("input", [1, 8, 8, 3]), tensor("conv/w", [4, 3, 3, 3], buffer=1),
               tensor("conv/b", [4], buffer=2), tensor(conv_name, [1, 4, 4, 4]),
               tensor("dw/w", [1, 3, 3, 4], buffer=3), tensor("dw/b", [4], buffer=4),
               tensor("dw", [1, 4, 4, 4]), tensor("mean/axes", [2], INT32, buffer=5),
               tensor("mean", [1, 4]), tensor("fc/w", [3, 4], buffer=6), tensor("fc/b", [fc_bias_values], buffer=7),
               tensor("fc", [1, 3]), tensor("prob", [1, 3])]
    ops = [op(0, [0, 1, 2], [3], OPT_CONV, Table({0: S("b", 0), 1: S("i", 2), 2: S("i", 2), 3: S("b", 3)})),
           op(1, [3, 4, 5], [6], OPT_DW, Table({0: S("b", 0), 1: S("i", 1), 2: S("i", 1), 3: S("i", 1),
                                                4: S("b", 1)})),
           op(2, [6, 7], [8], OPT_REDUCER, Table({0: S("B", 0)})),
           op(3, [8, 9, 10], [11], OPT_FC, Table({0: S("b", 0)})),
           op(4, [11], [12], OPT_SOFTMAX, Table({0: S("f", 1.0)}))]
    codes = [opcode(CONV_2D), opcode(DEPTHWISE_CONV_2D), opcode(MEAN), opcode(FULLY_CONNECTED), opcode(SOFTMAX)]
    meta = [Table({0: "min_runtime_version", 1: S("I", 8)})]
    return finish(model(tensors, ops, codes, buffers, [0], [12], meta), "TFL3")


def quant_model(with_labels, hswish_input=10, bias_zero_point=0):
    """uint8 conv (per-tensor) → int8-style per-channel depthwise → add → avg pool → reshape →
    hard-swish → softmax; optionally with TFLite metadata naming a labels file in an appended zip.
    The keywords make the regression inputs: an omitted input (-1), a zero point outside INT32."""
    rng = np.random.default_rng(5)
    s_in, s_w = 1 / 128, 0.02
    buffers = [buffer(), buffer(raw(rng.integers(0, 256, (2, 1, 1, 3), dtype=np.uint8))),
               buffer(raw(np.array([10, -10], "<i4"))),
               buffer(raw(rng.integers(-127, 128, (1, 3, 3, 2), dtype=np.int8))),
               buffer(raw(np.array([1, 2], "<i4"))), buffer(raw(np.array([1, 2], "<i4")))]
    tensors = [tensor("input", [1, 4, 4, 3], UINT8, 0, [s_in], [128]),
               tensor("conv/w", [2, 1, 1, 3], UINT8, 1, [s_w], [120]),
               tensor("conv/b", [2], INT32, 2, [s_in * s_w], [bias_zero_point]),
               tensor("conv", [1, 4, 4, 2], UINT8, 0, [0.05], [0]),
               tensor("dw/w", [1, 3, 3, 2], INT8, 3, [0.01, 0.03], [0, 0], qdim=3),
               tensor("dw/b", [2], INT32, 4, [0.0005, 0.0015], [0, 0]),
               tensor("dw", [1, 4, 4, 2], UINT8, 0, [0.05], [0]),
               tensor("add", [1, 4, 4, 2], UINT8, 0, [0.1], [0]),
               tensor("pool", [1, 1, 1, 2], UINT8, 0, [0.1], [0]),
               tensor("reshape/shape", [2], INT32, 5),
               tensor("flat", [1, 2], UINT8, 0, [0.1], [0]),
               tensor("hswish", [1, 2], UINT8, 0, [0.1], [0]),
               tensor("prob", [1, 2], UINT8, 0, [1 / 256], [0])]
    ops = [op(0, [0, 1, 2], [3], OPT_CONV, Table({0: S("b", 1), 1: S("i", 1), 2: S("i", 1), 3: S("b", 1)})),
           op(1, [3, 4, 5], [6], OPT_DW, Table({0: S("b", 0), 1: S("i", 1), 2: S("i", 1), 3: S("i", 1),
                                                4: S("b", 3), 5: S("i", 1), 6: S("i", 1)})),
           op(2, [3, 6], [7], OPT_ADD, Table({0: S("b", 0)})),
           op(3, [7], [8], OPT_POOL, Table({0: S("b", 1), 1: S("i", 4), 2: S("i", 4), 3: S("i", 4),
                                            4: S("i", 4), 5: S("b", 0)})),
           op(4, [8, 9], [10], OPT_RESHAPE, Table({0: Vec([1, 2], "i")})),
           op(5, [hswish_input], [11]),
           op(6, [11], [12], OPT_SOFTMAX, Table({0: S("f", 1.0)}))]
    codes = [opcode(CONV_2D), opcode(DEPTHWISE_CONV_2D), opcode(ADD), opcode(AVERAGE_POOL_2D), opcode(RESHAPE),
             opcode(HARD_SWISH), opcode(SOFTMAX)]
    meta = None
    if with_labels:
        labels_file = Table({0: "labels.txt", 2: S("b", 2)})  # AssociatedFileType TENSOR_AXIS_LABELS
        md = Table({0: "seed", 3: Vec([Table({3: Vec([Table({0: "prob", 6: Vec([labels_file])})])})])})
        buffers.append(buffer(list(finish(md, "M001"))))
        meta = [Table({0: "TFLITE_METADATA", 1: S("I", len(buffers) - 1)})]
    flat = finish(model(tensors, ops, codes, buffers, [0], [12], meta), "TFL3")
    if not with_labels:
        return flat
    out = io.BytesIO(flat)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as z:
        # A fixed date, so the same bytes every time.
        z.writestr(zipfile.ZipInfo("labels.txt", date_time=(2020, 1, 1, 0, 0, 0)), "background\ncat\n")
    return out.getvalue()


def write(put):
    put("float_conv_dw_mean_fc.tflite", float_model())
    put("quant_conv_dw_add_pool.tflite", quant_model(False))
    put("quant_with_labels.tflite", quant_model(True))
    # Inputs that once broke the reader (found by fuzz_tflite, each tested in tests/test_bad_input.cpp):
    # an operator input read by position as tensor(-1); q - zero_point computed in int64 with
    # INT64_MIN; an FC bias longer than the layer; a tensor name that is not UTF-8.
    put("regression_omitted_input.tflite", quant_model(True, hswish_input=-1))
    put("regression_int32_zero_point_int64_min.tflite", quant_model(True, bias_zero_point=-2**63))
    put("regression_fc_bias_mismatch.tflite", float_model(fc_bias_values=4))
    put("regression_name_not_utf8.tflite", float_model(conv_name=b"c\xffnv"))

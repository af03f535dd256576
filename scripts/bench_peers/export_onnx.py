#!/usr/bin/env python3
"""Prepare one model for scripts/bench_peers.sh: the same PyTorch model (random weights with
non-trivial BatchNorm, seed --seed) exported three ways, so every engine runs the identical
architecture and weights.

Writes into --out-dir:
  model.onnx            torch.onnx.export: eval mode, batch 1, 3x224x224 fp32, constant folding
                        (BatchNorm folded into the convolutions; checked: no BatchNormalization op)
  state_dict.pt         the PyTorch state dict (scripts/bench_peers/torch_bench.py loads it)
  weights.safetensors   the same weights for mnet (scripts/export_torchvision.py's pairing)
  logits.json           configs/<arch>.json without its final softmax (for the logits check)
  input.npy             float32 [1,3,224,224], standard normal from seed + 1000
  expected_logits.npy   PyTorch's logits for input.npy
  export.json           op-type counts of model.onnx, opset, versions

Needs Debian's /usr/bin/python3 (torch 1.13 / torchvision 0.14). Uses the `onnx` package to count
op types when it is importable, else a small protobuf reader below (ONNX files are protobuf:
ModelProto.graph = field 7, GraphProto.node = field 1, NodeProto.op_type = field 4).

  export_onnx.py --arch mobilenet_v2 --out-dir /tmp/x --mnet build/mnet
"""
import argparse
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import export_torchvision as ex  # noqa: E402  (the Table 1 MobileNetV1 lives there)
import torch_reference as tr  # noqa: E402

OPSET = 14  # torch 1.13 exports Hardswish as the ONNX op from opset 14 (13 would spell it out)


# ---------------------------------------------------------------------------------------------
# A minimal protobuf reader: enough to list the op types of an ONNX model without `onnx`.

def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of one message; value is bytes for wire type 2."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 2:
            ln, i = _varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, wire, v


def op_counts_protobuf(path):
    with open(path, "rb") as f:
        model = memoryview(f.read())
    counts = collections.Counter()
    for field, wire, graph in _fields(model):
        if field == 7 and wire == 2:  # ModelProto.graph
            for gf, gw, node in _fields(graph):
                if gf == 1 and gw == 2:  # GraphProto.node
                    for nf, nw, v in _fields(node):
                        if nf == 4 and nw == 2:  # NodeProto.op_type
                            counts[bytes(v).decode()] += 1
    return counts


def op_counts(path):
    """(Counter of op types, which reader)."""
    try:
        import onnx
    except ImportError:
        return op_counts_protobuf(path), "protobuf reader"
    m = onnx.load(path)
    return collections.Counter(n.op_type for n in m.graph.node), f"onnx {onnx.__version__}"


# ---------------------------------------------------------------------------------------------

def build(arch, seed):
    """The model of tests' torch_reference.make_reference for (arch, seed), in eval mode."""
    import torch
    torch.manual_seed(seed)
    return ex.randomize_(ex.build_model(arch, 1.0), seed, 224).eval()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=ex.ARCHS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--mnet", required=True, help="mnet binary (for the weight names)")
    a = ap.parse_args(argv)

    import numpy as np
    import torch
    import torchvision
    torch.set_num_threads(1)
    os.makedirs(a.out_dir, exist_ok=True)
    p = lambda name: os.path.join(a.out_dir, name)  # noqa: E731

    # weights.safetensors, input.npy, expected_logits.npy, logits.json (the e2e test's reference)
    ref = tr.make_reference(a.arch, a.seed, a.out_dir, a.mnet, os.path.join(REPO, "configs", a.arch + ".json"))
    model = build(a.arch, a.seed)  # rebuilt identically; checked against the reference's logits
    x = torch.from_numpy(np.load(ref["input"]))
    with torch.inference_mode():
        logits = model(x).double().numpy().reshape(-1)
    if np.abs(logits - ref["logits"]).max() > 1e-6 * max(1.0, np.abs(ref["logits"]).max()):
        raise SystemExit(f"{a.arch}: rebuilt model differs from the exported reference")
    torch.save(model.state_dict(), p("state_dict.pt"))

    torch.onnx.export(model, x, p("model.onnx"), opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"],
                      training=torch.onnx.TrainingMode.EVAL)
    counts, reader = op_counts(p("model.onnx"))
    if counts.get("BatchNormalization"):
        raise SystemExit(f"{a.arch}: model.onnx still has {counts['BatchNormalization']} BatchNormalization "
                         f"nodes (BN not folded)")
    info = {"arch": a.arch, "seed": a.seed, "opset": OPSET, "ops": dict(sorted(counts.items())),
            "op_reader": reader, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "max_abs_logit": float(np.abs(logits).max())}
    with open(p("export.json"), "w") as f:
        json.dump(info, f, indent=1)
    ops = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{a.arch}: model.onnx opset {OPSET}, {sum(counts.values())} nodes, no BatchNormalization "
          f"({reader}): {ops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

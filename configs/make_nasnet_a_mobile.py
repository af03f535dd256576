#!/usr/bin/env python3
"""Writes configs/nasnet_a_mobile.json: NASNet-A Mobile (4 @ 1056) as TF-slim's nasnet_a_mobile.

Zoph et al. 2018 (arXiv:1707.07012); the layout follows tensorflow/models research/slim/nets/nasnet
(nasnet.py: mobile_imagenet_config, _build_nasnet_base, _imagenet_stem; nasnet_utils.py:
NasNetANormalCell, NasNetAReductionCell, factorized_reduction): num_cells 12, num_conv_filters 44,
filter_scaling_rate 2, stem_multiplier 1, skip_reduction_layer_input 0, batch_norm_epsilon 0.001.
The auxiliary head (training only) and drop-path (identity at inference) are left out.

Every layer is an mnet primitive: a separable convolution is relu -> dwconv (TF's SAME padding)
-> 1x1 conv -> bn, twice; the factorized reduction's second path is shifted by one pixel with a
`pad` layer (top/left -1, bottom/right +1: tf.pad(x, [[0,1],[0,1]])[:, 1:, 1:]). TF's SAME pooling
is reproduced exactly at 224: a stride-2 pool on an odd map pads 1 on every side, on an even map
it pads nothing and lets the last window run off the end (ceil_mode), which is what SAME does
there (its one pixel of padding goes after). Padding is never counted in an average.

  python3 configs/make_nasnet_a_mobile.py            # rewrites the JSON beside this script
  python3 configs/make_nasnet_a_mobile.py --check    # exit 1 if the JSON differs from what it writes
"""
import json
import os
import sys

RESOLUTION = 224
NUM_CELLS = 12
NUM_REDUCTION_LAYERS = 2
NUM_CONV_FILTERS = 44
FILTER_SCALING_RATE = 2.0
STEM_FILTERS = 32  # 32 * stem_multiplier 1
BN_EPS = 0.001
NUM_CLASSES = 1000  # TF-slim trains 1001 (a background class); mnet's ImageNet configs have 1000

# nasnet_utils.py: (operation, input state) pairs, two per combination, and the states that some
# combination reads (the cell's output concatenates the others).
NORMAL_OPS = ["separable_5x5_2", "separable_3x3_2", "separable_5x5_2", "separable_3x3_2", "avg_pool_3x3",
              "none", "avg_pool_3x3", "avg_pool_3x3", "separable_3x3_2", "none"]
NORMAL_INDICES = [0, 1, 1, 1, 0, 1, 1, 1, 0, 0]
NORMAL_USED = [1, 0, 0, 0, 0, 0, 0]
REDUCTION_OPS = ["separable_5x5_2", "separable_7x7_2", "max_pool_3x3", "separable_7x7_2", "avg_pool_3x3",
                 "separable_5x5_2", "none", "avg_pool_3x3", "separable_3x3_2", "max_pool_3x3"]
REDUCTION_INDICES = [0, 1, 0, 1, 0, 1, 3, 2, 2, 0]
REDUCTION_USED = [1, 1, 1, 0, 0, 0, 0]


class Net:
    """Layers in order, with the shape of each named output: (channels, size)."""

    def __init__(self):
        self.layers = []
        self.shape = {"input": (3, RESOLUTION)}

    def add(self, layer, inputs, shape):
        entry = {"type": layer.pop("type"), "name": layer.pop("name")}
        last = self.layers[-1]["name"] if self.layers else "input"
        # A layer reading the one above it says nothing; otherwise it names what it reads.
        if inputs != [last]:
            entry["inputs"] = inputs
        entry.update(layer)
        self.layers.append(entry)
        self.shape[entry["name"]] = shape
        return entry["name"]

    def relu(self, name, x):
        return self.add({"type": "relu", "name": name}, [x], self.shape[x])

    def bn(self, name, x):
        return self.add({"type": "bn", "name": name, "eps": BN_EPS}, [x], self.shape[x])

    def conv1x1(self, name, x, out, stride=1):
        size = -(-self.shape[x][1] // stride)
        return self.add({"type": "conv", "name": name, "out": out, "kernel": 1, "stride": stride, "pad": 0}, [x],
                        (out, size))

    def conv_bn(self, name, x, out):
        return self.bn(name + ".bn", self.conv1x1(name, x, out))

    def separable(self, name, x, kernel, stride, out):
        """_stacked_separable_conv: (relu, depthwise, pointwise, bn) twice, the first strided."""
        for i in (1, 2):
            base = "%s.sep%d" % (name, i)
            x = self.relu(base + ".relu", x)
            c, size = self.shape[x]
            size = -(-size // stride)
            x = self.add({"type": "dwconv", "name": base + ".dw", "kernel": kernel, "stride": stride, "pad": "same"},
                         [x], (c, size))
            x = self.conv1x1(base + ".pw", x, out)
            x = self.bn(base + ".bn", x)
            stride = 1
        return x

    def pool(self, name, x, kind, stride):
        c, size = self.shape[x]
        layer = {"type": kind, "name": name, "kernel": 3, "stride": stride}
        if stride == 1 or size % 2 == 1:
            layer["pad"] = 1  # SAME: one pixel each side
        else:
            layer["ceil_mode"] = True  # SAME on an even map: the one pixel of padding goes after
        if kind == "avgpool":
            layer["count_include_pad"] = False
        return self.add(layer, [x], (c, -(-size // stride)))

    def factorized_reduction(self, name, x, out):
        """Two stride-2 1x1 paths, the second shifted one pixel, concatenated, then BN."""
        half = out // 2
        path1 = self.conv1x1(name + ".path1_conv", x, half, stride=2)
        c, size = self.shape[x]
        shifted = self.add({"type": "pad", "name": name + ".path2_shift", "top": -1, "left": -1, "bottom": 1,
                            "right": 1}, [x], (c, size))
        path2 = self.conv1x1(name + ".path2_conv", shifted, half + out % 2, stride=2)
        cat = self.add({"type": "concat", "name": name + ".concat"}, [path1, path2], (out, self.shape[path1][1]))
        return self.bn(name + ".final_path_bn", cat)

    def cell(self, name, net, prev, filters, stride, reduction):
        """NasNetABaseCell.__call__: the cell base, five combinations, the unused states concatenated."""
        ops, indices, used = ((REDUCTION_OPS, REDUCTION_INDICES, REDUCTION_USED) if reduction else
                              (NORMAL_OPS, NORMAL_INDICES, NORMAL_USED))
        # _reduce_prev_layer
        if prev is None:
            prev = net
        elif self.shape[prev][1] != self.shape[net][1]:
            prev = self.factorized_reduction(name + ".prev_fr", self.relu(name + ".prev_relu", prev), filters)
        elif self.shape[prev][0] != filters:
            prev = self.conv_bn(name + ".prev_1x1", self.relu(name + ".prev_relu", prev), filters)
        # _cell_base
        states = [self.conv_bn(name + ".1x1", self.relu(name + ".relu", net), filters), prev]
        for i in range(5):
            branches = []
            for side, j in (("left", 2 * i), ("right", 2 * i + 1)):
                op, state = ops[j], indices[j]
                x = states[state]
                op_stride = stride if state < 2 else 1  # only the cell's inputs are strided
                scope = "%s.comb%d.%s" % (name, i, side)
                if op.startswith("separable"):
                    kernel = int(op.split("_")[1][0])
                    x = self.separable(scope, x, kernel, op_stride, filters)
                elif op == "none":
                    # The identity here: every 'none' reads a state of `filters` channels, unstrided.
                    assert op_stride == 1 and self.shape[x][0] == filters, (name, i, side)
                else:
                    assert self.shape[x][0] == filters, (name, i, side)
                    x = self.pool(scope + "." + op[:3] + "pool", x, op[:3] + "pool", op_stride)
                branches.append(x)
            states.append(self.add({"type": "add", "name": "%s.comb%d" % (name, i)}, branches,
                                   self.shape[branches[0]]))
        unused = [s for s, u in zip(states, used) if not u]
        assert len({self.shape[s][1] for s in unused}) == 1, name
        channels = sum(self.shape[s][0] for s in unused)
        return self.add({"type": "concat", "name": name + ".concat"}, unused, (channels, self.shape[unused[0]][1]))


def build():
    n = Net()
    size = (RESOLUTION - 3) // 2 + 1  # VALID
    x = n.add({"type": "conv", "name": "conv0", "out": STEM_FILTERS, "kernel": 3, "stride": 2, "pad": 0}, ["input"],
              (STEM_FILTERS, size))
    x = n.bn("conv0.bn", x)
    # _imagenet_stem: two reduction cells at filter scaling 1/4 and 1/2
    outputs = [None, x]
    scaling = 1.0 / FILTER_SCALING_RATE ** 2
    for i in range(2):
        x = n.cell("cell_stem_%d" % i, x, outputs[-2], int(NUM_CONV_FILTERS * scaling), 2, True)
        outputs.append(x)
        scaling *= FILTER_SCALING_RATE
    # _build_nasnet_base
    reductions = [int(float(p) / (NUM_REDUCTION_LAYERS + 1) * NUM_CELLS) for p in range(1, NUM_REDUCTION_LAYERS + 1)]
    scaling = 1.0
    for cell in range(NUM_CELLS):
        if cell in reductions:
            scaling *= FILTER_SCALING_RATE
            x = n.cell("reduction_cell_%d" % reductions.index(cell), x, outputs[-2],
                       int(NUM_CONV_FILTERS * scaling), 2, True)
            outputs.append(x)
        x = n.cell("cell_%d" % cell, x, outputs[-2], int(NUM_CONV_FILTERS * scaling), 1, False)
        outputs.append(x)
    x = n.relu("final_relu", x)
    n.add({"type": "gap", "name": "pool"}, [x], (n.shape[x][0], 1))
    n.add({"type": "dropout", "name": "dropout", "p": 0.5}, ["pool"], n.shape["pool"])
    n.add({"type": "fc", "name": "fc", "out": NUM_CLASSES}, ["dropout"], (NUM_CLASSES, 1))
    n.add({"type": "softmax", "name": "prob"}, ["fc"], (NUM_CLASSES, 1))
    return n


def render(n):
    head = {
        "name": "nasnet_a_mobile",
        "description": "NASNet-A Mobile (4 @ 1056) as TF-slim's nasnet_a_mobile, without the auxiliary head; "
                       "generated by make_nasnet_a_mobile.py beside this file (edit that, not this). Its pools "
                       "follow TF's SAME exactly at 224 and keep their shapes at resolutions where every "
                       "stride-2 pool sees the parity it sees at 224 (multiples of 32)",
        "reference": "arXiv:1707.07012; tensorflow/models research/slim/nets/nasnet/nasnet.py build_nasnet_mobile",
        "resolution": RESOLUTION,
        "width": 1.0,
        "bn_eps": BN_EPS,
        "preprocess": {"crop": "central_fraction", "central_fraction": 0.875, "mean": [127.5, 127.5, 127.5],
                       "std": [127.5, 127.5, 127.5]},
        "labels": "labels/imagenet1000.txt",
    }
    lines = ["{"]
    for k, v in head.items():
        lines.append("  %s: %s," % (json.dumps(k), json.dumps(v)))
    lines.append('  "layers": [')
    body = [json.dumps(layer) for layer in n.layers]
    lines.append(",\n".join("    " + b for b in body))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nasnet_a_mobile.json")
    text = render(build())
    if argv[1:] == ["--check"]:
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print("make_nasnet_a_mobile.py: %s: cannot read (%s)" % (path, e.strerror), file=sys.stderr)
            return 1
        if current != text:
            print("make_nasnet_a_mobile.py: %s differs from what this script generates; run it to rewrite" % path,
                  file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print("usage: make_nasnet_a_mobile.py [--check]", file=sys.stderr)
        return 2
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

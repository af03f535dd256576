#!/usr/bin/env python3
"""Export a torchvision MobileNet (or a small PyTorch MobileNetV1), or one of the networks the
MobileNet papers compare against (torchvision's alexnet, vgg16, googlenet, squeezenet1_0, resnet50,
mnasnet1_0, shufflenet_v2_x1_0), or torchvision's MobileNetV3 detector and segmenters
(ssdlite320_mobilenet_v3_large: backbone + head; deeplabv3_mobilenet_v3_large and
lraspp_mobilenet_v3_large without the aux classifier), to a .safetensors file that mnet's configs
load unchanged.

The tensor names and shapes come from mnet itself (`mnet info CONFIG --format json`, which lists
every node's declared weights in graph order). They are paired IN ORDER with the PyTorch
state_dict in module order (conv weight; BN weight, bias, running_mean, running_var --
num_batches_tracked is skipped; Linear weight, bias; SE fc1/fc2 1x1-conv weights reshaped to 2-D),
and every pair is checked: shape, the last name component (weight/bias/running_mean/...), and the
kind of module (conv/bn/fc/se). Any mismatch or count difference stops the export naming both
tensors. Conv biases (AlexNet, VGG, SqueezeNet) pair as any other parameter; BN-free networks simply
have no BN tensors; grouped and depthwise convs have torch's [out, in/groups, k, k] shape on both
sides; GoogLeNet is built without its auxiliary classifiers (training only, absent at inference).
ShuffleNet v2's channel split and shuffle are weightless slice/concat/channel_shuffle nodes; its
InvertedResidual registers branch1 before branch2, and the config lists them in that order.

BatchNorm epsilon: torchvision's MobileNetV3 uses eps=0.001, mnet's bn layers use the eps shown
by `mnet info` (1e-5 by default). The difference is folded into running_var
(var' = var + eps_torch - eps_mnet), which leaves var + eps, and so the output, unchanged.

Needs torch and torchvision (Debian: /usr/bin/python3). Examples:
  export_torchvision.py --arch mobilenet_v2 --seed 0 --out w.safetensors
  export_torchvision.py --arch mobilenet_v3_large --pretrained --out w.safetensors --labels-out labels.txt
  export_torchvision.py --arch mobilenet_v2 --state-dict ckpt.pth --width 0.5 --out w.safetensors
  export_torchvision.py --arch resnet50 --seed 0 --out w.safetensors   # configs/resnet50.json
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOBILENETS = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")
# torchvision's name -> the config in configs/ laid out like it (issue 17).
TORCHVISION_CONFIGS = {"alexnet": "alexnet", "vgg16": "vgg16", "googlenet": "googlenet",
                       "squeezenet1_0": "squeezenet_1_0", "resnet50": "resnet50", "mnasnet1_0": "mnasnet_b1",
                       "shufflenet_v2_x1_0": "shufflenet_v2_x1_0"}
# Detection and segmentation models (issue 18): torchvision 0.14's builders, as configs/<name>.json
# lays them out. Their outputs are several tensors (SSDLite: box regression and class logits per
# map) or a map (DeepLabv3, LR-ASPP: the "out" logits), not ImageNet logits; no pretrained export.
DENSE_CONFIGS = {"ssdlite320_mobilenet_v3_large": "ssdlite_mobilenet_v3_large",
                 "deeplabv3_mobilenet_v3_large": "deeplabv3_mobilenet_v3_large",
                 "lraspp_mobilenet_v3_large": "lraspp_mobilenet_v3_large"}
TORCHVISION_CONFIGS.update(DENSE_CONFIGS)
ARCHS = MOBILENETS + tuple(TORCHVISION_CONFIGS)
# torchvision weights whose preprocessing (resize 256, crop 224) matches the configs.
DEFAULT_PRETRAINED_TAG = "IMAGENET1K_V1"


class ExportError(Exception):
    """A user-facing failure: printed as one 'error: ...' line."""


# ----------------------------------------------------------------------------------------------
# MobileNetV1 (Howard et al. 2017, Table 1), laid out like configs/mobilenet_v1.json.

# (out channels, stride) of the 13 depthwise-separable rows.
V1_ROWS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def v1_channels(c, width):
    """mnet's "v1" channel rounding: max(int(c * width), 8)."""
    return max(int(c * width), 8)


def mobilenet_v1(width_mult=1.0, num_classes=1000):
    import torch.nn as nn

    def conv_bn(inp, out, kernel, stride, groups=1):
        return nn.Sequential(
            nn.Conv2d(inp, out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out),  # eps 1e-5, as mnet's bn
            nn.ReLU6(inplace=True))

    class MobileNetV1(nn.Module):
        def __init__(self):
            super().__init__()
            c = v1_channels(32, width_mult)
            layers = [conv_bn(3, c, 3, 2)]
            for out, stride in V1_ROWS:
                out = v1_channels(out, width_mult)
                layers.append(nn.Sequential(conv_bn(c, c, 3, stride, groups=c),  # depthwise
                                            conv_bn(c, out, 1, 1)))               # pointwise
                c = out
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(c, num_classes)

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)).flatten(1))

    return MobileNetV1()


# ----------------------------------------------------------------------------------------------
# Building the PyTorch model

def import_torch():
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        raise ExportError(f"needs torch and torchvision ({e}); try Debian's /usr/bin/python3")
    return torch


def weights_enum(arch):
    import torchvision.models as tvm
    return {"mobilenet_v2": tvm.MobileNet_V2_Weights,
            "mobilenet_v3_large": tvm.MobileNet_V3_Large_Weights,
            "mobilenet_v3_small": tvm.MobileNet_V3_Small_Weights,
            "alexnet": tvm.AlexNet_Weights,
            "vgg16": tvm.VGG16_Weights,
            "googlenet": tvm.GoogLeNet_Weights,
            "squeezenet1_0": tvm.SqueezeNet1_0_Weights,
            "resnet50": tvm.ResNet50_Weights,
            "mnasnet1_0": tvm.MNASNet1_0_Weights,
            "shufflenet_v2_x1_0": tvm.ShuffleNet_V2_X1_0_Weights}.get(arch)


def ssd_raw(ssd):
    """SSD's backbone and head without the transform, anchors and decoding: forward(x) gives
    torchvision's raw (bbox_regression [N, HWA, 4], cls_logits [N, HWA, classes]), the maps'
    predictions as SSDScoringHead concatenates them."""
    import torch.nn as nn

    class Raw(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = ssd.backbone  # state_dict order: backbone, then the head
            self.head = ssd.head

        def forward(self, x):
            out = self.head(list(self.backbone(x).values()))
            return out["bbox_regression"], out["cls_logits"]

    return Raw()


def segmentation_out(model):
    """A segmentation model whose forward gives its "out" map alone (aux classifier off)."""
    import torch.nn as nn

    class Out(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x)["out"]

    return Out()


def build_dense_model(arch):
    """torchvision's detection or segmentation model for `arch`, untrained and without a
    pretrained backbone (which would be downloaded): SSDLite then has MobileNetV3's reduced tail,
    as its COCO weights do."""
    import torchvision.models.detection as tvd
    import torchvision.models.segmentation as tvs
    if arch == "ssdlite320_mobilenet_v3_large":
        return ssd_raw(tvd.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91))
    if arch == "deeplabv3_mobilenet_v3_large":
        return segmentation_out(tvs.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21,
                                                                 aux_loss=False))
    return segmentation_out(tvs.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21))


def build_model(arch, width=1.0):
    """The untrained PyTorch model for `arch` at width multiplier `width`."""
    import torchvision.models as tvm
    if arch == "mobilenet_v1":
        return mobilenet_v1(width_mult=width)
    if arch in DENSE_CONFIGS:
        if width != 1.0:
            raise ExportError(f"--width {width}: torchvision's {arch} has no width multiplier")
        return build_dense_model(arch)
    if arch in TORCHVISION_CONFIGS:
        if width != 1.0:
            raise ExportError(f"--width {width}: torchvision's {arch} has no width multiplier; the "
                              f"configs' --width makes a thinner net torchvision does not have")
        if arch == "googlenet":  # as at inference: no auxiliary classifiers, no input transform
            return tvm.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=False)
        return getattr(tvm, arch)(weights=None)
    return getattr(tvm, arch)(weights=None, width_mult=width)


def randomize_(model, seed, resolution=224):
    """Random weights with non-trivial BatchNorm: BN running statistics are first calibrated on
    random inputs (so activations stay O(1) through the depth), then perturbed, and the BN affine
    parameters and all biases are drawn away from their 1/0 defaults, so BN folding and every bias
    path are exercised."""
    import torch
    import torch.nn as nn
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (1.0 / m.in_features) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        if not bns:  # AlexNet, VGG, SqueezeNet: nothing to calibrate (and VGG's pass is slow)
            return model.eval()
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batch
        model.train()
        model(torch.randn((8, 3, resolution, resolution), generator=g))
        for m in bns:
            c = m.num_features
            std = (m.running_var + m.eps).sqrt()
            m.running_mean.add_(torch.randn(c, generator=g) * 0.2 * std)
            m.running_var.mul_(torch.rand(c, generator=g) * 1.5 + 0.5)  # x [0.5, 2)
            m.weight.copy_(torch.rand(c, generator=g) + 0.5)            # [0.5, 1.5)
            m.bias.copy_(torch.randn(c, generator=g) * 0.2)
            m.momentum = 0.1
    return model.eval()


def load_state_dict_file(path):
    torch = import_torch()
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 -- any unreadable file is the user's error
        raise ExportError(f"cannot read state dict {path}: {e}")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ExportError(f"{path}: not a state dict (expected a dict of tensors, or a checkpoint "
                          f"with one under 'state_dict' or 'model')")
    if obj and all(k.startswith("module.") for k in obj):  # saved from DataParallel
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def without_aux(arch, state):
    """GoogLeNet's pretrained weights and training checkpoints carry the auxiliary classifiers,
    which only training uses; the config (and the model built here) have none."""
    if arch != "googlenet":
        return state
    return {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}


def load_into(model, state, what):
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    unexpected = list(result.unexpected_keys)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (first: {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (first: {', '.join(unexpected[:3])})")
        raise ExportError(f"{what} does not fit this architecture: " + "; ".join(parts))


def pretrained_model(arch, tag, width):
    if arch == "mobilenet_v1":
        raise ExportError("--pretrained: torchvision has no MobileNetV1; use --seed or --state-dict")
    if arch in DENSE_CONFIGS:
        raise ExportError(f"--pretrained: not for {arch} (its COCO weights are not exported here); use --seed")
    if width != 1.0:
        raise ExportError(f"--pretrained: torchvision has pretrained {arch} weights only for width 1.0, "
                          f"not {width}")
    enum = weights_enum(arch)
    try:
        weights = enum[tag]
    except KeyError:
        raise ExportError(f"--pretrained: unknown weights '{tag}' for {arch} "
                          f"(known: {', '.join(w.name for w in enum)}, DEFAULT)")
    model = build_model(arch)
    import torch.hub
    cached = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))  # used if there
    try:
        state = weights.get_state_dict(progress=True)
    except Exception as e:  # noqa: BLE001 -- network, proxy, certificate, disk, ...
        raise ExportError(f"could not download pretrained {arch} weights {weights.name} "
                          f"from {weights.url}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                          f" (offline? put the file at {cached}, or use --seed / --state-dict)")
    load_into(model, without_aux(arch, state), f"{arch} {weights.name}")
    resize = weights.transforms().resize_size
    if resize and resize[0] != 256:
        print(f"note: {arch} {weights.name} was evaluated with resize {resize[0]}, crop 224; "
              f"the config's preprocess may say otherwise", file=sys.stderr)
    return model.eval()


# ----------------------------------------------------------------------------------------------
# mnet's side

def default_mnet():
    return os.path.join(REPO_ROOT, "build", "mnet")


def default_config(arch):
    return os.path.join(REPO_ROOT, "configs", TORCHVISION_CONFIGS.get(arch, arch) + ".json")


def mnet_info(mnet, config, width=None, resolution=None):
    """mnet's graph: a list of nodes with 'name', 'type', 'attributes', 'weights' [{name, shape}]."""
    cmd = [mnet, "info", config, "--format", "json"]
    if width is not None:
        cmd += ["--width", repr(float(width))]
    if resolution is not None:
        cmd += ["--resolution", str(int(resolution))]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise ExportError(f"cannot run mnet at {mnet}: {e.strerror} (build it, or pass --mnet PATH)")
    if p.returncode != 0:
        raise ExportError(f"`{' '.join(cmd)}` failed: {p.stderr.strip()}")
    try:
        return json.loads(p.stdout)["nodes"]
    except (ValueError, KeyError) as e:
        raise ExportError(f"cannot parse the output of `{' '.join(cmd)}`: {e}")


def bn_eps(attributes):
    """The eps of an mnet bn node from its info attributes ("eps 1e-05")."""
    words = attributes.split()
    if "eps" in words:
        return float(words[words.index("eps") + 1])
    return 1e-5


# ----------------------------------------------------------------------------------------------
# Pairing

MODULE_KIND = {"conv": "Conv2d", "dwconv": "Conv2d", "se": "Conv2d", "bn": "BatchNorm2d", "fc": "Linear"}


def torch_tensors(model):
    """(name, tensor, module) in state_dict (= module registration) order, without
    num_batches_tracked."""
    modules = dict(model.named_modules())
    out = []
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        out.append((name, t.detach().to("cpu"), modules[name.rsplit(".", 1)[0]]))
    return out


def pair_tensors(nodes, model, hint=""):
    """Zips mnet's declared weights with the model's tensors in order; returns [(mnet name,
    float32 numpy array)]. Raises ExportError naming both tensors on any mismatch."""
    import numpy as np
    import torch.nn as nn
    expected = [(w["name"], tuple(w["shape"]), n) for n in nodes for w in n["weights"]]
    actual = torch_tensors(model)
    out = []
    eps_notes = set()
    for i, ((mname, mshape, node), (tname, t, module)) in enumerate(zip(expected, actual)):
        tshape = tuple(t.shape)
        where = f"tensor #{i}: mnet '{mname}' {list(mshape)} vs torch '{tname}' {list(tshape)}"
        kind = MODULE_KIND.get(node["type"])
        if kind is None or type(module).__name__ != kind:
            raise ExportError(f"{where}: mnet {node['type']} node '{node['name']}' paired with a torch "
                              f"{type(module).__name__}{hint}")
        if mname.rsplit(".", 1)[1] != tname.rsplit(".", 1)[1]:
            raise ExportError(f"{where}: different parameters{hint}")
        a = t.numpy().astype(np.float64)
        if tshape != mshape:
            if tshape == mshape + (1, 1):  # 1x1 conv used as a fully connected layer (SE)
                a = a.reshape(mshape)
            else:
                raise ExportError(f"{where}: shapes differ{hint}")
        if isinstance(module, nn.BatchNorm2d) and tname.endswith("running_var"):
            eps_m = bn_eps(node["attributes"])
            if module.eps != eps_m:
                a = a + (module.eps - eps_m)
                if (a + eps_m).min() <= 0:
                    raise ExportError(f"{where}: BN eps {module.eps} (torch) vs {eps_m} (mnet) cannot be "
                                      f"folded into running_var (it would make var + eps <= 0)")
                eps_notes.add((module.eps, eps_m))
        out.append((mname, a.astype(np.float32)))
    if len(expected) != len(actual):
        if len(expected) > len(actual):
            mname, mshape, _ = expected[len(actual)]
            raise ExportError(f"mnet declares {len(expected)} tensors, torch has {len(actual)}: "
                              f"nothing for mnet '{mname}' {list(mshape)} (after torch "
                              f"'{actual[-1][0] if actual else '-'}'){hint}")
        tname, t, _ = actual[len(expected)]
        raise ExportError(f"torch has {len(actual)} tensors, mnet declares {len(expected)}: torch "
                          f"'{tname}' {list(t.shape)} is left over (after mnet "
                          f"'{expected[-1][0] if expected else '-'}'){hint}")
    for eps_t, eps_m in sorted(eps_notes):
        print(f"note: BatchNorm eps {eps_t:g} (torch) vs {eps_m:g} (mnet): the difference is folded "
              f"into running_var, which leaves the output unchanged", file=sys.stderr)
    return out


def width_hint(arch, width):
    if width is None or width == 1.0:
        return ""
    if arch.startswith("mobilenet_v3"):
        return (f" (at width {width}, torchvision's MobileNetV3 rounds its last conv as 6 x the rounded "
                f"last bneck output, which can differ from the config's rounding of "
                f"{'960' if arch.endswith('large') else '576'} x width; this width is not supported)")
    return f" (width {width})"


# ----------------------------------------------------------------------------------------------
# safetensors

def write_atomically(path, chunks):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + ".", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 is not what a plain open() would give
        with os.fdopen(fd, "wb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_safetensors(path, tensors, metadata=None):
    """tensors: [(name, float32 numpy array)] in the order to store. Written atomically."""
    import numpy as np
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    datas = []
    offset = 0
    for name, a in tensors:
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        datas.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    write_atomically(path, [struct.pack("<Q", len(h)), h] + datas)


def write_text_atomically(path, text):
    write_atomically(path, [text.encode("utf-8")])


def imagenet_categories(arch):
    if arch in DENSE_CONFIGS:
        raise ExportError(f"--labels-out: {arch} does not classify ImageNet")
    enum = weights_enum(arch)
    if enum is not None:
        return list(enum[DEFAULT_PRETRAINED_TAG].meta["categories"])
    from torchvision.models._meta import _IMAGENET_CATEGORIES
    return list(_IMAGENET_CATEGORIES)


# ----------------------------------------------------------------------------------------------

def export(model, arch, out, mnet=None, config=None, width=None, resolution=None, metadata=None):
    """Pairs `model` with mnet's graph of `config` and writes `out`. Returns the tensors."""
    nodes = mnet_info(mnet or default_mnet(), config or default_config(arch), width, resolution)
    tensors = pair_tensors(nodes, model, width_hint(arch, width))
    write_safetensors(out, tensors, metadata)
    return tensors


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="export_torchvision.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert a torchvision MobileNet (V2, V3-Large, V3-Small), a PyTorch MobileNetV1, "
                    "torchvision's alexnet, vgg16, googlenet, squeezenet1_0, resnet50, mnasnet1_0, shufflenet_v2_x1_0, or "
                    "its ssdlite320_mobilenet_v3_large, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large into a "
                    ".safetensors file that mnet's config of the same network loads unchanged "
                    "(configs/<arch>.json; squeezenet1_0 -> squeezenet_1_0.json, mnasnet1_0 -> mnasnet_b1.json).",
        epilog="""Weights come from exactly one of --seed, --state-dict, --pretrained.
Tensor names and shapes are taken from `mnet info CONFIG --format json` and paired in order with the
PyTorch state_dict; every shape is checked. torchvision's V3 BatchNorm eps (0.001) is folded into
running_var so mnet's bn (eps 1e-5) gives the same output.

GoogLeNet is exported without its auxiliary classifiers (inference only); --pretrained drops them.

Unsupported: --pretrained with mobilenet_v1 or with --width != 1; --width with the non-MobileNet
networks (torchvision has no width multiplier for them); mobilenet_v3_* at widths where
torchvision's last conv (6 x rounded last bneck output) differs from the config's rounding
(e.g. mobilenet_v3_small at 0.35: 192 vs 200 channels) -- the export then stops at that tensor.

examples:
  %(prog)s --arch mobilenet_v2 --seed 0 --out w.safetensors
  %(prog)s --arch mobilenet_v3_small --pretrained --out w.safetensors --labels-out labels.txt
  %(prog)s --arch mobilenet_v2 --state-dict ckpt.pth --width 0.5 --out w.safetensors
  %(prog)s --arch mobilenet_v1 --seed 3 --width 0.75 --out w.safetensors --mnet build/mnet
  %(prog)s --arch googlenet --seed 0 --out googlenet.safetensors
  %(prog)s --arch ssdlite320_mobilenet_v3_large --seed 0 --out ssdlite.safetensors   # backbone + head""")
    p.add_argument("--arch", required=True, choices=ARCHS, help="architecture")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--seed", type=int, metavar="N",
                     help="random weights from seed N, with non-trivial BatchNorm statistics and affine "
                          "parameters (so BN folding is exercised)")
    src.add_argument("--state-dict", metavar="FILE",
                     help="a torch.save()d state_dict (or a checkpoint holding one under 'state_dict' "
                          "or 'model'; a 'module.' prefix is stripped)")
    src.add_argument("--pretrained", nargs="?", const=DEFAULT_PRETRAINED_TAG, metavar="TAG",
                     help=f"torchvision's pretrained ImageNet weights (downloaded, or from the torch hub "
                          f"cache); TAG is a weights-enum member, default {DEFAULT_PRETRAINED_TAG} "
                          f"(resize 256 / crop 224, as the configs); e.g. IMAGENET1K_V2, DEFAULT")
    p.add_argument("--out", required=True, metavar="W.safetensors", help="output file (written atomically)")
    p.add_argument("--config", metavar="CONFIG",
                   help="mnet config to match (default: configs/<arch>.json in the repository)")
    p.add_argument("--mnet", metavar="PATH", default=None,
                   help="the mnet binary (default: build/mnet in the repository)")
    p.add_argument("--width", type=float, metavar="ALPHA",
                   help="width multiplier, passed to torchvision's width_mult and to `mnet info --width`")
    p.add_argument("--resolution", type=int, metavar="R",
                   help="input resolution, passed to `mnet info --resolution` (weights do not depend on it; "
                        "random BN calibration uses it)")
    p.add_argument("--labels-out", metavar="FILE",
                   help="also write torchvision's 1000 ImageNet category names, one per line")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.width is not None and not (args.width > 0):
            raise ExportError(f"--width must be positive, got {args.width}")
        torch = import_torch()
        width = 1.0 if args.width is None else args.width
        if args.pretrained is not None:
            tag = args.pretrained
            model = pretrained_model(args.arch, tag, width)
            source = f"torchvision {args.arch} pretrained {tag}"
        else:
            torch.manual_seed(0 if args.seed is None else args.seed)
            model = build_model(args.arch, width)
            if args.state_dict:
                load_into(model, without_aux(args.arch, load_state_dict_file(args.state_dict)), args.state_dict)
                source = f"{args.arch} state dict {os.path.basename(args.state_dict)}"
            else:
                randomize_(model, args.seed, args.resolution or 224)
                source = f"{args.arch} random seed {args.seed}"
        model.eval()
        tensors = export(model, args.arch, args.out, args.mnet, args.config, args.width, args.resolution,
                         {"source": source, "width": width, "exporter": "scripts/export_torchvision.py"})
        if args.labels_out:
            write_text_atomically(args.labels_out, "\n".join(imagenet_categories(args.arch)) + "\n")
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = sum(a.size for _, a in tensors)
    print(f"wrote {args.out}: {len(tensors)} tensors, {n} parameters ({source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end parity of `mnet run` with PyTorch/torchvision for MobileNet V1, V2, V3-Large and
V3-Small, and for the networks the MobileNet papers compare against, as torchvision 0.14 has them:
alexnet, vgg16, googlenet, squeezenet1_0, resnet50, mnasnet1_0, shufflenet_v2_x1_0 (each checked on the shipped config,
configs/<arch>.json; squeezenet1_0 is squeezenet_1_0.json, mnasnet1_0 mnasnet_b1.json).

Detection and segmentation: ssdlite320_mobilenet_v3_large (backbone + head at 320: the raw box
regression and class logits before decoding, mnet's per-map outputs arranged as torchvision
concatenates them), deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large (the "out" map at
520, aux classifier off), each within the same bound, max |mnet - torch| <= 1e-4 * max |torch|,
per tensor.

For each model: random weights with non-trivial BatchNorm (statistics and affine parameters) are
exported with scripts/export_torchvision.py, a random [1,3,224,224] input is run through PyTorch
(eval mode) and through `mnet run` on the config without its final softmax, and the logits are
compared:

    PASS iff  max |mnet - torch|  <=  1e-4 * max |torch|      (over the 1000 logits)

Logits, not probabilities: with random weights the softmax can be nearly uniform (or saturated)
and hide errors. The unchanged config (ending in softmax) is also run, and its probabilities must
agree with softmax(torch logits) to the bound the logit tolerance implies:
max |p_mnet - p_torch| <= 2 * 1e-4 * max|torch logits| * max p_torch + 1e-6.

Prints one line per model with the measured max relative error; exits non-zero on any mismatch.
Prints "skipped: ..." and exits 0 only if torch cannot be imported.
Writes only into a temporary directory.

  /usr/bin/python3 tests/e2e_torch_parity.py --mnet build/mnet [--repo .] [--threads 2]
  (or env MNET, MNET_REPO)

--perturb [NAME] adds 0.01 to every element of one tensor of the exported weights (NAME, or one in
the middle of the file) -- a negative control: the test must then fail. Every element, not one: in
the ReLU networks without BatchNorm (AlexNet, VGG, SqueezeNet) a random weight often reads a channel
that is zero for this input, and changing it alone changes nothing.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TOLERANCE = 1e-4  # max |mnet - torch| <= TOLERANCE * max |torch| on the logits
# torchvision's name -> configs/<name>.json (as scripts/export_torchvision.py's TORCHVISION_CONFIGS).
CONFIGS = {"mobilenet_v1": "mobilenet_v1", "mobilenet_v2": "mobilenet_v2", "mobilenet_v3_large": "mobilenet_v3_large",
           "mobilenet_v3_small": "mobilenet_v3_small", "alexnet": "alexnet", "vgg16": "vgg16",
           "googlenet": "googlenet", "squeezenet1_0": "squeezenet_1_0", "resnet50": "resnet50",
           "mnasnet1_0": "mnasnet_b1", "shufflenet_v2_x1_0": "shufflenet_v2_x1_0"}
# Detection and segmentation (issue 18): several outputs or a map, at the config's resolution.
DENSE = {"ssdlite320_mobilenet_v3_large": "ssdlite_mobilenet_v3_large",
         "deeplabv3_mobilenet_v3_large": "deeplabv3_mobilenet_v3_large",
         "lraspp_mobilenet_v3_large": "lraspp_mobilenet_v3_large"}
CONFIGS.update(DENSE)
ARCHS = tuple(CONFIGS)
# BatchNorm calibration of the random weights runs a batch of 8 in train mode at the config's
# resolution, at most this (at 520 DeepLab's is slow and the statistics need no more). SSDLite's
# 1x1 extra maps sit behind a last conv of values in the hundreds: the relative float32 error of
# torch itself against float64 there reaches 1e-4 of the map (mnet's is no larger), so the check is
# per concatenated tensor, as torchvision returns them.
DENSE_CALIBRATION_RESOLUTION = 320


def perturb_safetensors(path, name):
    """Adds 0.01 to every float32 of tensor `name` (or a middle tensor) in place; returns its name."""
    with open(path, "r+b") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        names = [k for k in header if k != "__metadata__"]
        name = name or names[len(names) // 2]
        if name not in header:
            raise SystemExit(f"--perturb: no tensor '{name}' in {path}")
        begin, end = header[name]["data_offsets"]
        f.seek(8 + n + begin)
        count = (end - begin) // 4
        values = struct.unpack(f"<{count}f", f.read(4 * count))
        f.seek(8 + n + begin)
        f.write(struct.pack(f"<{count}f", *(v + 0.01 for v in values)))
    return name


def run_mnet(mnet, config, weights, x, y, threads):
    cmd = [mnet, "run", config, "--weights", weights, "--input", x, "--output", y, "--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed ({p.returncode}): {p.stderr.strip()}")


def ssd_as_torchvision(maps, columns):
    """mnet's per-map predictions [A*K, H, W] in map order, as SSDScoringHead.forward arranges
    them: view(N, A, K, H, W).permute(0, 3, 4, 1, 2).reshape(N, HWA, K), concatenated over maps."""
    import numpy as np
    parts = []
    for m in maps:
        ak, h, w = m.shape[-3:]
        parts.append(m.reshape(1, ak // columns, columns, h, w).transpose(0, 3, 4, 1, 2).reshape(1, -1, columns))
    return np.concatenate(parts, axis=1)


def check_dense(a, arch, d, mnet, repo, ex):
    """SSDLite320 (the raw box regression and class logits) or DeepLabv3 / LR-ASPP (the "out" map)
    with random weights, torch vs `mnet run` on the shipped config. Prints its line; returns ok."""
    import numpy as np
    import torch
    config = os.path.join(repo, "configs", DENSE[arch] + ".json")
    with open(config) as f:
        res = json.load(f)["resolution"]
    started = time.monotonic()
    os.makedirs(d, exist_ok=True)
    weights, x_path, y_path = (os.path.join(d, n) for n in ("weights.safetensors", "input.npy", "y.npy"))
    try:
        torch.manual_seed(a.seed)
        model = ex.randomize_(ex.build_model(arch), a.seed, min(res, DENSE_CALIBRATION_RESOLUTION))
        ex.export(model, arch, weights, mnet, config, metadata={"source": f"{arch} random seed {a.seed}"})
        note = f" (perturbed {perturb_safetensors(weights, a.perturb)})" if a.perturb is not None else ""
        x = torch.randn((1, 3, res, res), generator=torch.Generator().manual_seed(a.seed + 1000))
        np.save(x_path, x.numpy().astype(np.float32))
        with torch.no_grad():
            y = model(x)
        run_mnet(mnet, config, weights, x_path, y_path, a.threads)
    except (ex.ExportError, RuntimeError) as e:
        print(f"FAIL {arch}: {e}")
        return False
    if arch.startswith("ssdlite"):
        # The head's outputs, boxes then classes, one file each: y.head.box0.npy, ...
        def load(kind):
            return [np.load(os.path.join(d, f"y.head.{kind}{i}.npy")).astype(np.float64) for i in range(6)]
        pairs = [("bbox_regression", ssd_as_torchvision(load("box"), 4), y[0].double().numpy()),
                 ("cls_logits", ssd_as_torchvision(load("cls"), 91), y[1].double().numpy())]
    else:
        pairs = [("out", np.load(y_path).astype(np.float64), y.double().numpy())]
    ok = True
    parts = []
    for name, m, t in pairs:
        if m.shape != t.shape:
            print(f"FAIL {arch}: mnet's {name} has shape {list(m.shape)}, torch's {list(t.shape)}")
            return False
        scale = np.abs(t).max()
        rel = np.abs(m - t).max() / scale
        ok = ok and rel <= TOLERANCE
        parts.append(f"{name} {list(t.shape)} max rel err {rel:.2e} (max |torch| {scale:.3g})")
    print(f"{'ok  ' if ok else 'FAIL'} {arch:20s} {'; '.join(parts)} (tol {TOLERANCE:.0e}); "
          f"{time.monotonic() - started:.1f} s{note}", flush=True)
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here_repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--mnet", default=os.environ.get("MNET"), help="mnet binary (env MNET; default REPO/build/mnet)")
    ap.add_argument("--repo", default=os.environ.get("MNET_REPO", here_repo), help="repository root (env MNET_REPO)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arch", action="append", choices=ARCHS, help="only these models (repeatable)")
    ap.add_argument("--perturb", nargs="?", const="", metavar="NAME", help="negative control, see above")
    a = ap.parse_args(argv)

    try:
        import torch  # noqa: F401
    except ImportError as e:
        print(f"skipped: torch is not importable with {sys.executable} ({e})")
        return 0
    import numpy as np

    repo = os.path.abspath(a.repo)
    mnet = os.path.abspath(a.mnet or os.path.join(repo, "build", "mnet"))
    if not os.access(mnet, os.X_OK):
        print(f"FAIL: no mnet binary at {mnet} (pass --mnet)")
        return 1
    sys.path.insert(0, os.path.join(repo, "scripts"))
    import export_torchvision as ex
    import torch_reference as tr
    torch.set_num_threads(1)

    def check(arch, d):
        """Runs one model in folder d; prints its line; returns whether it matches torch."""
        if arch in DENSE:
            return check_dense(a, arch, d, mnet, repo, ex)
        config = os.path.join(repo, "configs", CONFIGS[arch] + ".json")
        started = time.monotonic()
        try:
            r = tr.make_reference(arch, a.seed, d, mnet, config)
            note = ""
            if a.perturb is not None:
                note = f" (perturbed {perturb_safetensors(r['weights'], a.perturb)})"
            y_logits, y_probs = os.path.join(d, "mnet_logits.npy"), os.path.join(d, "mnet_probs.npy")
            run_mnet(mnet, r["logits_config"], r["weights"], r["input"], y_logits, a.threads)
            run_mnet(mnet, config, r["weights"], r["input"], y_probs, a.threads)
        except (ex.ExportError, RuntimeError) as e:
            print(f"FAIL {arch}: {e}")
            return False
        t, p_t = r["logits"], r["probs"]
        m = np.load(y_logits).astype(np.float64).reshape(-1)
        p_m = np.load(y_probs).astype(np.float64).reshape(-1)
        if m.shape != t.shape or p_m.shape != p_t.shape:
            print(f"FAIL {arch}: mnet output has {m.size} / {p_m.size} values, torch {t.size}")
            return False
        scale = np.abs(t).max()
        rel = np.abs(m - t).max() / scale
        worst = int(np.abs(m - t).argmax())
        p_err = np.abs(p_m - p_t).max()
        p_bound = 2 * TOLERANCE * scale * p_t.max() + 1e-6
        ok = rel <= TOLERANCE and p_err <= p_bound
        print(f"{'ok  ' if ok else 'FAIL'} {arch:20s} logits max rel err {rel:.2e} (tol {TOLERANCE:.0e}; "
              f"max |torch| {scale:.3g}, worst class {worst}); probs max abs err {p_err:.2e} "
              f"(bound {p_bound:.1e}); {time.monotonic() - started:.1f} s{note}", flush=True)
        return ok

    failures = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mnet-torch-parity-") as tmp:
        for arch in a.arch or ARCHS:
            d = os.path.join(tmp, arch)
            try:
                failures += not check(arch, d)
            finally:
                shutil.rmtree(d, ignore_errors=True)  # VGG16's weights alone are 528 MB
    print(f"{len(a.arch or ARCHS)} model(s) in {time.monotonic() - started:.0f} s")
    if failures:
        print(f"{failures} model(s) differ from torch")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

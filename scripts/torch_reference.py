#!/usr/bin/env python3
"""Make a PyTorch reference for one model: random weights (non-trivial BatchNorm) exported to
.safetensors for mnet, a random input, and PyTorch's output.

Writes into --out-dir:
  weights.safetensors   the weights, named for configs/<arch>.json
  input.npy             float32 [1, 3, R, R], standard normal from --seed
  expected.npy          float32 [1, 1000, 1, 1]: softmax(logits), what the config ends with
  expected_logits.npy   float32 [1, 1000, 1, 1]: the logits
  logits.json           the config without its final softmax layer, so `mnet run` on it gives
                        logits: with random weights the probabilities can be nearly uniform and
                        hide errors, so compare logits.

  torch_reference.py --arch mobilenet_v2 --seed 0 --out-dir /tmp/ref --mnet build/mnet
  build/mnet run /tmp/ref/logits.json --weights /tmp/ref/weights.safetensors \\
      --input /tmp/ref/input.npy --output /tmp/ref/logits.npy
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision as ex  # noqa: E402


def logits_config(config, out_path):
    """Writes `config` without its trailing softmax layer (labels made absolute); returns out_path."""
    with open(config) as f:
        cfg = json.load(f)
    if cfg["layers"] and cfg["layers"][-1].get("type") == "softmax":
        cfg["layers"] = cfg["layers"][:-1]
    if "labels" in cfg and not os.path.isabs(cfg["labels"]):
        cfg["labels"] = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(config)), cfg["labels"]))
    cfg["name"] = cfg.get("name", "model") + "_logits"
    ex.write_text_atomically(out_path, json.dumps(cfg, indent=1) + "\n")
    return out_path


def make_reference(arch, seed, out_dir, mnet=None, config=None, width=None, resolution=None):
    """Returns a dict of the written paths plus 'logits' and 'probs' (numpy, [1000])."""
    import numpy as np
    torch = ex.import_torch()
    config = config or ex.default_config(arch)
    res = resolution or 224
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    model = ex.randomize_(ex.build_model(arch, 1.0 if width is None else width), seed, res)
    paths = {k: os.path.join(out_dir, v) for k, v in [
        ("weights", "weights.safetensors"), ("input", "input.npy"), ("expected", "expected.npy"),
        ("expected_logits", "expected_logits.npy"), ("logits_config", "logits.json")]}
    ex.export(model, arch, paths["weights"], mnet, config, width, resolution,
              {"source": f"{arch} random seed {seed}", "exporter": "scripts/torch_reference.py"})
    x = torch.randn((1, 3, res, res), generator=torch.Generator().manual_seed(seed + 1000))
    with torch.no_grad():
        logits = model(x).double()
    probs = torch.softmax(logits, dim=1)
    np.save(paths["input"], x.numpy().astype(np.float32))
    np.save(paths["expected_logits"], logits.numpy().astype(np.float32).reshape(1, -1, 1, 1))
    np.save(paths["expected"], probs.numpy().astype(np.float32).reshape(1, -1, 1, 1))
    logits_config(config, paths["logits_config"])
    paths["logits"] = logits.numpy().reshape(-1)
    paths["probs"] = probs.numpy().reshape(-1)
    return paths


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Classifiers only: the detector and segmenters give several tensors (tests/e2e_torch_parity.py).
    p.add_argument("--arch", required=True, choices=[a for a in ex.ARCHS if a not in ex.DENSE_CONFIGS])
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the input (default 0)")
    p.add_argument("--out-dir", required=True, metavar="DIR")
    p.add_argument("--mnet", metavar="PATH", help="the mnet binary (default: build/mnet in the repository)")
    p.add_argument("--config", metavar="CONFIG", help="default: configs/<arch>.json in the repository")
    p.add_argument("--width", type=float, metavar="ALPHA")
    p.add_argument("--resolution", type=int, metavar="R", help="input resolution (default 224)")
    a = p.parse_args(argv)
    try:
        r = make_reference(a.arch, a.seed, a.out_dir, a.mnet, a.config, a.width, a.resolution)
    except ex.ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out_dir}: weights.safetensors input.npy expected.npy expected_logits.npy logits.json "
          f"(logits std {r['logits'].std():.3g}, max prob {r['probs'].max():.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

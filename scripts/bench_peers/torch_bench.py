#!/usr/bin/env python3
"""PyTorch worker for scripts/bench_peers.sh: builds one model (scripts/export_torchvision.py's
architecture, weights from --state-dict), picks the fastest correct inference mode, then answers
commands on stdin with one JSON line each on stdout:

  run RUNS WARMUP [BUDGET_MS]
                    -> {"times_ms": [...]}   (WARMUP untimed runs, then RUNS timed ones; with
                                              BUDGET_MS, the warm-up stops after BUDGET_MS/4 (at
                                              least 1 run), the timed runs after BUDGET_MS (at
                                              least 5 runs))
  quit              -> {"vmhwm_kb": K}       (peak RSS of this process since the mode was
                                              chosen: VmHWM is reset then) and exit

Modes tried (each under torch.inference_mode(), with torch.set_num_threads(N) and one inter-op
thread), in this order:
  script+freeze+ofi   torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(m)))
                      (oneDNN/MKLDNN convolutions, conv-BN folding, fused activations)
  script+freeze       torch.jit.freeze(torch.jit.script(m))
  eager               m(x)
A mode is correct when its logits agree with eager mode's to 1e-4 x max|logits| (torch 1.13's
optimize_for_inference breaks MobileNetV3 -- wrong logits -- so V3 falls back). The fastest
correct mode by the median of a short trial (8 runs or ~1 s) wins; --mode forces one.

Needs Debian's /usr/bin/python3 (torch 1.13 / torchvision 0.14).
  torch_bench.py --arch mobilenet_v2 --state-dict sd.pt --threads 1 --input x.npy
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE)))
import export_torchvision as ex  # noqa: E402

MODES = ("script+freeze+ofi", "script+freeze", "eager")
TOLERANCE = 1e-4


def vmhwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def make_mode(torch, model, mode):
    if mode == "eager":
        return model
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.script(model).eval())
        if mode == "script+freeze":
            return frozen
        return torch.jit.optimize_for_inference(frozen)


def timed(torch, f, x, runs, warmup, budget_ms=float("inf"), min_warmup=1):
    with torch.inference_mode():
        start = time.perf_counter_ns()
        for i in range(warmup):
            f(x)
            if i + 1 >= min_warmup and (time.perf_counter_ns() - start) / 1e6 > budget_ms / 4:
                break
        times = []
        start = time.perf_counter_ns()
        for _ in range(runs):
            t = time.perf_counter_ns()
            f(x)
            e = time.perf_counter_ns()
            times.append((e - t) / 1e6)
            if len(times) >= 5 and (e - start) / 1e6 > budget_ms:
                break
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=ex.ARCHS)
    ap.add_argument("--state-dict", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--input", required=True, help="float32 .npy [1,3,224,224]")
    ap.add_argument("--mode", choices=MODES, help="force this mode (default: fastest correct)")
    ap.add_argument("--trial-runs", type=int, default=8)
    ap.add_argument("--trial-budget", type=float, default=1.0,
                    help="seconds of timed trial runs per mode (at least 5 runs)")
    a = ap.parse_args(argv)

    import warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = ex.build_model(a.arch)
    model.load_state_dict(torch.load(a.state_dict, map_location="cpu"))
    model.eval()
    x = torch.from_numpy(np.load(a.input))
    with torch.inference_mode():
        ref = model(x)
    scale = ref.abs().max().item()

    tried = {}
    best = None
    for mode in ([a.mode] if a.mode else MODES):
        try:
            f = make_mode(torch, model, mode)
            with torch.inference_mode():
                err = (f(x) - ref).abs().max().item()
        except Exception as e:  # noqa: BLE001 -- a mode that fails to build is just skipped
            tried[mode] = f"failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            continue
        if not err <= TOLERANCE * scale:
            tried[mode] = f"wrong (max abs err {err:.3g}, max |logit| {scale:.3g})"
            continue
        # at least 3 warm-up runs: the JIT's profiling executor optimizes after the first two
        med = float(np.median(timed(torch, f, x, a.trial_runs, 5, a.trial_budget * 1000, min_warmup=3)))
        tried[mode] = f"ok ({med:.2f} ms in trial, max abs err {err:.2g})"
        if best is None or med < best[1]:
            best = (mode, med, f, err)
    if best is None:
        print(json.dumps({"error": f"no correct mode: {tried}"}), flush=True)
        return 1
    mode, _, f, err = best
    # drop the losers' graphs before measuring memory
    del model
    import gc
    gc.collect()
    try:  # reset VmHWM to the current RSS: the peak then excludes the other modes' trials
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    print(json.dumps({"ready": True, "mode": mode, "tried": tried, "torch_version": torch.__version__,
                      "max_abs_err_vs_eager": err}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "run":
            times = timed(torch, f, x, int(words[1]), int(words[2]) if len(words) > 2 else 0,
                          float(words[3]) if len(words) > 3 else float("inf"))
            print(json.dumps({"times_ms": times}), flush=True)
        elif words[0] == "quit":
            print(json.dumps({"vmhwm_kb": vmhwm_kb()}), flush=True)
            break
        else:
            print(json.dumps({"error": f"unknown command {words[0]}"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The measuring half of scripts/bench_peers.sh (which exports the models and installs ONNX
Runtime first). Two subcommands:

  bench.py run --work DIR --mnet PATH --node-path DIR [--models ...] [--threads 1,2] [--runs 50]
               [--rounds 3] [--warmup 10] [--label TEXT] --json-out FILE
      For each model and thread count: starts an ONNX Runtime worker (ort_bench.js) and a PyTorch
      worker (torch_bench.py), checks that ORT's logits and `mnet run`'s agree on the same input,
      then ALTERNATES the engines for --rounds rounds (the order rotates each round), each round
      --warmup untimed runs then --runs timed ones per engine; mnet is timed by
      `mnet bench CONFIG --weights W --threads N --runs R --warmup W --format json`, one process
      per round. Writes every round's median/p10/p90, peak RSS and the checks to FILE.
      --budget S caps each engine's round at about S seconds of timed runs (at least 5 runs; the
      warm-up at S/4): on a loaded machine a 2-thread run can take a second, and the default run
      must stay near 10 minutes. The runs actually timed are reported. 0: no cap.

  bench.py report FILE...
      Markdown tables, one per FILE (OpenBLAS setting), then a side-by-side summary of the
      settings when there are several.

Figures: an engine's median (p10, p90) is the median over rounds of that round's median (p10,
p90) of per-run latencies; mnet/ORT is the median over rounds of (mnet's round median / ORT's
round median) -- the engines of one round ran back to back, so they share its machine noise.
Peak RSS: VmHWM of the ORT (node) and PyTorch (python) worker processes; for mnet, the largest
max RSS of its `mnet bench` processes (os.wait4).

Needs only numpy (Debian's /usr/bin/python3 has it).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ARCHS = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")
ALIASES = {"v1": "mobilenet_v1", "v2": "mobilenet_v2", "v3l": "mobilenet_v3_large", "v3_large": "mobilenet_v3_large",
           "v3-large": "mobilenet_v3_large", "v3s": "mobilenet_v3_small", "v3_small": "mobilenet_v3_small",
           "v3-small": "mobilenet_v3_small"}
SHORT = {"mobilenet_v1": "MobileNetV1", "mobilenet_v2": "MobileNetV2", "mobilenet_v3_large": "MobileNetV3-Large",
         "mobilenet_v3_small": "MobileNetV3-Small"}
ENGINES = ("ort", "torch", "mnet")


def parse_models(text):
    out = []
    for m in text.split(","):
        m = m.strip().lower()
        if not m:
            continue
        m = ALIASES.get(m, m)
        if m not in ARCHS:
            raise SystemExit(f"unknown model '{m}' (known: {', '.join(ARCHS)}, or v1, v2, v3l, v3s)")
        out.append(m)
    return out


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Worker:
    """A persistent ORT or PyTorch process speaking one JSON line per command."""

    def __init__(self, name, cmd, env=None):
        self.name = name
        self.cmd = cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.ready = self.read()

    def read(self):
        line = self.p.stdout.readline()
        if not line:
            rc = self.p.wait()
            raise RuntimeError(f"{self.name} worker exited ({rc}) without answering: {' '.join(self.cmd)}")
        msg = json.loads(line)
        if "error" in msg:
            raise RuntimeError(f"{self.name} worker: {msg['error']}")
        return msg

    def ask(self, command):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return self.read()

    def quit(self):
        try:
            msg = self.ask("quit")
        finally:
            self.p.stdin.close()
            self.p.wait()
        return msg.get("vmhwm_kb")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def stats(times):
    import numpy as np
    t = np.asarray(times, dtype=np.float64)
    return {"median_ms": float(np.percentile(t, 50)), "p10_ms": float(np.percentile(t, 10)),
            "p90_ms": float(np.percentile(t, 90)), "runs": int(t.size)}


def run_process(cmd, env=None):
    """Runs cmd; returns (returncode, stdout, stderr, max RSS in kB of that process)."""
    out_r, out_w = os.pipe()
    err_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-peers-{os.getpid()}.err")
    with open(err_path, "w+") as err:
        p = subprocess.Popen(cmd, stdout=out_w, stderr=err, env=env)
        os.close(out_w)
        chunks = []
        while True:
            b = os.read(out_r, 65536)
            if not b:
                break
            chunks.append(b)
        os.close(out_r)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    os.unlink(err_path)
    return p.returncode, b"".join(chunks).decode(), stderr, ru.ru_maxrss


def mnet_bench(mnet, d, arch, threads, runs, warmup):
    cmd = [mnet, "bench", os.path.join(REPO, "configs", arch + ".json"), "--weights",
           os.path.join(d, "weights.safetensors"), "--threads", str(threads), "--runs", str(runs),
           "--warmup", str(warmup), "--format", "json"]
    rc, out, err, rss = run_process(cmd)
    if rc != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed ({rc}): {err.strip()}")
    j = json.loads(out)
    r = j["results"][0]
    return ({"median_ms": r["median_ms"], "p10_ms": r["p10_ms"], "p90_ms": r["p90_ms"], "runs": r["runs"]},
            rss, j["machine"].get("openblas_core"))


def mnet_logits(mnet, d, threads, out):
    cmd = [mnet, "run", os.path.join(d, "logits.json"), "--weights", os.path.join(d, "weights.safetensors"),
           "--input", os.path.join(d, "input.npy"), "--output", out, "--threads", str(threads)]
    rc, _, err, _ = run_process(cmd)
    if rc != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed ({rc}): {err.strip()}")


def cmd_run(a):
    import numpy as np
    models = parse_models(a.models)
    threads = [int(t) for t in a.threads.split(",") if t.strip()]
    node = shutil.which("node") or "node"
    env_node = dict(os.environ, NODE_PATH=a.node_path)
    rc, version, err, _ = run_process([a.mnet, "--version"])
    if rc != 0:
        raise SystemExit(f"cannot run {a.mnet} --version: {err.strip()}")
    doc = {"label": a.label, "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
           "mnet_version": version.strip(), "runs": a.runs, "rounds": a.rounds, "warmup": a.warmup,
           "budget_s": a.budget,
           "started": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_start": open("/proc/loadavg").read().split()[:3],
           "results": []}
    log(f"== {a.label}: OPENBLAS_CORETYPE={doc['openblas_env']['OPENBLAS_CORETYPE']} "
        f"OPENBLAS_L2_SIZE={doc['openblas_env']['OPENBLAS_L2_SIZE']}; {version.strip()}")
    for arch in models:
        d = os.path.join(a.work, arch)
        with open(os.path.join(d, "export.json")) as f:
            export = json.load(f)
        torch_logits = np.load(os.path.join(d, "expected_logits.npy")).astype(np.float64).reshape(-1)
        for n in threads:
            t0 = time.time()
            ort_out = os.path.join(d, f"ort_logits_t{n}.npy")
            mnet_out = os.path.join(d, f"mnet_logits_t{n}.npy")
            workers = {}
            try:
                workers["ort"] = Worker("ORT", [node, os.path.join(HERE, "ort_bench.js"), "--model",
                                                os.path.join(d, "model.onnx"), "--threads", str(n), "--input",
                                                os.path.join(d, "input.npy"), "--output", ort_out], env_node)
                workers["torch"] = Worker("PyTorch", [sys.executable, os.path.join(HERE, "torch_bench.py"), "--arch",
                                                      arch, "--state-dict", os.path.join(d, "state_dict.pt"),
                                                      "--threads", str(n), "--input", os.path.join(d, "input.npy")]
                                          + (["--mode", a.torch_mode] if a.torch_mode else []))
                mnet_logits(a.mnet, d, n, mnet_out)
                ort_l = np.load(ort_out).astype(np.float64).reshape(-1)
                mnet_l = np.load(mnet_out).astype(np.float64).reshape(-1)
                check = {"mnet_vs_ort_max_abs": float(np.abs(mnet_l - ort_l).max()),
                         "ort_vs_torch_max_abs": float(np.abs(ort_l - torch_logits).max()),
                         "torch_mode_vs_eager_max_abs": workers["torch"].ready.get("max_abs_err_vs_eager"),
                         "max_abs_logit": float(np.abs(torch_logits).max())}
                rounds = {e: [] for e in ENGINES}
                # mnet's per-run time, for its share of the budget (a short probe first)
                est, _, _ = mnet_bench(a.mnet, d, arch, n, 3, 1) if a.budget > 0 else (None, 0, None)
                mnet_rss, cores = 0, set()
                for r in range(a.rounds):
                    order = ENGINES[r % 3:] + ENGINES[:r % 3]
                    for e in order:
                        if e == "mnet":
                            runs, warmup = a.runs, a.warmup
                            if est is not None:
                                per_run = max(est["median_ms"], 1e-3)
                                runs = min(a.runs, max(5, int(a.budget * 1000 / per_run)))
                                warmup = min(a.warmup, max(1, int(a.budget * 250 / per_run)))
                            s, rss, core = mnet_bench(a.mnet, d, arch, n, runs, warmup)
                            est = s if est is not None else None
                            mnet_rss = max(mnet_rss, rss)
                            cores.add(core)
                        else:
                            budget = f" {a.budget * 1000:.0f}" if a.budget > 0 else ""
                            s = stats(workers[e].ask(f"run {a.runs} {a.warmup}{budget}")["times_ms"])
                        rounds[e].append(s)
                rss = {"ort": workers["ort"].quit(), "torch": workers["torch"].quit(), "mnet": mnet_rss}
            finally:
                for w in workers.values():
                    w.kill()
            res = {"model": arch, "threads": n, "rounds": rounds, "peak_rss_kb": rss, "check": check,
                   "openblas_core": sorted(c for c in cores if c), "torch_mode": workers["torch"].ready["mode"],
                   "torch_modes_tried": workers["torch"].ready["tried"],
                   "torch_version": workers["torch"].ready.get("torch_version"),
                   "ort_version": workers["ort"].ready.get("ort_version"),
                   "onnx_ops": export.get("ops"), "seconds": round(time.time() - t0, 1)}
            doc["results"].append(res)
            s = summarize(res)
            log(f"  {arch} x{n}: ORT {s['ort'][0]:.2f}  PyTorch[{res['torch_mode']}] {s['torch'][0]:.2f}  "
                f"mnet {s['mnet'][0]:.2f} ms (core {','.join(res['openblas_core'])})  mnet/ORT {s['ratio']:.2f}  "
                f"|mnet-ORT| {check['mnet_vs_ort_max_abs']:.1e}  [{res['seconds']} s]")
    doc["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    tmp = a.json_out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, a.json_out)
    return 0


def summarize(res):
    import numpy as np
    out = {}
    for e in ENGINES:
        rs = res["rounds"][e]
        out[e] = tuple(float(np.median([r[k] for r in rs])) for k in ("median_ms", "p10_ms", "p90_ms"))
    out["ratio"] = float(np.median([m["median_ms"] / o["median_ms"]
                                    for m, o in zip(res["rounds"]["mnet"], res["rounds"]["ort"])]))
    return out


def capped(doc):
    counts = [r["runs"] for res in doc["results"] for e in ENGINES for r in res["rounds"][e]]
    if not counts or min(counts) >= doc["runs"]:
        return ""
    return (f" (capped at ~{doc['budget_s']:g} s of timed runs per engine and round: "
            f"{min(counts)}–{max(counts)} runs per round)")


def mib(kb):
    return "?" if kb is None else f"{kb / 1024:.0f}"


def table(doc):
    lines = []
    env = doc["openblas_env"]
    cores = sorted({c for r in doc["results"] for c in r["openblas_core"]})
    r0 = doc["results"][0] if doc["results"] else {}
    lines.append(f"### {doc['label']}")
    lines.append("")
    lines.append(f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE'] or '(unset)'}, "
                 f"OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE'] or '(unset)'} -> mnet's OpenBLAS core: "
                 f"{', '.join(cores) or '?'}; ONNX Runtime {r0.get('ort_version', '?')} (onnxruntime-node), "
                 f"PyTorch {r0.get('torch_version', '?')}; {doc['rounds']} rounds x {doc['runs']} runs "
                 f"(+{doc['warmup']} warm-up) per engine{capped(doc)}; load average {' '.join(doc['loadavg_start'])} at start, "
                 f"{' '.join(doc.get('loadavg_end', ['?']))} at end.")
    lines.append("")
    lines.append("| model | threads | ORT median (p10–p90) ms | PyTorch median ms | mnet median (p10–p90) ms "
                 "| mnet/ORT | peak RSS ORT / PyTorch / mnet MiB | max abs diff logits mnet vs ORT |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    modes = {}
    for r in doc["results"]:
        s = summarize(r)
        o, t, m = s["ort"], s["torch"], s["mnet"]
        modes.setdefault(r["torch_mode"], []).append(f"{SHORT[r['model']]} x{r['threads']}")
        c = r["check"]
        lines.append(f"| {SHORT[r['model']]} | {r['threads']} | {o[0]:.2f} ({o[1]:.2f}–{o[2]:.2f}) | {t[0]:.2f} | "
                     f"{m[0]:.2f} ({m[1]:.2f}–{m[2]:.2f}) | {s['ratio']:.2f} | "
                     f"{mib(r['peak_rss_kb']['ort'])} / {mib(r['peak_rss_kb']['torch'])} / "
                     f"{mib(r['peak_rss_kb']['mnet'])} | {c['mnet_vs_ort_max_abs']:.1e} "
                     f"(max \\|logit\\| {c['max_abs_logit']:.3g}) |")
    lines.append("")
    lines.append("PyTorch mode: " + "; ".join(f"{k} ({', '.join(v)})" for k, v in modes.items()) + ".")
    wrong = sorted({f"{SHORT[r['model']]}: {k} {v}" for r in doc["results"]
                    for k, v in r["torch_modes_tried"].items() if not v.startswith("ok")})
    if wrong:
        lines.append("Rejected PyTorch modes: " + "; ".join(wrong) + ".")
    lines.append("")
    return "\n".join(lines)


def side_by_side(docs):
    lines = ["### OpenBLAS settings side by side (median ms; mnet/ORT)", ""]
    head = "| model | threads |"
    sep = "|---|---:|"
    for d in docs:
        cores = ",".join(sorted({c for r in d["results"] for c in r["openblas_core"]})) or "?"
        head += f" ORT [{cores}] | PyTorch [{cores}] | mnet [{cores}] | mnet/ORT [{cores}] |"
        sep += "---:|---:|---:|---:|"
    lines += [head, sep]
    keyed = [{(r["model"], r["threads"]): r for r in d["results"]} for d in docs]
    for key in [(r["model"], r["threads"]) for r in docs[0]["results"]]:
        row = f"| {SHORT[key[0]]} | {key[1]} |"
        for k in keyed:
            if key not in k:
                row += " – | – | – | – |"
                continue
            s = summarize(k[key])
            row += f" {s['ort'][0]:.2f} | {s['torch'][0]:.2f} | {s['mnet'][0]:.2f} | {s['ratio']:.2f} |"
        lines.append(row)
    lines.append("")
    return "\n".join(lines)


def cmd_report(a):
    docs = []
    for path in a.files:
        with open(path) as f:
            docs.append(json.load(f))
    print(docs[0]["mnet_version"] if docs else "")
    print()
    for d in docs:
        print(table(d))
    if len(docs) > 1:
        print(side_by_side(docs))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--work", required=True, help="folder with one exported folder per model (export_onnx.py)")
    r.add_argument("--mnet", required=True)
    r.add_argument("--node-path", required=True, help="node_modules folder holding onnxruntime-node")
    r.add_argument("--models", default=",".join(ARCHS))
    r.add_argument("--threads", default="1,2")
    r.add_argument("--runs", type=int, default=50)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--warmup", type=int, default=10)
    r.add_argument("--budget", type=float, default=3.0, help="seconds of timed runs per engine and round (0: no cap)")
    r.add_argument("--torch-mode", choices=("script+freeze+ofi", "script+freeze", "eager"))
    r.add_argument("--label", default="")
    r.add_argument("--json-out", required=True)
    p = sub.add_parser("report")
    p.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    return cmd_run(a) if a.cmd == "run" else cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())

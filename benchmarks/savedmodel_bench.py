#!/usr/bin/env python3
"""TF2 SavedModels (Keras 3 model.export()) in C++: load-to-first-result and per-call latency
at batch 1, ckpt vs TensorFlow, in one run.

  benchmarks/savedmodel_bench.py [--reps 5] [--calls 2000] [--dir DIR]

Exports an MLP (784-256-256-10) and a small CNN (28x28x1, two conv layers) with Keras 3, then,
interleaving the candidates in every repetition (page cache warm for all):
  ckpt        `ckpt run DIR --signature serving_default --feed KEY=@x.npy --benchmark N
              --json`: load (import, restore, init op) and first result measured inside the
              process, then N timed calls after warm-up; also the whole process's wall time
  tf          a fresh Python process with TensorFlow already imported (import not timed):
              tf.saved_model.load + the first signature call, then N timed calls
  read floor  reading every file of the SavedModel once (the least any loader must do)
Prints median and range per candidate and the ratios against the targets: ckpt's
load-to-first-result <= 1/10 of TF's, ckpt's per-call latency <= 1/10 of TF's.
Needs the ckpt CLI (`scripts/build.sh`; CKPT_BINARY_DIR overrides build/) and tensorflow-cpu.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]

TF_SIDE = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
model_dir, x_path, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = tf.constant(np.load(x_path))
t0 = time.perf_counter()
fn = tf.saved_model.load(model_dir).signatures["serving_default"]
key = list(fn.structured_input_signature[1].keys())[0]
fn(**{key: x})
first = time.perf_counter() - t0
for _ in range(max(1, min(calls // 10, 100))):
    fn(**{key: x})
us = []
for _ in range(calls):
    t = time.perf_counter()
    fn(**{key: x})
    us.append((time.perf_counter() - t) * 1e6)
us.sort()
print(json.dumps({"first_result_ms": first * 1e3, "median_us": us[len(us) // 2]}))
"""


def export_models(d):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # noqa: PLC0415
    keras.utils.set_random_seed(0)
    mlp = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
                            keras.layers.Dense(256, activation="relu"),
                            keras.layers.Dense(10, activation="softmax")])
    cnn = keras.Sequential([keras.Input((28, 28, 1)),
                            keras.layers.Conv2D(16, 3, activation="relu"),
                            keras.layers.MaxPooling2D(2),
                            keras.layers.Conv2D(32, 3, activation="relu"),
                            keras.layers.Flatten(), keras.layers.Dense(10)])
    rng = np.random.default_rng(0)
    out = {}
    for name, model, shape in (("mlp", mlp, (1, 784)), ("cnn", cnn, (1, 28, 28, 1))):
        model.export(str(d / name), verbose=False)
        np.save(d / f"{name}_x.npy", rng.normal(size=shape).astype(np.float32))
        out[name] = model
    return out


def input_key(cli, model_dir):
    info = json.loads(subprocess.run([str(cli), "graph", "--json", str(model_dir)], check=True,
                                     capture_output=True).stdout)
    (key,) = info["meta_graphs"][0]["signatures"]["serving_default"]["inputs"].keys()
    return key


def run_ckpt(cli, model_dir, key, x, calls):
    t0 = time.perf_counter()
    proc = subprocess.run([str(cli), "run", str(model_dir), "--signature", "serving_default",
                           "--feed", f"{key}=@{x}", "--benchmark", str(calls), "--json"],
                          check=True, capture_output=True)
    wall = (time.perf_counter() - t0) * 1e3
    b = json.loads(proc.stdout)["benchmark"]
    return {"first_result_ms": b["first_result_ms"], "median_us": b["median_us"],
            "process_ms": wall}


def pinned(cpus):
    """(command prefix, environment) that run a candidate on the CPUs `cpus` (taskset's list,
    e.g. "1" or "0,1") with that many threads: OpenMP (oneDNN) for ckpt, TensorFlow's intra-op
    pool (one inter-op thread) for TF. None: no pinning, every candidate's defaults."""
    if cpus is None:
        return [], dict(os.environ)
    n = str(len(os.sched_getaffinity(0) & {int(c) for c in cpus.split(",")}) or 1)
    return ["taskset", "-c", cpus], {**os.environ, "OMP_NUM_THREADS": n,
                                     "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1"}


def run_tf(model_dir, x, calls, script=TF_SIDE, cpus=None):
    """Runs `script` (a TF-side timing program taking MODEL_DIR X_NPY CALLS and printing one
    JSON line) in a fresh Python process (pinned to `cpus`, see pinned()); returns that
    JSON."""
    prefix, env = pinned(cpus)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run([*prefix, sys.executable, "-c", script, str(model_dir), str(x),
                           str(calls)], check=True, capture_output=True, env=env)
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def read_floor(model_dir):
    t0 = time.perf_counter()
    n = 0
    for p in sorted(pathlib.Path(model_dir).rglob("*")):
        if p.is_file():
            n += len(p.read_bytes())
    return (time.perf_counter() - t0) * 1e3, n


def stat(v):
    return f"{statistics.median(v):9.2f} ({min(v):.2f}-{max(v):.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--dir", type=pathlib.Path)
    args = ap.parse_args()
    build = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    cli = build / "tools" / "ckpt" / "ckpt"
    if not cli.is_file():
        sys.exit(f"{cli} not found: scripts/build.sh")
    with tempfile.TemporaryDirectory() as tmp:
        d = args.dir or pathlib.Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        export_models(d)
        for name in ("mlp", "cnn"):
            model_dir, x = d / name, d / f"{name}_x.npy"
            key = input_key(cli, model_dir)
            res = {"ckpt": [], "tf": [], "floor": []}
            for _ in range(args.reps):
                res["ckpt"].append(run_ckpt(cli, model_dir, key, x, args.calls))
                res["tf"].append(run_tf(model_dir, x, args.calls))
                res["floor"].append(read_floor(model_dir))
            size = res["floor"][0][1]
            ck_first = [r["first_result_ms"] for r in res["ckpt"]]
            tf_first = [r["first_result_ms"] for r in res["tf"]]
            ck_call = [r["median_us"] for r in res["ckpt"]]
            tf_call = [r["median_us"] for r in res["tf"]]
            print(f"\n{name}: {model_dir} ({size} bytes), batch 1, {args.reps} reps, "
                  f"{args.calls} calls each; median (range)")
            print(f"  load-to-first-result ms  ckpt {stat(ck_first)}   tf {stat(tf_first)}"
                  f"   read floor {stat([f[0] for f in res['floor']])}")
            print(f"  ckpt run process wall ms {stat([r['process_ms'] for r in res['ckpt']])}")
            print(f"  per-call latency us      ckpt {stat(ck_call)}   tf {stat(tf_call)}")
            r_first = [c / t for c, t in zip(ck_first, tf_first)]
            r_call = [c / t for c, t in zip(ck_call, tf_call)]
            print(f"  ckpt/tf load-to-first-result: {stat(r_first)}  (target <= 0.10: "
                  f"{'met' if statistics.median(r_first) <= 0.1 else 'MISSED'})")
            print(f"  ckpt/tf per-call latency:     {stat(r_call)}  (target <= 0.10: "
                  f"{'met' if statistics.median(r_call) <= 0.1 else 'MISSED'})")


if __name__ == "__main__":
    main()

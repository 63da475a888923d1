#!/usr/bin/env python3
"""Model zoo inference speed, ckpt vs TensorFlow on this CPU, in one run.

  benchmarks/zoo_bench.py [--models ResNet50,MobileNetV2,EfficientNetB0,Encoder]
                          [--size 224] [--batches 1,32] [--reps 3] [--calls 20] [--dir DIR]
                          [--cpus LIST]

Every model is exported with Keras 3 `model.export()` (random weights, 1000 classes; the
encoder: a BERT-style block stack written with tf.einsum, seq 128, hidden 256, 4 layers, as a
tf.Module SavedModel), then, for each batch size, the candidates run interleaved in every
repetition on the same input:
  ckpt  `ckpt run DIR --signature serving_default --feed KEY=@x.npy --benchmark N --json`
        (N timed calls after warm-up; all cores, as its session's default)
  tf    a fresh Python process: tf.saved_model.load + the signature, N timed calls after
        warm-up (TensorFlow's defaults: all cores, its oneDNN kernels)
With --cpus LIST both run under `taskset -c LIST` with that many threads (OpenMP for ckpt's
oneDNN; TF_NUM_INTRAOP_THREADS, one inter-op thread, for TF): the same pinning for both, and
a comparison that other load on the machine disturbs less.
Prints median (range) latency per call, throughput, and ckpt/TF ratios against the targets:
batch 1 latency <= 0.7x TF's; batch 32 throughput >= 1.2x TF's; peak RSS of the serving
process (the largest over the reps, loading included) <= 0.5x TF's. First it measures the
machine's peak GFLOP/s the same way pinned: the best of 10 float32 2048x2048 matmuls in
TensorFlow, which runs them on oneDNN's sgemm. A model ckpt cannot run is reported with the
reason instead of a number.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np

import savedmodel_bench
from savedmodel_bench import input_key

REPO = pathlib.Path(__file__).resolve().parents[1]

TF_SIDE = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
model_dir, x_path, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = tf.constant(np.load(x_path))
fn = tf.saved_model.load(model_dir).signatures["serving_default"]
key = list(fn.structured_input_signature[1].keys())[0]
for _ in range(max(2, calls // 10)):
    fn(**{key: x})
us = []
for _ in range(calls):
    t = time.perf_counter()
    fn(**{key: x})
    us.append((time.perf_counter() - t) * 1e6)
us.sort()
# VmHWM: this process's peak since exec (getrusage's maxrss would include the forked parent's)
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(json.dumps({"median_us": us[len(us) // 2], "peak_rss_mib": hwm[0] / 1024}))
"""

# Runs argv[2:] and writes its peak RSS (KiB) to argv[1]. A lean parent: a child forked from
# the benchmark's own process (TensorFlow loaded) would count that process's pages in its
# maxrss until it execs.
PEAK_RSS_WRAPPER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]); "
                    "open(sys.argv[1], 'w').write(str(resource.getrusage("
                    "resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(r.returncode)")

PEAK_SIDE = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
n = 2048
a = tf.constant(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
best = float("inf")
for i in range(12):
    t = time.perf_counter()
    tf.linalg.matmul(a, a).numpy()
    if i >= 2:
        best = min(best, time.perf_counter() - t)
print(json.dumps({"gflops": 2 * n ** 3 / best / 1e9}))
"""


def export_encoder(path, seq, hidden, layers, heads=4):
    """A BERT-style encoder: embeddings, then per layer einsum attention + GELU MLP with
    layer norms, as tf.Module with random weights."""
    import tensorflow as tf  # noqa: PLC0415

    rng = np.random.default_rng(0)

    def w(*shape):
        return tf.Variable(rng.normal(0, 0.02, shape).astype(np.float32))

    class Encoder(tf.Module):
        def __init__(self):
            super().__init__()
            self.emb = w(1000, hidden)
            self.pos = w(seq, hidden)
            self.blocks = []
            for _ in range(layers):
                self.blocks.append(dict(
                    q=w(hidden, heads, hidden // heads), k=w(hidden, heads, hidden // heads),
                    v=w(hidden, heads, hidden // heads), o=w(heads, hidden // heads, hidden),
                    f1=w(hidden, 4 * hidden), b1=w(4 * hidden), f2=w(4 * hidden, hidden),
                    g1=tf.Variable(np.ones(hidden, np.float32)),
                    g2=tf.Variable(np.ones(hidden, np.float32))))

        @staticmethod
        def norm(x, g):
            mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * tf.math.rsqrt(var + 1e-6) * g

        @tf.function(input_signature=[tf.TensorSpec([None, seq], tf.int32, name="ids")])
        def __call__(self, ids):
            h = tf.gather(self.emb, ids) + self.pos
            for b in self.blocks:
                q = tf.einsum("bsh,hnd->bnsd", h, b["q"])
                k = tf.einsum("bsh,hnd->bnsd", h, b["k"])
                v = tf.einsum("bsh,hnd->bnsd", h, b["v"])
                att = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) /
                                    np.sqrt(hidden // heads).astype(np.float32))
                ctx = tf.einsum("bnst,bntd->bsnd", att, v)
                h = self.norm(h + tf.einsum("bsnd,ndh->bsh", ctx, b["o"]), b["g1"])
                f = tf.matmul(h, b["f1"]) + b["b1"]
                f = 0.5 * f * (1.0 + tf.math.erf(f / np.sqrt(2.0).astype(np.float32)))
                h = self.norm(h + tf.matmul(f, b["f2"]), b["g2"])
            return {"output_0": h}

    m = Encoder()
    tf.saved_model.save(m, str(path), signatures={"serving_default": m.__call__})


def export_models(d, names, size, seq):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # noqa: PLC0415
    out = {}
    for name in names:
        path = d / name
        if name == "Encoder":
            export_encoder(path, seq, 256, 4)
        else:
            keras.utils.set_random_seed(0)
            model = getattr(keras.applications, name)(weights=None,
                                                      input_shape=(size, size, 3))
            model.export(str(path), verbose=False)
            keras.backend.clear_session()
        out[name] = path
    return out


def inputs(name, batch, size, seq):
    rng = np.random.default_rng(batch)
    if name == "Encoder":
        return rng.integers(0, 1000, (batch, seq)).astype(np.int32)
    return rng.uniform(0, 255, (batch, size, size, 3)).astype(np.float32)


def run_ckpt(cli, model_dir, key, x, calls, cpus=None):
    """The CLI's benchmark: its median latency and the process's peak RSS."""
    prefix, env = savedmodel_bench.pinned(cpus)
    with tempfile.NamedTemporaryFile("r") as rss:
        proc = subprocess.run([sys.executable, "-c", PEAK_RSS_WRAPPER, rss.name, *prefix,
                               str(cli), "run", str(model_dir), "--signature", "serving_default",
                               "--feed", f"{key}=@{x}", "--benchmark", str(calls), "--json"],
                              capture_output=True, env=env)
        if proc.returncode != 0:
            lines = proc.stderr.decode(errors="replace").strip().splitlines()
            return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
        peak_kib = int(rss.read())
    return {"median_us": json.loads(proc.stdout)["benchmark"]["median_us"],
            "peak_rss_mib": peak_kib / 1024}


def peak_gflops(cpus):
    """The machine's float32 matmul peak, pinned like the candidates (see PEAK_SIDE)."""
    prefix, env = savedmodel_bench.pinned(cpus)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run([*prefix, sys.executable, "-c", PEAK_SIDE], check=True,
                          capture_output=True, env=env)
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])["gflops"]


def stat(v):
    return f"{statistics.median(v):10.1f} ({min(v):.1f}-{max(v):.1f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="ResNet50,MobileNetV2,EfficientNetB0,Encoder")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--dir", type=pathlib.Path)
    ap.add_argument("--cpus", help="pin both candidates to these CPUs (taskset list, e.g. 1), "
                    "with as many threads; default: all cores, each candidate's defaults")
    args = ap.parse_args()
    cli = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build")) / "tools/ckpt/ckpt"
    if not cli.is_file():
        sys.exit(f"{cli} not found: scripts/build.sh")
    names = args.models.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        d = args.dir or pathlib.Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        dirs = export_models(d, names, args.size, args.seq)
        pin = f"both pinned to CPUs {args.cpus}" if args.cpus else "each with its defaults"
        print(f"{os.cpu_count()} hardware threads, {pin}; {args.reps} interleaved reps of "
              f"{args.calls} calls; latency per call in us, median (range)")
        print(f"machine peak: {peak_gflops(args.cpus):.1f} GFLOP/s (float32 2048x2048 matmul on "
              f"oneDNN through TensorFlow, pinned the same way)", flush=True)
        for name in names:
            key = input_key(cli, dirs[name])
            for batch in batches:
                x = d / f"{name}_{batch}.npy"
                np.save(x, inputs(name, batch, args.size, args.seq))
                ck, tf = [], []
                rss_ck, rss_tf = 0.0, 0.0
                error = None
                for _ in range(args.reps):
                    r = run_ckpt(cli, dirs[name], key, x, args.calls, args.cpus)
                    if "error" in r:
                        error = r["error"]
                        break
                    ck.append(r["median_us"])
                    rss_ck = max(rss_ck, r["peak_rss_mib"])
                    t = savedmodel_bench.run_tf(dirs[name], x, args.calls, TF_SIDE, args.cpus)
                    tf.append(t["median_us"])
                    rss_tf = max(rss_tf, t["peak_rss_mib"])
                label = f"{name} batch {batch}"
                if error:
                    print(f"{label:24} ckpt cannot run it: {error}")
                    continue
                ratios = [c / t for c, t in zip(ck, tf)]
                r = statistics.median(ratios)
                if batch == 1:
                    verdict = f"latency ckpt/TF {r:.2f} (target <= 0.7: " \
                              f"{'met' if r <= 0.7 else 'MISSED'})"
                else:
                    verdict = f"throughput ckpt/TF {1 / r:.2f} (target >= 1.2: " \
                              f"{'met' if 1 / r >= 1.2 else 'MISSED'})"
                rss = rss_ck / rss_tf
                print(f"{label:24} ckpt {stat(ck)}  tf {stat(tf)}  "
                      f"rows/s ckpt {batch * 1e6 / statistics.median(ck):8.1f} "
                      f"tf {batch * 1e6 / statistics.median(tf):8.1f}  {verdict}; peak RSS "
                      f"ckpt {rss_ck:.0f} MiB tf {rss_tf:.0f} MiB: {rss:.2f} (target <= 0.5: "
                      f"{'met' if rss <= 0.5 else 'MISSED'})", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Keras MLP inference: this project's C++ Session vs TF's session.run, same graph and checkpoint.

The MLP (Keras Dense 784-256-128-10, ReLU, Dropout, softmax, built in a tf.compat.v1 graph) is
saved by tf.compat.v1.train.Saver. TF restores it from the .meta + checkpoint and times
session.run; ckpt_keras_tool loads the inference GraphDef, restores the same checkpoint and
times Session::Run in-process. Both check their outputs agree first.

Prints batch-1 latency (median over runs; target: C++ <= 1/10 of TF) and batch-64 throughput
(samples/s from the median; target: C++ >= TF), with ratios.

Usage: CKPT_BINARY_DIR=build python3 benchmarks/keras_bench.py [--iters N] [--threads T]
"""
import argparse
import json
import pathlib
import statistics
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))

import numpy as np  # noqa: E402

import keras_util  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=0, help="C++ intra-op threads (0 = all)")
    ap.add_argument("--sizes", default="784,256,128,10")
    args = ap.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        model = keras_util.save_model("keras_mlp", tmp / "model", seed=0, mlp_sizes=sizes)
        rows = []
        for n in (1, 64):
            x = np.random.RandomState(n).uniform(-1, 1, (n, sizes[0])).astype(np.float32)
            iters = args.iters if n == 1 else max(args.iters // 4, 50)
            warmup = max(iters // 10, 10)
            tf_out, tf_us = keras_util.run_tf(model, x, iters=iters, warmup=warmup)
            cpp_out, res = keras_util.run_cpp(
                tmp / f"cpp{n}", model["pb"], {model["input"]: x}, [model["output"]],
                checkpoint=model["prefix"], threads=args.threads,
                bench={"warmup": warmup, "iters": iters})
            np.testing.assert_allclose(cpp_out[0], tf_out, rtol=1e-5, atol=1e-5)
            rows.append((n, statistics.median(tf_us), res["bench"]["median_us"],
                         min(tf_us), res["bench"]["min_us"]))

    print(f"Keras MLP {'-'.join(map(str, sizes))}, TF {keras_util.import_tf().__version__}, "
          f"C++ threads={args.threads or 'all'}")
    result = {}
    for n, tf_med, cpp_med, tf_min, cpp_min in rows:
        if n == 1:
            ratio = cpp_med / tf_med
            print(f"batch 1 latency   : TF {tf_med:9.1f} us  C++ {cpp_med:9.1f} us  "
                  f"C++/TF = {ratio:.3f} (target <= 0.100: {'OK' if ratio <= 0.1 else 'MISS'})"
                  f"   [min TF {tf_min:.1f} us, C++ {cpp_min:.1f} us]")
            result["batch1"] = {"tf_us": tf_med, "cpp_us": cpp_med, "ratio": ratio}
        else:
            tf_tp, cpp_tp = n / tf_med * 1e6, n / cpp_med * 1e6
            ratio = cpp_tp / tf_tp
            print(f"batch {n} throughput: TF {tf_tp:9.0f} /s  C++ {cpp_tp:9.0f} /s  "
                  f"C++/TF = {ratio:.2f}x (target >= 1.00x: {'OK' if ratio >= 1 else 'MISS'})")
            result[f"batch{n}"] = {"tf_per_s": tf_tp, "cpp_per_s": cpp_tp, "ratio": ratio}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

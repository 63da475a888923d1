"""TensorFlow side of the checkpoint save/restore benchmark (benchmarks/bundle_bench.cc).

  python3 tf_bundle_bench.py --layout LAYOUT.json [--dir DIR] [--reps N] [--json OUT]

LAYOUT.json is `bundle_bench --print-layout` output: [[name, [rows, cols]], ...] of float32
variables. Saves them with tf.raw_ops.SaveV2 and restores them with tf.raw_ops.RestoreV2 (eager,
what tf.train.Checkpoint and Saver run underneath), each measurement in a fresh process; reports
the median seconds, GB/s (1e9 bytes), process CPU seconds (all threads) and peak RSS (VmHWM; TensorFlow's own baseline after import
is reported separately). TensorFlow's writer does not fsync. Reads find a warm page cache.
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def child(mode, layout, prefix):
    import numpy as np
    import tensorflow as tf

    names = [n for n, _ in layout]
    nbytes = sum(r * c * 4 for _, (r, c) in layout)
    if mode == "save":
        rng = np.random.default_rng(777)
        tensors = [tf.constant(rng.uniform(-1, 1, (r, c)).astype(np.float32))
                   for _, (r, c) in layout]
        base = status_kib("VmRSS:")
        t0, c0 = time.perf_counter(), time.process_time()
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                          tensors=tensors)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    else:
        base = status_kib("VmRSS:")
        t0, c0 = time.perf_counter(), time.process_time()
        out = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names,
                                   shape_and_slices=[""] * len(names),
                                   dtypes=[tf.float32] * len(names))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        got = sum(int(np.prod(t.shape)) * 4 for t in out)
        assert got == nbytes, (got, nbytes)
    print("RESULT " + json.dumps({"seconds": seconds, "cpu_seconds": cpu, "bytes": nbytes,
                                  "peak_rss_kib": status_kib("VmHWM:"), "base_rss_kib": base}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layout", required=True)
    ap.add_argument("--dir", default="/tmp/ckpt_bundle_bench_tf")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--child", choices=["save", "restore"])
    args = ap.parse_args()
    with open(args.layout) as f:
        layout = json.load(f)
    prefix = os.path.join(args.dir, "bench_tf_ckpt")
    if args.child:
        child(args.child, layout, prefix)
        return
    os.makedirs(args.dir, exist_ok=True)
    results = {}
    for mode in ["save", "restore"]:
        runs = []
        for _ in range(args.reps):
            proc = subprocess.run([sys.executable, __file__, "--layout", args.layout, "--dir",
                                   args.dir, "--child", mode], capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"tf_bundle_bench: {mode} failed:\n{proc.stderr}")
            line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][-1]
            runs.append(json.loads(line[len("RESULT "):]))
        runs.sort(key=lambda r: r["seconds"])
        med = dict(runs[len(runs) // 2])
        med["peak_rss_kib"] = max(r["peak_rss_kib"] for r in runs)
        med["gb_per_s"] = med["bytes"] / med["seconds"] / 1e9
        med["cpu_gb_per_s"] = med["bytes"] / med["cpu_seconds"] / 1e9
        med["all_seconds"] = [r["seconds"] for r in runs]
        results[mode] = med
    ckpt_bytes = sum(os.path.getsize(os.path.join(args.dir, f)) for f in os.listdir(args.dir)
                     if f.startswith("bench_tf_ckpt."))
    for f in os.listdir(args.dir):
        if f.startswith("bench_tf_ckpt."):
            os.remove(os.path.join(args.dir, f))
    doc = {"ckpt_bytes": ckpt_bytes, "results": results}
    print(f"{'tf measurement':<17} {'seconds':>9} {'GB/s':>8} {'cpu s':>9} {'cpu GB/s':>8} "
          f"{'peak RSS MiB':>12} {'RSS after import MiB':>21}")
    for mode, r in results.items():
        print(f"{mode:<17} {r['seconds']:>9.3f} {r['gb_per_s']:>8.2f} {r['cpu_seconds']:>9.3f} "
              f"{r['cpu_gb_per_s']:>8.2f} {r['peak_rss_kib'] / 1024:>12.1f} "
              f"{r['base_rss_kib'] / 1024:>21.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f)


if __name__ == "__main__":
    main()

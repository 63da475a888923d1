#!/usr/bin/env python3
"""Reading a 1 GiB checkpoint from Python: ckpt vs TensorFlow vs safetensors, one run.

  benchmarks/python_read_bench.py [--dir /tmp/ckpt_py_bench] [--size-mib 1024] [--vars 300]
                                  [--reps 5] [--no-tf]

Writes one checkpoint (ckpt.save_checkpoint with alignment=64; float32, bfloat16 and float16
variables of mixed shapes) and a .safetensors file of the same tensors, then, interleaving the candidates in
every repetition (page cache warm for all: the files were just written and read):
  ckpt        ckpt.load_checkpoint(p).get_tensor(k) for every k (copies; CRC32C checked)
  tf          tf.train.load_checkpoint(p).get_tensor(k) for every k
  safetensors safetensors.numpy.load_file(f) (copies; no checksum)
  zero-copy   ckpt.safe_open(p).get_tensor(k) for every k: read-only views of the mapping,
              with and without the one-time CRC32C check of each tensor
Prints median and range per candidate and the ratios against the targets:
  ckpt >= 2x TensorFlow, >= 1x safetensors; zero-copy access <= 5% of ckpt's copy time.
Needs `pip install .` (and safetensors, tensorflow-cpu for those candidates).
"""
import argparse
import gc
import os
import pathlib
import statistics
import sys
import time

import ml_dtypes
import numpy as np

import ckpt


def make_tensors(size_mib, nvars, seed=0):
    """`nvars` tensors totalling about `size_mib` MiB: 80% float32 bytes, 10% bfloat16,
    10% float16, with 1-D to 3-D shapes of varied sizes."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.8, nvars)
    budget = size_mib * (1 << 20) * weights / weights.sum()
    out = {}
    for i, b in enumerate(budget):
        dtype = (np.float32, ml_dtypes.bfloat16, np.float16)[0 if i % 10 < 8 else 1 + i % 2]
        n = max(1, int(b) // np.dtype(dtype).itemsize)
        cols = (1, 64, 256, 1024)[i % 4]
        rows = max(1, n // cols)
        shape = (rows,) if cols == 1 else (rows, cols) if i % 3 else (rows // 4 or 1, 4, cols)
        count = int(np.prod(shape))
        out[f"layer_{i:03d}/{'kernel' if i % 2 else 'bias'}"] = \
            rng.standard_normal(count, dtype=np.float32).astype(dtype).reshape(shape)
    return out


def read_ckpt(prefix):
    r = ckpt.load_checkpoint(prefix)
    return {k: r.get_tensor(k) for k in r.get_variable_to_shape_map()}


def read_tf(tf, prefix):
    r = tf.train.load_checkpoint(prefix)
    return {k: r.get_tensor(k) for k in r.get_variable_to_shape_map()}


def read_safetensors(path):
    from safetensors.numpy import load_file
    return load_file(path)


def zero_copy(prefix, verify):
    with ckpt.safe_open(prefix, verify_checksums=verify) as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="/tmp/ckpt_py_bench")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--vars", type=int, default=300)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-tf", action="store_true")
    args = ap.parse_args()

    d = pathlib.Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    tensors = make_tensors(args.size_mib, args.vars)
    total = sum(t.nbytes for t in tensors.values())
    prefix = str(d / "model")
    # alignment=64: every tensor starts aligned, so safe_open can view each in place (as
    # safetensors aligns its tensors); without it a tensor after an odd-sized one is copied.
    ckpt.save_checkpoint(prefix, tensors, sync=False, alignment=64)
    with ckpt.safe_open(prefix) as f:
        assert all(f.is_zero_copy(k) for k in f.keys())
    st_path = str(d / "model.safetensors")
    candidates = {"ckpt": lambda: read_ckpt(prefix),
                  "zero-copy (CRC checked)": lambda: zero_copy(prefix, True),
                  "zero-copy (no CRC)": lambda: zero_copy(prefix, False)}
    try:
        from safetensors.numpy import save_file
        save_file(tensors, st_path)
        candidates["safetensors"] = lambda: read_safetensors(st_path)
    except ImportError:
        print("safetensors not installed: skipped", file=sys.stderr)
    if not args.no_tf:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        candidates["tf"] = lambda: read_tf(tf, prefix)
    del tensors
    gc.collect()

    # Correctness once: every candidate returns the same bytes.
    ref = read_ckpt(prefix)
    for name, fn in candidates.items():
        got = fn()
        assert sorted(got) == sorted(ref), name
        for k, a in ref.items():
            assert got[k].dtype == a.dtype and got[k].shape == a.shape, (name, k)
            assert np.array_equal(got[k].view(np.uint8), a.view(np.uint8)), (name, k)
        del got
    del ref
    gc.collect()

    times = {name: [] for name in candidates}
    for _ in range(args.reps):
        for name, fn in candidates.items():  # interleaved: every rep runs every candidate
            gc.collect()
            t0 = time.perf_counter()
            result = fn()
            times[name].append(time.perf_counter() - t0)
            del result

    print(f"{len(candidates)} candidates, {args.vars} tensors, {total / (1 << 30):.2f} GiB, "
          f"{args.reps} interleaved reps (median [min-max])")
    med = {}
    for name, ts in times.items():
        med[name] = statistics.median(ts)
        print(f"  {name:26s} {med[name] * 1e3:9.1f} ms  [{min(ts) * 1e3:.1f}-{max(ts) * 1e3:.1f}]"
              f"  {total / med[name] / 1e9:6.2f} GB/s")
    if "tf" in med:
        print(f"ckpt vs TensorFlow:   {med['tf'] / med['ckpt']:.2f}x faster (target >= 2x)")
    if "safetensors" in med:
        print(f"ckpt vs safetensors:  {med['safetensors'] / med['ckpt']:.2f}x (target >= 1x)")
    for name in ("zero-copy (CRC checked)", "zero-copy (no CRC)"):
        print(f"{name}: {100 * med[name] / med['ckpt']:.1f}% of ckpt's copying read "
              f"(target <= 5%)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checkpoint save/restore benchmark: ckpt vs. the raw file system vs. TensorFlow, one run.

  benchmarks/run_bundle_bench.py [--build-dir build] [--dir /tmp/ckpt_bundle_bench]
                                 [--size-mib 1024] [--vars 300] [--reps 3] [--no-tf]

Runs build/benchmarks/bundle_bench (ckpt save/restore, raw write+fsync/read of the same bytes,
crc32c) and benchmarks/tf_bundle_bench.py (TensorFlow SaveV2/RestoreV2) on the same layout of
float32 variables, then prints the ratios against the targets:
  save and restore >= 0.8x raw and >= 2x TensorFlow; restore peak RSS <= 1.1x checkpoint size;
  crc32c >= 8 GB/s on one core.
Reads find a warm page cache in every case (each file was just written; nothing is dropped).
ckpt's save and the raw write are measured with fsync (ckpt's default) and without
(TensorFlow's writer does not fsync); ckpt/TF save ratios are given for both.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=os.environ.get("CKPT_BINARY_DIR",
                                                          str(HERE.parent / "build")))
    ap.add_argument("--dir", default="/tmp/ckpt_bundle_bench")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--vars", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-tf", action="store_true", help="skip the TensorFlow measurements")
    args = ap.parse_args()

    bench = pathlib.Path(args.build_dir) / "benchmarks" / "bundle_bench"
    if not bench.exists():
        sys.exit(f"{bench} not found: build it with `ninja -C {args.build_dir} bundle_bench`")
    common = ["--size-mib", str(args.size_mib), "--vars", str(args.vars)]
    with tempfile.TemporaryDirectory() as tmp:
        layout = pathlib.Path(tmp) / "layout.json"
        layout.write_text(subprocess.run([str(bench), "--print-layout", *common], check=True,
                                         capture_output=True, text=True).stdout)
        cpp_json = pathlib.Path(tmp) / "cpp.json"
        print("== ckpt (C++)", flush=True)
        subprocess.run([str(bench), "--dir", args.dir, "--reps", str(args.reps), "--json",
                        str(cpp_json), *common], check=True)
        cpp = json.loads(cpp_json.read_text())
        tf = None
        if not args.no_tf:
            print("== TensorFlow", flush=True)
            tf_json = pathlib.Path(tmp) / "tf.json"
            subprocess.run([sys.executable, str(HERE / "tf_bundle_bench.py"), "--layout",
                            str(layout), "--dir", args.dir + "_tf", "--reps", str(args.reps),
                            "--json", str(tf_json)], check=True)
            tf = json.loads(tf_json.read_text())

    r = cpp["results"]
    wall = {k: v["gb_per_s"] for k, v in r.items()}
    cpu = {k: v["cpu_gb_per_s"] for k, v in r.items()}
    if tf:
        for k, v in tf["results"].items():
            wall["tf_" + k], cpu["tf_" + k] = v["gb_per_s"], v["cpu_gb_per_s"]
    # (label, numerator, denominator, op, target); throughput ratios use wall-clock GB/s, the
    # CPU-time ratio is printed beside them for a loaded machine.
    pairs = [
        ("save (fsync) / raw write+fsync", "save", "raw_write", ">=", 0.8),
        ("save (no fsync) / raw write", "save_nosync", "raw_write_nosync", ">=", 0.8),
        ("restore / raw read", "restore", "raw_read", ">=", 0.8),
        ("restore_into / raw read", "restore_into", "raw_read", ">=", 0.8),
    ]
    if tf:
        pairs += [
            ("save (no fsync) / TF SaveV2", "save_nosync", "tf_save", ">=", 2.0),
            ("save (fsync) / TF SaveV2", "save", "tf_save", ">=", 2.0),
            ("restore / TF RestoreV2", "restore", "tf_restore", ">=", 2.0),
        ]
    rows = [(label, wall[a] / wall[b], cpu[a] / cpu[b], op, target)
            for label, a, b, op, target in pairs]
    rows += [
        ("restore peak RSS / ckpt size", r["restore"]["peak_rss_kib"] * 1024 / cpp["ckpt_bytes"],
         None, "<=", 1.1),
        ("crc32c GB/s (one core)", wall["crc32c"], cpu["crc32c"], ">=", 8.0),
    ]
    print(f"\n== ratios ({args.size_mib} MiB, {args.vars} variables, median of {args.reps}; "
          f"crc32c hardware: {cpp['crc32c_hardware']}; load average {os.getloadavg()[0]:.1f})")
    print(f"  {'':<34} {'wall':>8} {'cpu':>8}")
    misses = 0
    for name, value, cpu_value, op, target in rows:
        ok = value >= target if op == ">=" else value <= target
        misses += not ok
        cpu_text = f"{cpu_value:8.2f}" if cpu_value is not None else f"{'':8}"
        print(f"  {name:<34} {value:8.2f} {cpu_text}   target {op} {target:<4} "
              f"{'ok' if ok else 'MISS'}")
    if tf:
        t = tf["results"]
        print(f"  (TF restore peak RSS {t['restore']['peak_rss_kib'] / 1024:.0f} MiB incl. "
              f"{t['restore']['base_rss_kib'] / 1024:.0f} MiB after import)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())

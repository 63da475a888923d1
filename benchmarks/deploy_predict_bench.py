#!/usr/bin/env python3
"""Latency of the seed model's predict_op at batch 1: C++ (ckpt) vs TensorFlow session.run,
on the same graph and checkpoint, in the same run.

TensorFlow trains the seed program (tests/python/deploy_tf_helper.py train) and saves
checkpoint_model-999 (+ .meta); then both sides import that .meta, restore step 999 and time
sess.run(predict_op, {input:0: [x]}) after a warm-up.

Usage: python3 benchmarks/deploy_predict_bench.py [--iters 20000] [--mode ref|resource]
       (needs `ninja -C build ckpt_deploy_tool`; CKPT_BINARY_DIR overrides build/)
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "python" / "deploy_tf_helper.py"


def run_json(args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([str(a) for a in args], check=True, capture_output=True, env=env)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--mode", choices=["ref", "resource"], default="ref")
    ap.add_argument("--x", type=float, default=2.4)
    args = ap.parse_args()
    build = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    tool = build / "tests" / "tools" / "ckpt_deploy_tool"
    if not tool.is_file():
        sys.exit(f"{tool} not found: ninja -C {build} ckpt_deploy_tool")
    with tempfile.TemporaryDirectory() as d:
        run_json([sys.executable, HELPER, "train", d, args.mode])
        prefix = pathlib.Path(d) / "checkpoint_model-999"
        tf = run_json([sys.executable, HELPER, "bench", prefix, args.mode, args.iters, args.x])
        ours = run_json([tool, "bench", prefix, args.iters, args.x])
    ratio = ours["median_us"] / tf["median_us"]
    print(json.dumps({"mode": args.mode, "iters": args.iters,
                      "tf_median_us": round(tf["median_us"], 2),
                      "tf_mean_us": round(tf["mean_us"], 2),
                      "ckpt_median_us": round(ours["median_us"], 2),
                      "ckpt_mean_us": round(ours["mean_us"], 2),
                      "ckpt_over_tf": round(ratio, 4),
                      "target_met": ratio <= 0.1}))


if __name__ == "__main__":
    main()

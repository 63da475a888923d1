#!/usr/bin/env python3
"""Distributed checkpoints on 1, 2 and 4 MPI ranks against raw parallel I/O of the same bytes.

Each run of build/benchmarks/dist_bench (under mpirun) saves and restores one float32 tensor
of --mib MiB partitioned by rows over the ranks, and writes and reads the same bytes with
plain write(2)/read(2) per rank (see dist_bench.cc). Rank counts and the order of ckpt and raw
alternate round by round, since this VM's page cache varies run to run; the table gives the
median aggregate throughput with its range and ckpt / raw (target >= 0.8). Then the
checkpoint saved on 4 ranks is restored on 2 (and 1 and 3): the bytes each rank reads from
data files over the bytes it owns (target <= 1.1 for 4 -> 2).

  python3 benchmarks/dist_bench.py [--build build] [--mib 2048] [--rounds 5] [--dir DIR] [--cold]

--cold (root) syncs and drops the page cache before every timed phase, so reads come from the
device for both candidates and writes start with no dirty pages: use it where the page cache
is small or varies (as on this VM); without it, reads find whatever the cache kept.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
       "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_mpi_yield_when_idle": "1"}


def run(bench, n, *args):
    out = subprocess.run(["mpirun", "-np", str(n), "--oversubscribe", bench, *map(str, args)],
                         capture_output=True, text=True, env=ENV, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(vals):
    return f"{statistics.median(vals):6.2f} ({min(vals):.2f}-{max(vals):.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--mib", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--cold", action="store_true", help="drop the page cache before each phase")
    a = ap.parse_args()
    bench = os.path.join(a.build, "benchmarks", "dist_bench")
    root = tempfile.mkdtemp(prefix="dist_bench.", dir=a.dir)
    counts = [1, 2, 4]
    res = {n: [] for n in counts}
    try:
        for rnd in range(a.rounds):
            order = counts[rnd % 3:] + counts[:rnd % 3]
            for n in order:
                res[n].append(run(bench, n, "io", f"{root}/r{n}", a.mib, rnd,
                                 *(["cold"] if a.cold else [])))
        gib = a.mib / 1024
        cache = "page cache dropped before each phase" if a.cold else "page cache as found"
        print(f"{a.mib} MiB over N ranks, GiB/s aggregate: median (range) of {a.rounds}; {cache}")
        print(f"{'ranks':>5} {'save':>18} {'raw write':>18} {'save/raw':>9}"
              f" {'restore':>18} {'raw read':>18} {'restore/raw':>11}")
        for n in counts:
            r = res[n]
            sv = [gib / x["save"] for x in r]
            rw = [gib / x["raw_write"] for x in r]
            rs = [gib / x["restore"] for x in r]
            rr = [gib / x["raw_read"] for x in r]
            ws = statistics.median([x["raw_write"] / x["save"] for x in r])
            rs_ratio = statistics.median([x["raw_read"] / x["restore"] for x in r])
            print(f"{n:>5} {fmt(sv):>18} {fmt(rw):>18} {ws:>9.2f} {fmt(rs):>18} {fmt(rr):>18}"
                  f" {rs_ratio:>11.2f}")
        print("target: save/raw and restore/raw >= 0.8 at every rank count")
        print("resharding restores of the checkpoint saved on 4 ranks (bytes read / bytes owned):")
        for n in (2, 1, 3):
            out = run(bench, n, "reshard", f"{root}/r4", a.mib)
            print(f"  4 -> {n}: " + ", ".join(f"rank {i}: {v:.3f}"
                                               for i, v in enumerate(out["read_over_owned"])))
        print("target: 4 -> 2 <= 1.1 per rank")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

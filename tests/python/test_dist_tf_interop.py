"""Distributed checkpoints (ckpt::dist, MPI) against real TensorFlow, both ways.

ckpt_dist_tool runs under mpirun on 1, 2 and 4 processes and saves a model with replicated
and partitioned variables of known values: tf.train.load_checkpoint reads every tensor exactly
(partitioned ones joined) and a TF1 Saver restores it into a graph with partitioned
variables split differently. The other way, a TF1 Saver(sharded=True) checkpoint of
partitioned variables is restored by the tool on 1, 2 and 3 processes, each reading its part.
Skipped when mpirun is not installed (scripts/install-deps.sh installs Open MPI).
"""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import find_tool

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(
    MPIRUN is None, reason="mpirun not installed (apt install openmpi-bin libopenmpi-dev, or "
                           "scripts/install-deps.sh): the distributed checkpoint tests need MPI")


def mpirun(n, *args, timeout=300):
    """Runs ckpt_dist_tool on `n` processes; a failure fails the test with its output."""
    tool = find_tool("ckpt_dist_tool")
    env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [MPIRUN, "-np", str(n), "--oversubscribe", str(tool), *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                    f"{proc.stdout.decode(errors='replace')[-2000:]}\n"
                    f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return proc.stdout.decode()


def model_values(step):
    """The tool's model (see tests/tools/dist/ckpt_dist_tool.cc)."""
    i = np.arange
    return {
        "dense/kernel": (-3 + 0.5 * i(15)).astype(np.float32).reshape(5, 3),
        "dense/bias": (0.25 * i(3)).astype(np.float32),
        "global_step": np.int64(step),
        "emb": (100 + 0.25 * i(40)).astype(np.float32).reshape(10, 4),
        "wide": (-7 - 0.125 * i(24)).astype(np.float64).reshape(3, 8),
    }


def assert_exact(got, want, name):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    np.testing.assert_array_equal(got, want, err_msg=name)


def split(n, parts, p):
    base, extra = divmod(n, parts)
    start = p * base + min(p, extra)
    return start, base + (1 if p < extra else 0)


def read_ranks(out_dir, n):
    docs = []
    for r in range(n):
        with open(out_dir / f"rank-{r}.json") as f:
            docs.append(json.load(f))
    return docs


def check_restored_parts(docs, want, axes):
    """Each rank's part of every tensor equals the matching part of the full value."""
    n = len(docs)
    for r, doc in enumerate(docs):
        assert doc["size"] == n
        for name, full in want.items():
            got = doc["tensors"][name]
            full = np.asarray(full)
            if full.ndim == 0:
                part = full
            else:
                axis = axes[name]
                start, length = split(full.shape[axis], n, r)
                part = np.take(full, range(start, start + length), axis=axis)
            values = np.array(got["values"], dtype=full.dtype).reshape(got["shape"])
            assert_exact(values, part, f"{name} on rank {r} of {n}")


@pytest.mark.parametrize("n", [1, 2, 4], ids=lambda n: f"np{n}")
def test_tf_reads_and_restores_a_distributed_checkpoint(tf, tmp_path, n):
    out = json.loads(mpirun(n, "save", tmp_path / "run", "--step", 3).strip().splitlines()[-1])
    prefix = out["prefix"]
    assert out["num_shards"] == n
    data = sorted(p.name for p in (tmp_path / "run").iterdir() if ".data-" in p.name)
    assert data == [f"model.ckpt-3.data-{k:05d}-of-{n:05d}" for k in range(n)]
    assert not [p for p in (tmp_path / "run").iterdir() if "tmp" in p.name]
    want = model_values(3)

    # tf.train.load_checkpoint: the directory's latest, every tensor exact, partitioned joined.
    reader = tf.train.load_checkpoint(str(tmp_path / "run"))
    assert reader.get_variable_to_shape_map() == {
        "dense/kernel": [5, 3], "dense/bias": [3], "global_step": [], "emb": [10, 4],
        "wide": [3, 8]}
    assert tf.train.latest_checkpoint(str(tmp_path / "run")) == prefix
    for name, value in want.items():
        assert_exact(reader.get_tensor(name), value, name)

    # A TF1 Saver restores into partitioned variables split otherwise than the ranks were.
    g = tf.Graph()
    with g.as_default():
        zeros = tf.compat.v1.zeros_initializer()
        kernel = tf.compat.v1.get_variable("dense/kernel", [5, 3], tf.float32, zeros)
        bias = tf.compat.v1.get_variable("dense/bias", [3], tf.float32, zeros)
        step = tf.compat.v1.get_variable("global_step", [], tf.int64, zeros)
        emb = tf.compat.v1.get_variable(
            "emb", [10, 4], tf.float32, zeros,
            partitioner=tf.compat.v1.fixed_size_partitioner(3, axis=0))
        wide = tf.compat.v1.get_variable(
            "wide", [3, 8], tf.float64, zeros,
            partitioner=tf.compat.v1.fixed_size_partitioner(2, axis=1))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            saver.restore(sess, prefix)
            got = sess.run({"dense/kernel": kernel, "dense/bias": bias, "global_step": step,
                            "emb": emb.as_tensor(), "wide": wide.as_tensor()})
    for name, value in want.items():
        assert_exact(got[name], value, name)


def test_distributed_checkpoint_restores_on_fewer_ranks(tmp_path):
    mpirun(4, "save", tmp_path / "run", "--step", 11)
    want = model_values(11)
    axes = {"dense/kernel": 1, "dense/bias": 0, "emb": 1, "wide": 0}
    for n in (1, 2, 3):
        out_dir = tmp_path / f"out{n}"
        out_dir.mkdir()
        mpirun(n, "restore", tmp_path / "run", "--out", out_dir, "dense/kernel:1",
               "dense/bias:0", "global_step", "emb:1", "wide:0")
        docs = read_ranks(out_dir, n)
        assert all(d["prefix"] == str(tmp_path / "run" / "model.ckpt-11") for d in docs)
        check_restored_parts(docs, want, axes)


def test_tf_sharded_saver_checkpoint_restores_on_n_ranks(tf, tmp_path):
    g = tf.Graph()
    with g.as_default():
        init = tf.compat.v1.random_normal_initializer(seed=3)
        with tf.device("/cpu:0"):
            kernel = tf.compat.v1.get_variable("dense/kernel", [5, 3], tf.float32, init)
            step = tf.compat.v1.get_variable(
                "global_step", [], tf.int64, tf.compat.v1.constant_initializer(17))
        with tf.device("/cpu:1"):
            emb = tf.compat.v1.get_variable(
                "emb", [10, 4], tf.float32, init,
                partitioner=tf.compat.v1.fixed_size_partitioner(3, axis=0))
        with tf.device("/cpu:2"):
            wide = tf.compat.v1.get_variable(
                "wide", [3, 8], tf.float64, init,
                partitioner=tf.compat.v1.fixed_size_partitioner(2, axis=1))
        saver = tf.compat.v1.train.Saver(sharded=True)
        (tmp_path / "tf").mkdir()
        config = tf.compat.v1.ConfigProto(device_count={"CPU": 3})
        with tf.compat.v1.Session(graph=g, config=config) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            want = sess.run({"dense/kernel": kernel, "global_step": step,
                             "emb": emb.as_tensor(), "wide": wide.as_tensor()})
            prefix = saver.save(sess, str(tmp_path / "tf" / "model.ckpt"), global_step=5,
                                write_meta_graph=False)
    data = sorted(p.name for p in (tmp_path / "tf").iterdir() if ".data-" in p.name)
    assert len(data) == 3 and all(d.endswith("-of-00003") for d in data), data

    axes = {"dense/kernel": 0, "emb": 0, "wide": 1}
    for n in (1, 2, 3):
        out_dir = tmp_path / f"out{n}"
        out_dir.mkdir()
        mpirun(n, "restore", tmp_path / "tf", "--out", out_dir, "dense/kernel:0", "global_step",
               "emb:0", "wide:1")
        docs = read_ranks(out_dir, n)
        assert all(d["prefix"] == prefix for d in docs), (prefix, [d["prefix"] for d in docs])
        check_restored_parts(docs, want, axes)

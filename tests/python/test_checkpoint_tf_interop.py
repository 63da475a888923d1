"""CheckpointManager directories against real TensorFlow, both ways.

TensorFlow reads, restores and manages directories written by ckpt_manager_tool (our
CheckpointManager), and our manager picks up directories written by TF's Saver and
CheckpointManager, continuing their numbering and retention. State-file bytes are compared
with TF's own text_format output.
"""
import json
import math
import os
import pathlib
import random
import shutil
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def tool_path():
    bdir = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    for c in (bdir / "tests" / "tools" / "ckpt_manager_tool", bdir / "ckpt_manager_tool"):
        if c.is_file():
            return str(c)
    raise FileNotFoundError(f"ckpt_manager_tool not built under {bdir}")


def run_tool(*args, check=True, stdin=None):
    proc = subprocess.run([tool_path(), *map(str, args)], capture_output=True, input=stdin,
                          timeout=120)
    if check and proc.returncode != 0:
        pytest.fail(f"ckpt_manager_tool {' '.join(map(str, args))} failed ({proc.returncode}): "
                    f"{proc.stdout.decode()} {proc.stderr.decode()}")
    return proc


def run_json(*args, check=True):
    proc = run_tool(*args, check=check)
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def expected_w(step, size=10):
    return np.array([step + 0.5 * (i % 1000) for i in range(size)], dtype=np.float32)


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415
    return tf


def tf1_graph(tf):
    """A graph with the variables the tool saves: w float[10], b float[3], global_step."""
    g = tf.Graph()
    with g.as_default():
        w = tf.compat.v1.get_variable("w", shape=[10], dtype=tf.float32,
                                      initializer=tf.compat.v1.zeros_initializer())
        b = tf.compat.v1.get_variable("b", shape=[3], dtype=tf.float32,
                                      initializer=tf.compat.v1.zeros_initializer())
        gs = tf.compat.v1.get_variable("global_step", shape=[], dtype=tf.int64,
                                       initializer=tf.compat.v1.zeros_initializer())
    return g, w, b, gs


def test_tf_reads_and_restores_our_directory(tf, tmp_path):
    d = tmp_path / "run"
    for step in range(0, 70, 10):
        out = run_json("save", d, "--step", step, "--max_to_keep", 3)
    assert [c["step"] for c in out["checkpoints"]] == [40, 50, 60]

    state = tf.train.get_checkpoint_state(str(d))
    assert state.model_checkpoint_path == str(d / "model.ckpt-60")
    assert list(state.all_model_checkpoint_paths) == [str(d / f"model.ckpt-{s}")
                                                      for s in (40, 50, 60)]
    assert len(state.all_model_checkpoint_timestamps) == 3
    assert state.last_preserved_timestamp > 0
    # Relative paths on disk.
    text = (d / "checkpoint").read_text()
    assert 'model_checkpoint_path: "model.ckpt-60"\n' in text
    latest = tf.train.latest_checkpoint(str(d))
    assert latest == str(d / "model.ckpt-60")

    reader = tf.train.load_checkpoint(str(d))
    np.testing.assert_array_equal(reader.get_tensor("w"), expected_w(60))
    assert reader.get_tensor("global_step") == 60

    g, w, b, gs = tf1_graph(tf)
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        saver = tf.compat.v1.train.Saver()
        saver.restore(sess, latest)
        np.testing.assert_array_equal(sess.run(w), expected_w(60))
        np.testing.assert_array_equal(sess.run(b), np.array([-60, 2, 3], np.float32))
        assert sess.run(gs) == 60
        # Older kept checkpoints restore too.
        saver.restore(sess, str(d / "model.ckpt-40"))
        assert sess.run(gs) == 40

    # TF2's CheckpointManager loads our history (paths, timestamps, last_preserved).
    mgr = tf.train.CheckpointManager(tf.train.Checkpoint(), str(d), max_to_keep=3,
                                     checkpoint_name="model.ckpt")
    assert mgr.checkpoints == [str(d / f"model.ckpt-{s}") for s in (40, 50, 60)]
    assert mgr.latest_checkpoint == str(d / "model.ckpt-60")


@pytest.mark.parametrize("shards", [3, 0])
def test_tf_reads_concurrently_written_shards(tf, tmp_path, shards):
    """Saves with several data files written concurrently (and the automatic count): TF's
    reader and Saver restore them; a later save with another count leaves no stale shard."""
    d = tmp_path / "run"
    run_json("save", d, "--step", 5, "--shards", shards, "--size", 10)
    index_files = sorted(p.name for p in d.glob("model.ckpt-5.data-*"))
    if shards == 3:
        assert index_files == [f"model.ckpt-5.data-0000{i}-of-00003" for i in range(3)]
    else:
        assert index_files == ["model.ckpt-5.data-00000-of-00001"]  # 12 bytes: one shard
    reader = tf.train.load_checkpoint(str(d))
    np.testing.assert_array_equal(reader.get_tensor("w"), expected_w(5))
    np.testing.assert_array_equal(reader.get_tensor("b"), np.array([-5, 2, 3], np.float32))
    assert reader.get_tensor("global_step") == 5
    g, w, b, gs = tf1_graph(tf)
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        tf.compat.v1.train.Saver().restore(sess, str(d / "model.ckpt-5"))
        np.testing.assert_array_equal(sess.run(w), expected_w(5))
        np.testing.assert_array_equal(sess.run(b), np.array([-5, 2, 3], np.float32))
        assert sess.run(gs) == 5
    # Saving step 5 again with one shard replaces every data file of the old layout.
    run_json("save", d, "--step", 5, "--shards", 1, "--size", 10)
    assert sorted(p.name for p in d.glob("model.ckpt-5.data-*")) == [
        "model.ckpt-5.data-00000-of-00001"]
    assert tf.train.load_checkpoint(str(d)).get_tensor("global_step") == 5


def test_we_continue_a_tf1_saver_directory(tf, tmp_path):
    d = tmp_path / "tf1"
    d.mkdir()
    g, w, b, gs = tf1_graph(tf)
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        saver = tf.compat.v1.train.Saver(max_to_keep=2)
        for step in range(5):
            sess.run([w.assign(expected_w(step)), b.assign([-step, 2, 3]), gs.assign(step)])
            saver.save(sess, str(d / "model.ckpt"), global_step=step)
    # TF1's Saver wrote absolute paths and .meta files.
    assert f'model_checkpoint_path: "{d}/model.ckpt-4"' in (d / "checkpoint").read_text()
    assert (d / "model.ckpt-3.meta").exists()

    meta = (d / "model.ckpt-4.meta")
    out = run_json("save", d, "--next", "--max_to_keep", 2, "--meta", meta)
    assert out["prefix"] == str(d / "model.ckpt-5")
    assert [c["step"] for c in out["checkpoints"]] == [4, 5]
    # Checkpoint 3 is gone with all its files (TF1's Saver deletes .meta too).
    assert not any(p.name.startswith("model.ckpt-3.") for p in d.iterdir())
    assert sorted(p.name for p in d.iterdir()) == [
        "checkpoint", "checkpoint.lock",
        "model.ckpt-4.data-00000-of-00001", "model.ckpt-4.index", "model.ckpt-4.meta",
        "model.ckpt-5.data-00000-of-00001", "model.ckpt-5.index", "model.ckpt-5.meta"]

    state = tf.train.get_checkpoint_state(str(d))
    assert list(state.all_model_checkpoint_paths) == [str(d / "model.ckpt-4"),
                                                      str(d / "model.ckpt-5")]
    assert tf.train.latest_checkpoint(str(d)) == str(d / "model.ckpt-5")

    # TF restores both the one it wrote and ours, using the .meta we carried over.
    g2 = tf.Graph()
    with g2.as_default(), tf.compat.v1.Session(graph=g2) as sess:
        saver = tf.compat.v1.train.import_meta_graph(str(d / "model.ckpt-5.meta"))
        saver.restore(sess, str(d / "model.ckpt-5"))
        variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
        np.testing.assert_array_equal(sess.run(variables["w"]), expected_w(5))
        assert sess.run(variables["global_step"]) == 5
        saver.restore(sess, str(d / "model.ckpt-4"))
        assert sess.run(variables["global_step"]) == 4

    # Our reader restores TF's checkpoint 4.
    dump = run_json("dump", d / "model.ckpt-4")
    assert dump["tensors"]["global_step"]["values"] == [4]
    assert dump["tensors"]["w"]["values"] == expected_w(4).tolist()


def test_we_continue_a_tf2_checkpoint_manager_directory(tf, tmp_path):
    d = tmp_path / "tf2"
    v = tf.Variable(np.arange(4, dtype=np.float32))
    ckpt = tf.train.Checkpoint(v=v)
    mgr = tf.train.CheckpointManager(ckpt, str(d), max_to_keep=3)
    for _ in range(4):
        mgr.save()
    assert mgr.checkpoints[-1] == str(d / "ckpt-4")
    out = run_json("save", d, "--name", "ckpt", "--next", "--max_to_keep", 3)
    assert out["prefix"] == str(d / "ckpt-5")
    assert [c["step"] for c in out["checkpoints"]] == [3, 4, 5]
    assert not (d / "ckpt-2.index").exists()
    mgr2 = tf.train.CheckpointManager(ckpt, str(d), max_to_keep=3)
    assert mgr2.checkpoints == [str(d / f"ckpt-{s}") for s in (3, 4, 5)]
    # Timestamps carried over from TF's state file for the checkpoints TF wrote.
    tf_state = tf.train.get_checkpoint_state(str(d))
    assert len(tf_state.all_model_checkpoint_timestamps) == 3
    assert tf_state.all_model_checkpoint_timestamps[0] < tf_state.all_model_checkpoint_timestamps[2]
    # TF restores its own object-based checkpoint from the directory we now manage.
    ckpt.restore(str(d / "ckpt-4")).assert_existing_objects_matched()


INTERESTING_FLOATS = [0.0, 1e-05, 0.0001, 1e16, 1e15, 123.0, 0.1, 1.5e-07, 1e100, 5e-324,
                      1.7976931348623157e308, 1672531200.0, 1601613356.2644634,
                      12345678901234567890.0, 2.5e-310, 9007199254740993.0, 0.30000000000000004]


def test_state_file_bytes_match_tf_text_format(tf, tmp_path):
    from google.protobuf import text_format  # noqa: PLC0415
    from tensorflow.python.checkpoint import checkpoint_management as cm  # noqa: PLC0415

    rng = random.Random(1234)
    cases = []
    for i in range(60):
        n = rng.randint(1, 5)
        paths = [f"model.ckpt-{rng.randint(0, 10**9)}" for _ in range(n)]
        if i % 7 == 0:
            paths[0] = 'we"ird\\name\'\n\t\x01é-1'
        if i < len(INTERESTING_FLOATS):
            stamps = [INTERESTING_FLOATS[i]] * n
        else:
            exp = rng.choice([-12, -5, -4, -3, 0, 3, 9, 15, 16, 17, 30])
            stamps = [rng.random() * 10.0 ** exp for _ in range(n)]
        lp = rng.choice([0.0, rng.random() * 2e9, 1672531200.0])
        cases.append((paths, stamps, lp))
    for paths, stamps, lp in cases:
        proto = cm.generate_checkpoint_state_proto("/abs/dir", paths[-1], paths, stamps, lp)
        expected = text_format.MessageToString(proto)
        got = run_tool("state-serialize", stdin=json.dumps(
            {"model": paths[-1], "paths": paths, "timestamps": stamps,
             "last_preserved": lp}).encode()).stdout.decode("utf-8")
        assert got == expected, (paths, stamps, lp)

    # Reading what TF wrote (its own writer, with timestamps).
    d = tmp_path / "st"
    d.mkdir()
    stamps = [1601613356.2644634, 1e-05, 1e16]
    cm.update_checkpoint_state_internal(str(d), str(d / "m-3"), [str(d / f"m-{i}") for i in (1, 2, 3)],
                                        save_relative_paths=True,
                                        all_model_checkpoint_timestamps=stamps,
                                        last_preserved_timestamp=1672531200.0)
    st = run_json("state-read", d)["state"]
    assert st["model"] == str(d / "m-3")
    assert st["paths"] == [str(d / f"m-{i}") for i in (1, 2, 3)]
    assert st["timestamps"] == stamps
    assert st["last_preserved"] == 1672531200.0


def test_relocated_directories(tf, tmp_path):
    # Ours: relative paths, a copy works anywhere.
    a = tmp_path / "a"
    for step in (1, 2):
        run_json("save", a, "--step", step)
    b = tmp_path / "copied"
    shutil.copytree(a, b)
    assert tf.train.latest_checkpoint(str(b)) == str(b / "model.ckpt-2")
    assert run_json("dump", b)["prefix"] == str(b / "model.ckpt-2")

    # TF1's Saver: absolute paths; after a move TF no longer finds them, we still do.
    t = tmp_path / "tf1"
    t.mkdir()
    g, w, b_, gs = tf1_graph(tf)
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        saver = tf.compat.v1.train.Saver(max_to_keep=2)
        for step in range(3):
            sess.run([w.assign(expected_w(step)), gs.assign(step)])
            saver.save(sess, str(t / "model.ckpt"), global_step=step)
    moved = tmp_path / "moved"
    t.rename(moved)
    assert tf.train.latest_checkpoint(str(moved)) is None
    assert run_json("latest", moved)["latest"] == str(moved / "model.ckpt-2")
    out = run_json("save", moved, "--next", "--max_to_keep", 2)
    assert out["prefix"] == str(moved / "model.ckpt-3")
    assert [c["step"] for c in out["checkpoints"]] == [2, 3]
    assert not (moved / "model.ckpt-1.index").exists()
    # Rewritten relative: TF finds it again.
    assert tf.train.latest_checkpoint(str(moved)) == str(moved / "model.ckpt-3")


def test_keep_best_directory_readable_by_tf(tf, tmp_path):
    d = tmp_path / "best"
    losses = [5.0, 0.25, 3.0, 4.0, 6.0]
    for step, loss in enumerate(losses):
        out = run_json("save", d, "--step", step, "--max_to_keep", 2, "--keep_best", 1,
                       "--loss", loss)
    assert [c["step"] for c in out["checkpoints"]] == [1, 3, 4]
    assert out["checkpoints"][0]["metrics"] == {"loss": 0.25}
    state = tf.train.get_checkpoint_state(str(d))
    assert list(state.all_model_checkpoint_paths) == [str(d / f"model.ckpt-{s}") for s in (1, 3, 4)]
    reader = tf.train.load_checkpoint(str(d / "model.ckpt-1"))
    assert reader.get_tensor("global_step") == 1
    listing = json.loads(run_tool("ls", d, "--json").stdout)
    best = [e["step"] for e in listing if e["best"]]
    latest = [e["step"] for e in listing if e["latest"]]
    assert best == [1] and latest == [4]
    assert all(math.isclose(e["metrics"]["loss"], losses[e["step"]]) for e in listing)

"""The `ckpt` Python package (`pip install .`) against TensorFlow's own functions.

Every reader function is compared with tf.train's on the TensorFlow-written fixtures of
../shared/fixtures/tf (skipped when that folder is absent) and on checkpoints TensorFlow writes
during the test (every dtype, strings with non-UTF-8 bytes, partitioned variables); TensorFlow
reads what save_checkpoint and CheckpointManager write; load_model runs a TF1 .meta and the
half_plus_two SavedModel and gives TensorFlow's results; safe_open's views share memory with
the mapped file and are read-only; the wheel installs and reads a checkpoint in a fresh
virtualenv without TensorFlow.

Needs the package installed (scripts/test.sh does `pip install .`), or CKPT_PYTHONPATH
pointing at a directory holding it.
"""
import gc
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time

import ml_dtypes
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures" / "tf"
if os.environ.get("CKPT_PYTHONPATH"):
    sys.path.insert(0, os.environ["CKPT_PYTHONPATH"])
import ckpt  # noqa: E402

needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(),
                                    reason=f"TF-written fixtures not present at {FIXTURES}")


def assert_same(ours, theirs, what=""):
    """Same dtype, shape and bits (object arrays: the same bytes objects). TF's reader gives
    scalars as NumPy scalars and string scalars as bytes; so does ours."""
    if isinstance(theirs, bytes) or isinstance(ours, bytes):
        assert type(ours) is type(theirs) and ours == theirs, what
        return
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype, what
    assert ours.shape == theirs.shape, what
    if ours.dtype == object:
        assert ours.tolist() == theirs.tolist(), what
    else:
        assert ours.tobytes() == theirs.tobytes(), what


def compare_with_tf(tf, ours_path, tf_path=None):
    """Every reader function of ckpt against tf.train's on the same checkpoint."""
    tf_path = tf_path or ours_path
    ref = tf.train.load_checkpoint(str(tf_path))
    reader = ckpt.load_checkpoint(str(ours_path))
    shapes = ref.get_variable_to_shape_map()
    assert reader.get_variable_to_shape_map() == shapes
    dtypes = reader.get_variable_to_dtype_map()
    assert dtypes == {k: np.dtype(v.as_numpy_dtype)
                      for k, v in ref.get_variable_to_dtype_map().items()}
    assert ckpt.list_variables(str(ours_path)) == [
        (k, list(v)) for k, v in tf.train.list_variables(str(tf_path))]
    for name in shapes:
        assert reader.has_tensor(name) and ref.has_tensor(name)
        value = reader.get_tensor(name)
        assert_same(value, ref.get_tensor(name), name)
        if np.ndim(value) == 0:
            assert not isinstance(value, np.ndarray), name  # a NumPy scalar, as TF's
        else:
            assert value.flags.writeable, name
    assert not reader.has_tensor("no/such/tensor")
    first = sorted(shapes)[0]
    assert_same(ckpt.load_variable(str(ours_path), first),
                tf.train.load_variable(str(tf_path), first))
    assert_same(ckpt.load_variable(str(ours_path), first + ":0"),
                tf.train.load_variable(str(tf_path), first + ":0"))
    return reader


# ---- reading: fixtures ----------------------------------------------------------------------

@needs_fixtures
@pytest.mark.parametrize("ours,theirs", [
    ("tf1_saver_v2_regression/model", None),
    ("tf1_saver_v2_regression", None),                      # directory: its latest
    ("tf1_estimator_ckpt_tfx", None),
    ("tf2_keras_save_weights", None),
    ("tf1_savedmodel_half_plus_two", "tf1_savedmodel_half_plus_two/variables/variables"),
    ("tf2_savedmodel_half_plus_two", "tf2_savedmodel_half_plus_two/variables/variables"),
    ("tf2_savedmodel_stale_shards", "tf2_savedmodel_stale_shards/variables/variables"),
    ("v1_sharded_session_bundle/export-00000-of-00001", None),   # V1
    ("v1_plain_bad_half_plus_two/export", None),                  # V1, not sharded
])
def test_reader_matches_tf_on_fixtures(tf, ours, theirs):
    reader = compare_with_tf(tf, FIXTURES / ours, FIXTURES / (theirs or ours))
    assert reader.format == ("V1" if ours.startswith("v1_") else "V2")
    reader.verify()


@needs_fixtures
def test_fixture_values_as_documented():
    r = ckpt.load_checkpoint(str(FIXTURES / "tf1_saver_v2_regression"))
    assert r.prefix == str(FIXTURES / "tf1_saver_v2_regression" / "model")
    assert r.get_tensor("W") == np.float32(0.21396178)
    hp2 = ckpt.load_checkpoint(str(FIXTURES / "tf1_savedmodel_half_plus_two"))
    assert {k: float(hp2.get_tensor(k)) for k in ("a", "b", "c")} == {"a": 0.5, "b": 2.0,
                                                                      "c": 3.0}


@needs_fixtures
@pytest.mark.parametrize("folder", ["tf1_saver_v2_regression", "tf1_estimator_ckpt_tfx",
                                    "tf2_keras_save_weights", "tf1_savedmodel_half_plus_two"])
def test_latest_checkpoint_matches_tf(tf, folder):
    assert ckpt.latest_checkpoint(str(FIXTURES / folder)) == \
        tf.train.latest_checkpoint(str(FIXTURES / folder))


# ---- reading: checkpoints TensorFlow writes now -----------------------------------------------

ALL_DTYPES = {
    "f16": np.array([[1.5, -2.25, 65504.0], [0.0, -0.0, 1e-4]], np.float16),
    "bf16": np.array([1.0, -3.5, 1e30, 7.0e-3], ml_dtypes.bfloat16),
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "f64": np.array([np.pi, -np.e, 1e300], np.float64),
    "i8": np.array([-128, 0, 127], np.int8),
    "i16": np.array([-32768, 5, 32767], np.int16),
    "i32": np.array([[-(2 ** 31), 1], [2, 2 ** 31 - 1]], np.int32),
    "i64": np.array([-(2 ** 63), 2 ** 63 - 1], np.int64),
    "u8": np.array([0, 200, 255], np.uint8),
    "u16": np.array([0, 65535], np.uint16),
    "u32": np.array([0, 2 ** 32 - 1], np.uint32),
    "u64": np.array([0, 2 ** 64 - 1], np.uint64),
    "bool": np.array([True, False, True]),
    "c64": np.array([1 + 2j, -3.5j], np.complex64),
    "c128": np.array([[1e-300 + 1j]], np.complex128),
    "scalar": np.float32(3.25),
    "empty": np.zeros((0, 3), np.float32),
    "str": np.array([[b"hello", b""], [b"\xff\x00\xfebinary", "caf\u00e9".encode()]],
                    dtype=object),
    "str_scalar": np.array(b"just one", dtype=object),
}


def tf_save_v2(tf, prefix, tensors, slices=None):
    """tf.raw_ops.SaveV2 of {name: array}; `slices` adds partitioned variables as
    (name, shape_and_slice, array) triples."""
    names, specs, values = [], [], []
    for name, value in tensors.items():
        names.append(name)
        specs.append("")
        values.append(tf.constant(value))
    for name, spec, value in slices or []:
        names.append(name)
        specs.append(spec)
        values.append(tf.constant(value))
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=specs,
                      tensors=values)


def test_reader_matches_tf_on_tf_written_all_dtypes(tf, tmp_path):
    full = np.arange(24, dtype=np.float32).reshape(4, 6)
    slices = [("part", "4 6 0,2:0,6", full[:2]), ("part", "4 6 2,2:0,6", full[2:]),
              ("cols", "4 6 0,4:0,1", full[:, :1]), ("cols", "4 6 0,4:1,5", full[:, 1:])]
    tf_save_v2(tf, tmp_path / "model", ALL_DTYPES, slices)
    reader = compare_with_tf(tf, tmp_path / "model")
    for name, value in ALL_DTYPES.items():
        want = np.asarray(value)
        want = want[()] if want.ndim == 0 else want
        assert_same(reader.get_tensor(name), want, name)
    assert_same(reader.get_tensor("part"), full)
    assert_same(reader.get_tensor("cols"), full)
    assert reader.get_variable_to_dtype_map()["bf16"] == np.dtype(ml_dtypes.bfloat16)
    assert reader.get_variable_to_dtype_map()["str"] == np.dtype(object)


def test_partitioned_variables_of_a_tf1_saver(tf, tmp_path):
    g = tf.Graph()
    with g.as_default():
        v = tf.compat.v1.get_variable(
            "emb", shape=[10, 4], dtype=tf.float32,
            partitioner=tf.compat.v1.fixed_size_partitioner(3),
            initializer=tf.compat.v1.random_normal_initializer(seed=1))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            want = np.concatenate(sess.run(list(v)), axis=0)
            prefix = saver.save(sess, str(tmp_path / "part.ckpt"), global_step=7)
    reader = compare_with_tf(tf, tmp_path)  # the directory: its latest
    assert reader.prefix == prefix
    assert reader.get_variable_to_shape_map() == {"emb": [10, 4]}
    assert_same(reader.get_tensor("emb"), want)


# ---- writing ---------------------------------------------------------------------------------

def test_tf_reads_save_checkpoint(tf, tmp_path):
    tensors = dict(ALL_DTYPES, **{"str_list": ["a", "\u00fc"]})
    prefix = ckpt.save_checkpoint(str(tmp_path / "written"), tensors)
    ref = tf.train.load_checkpoint(prefix)
    for name, value in tensors.items():
        want = np.asarray(value)
        if name == "str_list":
            want = np.array([b"a", "\u00fc".encode()], dtype=object)
        assert_same(ckpt.load_variable(prefix, name), ref.get_tensor(name), name)
        got = ref.get_tensor(name)
        assert_same(np.asarray(got, dtype=object) if isinstance(got, bytes) else got,
                    want, name)
    # A TF1 Saver restores variables of those names.
    g = tf.Graph()
    with g.as_default():
        w = tf.compat.v1.get_variable("f32", shape=[3, 4], dtype=tf.float32)
        saver = tf.compat.v1.train.Saver([w])
        with tf.compat.v1.Session(graph=g) as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(w), tensors["f32"])


def test_sharded_save_checkpoint_and_manager(tf, tmp_path):
    """num_shards writes several data files concurrently; TF and ckpt read them back."""
    tensors = {f"v{i}": np.arange(i * 100, dtype=np.float32) for i in range(1, 6)}
    tensors["s"] = np.array([b"x", b"yz"], dtype=object)
    prefix = ckpt.save_checkpoint(str(tmp_path / "sharded"), tensors, num_shards=3)
    assert sorted(p.name for p in tmp_path.glob("sharded.data-*")) == [
        f"sharded.data-0000{i}-of-00003" for i in range(3)]
    ref = tf.train.load_checkpoint(prefix)
    for name, value in tensors.items():
        assert_same(ref.get_tensor(name), value, name)
        assert_same(ckpt.load_variable(prefix, name), value, name)
    with ckpt.CheckpointManager(str(tmp_path / "run"), max_to_keep=1, num_shards=2) as mgr:
        for step in (1, 2):
            mgr.save(step, {"w": np.full([4], step, np.float32), "b": np.int64(step)})
        assert sorted(p.name for p in (tmp_path / "run").glob("*.data-*")) == [
            "model.ckpt-2.data-00000-of-00002", "model.ckpt-2.data-00001-of-00002"]
        np.testing.assert_array_equal(tf.train.load_variable(str(tmp_path / "run"), "w"),
                                      np.full([4], 2, np.float32))
        assert mgr.restore()["b"] == 2
    with pytest.raises(ckpt.InvalidArgumentError, match="num_shards"):
        ckpt.save_checkpoint(str(tmp_path / "bad"), tensors, num_shards=-2)


def test_works_with_tensorflow_imported_first(tf, tmp_path):
    """TensorFlow imported before ckpt puts its protobuf runtime and tensorflow:: proto classes
    in the global symbol scope; ckpt's core must still use its own (it used to read
    "invalid num_shards" garbage here, or crash)."""
    script = f"""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
import ckpt
x = np.arange(12, dtype=np.float32).reshape(3, 4)
prefix = ckpt.save_checkpoint({str(tmp_path / "m")!r}, {{"w": x, "s": np.array([b"a", b"bc"], dtype=object)}})
np.testing.assert_array_equal(ckpt.load_checkpoint(prefix).get_tensor("w"), x)
np.testing.assert_array_equal(tf.train.load_checkpoint(prefix).get_tensor("w"), x)
assert list(ckpt.load_checkpoint(prefix).get_tensor("s")) == [b"a", b"bc"]
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.decode().split() == ["ok"], \
        proc.stderr.decode()[-2000:]


def test_save_checkpoint_rejects_what_tf_cannot_hold(tmp_path):
    with pytest.raises(ckpt.InvalidArgumentError, match="'bad'.*datetime64"):
        ckpt.save_checkpoint(str(tmp_path / "x"), {"bad": np.array(["2020-01-01"],
                                                                    dtype="datetime64[D]")})
    with pytest.raises(ckpt.InvalidArgumentError, match="'obj'.*int"):
        ckpt.save_checkpoint(str(tmp_path / "y"), {"obj": np.array([1, b"x"], dtype=object)})
    assert not list(tmp_path.iterdir())


def test_checkpoint_manager_tf_reads_and_retention(tf, tmp_path):
    d = tmp_path / "run"
    with ckpt.CheckpointManager(str(d), max_to_keep=2, keep_best=1, best_metric="loss") as mgr:
        losses = {1: 0.9, 2: 0.1, 3: 0.5, 4: 0.7, 5: 0.8}
        for step, loss in losses.items():
            w = np.full([3], step, np.float32)
            prefix = mgr.save(step, {"w": w, "step": np.int64(step)}, metrics={"loss": loss})
            assert prefix == str(d / f"model.ckpt-{step}")
        kept = mgr.checkpoints
        assert [c.step for c in kept] == [2, 4, 5]  # best (loss 0.1) + the 2 most recent
        assert kept[0].metrics == {"loss": 0.1}
        assert mgr.best.step == 2
        assert mgr.latest == tf.train.latest_checkpoint(str(d)) == str(d / "model.ckpt-5")
        state = tf.train.get_checkpoint_state(str(d))
        assert list(state.all_model_checkpoint_paths) == [c.prefix for c in kept]
        for c in kept:
            np.testing.assert_array_equal(tf.train.load_variable(c.prefix, "w"),
                                          np.full([3], c.step, np.float32))
        assert not (d / "model.ckpt-1.index").exists()
        restored = mgr.restore()
        assert restored["step"] == 5 and restored["w"].dtype == np.float32
        assert mgr.restore(step=2)["step"] == 2
        with pytest.raises(ckpt.NotFoundError, match="model.ckpt-3"):
            mgr.restore(step=3)
        # Async: the caller's array may change right after save_async returns.
        buf = np.full([3], 6, np.float32)
        mgr.save_async(6, {"w": buf, "step": np.int64(6)}, metrics={"loss": 1.0})
        buf[:] = -1
        mgr.wait()
        np.testing.assert_array_equal(tf.train.load_variable(str(d), "w"),
                                      np.full([3], 6, np.float32))
        with pytest.raises(ckpt.FailedPreconditionError):
            ckpt.CheckpointManager(str(d))  # one manager per directory
    with ckpt.CheckpointManager(str(d), max_to_keep=2) as again:
        assert again.last_step == 6  # numbering continues after a restart


def test_pins_keep_a_checkpoint_from_retention(tmp_path):
    d = tmp_path / "run"
    with ckpt.CheckpointManager(str(d), max_to_keep=1) as mgr:
        first = mgr.save(1, {"w": np.ones(2, np.float32)})
        with ckpt.load_checkpoint(str(d), pin=True) as reader:
            mgr.save(2, {"w": np.zeros(2, np.float32)})
            assert os.path.exists(first + ".index")  # pinned: deletion deferred
            np.testing.assert_array_equal(reader.get_tensor("w"), np.ones(2, np.float32))
        mgr.save(3, {"w": np.zeros(2, np.float32)})
        assert not os.path.exists(first + ".index")
        with mgr.pin() as pin:
            assert pin.prefix == mgr.latest
            mgr.save(4, {"w": np.zeros(2, np.float32)})
            assert os.path.exists(str(d / "model.ckpt-3.index"))


def test_checkpoints_iterator_like_tf(tf, tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    # Both time out on an empty directory.
    t0 = time.monotonic()
    assert list(ckpt.checkpoints_iterator(str(d), timeout=0.3, poll_interval_secs=0.05)) == []
    assert time.monotonic() - t0 >= 0.3
    mgr = ckpt.CheckpointManager(str(d), max_to_keep=None)
    mgr.save(1, {"w": np.ones(1, np.float32)})
    ours = list(ckpt.checkpoints_iterator(str(d), timeout=0.5))
    theirs = list(tf.train.checkpoints_iterator(str(d), timeout=0.5))
    assert ours == theirs == [str(d / "model.ckpt-1")]

    def trainer():
        for step in (2, 3, 4):
            time.sleep(0.3)
            mgr.save(step, {"w": np.full(1, step, np.float32)})
    thread = threading.Thread(target=trainer)
    thread.start()
    seen = []
    for prefix in ckpt.checkpoints_iterator(str(d), timeout=2.0, poll_interval_secs=0.05):
        seen.append(prefix)
        assert ckpt.load_variable(prefix, "w")[0] == int(prefix.rsplit("-", 1)[1])
        if prefix.endswith("-4"):
            break
    thread.join()
    mgr.close()
    assert seen[-1] == str(d / "model.ckpt-4") and seen == sorted(seen)
    # timeout_fn returning False keeps waiting; True stops.
    calls = []
    it = ckpt.checkpoints_iterator(str(d), timeout=0.1, poll_interval_secs=0.02,
                                   timeout_fn=lambda: calls.append(1) or len(calls) >= 3)
    assert list(it) == [str(d / "model.ckpt-4")] and len(calls) == 3


# ---- safe_open: zero-copy views ---------------------------------------------------------------

def test_safe_open_views_share_the_mapping(tf, tmp_path):
    big = np.arange(1 << 16, dtype=np.float32).reshape(256, 256)
    tensors = {"big": big, "odd": np.arange(3, dtype=np.int8), "after": np.arange(5.0),
               "bf16": np.array([1, 2], ml_dtypes.bfloat16), "s": np.array([b"x"], object)}
    prefix = ckpt.save_checkpoint(str(tmp_path / "m"), tensors)
    ref = tf.train.load_checkpoint(prefix)
    with ckpt.safe_open(prefix, framework="np") as f:
        assert f.keys() == sorted(tensors)
        a, b = f.get_tensor("big"), f.get_tensor("big")
        assert f.is_zero_copy("big")
        assert np.shares_memory(a, b)  # two gets: one mapped file
        base = a
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        assert not isinstance(base, np.ndarray)  # the chain ends at the mapping's owner
        assert not a.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            a[0, 0] = 1
        assert_same(a, ref.get_tensor("big"))
        sl = f.get_slice("big")
        assert sl.get_shape() == [256, 256] and sl.get_dtype() == "float32"
        rows = sl[10:20, ::2]
        assert_same(np.ascontiguousarray(rows), big[10:20, ::2])
        assert np.shares_memory(rows, a)
        # "after" follows 3 int8 bytes: its float64s are not 8-byte aligned -> a copy.
        assert not f.is_zero_copy("after")
        after = f.get_tensor("after")
        assert_same(after, ref.get_tensor("after"))
        assert after.flags.writeable and not np.shares_memory(after, f.get_tensor("after"))
        assert not f.is_zero_copy("s")
        assert_same(f.get_tensor("s"), ref.get_tensor("s"))
        assert_same(f.get_tensor("bf16"), ref.get_tensor("bf16"))
        with pytest.raises(ckpt.NotFoundError, match="nope"):
            f.get_tensor("nope")
    del f
    gc.collect()
    assert a.sum() == big.sum()  # the view keeps the mapping alive after close


def test_safe_open_verifies_checksums(tmp_path):
    prefix = ckpt.save_checkpoint(str(tmp_path / "m"), {"w": np.arange(64, dtype=np.float32)})
    data = pathlib.Path(prefix + ".data-00000-of-00001")
    raw = bytearray(data.read_bytes())
    raw[17] ^= 0xFF
    data.write_bytes(bytes(raw))
    with ckpt.safe_open(prefix) as f:
        with pytest.raises(ckpt.DataLossError, match="w"):
            f.get_tensor("w")
    with ckpt.safe_open(prefix, verify_checksums=False) as f:
        assert f.get_tensor("w")[4] != 4.0  # the flipped byte, seen as is
    with pytest.raises(ckpt.DataLossError, match=str(data.name)):
        ckpt.load_checkpoint(prefix).get_tensor("w")


# ---- errors ----------------------------------------------------------------------------------

def test_errors_are_tf_named_exceptions(tf, tmp_path):
    for name in ("NotFoundError", "InvalidArgumentError", "DataLossError",
                 "FailedPreconditionError", "UnimplementedError", "OutOfRangeError",
                 "ResourceExhaustedError", "AlreadyExistsError", "PermissionDeniedError"):
        ours, theirs = getattr(ckpt, name), getattr(tf.errors, name)
        assert issubclass(ours, ckpt.Error)
        assert ours.error_code == theirs(None, None, "").error_code
    missing = str(tmp_path / "missing")
    with pytest.raises(ckpt.NotFoundError, match="missing") as e:
        ckpt.load_checkpoint(missing)
    assert isinstance(e.value, ckpt.Error) and "missing" in e.value.message
    with pytest.raises(tf.errors.NotFoundError):
        tf.train.load_checkpoint(missing)
    prefix = ckpt.save_checkpoint(str(tmp_path / "m"), {"w": np.ones(1, np.float32)})
    with pytest.raises(ckpt.NotFoundError, match="key nope not found"):
        ckpt.load_checkpoint(prefix).get_tensor("nope")
    pathlib.Path(prefix + ".index").write_bytes(b"not a table at all" * 4)
    with pytest.raises(ckpt.DataLossError, match="m.index"):
        ckpt.load_checkpoint(prefix)


# ---- deploy ----------------------------------------------------------------------------------

def test_load_model_runs_a_tf1_meta_like_tf(tf, tmp_path):
    rng = np.random.default_rng(0)
    x_val = rng.normal(size=(5, 3)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="input")
        w = tf.compat.v1.get_variable("w", initializer=rng.normal(size=(3, 2)).astype(np.float32))
        b = tf.compat.v1.get_variable("b", initializer=np.array([0.5, -1.0], np.float32))
        logits = tf.nn.bias_add(tf.matmul(x, w), b, name="logits")
        pred = tf.round(tf.sigmoid(logits), name="pred")
        tf.compat.v1.add_to_collection("predict_op", pred)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            want_logits, want_pred = sess.run([logits, pred], {x: x_val})
            prefix = saver.save(sess, str(tmp_path / "model"), global_step=3)
    for path in (prefix, prefix + ".meta", str(tmp_path)):
        m = ckpt.load_model(path)
        assert m.checkpoint_prefix == prefix
        got_logits, got_pred = m.run({"input:0": x_val}, ["logits:0", "predict_op"])
        np.testing.assert_allclose(got_logits, want_logits, rtol=1e-6, atol=1e-6)
        assert_same(got_pred, want_pred)
    # A single fetch gives one array; a list of Python floats is converted as TF does.
    one = m.run({"input": x_val[:1].tolist()}, "logits")
    np.testing.assert_allclose(one, want_logits[:1], rtol=1e-6, atol=1e-6)
    with pytest.raises(ckpt.InvalidArgumentError, match="input"):
        m.run({"input:0": np.ones((2, 4), np.float32)}, "logits:0")
    with pytest.raises(ckpt.NotFoundError, match="nosuch"):
        m.run({}, "nosuch:0")


@needs_fixtures
def test_load_model_half_plus_two_like_tf(tf):
    path = str(FIXTURES / "tf1_savedmodel_half_plus_two")
    x_val = np.array([[1.0], [2.0], [5.0]], np.float32)
    m = ckpt.load_model(path)
    assert m.kind == "saved_model"
    assert {"serving_default", "regress_x_to_y", "regress_x2_to_y3"} <= set(m.signatures)
    sig = m.signatures["serving_default"]
    assert sig.inputs["x"].name == "x:0" and sig.inputs["x"].dtype == np.float32
    ours = sig(x=x_val)
    g = tf.Graph()
    with tf.compat.v1.Session(graph=g) as sess:
        mg = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        tf_sig = mg.signature_def["serving_default"]
        theirs = sess.run({k: v.name for k, v in tf_sig.outputs.items()},
                          {tf_sig.inputs["x"].name: x_val})
        tf_y3 = sess.run(mg.signature_def["regress_x2_to_y3"].outputs["outputs"].name,
                         {mg.signature_def["regress_x2_to_y3"].inputs["inputs"].name: x_val})
        # A signature fed serialized tf.Example protos (a string tensor in, ParseExample).
        examples = [tf.train.Example(features=tf.train.Features(feature={
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=[v]))}))
            .SerializeToString() for v in (1.0, 3.0, -4.0)]
        tf_y2 = sess.run(mg.signature_def["regress_x_to_y2"].outputs["outputs"].name,
                         {mg.signature_def["regress_x_to_y2"].inputs["inputs"].name: examples})
    assert set(ours) == set(theirs)
    for k in ours:
        assert_same(ours[k], theirs[k], k)
    np.testing.assert_array_equal(ours["y"], 0.5 * x_val + 2)
    y3 = m.signatures["regress_x2_to_y3"](inputs=x_val)["outputs"]
    assert_same(y3, tf_y3)
    y2 = m.signatures["regress_x_to_y2"](inputs=np.array(examples, dtype=object))["outputs"]
    assert_same(y2, tf_y2)
    assert_same(m.run({"x:0": x_val}, "y:0"), theirs["y"])


# ---- install: a fresh virtualenv without TensorFlow -------------------------------------------

def find_or_build_wheel(tmp_path):
    wheel_dir = os.environ.get("CKPT_WHEEL_DIR")
    if not wheel_dir:
        wheel_dir = str(tmp_path / "wheel")
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                        "--no-build-isolation", "-q", "-w", wheel_dir, str(REPO)],
                       check=True, timeout=3600)
    wheels = sorted(pathlib.Path(wheel_dir).glob("ckpt-*.whl"))
    assert wheels, f"no ckpt wheel in {wheel_dir}"
    return wheels[-1]


def test_wheel_installs_and_reads_without_tensorflow(tmp_path):
    wheel = find_or_build_wheel(tmp_path)
    prefix = ckpt.save_checkpoint(str(tmp_path / "ck" / "m"),
                                  {"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                                   "h": np.array([1.5], ml_dtypes.bfloat16)})
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = str(venv / "bin" / "python")
    pip = subprocess.run([py, "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                         text=True, timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    script = (
        "import importlib.util, sys, ckpt\n"
        "assert importlib.util.find_spec('tensorflow') is None, 'TF leaked into the venv'\n"
        "assert ckpt.__file__.startswith(sys.prefix), ckpt.__file__\n"
        f"r = ckpt.load_checkpoint({prefix!r})\n"
        "print(sorted(r.get_variable_to_shape_map().items()))\n"
        "print(r.get_tensor('w').sum(), r.get_tensor('h').dtype, float(r.get_tensor('h')[0]))\n"
        "try:\n    r.get_tensor('x')\nexcept ckpt.NotFoundError as e:\n    print('NotFound')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CKPT_PYTHONPATH")}
    out = subprocess.run([py, "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=str(tmp_path), env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[('h', [1]), ('w', [2, 3])]", "15.0 bfloat16 1.5",
                                       "NotFound"]


def test_convert_from_python(tf, tmp_path):
    """ckpt.convert: a TF checkpoint (with a partitioned variable) -> safetensors with renames
    and a filter, read by the safetensors package; back to TF, read by TensorFlow; and what a
    format cannot hold is an error naming the tensor, leaving no output."""
    import safetensors.numpy  # noqa: PLC0415
    rng = np.random.default_rng(7)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float16)
    bf = np.array([1.5, -2.0], ml_dtypes.bfloat16)
    v1 = tf.Variable(w[:2], name="dense/kernel/part_0")
    v2 = tf.Variable(w[2:], name="dense/kernel/part_1")
    tf.raw_ops.SaveV2(
        prefix=str(tmp_path / "tf" / "model"),
        tensor_names=["dense/kernel", "dense/kernel", "dense/bias", "extra/bf16", "step"],
        shape_and_slices=["6 4 0,2:-", "6 4 2,4:-", "", "", ""],
        tensors=[v1, v2, tf.constant(b), tf.constant(bf), tf.constant(7, tf.int64)])
    (tmp_path / "tf" / "checkpoint").write_text('model_checkpoint_path: "model"\n')

    st = tmp_path / "model.safetensors"
    got = ckpt.convert(tmp_path / "tf", st, only="^dense/", rename=[("^dense/(.*)", "layer.$1")])
    assert got == ckpt.ConvertResult(tensors=2, bytes=w.nbytes + b.nbytes)
    loaded = safetensors.numpy.load_file(str(st))
    assert sorted(loaded) == ["layer.bias", "layer.kernel"]
    assert_same(loaded["layer.kernel"], w)
    assert_same(loaded["layer.bias"], b)

    back = tmp_path / "back" / "model"
    assert ckpt.convert(st, back, output_format="tf").tensors == 2
    reader = tf.train.load_checkpoint(str(back))
    assert_same(reader.get_tensor("layer.kernel"), w)

    # NumPy's .npz has no bfloat16: refused before anything is written.
    npz = tmp_path / "all.npz"
    with pytest.raises(ckpt.InvalidArgumentError, match="extra/bf16"):
        ckpt.convert(tmp_path / "tf" / "model", npz)
    assert not npz.exists()
    with pytest.raises(ValueError, match="output_format"):
        ckpt.convert(st, npz, output_format="pt")
    with pytest.raises(ckpt.NotFoundError):
        ckpt.convert(tmp_path / "missing", npz)


def test_load_model_confines_untrusted_graphs(tf, tmp_path):
    """A TF-written .meta whose graph reads a fed path and fills a fed shape: ckpt.load_model
    lets it read only inside the model's directory (allow_io widens that), and Model.run's
    memory limit refuses a huge fill before allocating."""
    g = tf.Graph()
    with g.as_default():
        path = tf.compat.v1.placeholder(tf.string, [], name="path")
        tf.io.read_file(path, name="read")
        dims = tf.compat.v1.placeholder(tf.int32, [None], name="dims")
        tf.fill(dims, 0.0, name="fill")
        model_dir = tmp_path / "model"
        model_dir.mkdir()
        tf.compat.v1.train.export_meta_graph(filename=str(model_dir / "m.meta"), graph=g)
    (model_dir / "vocab.txt").write_bytes(b"inside")
    other = tmp_path / "other"
    other.mkdir()
    (other / "secret.txt").write_bytes(b"secret")

    m = ckpt.load_model(model_dir / "m.meta")
    assert m.run({"path": str(model_dir / "vocab.txt")}, "read") == b"inside"
    escapes = ("/etc/passwd", str(other / "secret.txt"),
               str(model_dir / ".." / "other" / "secret.txt"))
    for denied in escapes:
        with pytest.raises(ckpt.PermissionDeniedError, match=r"node read \(ReadFile\): reading"):
            m.run({"path": denied}, "read")
    wide = ckpt.load_model(model_dir / "m.meta", allow_io=[other])
    assert wide.run({"path": str(other / "secret.txt")}, "read") == b"secret"

    # 2^20 x 2^14 floats (64 GiB) against a 64 MiB limit: refused before allocating.
    with pytest.raises(ckpt.ResourceExhaustedError, match=r"node fill \(Fill\)"):
        m.run({"dims": [1 << 20, 1 << 14]}, "fill", memory_limit_bytes=64 << 20)
    assert m.run({"dims": [2, 3]}, "fill", memory_limit_bytes=64 << 20).shape == (2, 3)

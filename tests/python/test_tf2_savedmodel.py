"""TF2 SavedModels run by `ckpt run --signature`: models TensorFlow (2.21) and Keras 3 write
during the test (tf.saved_model.save of tf.Modules, model.export()) and the TF-written
fixtures. Every output is compared with what TensorFlow computes for the same inputs."""
import json
import pathlib
import subprocess

import numpy as np
import pytest
from test_deploy_cli import ckpt_cli

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures" / "tf"


def run_signature(model_dir, key, **feeds):
    """Runs signature `key` with `ckpt run ... --json`; returns {output key: np.ndarray}."""
    args = [str(ckpt_cli()), "run", str(model_dir), "--signature", key, "--json"]
    for k, v in feeds.items():
        args += ["--feed", f"{k}={json.dumps(np.asarray(v).tolist())}"]
    proc = subprocess.run(args, capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"ckpt run {model_dir} --signature {key} failed: "
                    f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return {k: np.asarray(v) for k, v in json.loads(proc.stdout)["outputs"].items()}


def assert_matches_tf(model_dir, signature_fn, key, **feeds):
    ours = run_signature(model_dir, key, **feeds)
    theirs = {k: v.numpy() for k, v in signature_fn(**feeds).items()}
    assert set(ours) == set(theirs)
    for k, want in theirs.items():
        got = ours[k].reshape(want.shape)
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"{key}/{k}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{key}/{k}")


@pytest.fixture(scope="module")
def module_dir(tf, tmp_path_factory):
    """A tf.Module with two variables and three signatures (one calls another tf.function,
    one updates a variable)."""

    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.5, -2.0, 0.25], [0.5, 1.0, -1.0]], name="w")
            self.b = tf.Variable([0.1, 0.2, 0.3], name="b")
            self.calls = tf.Variable(0, dtype=tf.int64, name="calls")

        @tf.function
        def hidden(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def forward(self, x):
            h = self.hidden(x)
            return {"h": h, "total": tf.reduce_sum(h, axis=1)}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32),
                                      tf.TensorSpec([], tf.float32)])
        def scaled(self, x, k):
            return {"y": self.hidden(x * k) - k}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def count(self, ids):
            self.calls.assign_add(1)
            return {"ids_plus": ids + tf.cast(self.calls, tf.int32), "calls": self.calls}

    m = Affine()
    d = tmp_path_factory.mktemp("tf2_module") / "model"
    tf.saved_model.save(m, str(d), signatures={"serving_default": m.forward,
                                               "scaled": m.scaled, "count": m.count})
    return d


def test_module_signatures_match_tf(tf, module_dir):
    loaded = tf.saved_model.load(str(module_dir))
    x = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]], np.float32)
    assert_matches_tf(module_dir, loaded.signatures["serving_default"], "serving_default", x=x)
    assert_matches_tf(module_dir, loaded.signatures["scaled"], "scaled", x=x,
                      k=np.float32(-0.5))


def test_module_stateful_signature_updates_restored_variable(tf, module_dir):
    # Each `ckpt run` restores calls = 0, so one call gives calls = 1, as TF's first call does.
    loaded = tf.saved_model.load(str(module_dir))
    ids = np.array([3, -7], np.int32)
    assert_matches_tf(module_dir, loaded.signatures["count"], "count", ids=ids)


@pytest.fixture(scope="module")
def flow_dir(tf, tmp_path_factory):
    """tf.cond, tf.while_loop (a variable read and updated in its body) and tf.switch_case
    inside a tf.function: StatelessIf / If, While, StatelessCase in the SavedModel."""

    class Flow(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(0.5, name="v")
            self.steps = tf.Variable(0, dtype=tf.int32, name="steps")

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32),
                                      tf.TensorSpec([None], tf.float32)])
        def flow(self, x, vec):
            y = tf.cond(x > 0, lambda: x * 2.0 + self.v, lambda: -x)

            def body(i, y, acc):
                self.steps.assign_add(1)
                return i + 1, y + 1.0, acc * 1.5 + self.v

            i, y, acc = tf.while_loop(lambda i, y, acc: i < tf.cast(tf.abs(x), tf.int32) + 1,
                                      body, [tf.constant(0), y, vec])
            z = tf.switch_case(tf.cast(x, tf.int32) % 3,
                               [lambda: y, lambda: y * 10.0, lambda: y - 100.0])
            return {"z": z, "acc": acc, "i": i, "steps": self.steps.read_value()}

    m = Flow()
    d = tmp_path_factory.mktemp("tf2_flow") / "model"
    tf.saved_model.save(m, str(d), signatures={"serving_default": m.flow})
    return d


@pytest.mark.parametrize("x", [2.0, -1.0, 4.0, 0.0])
def test_control_flow_v2_matches_tf(tf, flow_dir, x):
    loaded = tf.saved_model.load(str(flow_dir))  # fresh variables: steps starts at 0
    vec = np.array([1.0, -2.0, 0.25], np.float32)
    assert_matches_tf(flow_dir, loaded.signatures["serving_default"], "serving_default",
                      x=np.float32(x), vec=vec)


def test_keras_mlp_export_matches_keras(tf, tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.normal(size=(32, 6)).astype(np.float32), rng.integers(0, 3, 32),
              epochs=1, verbose=0)
    model.export(str(tmp_path / "mlp"))
    loaded = tf.saved_model.load(str(tmp_path / "mlp"))
    (key,) = [k for k in loaded.signatures if k == "serving_default"]
    fn = loaded.signatures[key]
    (in_key,) = fn.structured_input_signature[1].keys()
    x = rng.normal(size=(4, 6)).astype(np.float32)
    assert_matches_tf(tmp_path / "mlp", fn, key, **{in_key: x})


def test_keras_cnn_export_matches_keras(tf, tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(6, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(5),
    ])
    model.export(str(tmp_path / "cnn"))
    loaded = tf.saved_model.load(str(tmp_path / "cnn"))
    fn = loaded.signatures["serving_default"]
    (in_key,) = fn.structured_input_signature[1].keys()
    x = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    assert_matches_tf(tmp_path / "cnn", fn, "serving_default", **{in_key: x})


def test_fixture_half_plus_two_tf2(tf):
    d = FIXTURES / "tf2_savedmodel_half_plus_two"
    if not d.is_dir():
        pytest.skip(f"TF fixtures not found at {FIXTURES}")
    loaded = tf.saved_model.load(str(d))
    x = np.array([3.0], np.float32)
    assert_matches_tf(d, loaded.signatures["serving_default"], "serving_default", x=x)
    assert run_signature(d, "serving_default", x=x)["y"].tolist() == [3.5]  # 0.5 x + 2
    for key in ("regress_x2_to_y3", "classify_x2_to_y3"):
        assert_matches_tf(d, loaded.signatures[key], key, inputs=x)


def test_fixture_stale_shards_keras(tf):
    # TF 2.21's object loader cannot rebuild this old Keras model's optimizer, so TF's values
    # come from its graph-mode loader (the C++ loader's path: restore, then run the signature).
    d = FIXTURES / "tf2_savedmodel_stale_shards"
    if not d.is_dir():
        pytest.skip(f"TF fixtures not found at {FIXTURES}")
    x = np.random.default_rng(2).normal(size=(2, 8)).astype(np.float32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        mg = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(d))
        sig = mg.signature_def["serving_default"]
        (in_key, in_info), = sig.inputs.items()
        assert [dim.size for dim in in_info.tensor_shape.dim] == [-1, x.shape[1]]
        theirs = {k: sess.run(v.name, {in_info.name: x}) for k, v in sig.outputs.items()}
    ours = run_signature(d, "serving_default", **{in_key: x})
    assert set(ours) == set(theirs)
    for k, want in theirs.items():
        np.testing.assert_allclose(ours[k].reshape(want.shape), want, rtol=1e-5, atol=1e-6)

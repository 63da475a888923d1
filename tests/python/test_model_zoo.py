"""The CPU model zoo (keras.applications) run by ckpt with TensorFlow's results.

For every architecture Keras 3 ships, built with random weights (weights=None, seeded, 10
classes, logits out) at a small input size:
  * export: `model.export()` writes a TF2 SavedModel; `ckpt run DIR --signature
    serving_default` must give Keras' outputs;
  * graph mode: the model is built on a TF1 placeholder, its variables initialized and saved
    with a Saver (checkpoint + .meta); `ckpt run PREFIX --fetch` must give the TF session's
    outputs.
Outputs are compared to 1e-4 relative to the largest logit. Both forms also run with
`--no-fusion` (every op its own step), which must give the same bits as the fused plan. By default one architecture of
each family runs (every op the zoo uses, in about three minutes); CKPT_ZOO=all runs all of them
(about ten more minutes on two cores; scripts/test.sh and so CI set it),
CKPT_ZOO=ResNet50,MobileNetV2 a list. CKPT_ZOO_LARGE=1 builds the
models at 224x224 instead of the smallest size each accepts.
"""
import json
import os
import re

import numpy as np
import pytest

from conftest import ckpt_cli, run_command

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

A = keras.applications
# name: (constructor, smallest input side the architecture accepts)
ZOO = {
    "ResNet50": (A.ResNet50, 32), "ResNet101": (A.ResNet101, 32),
    "ResNet152": (A.ResNet152, 32), "ResNet50V2": (A.ResNet50V2, 32),
    "ResNet101V2": (A.ResNet101V2, 32), "ResNet152V2": (A.ResNet152V2, 32),
    "MobileNet": (A.MobileNet, 32), "MobileNetV2": (A.MobileNetV2, 32),
    "MobileNetV3Small": (A.MobileNetV3Small, 32), "MobileNetV3Large": (A.MobileNetV3Large, 32),
    "EfficientNetB0": (A.EfficientNetB0, 32), "EfficientNetB1": (A.EfficientNetB1, 32),
    "EfficientNetB2": (A.EfficientNetB2, 32), "EfficientNetB3": (A.EfficientNetB3, 32),
    "EfficientNetV2B0": (A.EfficientNetV2B0, 32), "DenseNet121": (A.DenseNet121, 32),
    "InceptionV3": (A.InceptionV3, 75), "InceptionResNetV2": (A.InceptionResNetV2, 75),
    "Xception": (A.Xception, 71), "VGG16": (A.VGG16, 32), "VGG19": (A.VGG19, 32),
    "NASNetMobile": (A.NASNetMobile, 32), "ConvNeXtTiny": (A.ConvNeXtTiny, 32),
}
# One per family: the others repeat these ops at other depths and widths.
FAMILIES = ["ResNet50", "ResNet50V2", "MobileNet", "MobileNetV2", "MobileNetV3Small",
            "EfficientNetB0", "EfficientNetV2B0", "InceptionV3", "Xception", "VGG16",
            "ConvNeXtTiny"]
_choice = os.environ.get("CKPT_ZOO", "")
SELECTED = (list(ZOO) if _choice == "all" else [n for n in _choice.split(",") if n] or FAMILIES)
LARGE = os.environ.get("CKPT_ZOO_LARGE") == "1"
BATCH = 2


def make(name, seed):
    fn, side = ZOO[name]
    side = 224 if LARGE else side
    keras.utils.set_random_seed(seed)
    model = fn(weights=None, input_shape=(side, side, 3), classes=10,
               classifier_activation=None)
    return model, side


def assert_close(got, want, what):
    assert got.shape == want.shape, what
    scale = float(np.max(np.abs(want)))
    assert scale > 0 and np.isfinite(scale), what
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


def assert_same_bits(fused, unfused, what):
    """The fused plan's output equals the op-by-op plan's, bit for bit."""
    a, b = np.load(fused), np.load(unfused)
    assert a.dtype == b.dtype and a.shape == b.shape, what
    assert a.tobytes() == b.tobytes(), f"{what}: fused and unfused plans differ"


def ckpt_run(*args):
    return run_command(ckpt_cli(), "run", *args, timeout=300)


@pytest.mark.parametrize("name", SELECTED)
def test_zoo_model_matches_tf(tmp_path, name):
    seed = sorted(ZOO).index(name)
    # --- model.export(): a TF2 SavedModel.
    model, side = make(name, seed)
    x = np.random.default_rng(seed).uniform(0, 255, (BATCH, side, side, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    want = np.asarray(model(x, training=False))
    export_dir = tmp_path / "export"
    model.export(str(export_dir), verbose=False)
    info = json.loads(run_command(ckpt_cli(), "graph", "--json", export_dir).stdout)
    sig = info["meta_graphs"][0]["signatures"]["serving_default"]
    (key,) = sig["inputs"].keys()
    (out_key,) = sig["outputs"].keys()
    ckpt_run(export_dir, "--signature", "serving_default", "--feed", f"{key}=@{tmp_path}/x.npy",
             "--output-dir", tmp_path / "out_export")
    assert_close(np.load(tmp_path / "out_export" / f"{out_key}.npy"), want, f"{name} export")
    ckpt_run(export_dir, "--signature", "serving_default", "--feed", f"{key}=@{tmp_path}/x.npy",
             "--output-dir", tmp_path / "out_export_unfused", "--no-fusion")
    assert_same_bits(tmp_path / "out_export" / f"{out_key}.npy",
                     tmp_path / "out_export_unfused" / f"{out_key}.npy", f"{name} export")
    keras.backend.clear_session()

    # --- graph mode: a TF1 Saver checkpoint with its .meta.
    g = tf.Graph()
    with g.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, [None, side, side, 3], name="x")
        model, _ = make(name, seed)
        y = tf.identity(model(inp, training=False), name="logits")
        init = tf.compat.v1.global_variables_initializer()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(init)
            want = sess.run(y, {inp: x})
            prefix = saver.save(sess, str(tmp_path / "graph" / "model"))
    ckpt_run(prefix, "--feed", f"{inp.name}=@{tmp_path}/x.npy", "--fetch", y.name,
             "--output-dir", tmp_path / "out_graph")
    out_file = re.sub(r"[^A-Za-z0-9._-]", "_", y.name) + ".npy"
    assert_close(np.load(tmp_path / "out_graph" / out_file), want, f"{name} graph mode")
    ckpt_run(prefix, "--feed", f"{inp.name}=@{tmp_path}/x.npy", "--fetch", y.name,
             "--output-dir", tmp_path / "out_graph_unfused", "--no-fusion")
    assert_same_bits(tmp_path / "out_graph" / out_file, tmp_path / "out_graph_unfused" / out_file,
                     f"{name} graph mode")
    keras.backend.clear_session()

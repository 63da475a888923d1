"""Deploy flow of the seed model against real TensorFlow (2.21), both directions.

TF side: tests/python/deploy_tf_helper.py, run as a subprocess per mode (ref variables via
disable_v2_behavior, or TF2's default resource variables). C++ side: the ckpt_deploy_tool
helper (tests/tools/ckpt_deploy_tool.cc) built in $CKPT_BINARY_DIR (default build/).
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HELPER = pathlib.Path(__file__).resolve().parent / "deploy_tf_helper.py"
MODES = ["ref", "resource"]
XS = [-5.0, -3.0, -1.5, -0.5, 0.0, 0.5, 0.7, 0.75, 0.8, 0.9, 1.0, 1.2, 2.4, 3.0, 7.5]


def tool_path():
    build = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    for p in (build / "tests" / "tools" / "ckpt_deploy_tool", build / "ckpt_deploy_tool"):
        if p.is_file():
            return p
    pytest.fail(f"ckpt_deploy_tool not built under {build} (ninja -C {build} ckpt_deploy_tool)")


def run_json(args, timeout=600):
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args[:3]))} failed ({proc.returncode}):\n"
                    f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def f32(values):
    """float32 values (C++ prints the shortest float32 text, TF the float64 of a float32)."""
    return np.asarray(values, dtype=np.float32).tolist()


def tf_side(*args):
    pytest.importorskip("tensorflow")
    return run_json([sys.executable, HELPER, *args])


def cpp(*args):
    return run_json([tool_path(), *args])


@pytest.fixture(scope="module", params=MODES)
def tf_trained(request, tmp_path_factory):
    """The seed program run by TensorFlow: checkpoints 599..1399 (+ .meta) in a directory."""
    d = tmp_path_factory.mktemp("tf_seed_" + request.param)
    out = tf_side("train", d, request.param)
    return request.param, d, out["A"]


def test_tf_checkpoint_predictions_match_in_cpp(tf_trained):
    mode, d, values = tf_trained
    prefix = d / "checkpoint_model-999"
    theirs = tf_side("predict", prefix, mode, json.dumps(XS))
    ours = cpp("predict", prefix, *XS)
    assert ours["prefix"] == str(prefix)
    assert f32(ours["variables"]["Variable"]) == f32(values["999"])
    assert f32(ours["variables"]["Variable"]) == f32(theirs["variables"]["Variable"])
    assert ours["predictions"] == theirs["predictions"]
    # The seed's check: x = 2.4 gives 1.
    assert ours["predictions"][XS.index(2.4)] == [1.0]
    # Both classes occur, so the comparison is not trivially all-ones.
    assert {p[0] for p in ours["predictions"]} == {0.0, 1.0}


def test_cpp_loads_latest_from_directory_and_meta(tf_trained):
    mode, d, values = tf_trained
    ours = cpp("predict", d, 2.4, -5)
    assert ours["prefix"] == str(d / "checkpoint_model-1399")
    assert f32(ours["variables"]["Variable"]) == f32(values["1399"])
    via_meta = cpp("predict", d / "checkpoint_model-1199.meta", 2.4)
    assert f32(via_meta["variables"]["Variable"]) == f32(values["1199"])


def seed_pairs(n, seed=7):
    rng = np.random.RandomState(seed)
    xs = np.concatenate((rng.normal(-1, 1, 50), rng.normal(3, 1, 50)))
    ys = np.concatenate((np.repeat(0., 50), np.repeat(1., 50)))
    idx = rng.choice(100, n)
    return [[float(xs[i]), float(ys[i])] for i in idx]


@pytest.mark.parametrize("mode", MODES)
def test_cpp_trained_model_restores_predicts_and_trains_in_tf(mode, tmp_path):
    data = seed_pairs(1400)
    out = cpp("build_train_save", tmp_path, "1" if mode == "resource" else "0", 0.05,
              json.dumps(data), 200)
    prefix = tmp_path / "checkpoint_model-1399"
    assert out["prefix"] == str(prefix)
    # The state file keeps the 5 most recent checkpoints, and TF reads it.
    state = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "checkpoint_model-1399"' in state
    assert state.count("all_model_checkpoint_paths") == 5
    assert not (tmp_path / "checkpoint_model-199.index").exists()
    xs = [-3.0, -1.0, 0.0, 1.0, 2.4, 5.0]
    theirs = tf_side("predict", prefix, mode, json.dumps(xs))
    assert f32(theirs["variables"]["Variable"]) == f32(out["A"])
    assert theirs["predictions"] == out["predictions"]
    assert {p[0] for p in theirs["predictions"]} == {0.0, 1.0}
    # TF keeps training our graph: its train_op (our GradientDescent group) from step 1399.
    more = [[1.0, 0.0], [3.0, 1.0], [-0.5, 0.0]]
    trained = tf_side("train_more", prefix, mode, json.dumps(more), "-")
    a = np.float32(out["A"][0])
    for x, y in more:
        sig = np.float32(1) / (np.float32(1) + np.exp(-(np.float32(x) + a), dtype=np.float32))
        a = np.float32(a - np.float32(0.05) * (sig - np.float32(y)))
    assert trained["variables"]["Variable"][0] == pytest.approx(float(a), rel=1e-5)
    assert trained["variables"]["Variable"][0] != out["A"][0]


def test_tf_training_graph_keeps_training_in_cpp(tf_trained, tmp_path):
    """C++ imports TF's training graph, restores step 999 and runs its train_op; the variable
    follows TF's own run of the same steps, and TF restores what C++ saved."""
    mode, d, _ = tf_trained
    prefix = d / "checkpoint_model-999"
    data = seed_pairs(25, seed=11)
    ours = cpp("import_train_save", prefix, tmp_path / "continued", json.dumps(data))
    theirs = tf_side("train_more", prefix, mode, json.dumps(data), "-")
    assert ours["variables"]["Variable"][0] == pytest.approx(
        theirs["variables"]["Variable"][0], rel=1e-5, abs=1e-6)
    assert ours["prefix"] == str(tmp_path / "continued-25")
    reread = tf_side("predict", tmp_path / "continued-25", mode, json.dumps([0.0]))
    assert f32(reread["variables"]["Variable"]) == f32(ours["variables"]["Variable"])


def test_tf1_saved_model_signatures_run_by_key(tmp_path):
    sm = tmp_path / "sm"
    tf_side("saved_model", sm)
    out = cpp("signature", sm, "serving_default", "serve", "x=[1, 2, 3, -4]")
    assert out == {"y": [2.5, 3.0, 3.5, 0.0]}
    out = cpp("signature", sm, "scaled", "serve", "x=[2]")
    assert out == {"z": [9.0]}

"""`ckpt run` and `ckpt graph` on models TensorFlow (2.21) wrote: a tf.compat.v1 Saver
checkpoint directory of the seed model, and a TF1 SavedModel. Values are compared with what
TensorFlow computes for the same feeds."""
import json
import pathlib
import sys

import pytest
from conftest import ckpt_cli, run_command

HELPER = pathlib.Path(__file__).resolve().parent / "deploy_tf_helper.py"


run = run_command


def tf_json(*args):
    pytest.importorskip("tensorflow")
    out = run(sys.executable, HELPER, *args)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_seed")
    tf_json("train", d, "ref")
    return d


def test_run_fetches_collection_tensor_and_json(seed_dir):
    xs = [-3.0, 0.5, 0.9, 2.4]
    theirs = tf_json("predict", seed_dir / "checkpoint_model-1399", "ref", json.dumps(xs))
    for x, pred, sig in zip(xs, theirs["predictions"], theirs["sigmoid"]):
        out = run(ckpt_cli(), "run", seed_dir, "--feed", f"input:0=[{x}]", "--fetch",
                  "predict_op", "--fetch", "Sigmoid:0", "--json")
        j = json.loads(out.stdout)
        assert j["checkpoint"] == str(seed_dir / "checkpoint_model-1399")
        assert j["outputs"]["predict_op (Round:0)"] == pred
        # Within an ulp or two of TF's (its sigmoid is Eigen's vectorized approximation).
        assert j["outputs"]["Sigmoid:0"][0] == pytest.approx(sig[0], rel=1e-6)
    text = run(ckpt_cli(), "run", seed_dir / "checkpoint_model-999", "--feed", "input=2.4",
               "--fetch", "Round").stdout.decode()
    assert text.strip() == "Round (Round:0) = [1]"


def test_run_reports_bad_feeds(seed_dir):
    bad_shape = run(ckpt_cli(), "run", seed_dir, "--feed", "input:0=[1, 2]", "--fetch",
                    "predict_op", check=False)
    assert bad_shape.returncode != 0
    assert b"expected [1]" in bad_shape.stderr
    bad_name = run(ckpt_cli(), "run", seed_dir, "--feed", "nope:0=[1]", "--fetch",
                   "predict_op", check=False)
    assert bad_name.returncode != 0
    assert b"nope" in bad_name.stderr


def test_graph_lists_ops_collections_and_saver(seed_dir):
    out = run(ckpt_cli(), "graph", seed_dir, "--json")
    g = json.loads(out.stdout)["meta_graphs"][0]
    assert g["collections"]["predict_op"] == ["Round:0"]
    assert g["collections"]["train_op"] == ["GradientDescent"]
    assert g["collections"]["variables"] == ["Variable:0"]
    assert g["ops"]["ApplyGradientDescent"] == 1
    assert g["saver_def"]["restore_op_name"] == "save/restore_all"
    assert g["unsupported_ops"] == []


def test_saved_model_signature_and_tensor_names(tmp_path):
    sm = tmp_path / "sm"
    tf_json("saved_model", sm)
    out = run(ckpt_cli(), "run", sm, "--signature", "serving_default", "--feed",
              "x=[1, 2, 3]", "--json")
    assert json.loads(out.stdout)["outputs"] == {"y": [2.5, 3.0, 3.5]}
    out = run(ckpt_cli(), "run", sm, "--feed", "x:0=[4]", "--fetch", "z:0")
    assert out.stdout.decode().strip() == "z:0 = [12]"
    g = json.loads(run(ckpt_cli(), "graph", sm, "--json").stdout)["meta_graphs"][0]
    assert g["tags"] == ["serve"]
    assert set(g["signatures"]) == {"serving_default", "scaled"}
    assert g["signatures"]["scaled"]["outputs"]["z"]["name"] == "z:0"

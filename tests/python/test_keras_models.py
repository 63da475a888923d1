"""Keras MLP and CNN trained-model graphs from TF, run in C++, outputs equal to TF's.

For each model (Keras 3 layers with resource variables; TF1-style layer stacks with ref and
with resource variables; see keras_util) TF saves a checkpoint and a meta graph; TF restores
them in a fresh session and computes softmax outputs for a batch; ckpt_keras_tool loads the
inference GraphDef, restores every variable from TF's checkpoint by name, and must produce
the same outputs to 1e-5. The same holds importing the whole .meta and restoring through the
graph's own Saver nodes.
"""
import numpy as np
import pytest

import keras_util

TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("keras_models")
    return {kind: keras_util.save_model(kind, root / kind, seed=i)
            for i, kind in enumerate(keras_util.MODEL_KINDS)}


def batch(model, n, seed):
    shape = [n if d == -1 else d for d in model["input_shape"]]
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def test_models_use_the_expected_ops(models):
    """The graphs hold what TF emits for these layers (guards the op coverage below)."""
    cnn_ops = {"Conv2D", "MaxPool", "AvgPool", "BiasAdd", "Relu", "MatMul", "Softmax",
               "Reshape"}
    assert cnn_ops <= set(models["keras_cnn"]["inference_op_types"])
    assert cnn_ops | {"FusedBatchNormV3", "VariableV2"} <= set(
        models["v1_cnn_ref"]["inference_op_types"])
    assert {"FusedBatchNormV3", "VarHandleOp", "ReadVariableOp"} <= set(
        models["v1_cnn_resource"]["inference_op_types"])
    assert set(models["v1_mlp_ref"]["variables"].values()) == {"VariableV2"}
    assert "VarHandleOp" in set(models["keras_mlp"]["variables"].values())


@pytest.mark.parametrize("kind", keras_util.MODEL_KINDS)
@pytest.mark.parametrize("n", [1, 8])
def test_model_matches_tf(models, tmp_path, kind, n):
    model = models[kind]
    x = batch(model, n, seed=100 + n)
    expected, _ = keras_util.run_tf(model, x)
    got, result = keras_util.run_cpp(tmp_path, model["pb"], {model["input"]: x},
                                     [model["output"]], checkpoint=model["prefix"])
    assert got[0].shape == expected.shape
    np.testing.assert_allclose(got[0], expected, **TOL)
    # Softmax rows: a real distribution, not a degenerate one.
    np.testing.assert_allclose(got[0].sum(axis=1), 1.0, rtol=1e-5)
    assert got[0].std() > 1e-3
    # Every variable the inference graph reads came from the checkpoint.
    assert result["restored"], "no variables restored"


@pytest.mark.parametrize("kind", keras_util.MODEL_KINDS)
def test_meta_graph_and_saver_restore_match_tf(models, tmp_path, kind):
    """The whole .meta TF exported (training-side ops included) imported with ImportMetaGraph,
    restored by running its own save/restore_all (RestoreV2 + Assign/AssignVariableOp)."""
    model = models[kind]
    x = batch(model, 5, seed=7)
    expected, _ = keras_util.run_tf(model, x)
    got, result = keras_util.run_cpp(tmp_path, model["meta"], {model["input"]: x},
                                     [model["output"]], checkpoint=model["prefix"], fmt="meta")
    np.testing.assert_allclose(got[0], expected, **TOL)
    # Saver restored every variable TF saved, not just those the output reads.
    assert sorted(result["restored"]) == sorted(model["variables"])


def test_wrong_checkpoint_is_reported(models, tmp_path):
    """Restoring the MLP graph from the CNN's checkpoint names the missing variable."""
    mlp, cnn = models["v1_mlp_ref"], models["v1_cnn_ref"]
    proc = keras_util.run_cpp(tmp_path, mlp["pb"], {mlp["input"]: batch(mlp, 1, 0)},
                              [mlp["output"]], checkpoint=cnn["prefix"], check=False)
    assert proc.returncode == 1
    msg = proc.stderr.decode()
    assert "not in checkpoint" in msg or "shape" in msg, msg

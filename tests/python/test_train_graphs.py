"""The gradient and optimizer nodes the C++ API adds are TensorFlow's, node for node.

For the seed model and a small dense model, with each tf.compat.v1 optimizer and ref or
resource variables, builds the graph with TensorFlow (train_tf_graphs.py) and with
ckpt_train_tool, and compares:
  - the full node list (names, in order) and each node's op;
  - for the nodes added by gradients() and minimize() (everything under "gradients/", the
    optimizer's scope, slot and non-slot variables, global_step): inputs and attrs (values of
    string/int/float/bool/type/string-list attrs, kinds of the others).
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
TOOL = BUILD / "tests" / "tools" / "ckpt_train_tool"

OPT_SCOPE = {"gd": "GradientDescent", "momentum": "Momentum", "adam": "Adam",
             "rmsprop": "RMSProp"}
SLOT_SUFFIX = {"gd": [], "momentum": ["/Momentum"], "adam": ["/Adam", "/Adam_1"],
               "rmsprop": ["/RMSProp", "/RMSProp_1"]}


def tf_nodes(model, opt, kind, gs):
    args = [sys.executable, str(HERE / "train_tf_graphs.py"), model, opt, kind]
    if gs:
        args.append("global_step")
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def our_nodes(model, opt, kind, gs):
    if not TOOL.exists():
        pytest.fail(f"{TOOL} not built (ninja -C {BUILD} ckpt_train_tool)")
    args = [str(TOOL), "graph", model, opt, kind] + (["global_step"] if gs else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(l) for l in out.stdout.splitlines()]


def is_training_node(name, opt):
    scope = OPT_SCOPE[opt]
    if name.startswith("gradients/") or name == scope or name.startswith(scope + "/"):
        return True
    if name.split("/")[0] in ("beta1_power", "beta2_power", "global_step"):
        return True
    return any(s in name for s in SLOT_SUFFIX[opt])


CASES = [(m, o, k, gs) for m in ("seed", "dense") for o in OPT_SCOPE for k in ("ref", "resource")
         for gs in ((True, False) if m == "seed" else (False,))]


@pytest.mark.parametrize("model,opt,kind,gs", CASES)
def test_training_nodes_match_tensorflow(model, opt, kind, gs):
    theirs = tf_nodes(model, opt, kind, gs)
    ours = our_nodes(model, opt, kind, gs)
    assert [n["name"] for n in ours] == [n["name"] for n in theirs]
    mismatches = []
    for t, o in zip(theirs, ours):
        if is_training_node(t["name"], opt):
            if (t["op"], t["inputs"], t["attrs"]) != (o["op"], o["inputs"], o["attrs"]):
                mismatches.append((t, o))
        elif t["op"] != o["op"] and t["name"] not in (
                "logistic_loss/zeros_like", "SparseSoftmaxCrossEntropyWithLogits/Shape"):
            # Forward-model builders fold these two into Consts only in TF; not this test's
            # subject (the gradients below them match either way).
            mismatches.append((t, o))
    assert not mismatches, "\n".join(f"TF:  {t}\nC++: {o}" for t, o in mismatches[:5])


def test_training_part_is_not_empty():
    ours = our_nodes("dense", "adam", "ref", False)
    names = [n["name"] for n in ours if is_training_node(n["name"], "adam")]
    assert "Adam/update_w/ApplyAdam" in names
    assert "w/Adam_1" in names
    assert sum(n.startswith("gradients/") for n in names) > 20

"""TF1 control flow (control flow v1) through `ckpt run`: TensorFlow 2.21 writes a graph-mode
`.meta` with tf.compat.v1.cond and tf.compat.v1.while_loop under disable_control_flow_v2
(Switch, Merge, Enter, Exit, NextIteration, LoopCond in the graph), saved by a Saver with its
variables; ckpt imports it (the loops raised into While nodes), restores the variables and
must compute TensorFlow's values. TensorFlow runs in a subprocess, as disabling v2 behaviour
is process-wide."""
import json
import sys

import pytest
from conftest import ckpt_cli, run_command

# Writes DIR/model (Saver) and prints {"ops": [...], "fetches": {...}, "values": {...}} with
# TensorFlow's values for each n in N_VALUES.
TF_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_control_flow_v2()
out_dir, n_values = sys.argv[1], json.loads(sys.argv[2])
X = [1.0, -2.5, 4.0]
g = tf.Graph()
with g.as_default():
    x = tf1.placeholder(tf.float32, [3], name="x")
    n = tf1.placeholder(tf.int32, [], name="n")
    v = tf1.get_variable("v", initializer=[1.5, -2.0, 0.5])
    w = tf1.get_variable("w", initializer=3.0)
    # A conditional reading variables in both branches.
    cond = tf1.cond(tf.reduce_sum(x) > 0, lambda: x * v, lambda: x - w, name="cond")
    # A loop reading a variable, with maximum_iterations (an extra counter loop variable).
    _, decay = tf1.while_loop(
        lambda i, a: i < n,
        lambda i, a: (i + 1, a * 0.5 + v * tf.cast(i, tf.float32)),
        (tf.constant(0), x), maximum_iterations=7, name="decay")
    # Nested loops: t += w, i times for each i < n.
    def outer_body(i, t):
        _, u = tf1.while_loop(lambda j, u: j < i, lambda j, u: (j + 1, u + w),
                              (tf.constant(0), t), name="inner")
        return i + 1, u
    outer_i, outer_t = tf1.while_loop(lambda i, t: i < n, outer_body,
                                      (tf.constant(0), tf.constant(0.0)), name="outer")
    # A conditional inside a loop body.
    def cond_body(i, s):
        s2 = tf1.cond(tf.equal(i % 2, 0), lambda: s + x, lambda: s - v * 2.0, name="branch")
        return i + 1, s2
    _, alternating = tf1.while_loop(lambda i, s: i < n, cond_body, (tf.constant(0), tf.zeros([3])),
                                    name="alternating")
    fetches = {"cond": cond.name, "decay": decay.name, "outer_i": outer_i.name,
               "outer_t": outer_t.name, "alternating": alternating.name}
    ops = sorted({op.type for op in g.get_operations()})
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        sess.run([tf1.assign(w, 0.75)])  # a value the initializer does not give
        tf1.train.Saver().save(sess, out_dir + "/model")
        values = {}
        for k in n_values:
            r = sess.run(fetches, {x: X, n: k})
            values[str(k)] = {name: np.asarray(val).tolist() for name, val in r.items()}
        neg = sess.run(cond, {x: [-1.0, -2.0, 0.5], n: 0})
print(json.dumps({"ops": ops, "fetches": fetches, "values": values, "x": X,
                  "neg_cond": np.asarray(neg).tolist()}))
"""

N_VALUES = [0, 1, 3, 10]  # 10: maximum_iterations (7) stops the decay loop


run = run_command


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    d = tmp_path_factory.mktemp("tf1_control_flow")
    out = run(sys.executable, "-c", TF_SCRIPT, d, json.dumps(N_VALUES))
    return d, json.loads(out.stdout.decode().strip().splitlines()[-1])


def ckpt_run(d, feeds, fetches):
    args = [ckpt_cli(), "run", d, "--json"]
    for name, value in feeds.items():
        args += ["--feed", f"{name}={json.dumps(value)}"]
    for f in fetches:
        args += ["--fetch", f]
    return json.loads(run(*args).stdout)["outputs"]


def assert_close(ours, theirs, name):
    if isinstance(theirs, list):
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            assert_close(a, b, name)
    elif isinstance(theirs, int):
        assert ours == theirs, name
    else:
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-5), name


def test_graph_holds_tf1_control_flow_ops(model):
    d, tf_out = model
    for op in ("Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"):
        assert op in tf_out["ops"], op
    assert "While" not in tf_out["ops"] and "StatelessWhile" not in tf_out["ops"]
    g = json.loads(run(ckpt_cli(), "graph", d, "--json").stdout)["meta_graphs"][0]
    assert g["unsupported_ops"] == []


def test_cond_and_loops_match_tensorflow(model):
    d, tf_out = model
    fetches = tf_out["fetches"]
    for k in N_VALUES:
        ours = ckpt_run(d, {"x:0": tf_out["x"], "n:0": k}, list(fetches.values()))
        for key, tensor in fetches.items():
            assert_close(ours[tensor], tf_out["values"][str(k)][key], f"{key} (n={k})")


def test_cond_false_branch_matches_tensorflow(model):
    d, tf_out = model
    cond = tf_out["fetches"]["cond"]
    ours = ckpt_run(d, {"x:0": [-1.0, -2.0, 0.5], "n:0": 0}, [cond])
    assert_close(ours[cond], tf_out["neg_cond"], "cond (false branch)")

"""The seed's workflow against real TensorFlow: checkpoints written by the C++ training program
are restored (and their .meta imported) by TensorFlow, which continues training; checkpoints
written by TensorFlow are restored by the C++ programs; resuming gives the same trajectory as
never stopping."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
DEMO = BUILD / "examples" / "seed" / "seed_demo"
DEPLOY = BUILD / "examples" / "seed" / "seed_deploy"


def run(*args, timeout=300):
    for p in (DEMO, DEPLOY):
        if not p.exists():
            pytest.fail(f"{p} not built (ninja -C {BUILD} seed_demo seed_deploy)")
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def final_a(text):
    m = re.findall(r"final A = \[([^\]]*)\]", text)
    assert m, text
    return float(m[-1])


def run_py(code, *args):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("seed") / "checkpoint_dir"
    d.mkdir()
    text = run(DEMO, "train", d, 1400)
    return d, text


def test_training_prints_and_saves_like_the_seed(trained):
    d, text = trained
    assert len(re.findall(r"^Step #\d+ A = \[", text, re.M)) == 7
    assert len(re.findall(r"^Loss = \[", text, re.M)) == 7
    state = (d / "checkpoint").read_text()
    assert state.splitlines()[0] == 'model_checkpoint_path: "checkpoint_model-1399"'
    kept = re.findall(r'all_model_checkpoint_paths: "checkpoint_model-(\d+)"', state)
    assert kept == ["599", "799", "999", "1199", "1399"]
    for step in kept:
        for ext in (".index", ".data-00000-of-00001", ".meta"):
            assert (d / f"checkpoint_model-{step}{ext}").exists()
    assert not (d / "checkpoint_model-199.index").exists()


def test_resume_gives_the_same_trajectory_as_never_stopping(trained, tmp_path):
    _, straight = trained
    d = tmp_path / "ckpt"
    d.mkdir()
    run(DEMO, "train", d, 1000)
    resumed = run(DEMO, "resume", d, d / "checkpoint_model-999", 1400)
    assert final_a(resumed) == final_a(straight)
    # And the printed steps after the restore point agree line for line.
    tail = lambda t: [l for l in t.splitlines() if l.startswith(("Step #1200", "Step #1400"))]
    assert tail(resumed) == tail(straight)


TF_CONTINUE = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
prefix = sys.argv[1]
saved_a = tf1.train.load_variable(prefix, "Variable")
g = tf1.Graph()
with g.as_default():
    x_data = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
    y_target = tf1.placeholder(shape=[1], dtype=tf.float32)
    A = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
    out = tf.add(x_data, A)
    xent = tf.nn.sigmoid_cross_entropy_with_logits(
        logits=tf.expand_dims(out, 0), labels=tf.expand_dims(y_target, 0))
    train = tf1.train.GradientDescentOptimizer(0.05).minimize(xent)
    saver = tf1.train.Saver()
    with tf1.Session(graph=g) as sess:
        saver.restore(sess, prefix)
        a0 = sess.run(A)
        sess.run(train, {x_data: [0.5], y_target: [1.0]})
        a1 = sess.run(A)
print(float(saved_a[0]), float(a0[0]), float(a1[0]))
'''


def test_tensorflow_restores_our_checkpoint_and_continues(trained):
    d, _ = trained
    saved, restored, stepped = map(float, run_py(TF_CONTINUE, d / "checkpoint_model-999").split())
    assert restored == saved
    sig = 1 / (1 + np.exp(-(0.5 + restored)))
    np.testing.assert_allclose(stepped, restored - 0.05 * (sig - 1.0), rtol=1e-6)


TF_DEPLOY = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
prefix = sys.argv[1]
with tf1.Session(graph=tf1.Graph()) as sess:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    predict_op = tf1.get_collection("predict_op")[0]
    x = sess.graph.get_tensor_by_name("input:0")
    print(sess.run(predict_op, {x: [2.4]})[0], sess.run(predict_op, {x: [-30.0]})[0])
'''


def test_tensorflow_imports_our_meta_graph_and_predicts(trained):
    d, _ = trained
    hi, lo = map(float, run_py(TF_DEPLOY, d / "checkpoint_model-999").split())
    assert (hi, lo) == (1.0, 0.0)


def test_our_deploy_program_predicts(trained):
    d, _ = trained
    out = run(DEPLOY, d / "checkpoint_model-999", 2.4)
    assert "= [1.]" in out, out


TF_TRAIN = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
workdir = sys.argv[1]
g = tf1.Graph()
with g.as_default():
    rng = np.random.RandomState(0)
    x_vals = np.concatenate((rng.normal(-1, 1, 50), rng.normal(3, 1, 50)))
    y_vals = np.concatenate((np.repeat(0., 50), np.repeat(1., 50)))
    x_data = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
    y_target = tf1.placeholder(shape=[1], dtype=tf.float32)
    A = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
    my_output = tf.add(x_data, A)
    xent = tf.nn.sigmoid_cross_entropy_with_logits(
        logits=tf.expand_dims(my_output, 0), labels=tf.expand_dims(y_target, 0))
    tf1.add_to_collection("predict_op", tf.round(tf.sigmoid(my_output)))
    train = tf1.train.GradientDescentOptimizer(0.05).minimize(xent)
    saver = tf1.train.Saver()
    with tf1.Session(graph=g) as sess:
        sess.run(tf1.global_variables_initializer())
        for i in range(1000):
            k = rng.choice(100)
            sess.run(train, {x_data: [x_vals[k]], y_target: [y_vals[k]]})
            if (i + 1) % 200 == 0:
                saver.save(sess, os.path.join(workdir, "checkpoint_model"), global_step=i)
        print(float(sess.run(A)[0]))
'''


def test_we_restore_tensorflows_checkpoint_and_continue(tmp_path):
    tf_a = float(run_py(TF_TRAIN, tmp_path).split()[-1])
    out = run(DEMO, "resume", tmp_path, tmp_path / "checkpoint_model-999", 1200)
    m = re.search(r"restored .*: A = \[([^\]]*)\]", out)
    assert m, out
    assert float(m.group(1)) == np.float32(tf_a)
    assert re.search(r"^Step #1200 A = \[", out, re.M)
    # Deploy straight from TensorFlow's .meta and checkpoint.
    assert "= [1.]" in run(DEPLOY, tmp_path / "checkpoint_model-999", 2.4)
    # Evaluate the checkpoints TensorFlow kept.
    ev = run(DEMO, "evaluate", tmp_path)
    assert "best step:" in ev

"""One (and three) training steps in C++ and in TensorFlow from equal initial values with the
same inputs give the same variables (slots and beta powers included) to 1e-6 relative, for
GradientDescent, Momentum, Adam and RMSProp, with ref and resource variables."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
TOOL = BUILD / "tests" / "tools" / "ckpt_train_tool"

TF_SCRIPT = r'''
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, sys.argv[1])
import numpy as np
import tensorflow as tf
import train_tf_graphs as m
tf1 = tf.compat.v1
model, opt, kind, spec_path, steps = sys.argv[2:7]
if kind == "ref":
    tf1.disable_v2_behavior()
else:
    tf1.disable_eager_execution()
spec = json.load(open(spec_path))
g = tf1.Graph()
with g.as_default():
    train, loss = m.build(model, opt, False)
    with tf1.Session(graph=g) as sess:
        sess.run(tf1.global_variables_initializer())
        byname = {v.op.name: v for v in tf1.global_variables()}
        for name, vals in spec["vars"].items():
            v = byname[name]
            v.load(np.array(vals, dtype=v.dtype.as_numpy_dtype).reshape(v.shape), sess)
        feeds = spec["feeds"]
        for i in range(int(steps)):
            f = {g.get_tensor_by_name(k): np.array(v).reshape(g.get_tensor_by_name(k).shape)
                 for k, v in feeds[i % len(feeds)].items()}
            sess.run(train, f)
        out = {name: np.asarray(sess.run(v)).ravel().tolist() for name, v in byname.items()}
print(json.dumps(out))
'''

SPECS = {
    "seed": {"vars": {"Variable": [0.75]},
             "feeds": [{"input:0": [1.3], "Placeholder:0": [1.0]},
                       {"input:0": [-0.4], "Placeholder:0": [0.0]},
                       {"input:0": [2.2], "Placeholder:0": [1.0]}]},
    "dense": {"vars": {"w": (np.arange(15) * 0.1 - 0.7).tolist(),
                       "b": [0.1, -0.2, 0.3, 0.0, 0.05]},
              "feeds": [{"x:0": (np.sin(np.arange(12))).tolist(), "y:0": [0, 3, 4, 1]},
                        {"x:0": (np.cos(np.arange(12))).tolist(), "y:0": [2, 2, 0, 4]}]},
}


def run_tf(model, opt, kind, spec_path, steps):
    out = subprocess.run([sys.executable, "-c", TF_SCRIPT, str(HERE), model, opt, kind,
                          str(spec_path), str(steps)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ours(model, opt, kind, spec_path, steps):
    if not TOOL.exists():
        pytest.fail(f"{TOOL} not built (ninja -C {BUILD} ckpt_train_tool)")
    out = subprocess.run([str(TOOL), "step", model, opt, kind, str(spec_path), str(steps)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("model", ["seed", "dense"])
@pytest.mark.parametrize("opt", ["gd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("kind", ["ref", "resource"])
@pytest.mark.parametrize("steps", [1, 3])
def test_same_variables_after_training_steps(tmp_path, model, opt, kind, steps):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPECS[model]))
    theirs = run_tf(model, opt, kind, spec, steps)
    ours = run_ours(model, opt, kind, spec, steps)
    assert sorted(ours) == sorted(theirs)
    start = SPECS[model]["vars"]
    for name, want in theirs.items():
        got = np.array(ours[name], dtype=np.float64)
        want = np.array(want, dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)
    # The step did something: trained variables moved away from their initial values.
    for name, init in start.items():
        assert not np.allclose(np.array(ours[name]), np.array(init)), name

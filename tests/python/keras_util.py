"""Keras models saved through tf.compat.v1, and a runner for ckpt_keras_tool.

Models (all built in a tf.compat.v1 Graph, weights set to seeded random values, saved with
tf.compat.v1.train.Saver: PREFIX.index/.data-*, PREFIX.meta; plus PREFIX.pb, the inference
GraphDef from the input placeholder to the output):
  - "keras_mlp", "keras_cnn": Keras layers (Dense, ReLU, Dropout, softmax; Conv2D,
    BatchNormalization, MaxPooling2D, AveragePooling2D, Flatten) called on a placeholder in
    graph mode. Keras 3 variables are resource variables (VarHandleOp/ReadVariableOp).
  - "v1_mlp_ref", "v1_cnn_ref" (VariableV2 ref variables) and "v1_mlp_resource",
    "v1_cnn_resource" (VarHandleOp): the same layer stacks written with
    tf.compat.v1.get_variable and tf.nn ops, as TF1-era Keras/tf.layers emitted them
    (BiasAdd, Conv2D, FusedBatchNormV3 with is_training=False, MaxPool, AvgPool, Reshape of
    Shape/StridedSlice/Pack, Softmax).
"""
import json
import os
import pathlib
import subprocess

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]

MODEL_KINDS = ["keras_mlp", "keras_cnn", "v1_mlp_ref", "v1_cnn_ref", "v1_mlp_resource",
               "v1_cnn_resource"]


def tool_path(name="ckpt_keras_tool"):
    bdir = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    for c in (bdir / "tests" / "tools" / name, bdir / name):
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise FileNotFoundError(f"{name} not built under {bdir} (ninja -C {bdir} {name})")


def import_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415
    tf.compat.v1.disable_eager_execution()
    return tf


def session_config(tf):
    """TF session config without grappler rewrites, so TF runs the graph we hand to C++."""
    from tensorflow.core.protobuf import rewriter_config_pb2  # noqa: PLC0415
    return tf.compat.v1.ConfigProto(graph_options=tf.compat.v1.GraphOptions(
        rewrite_options=rewriter_config_pb2.RewriterConfig(disable_meta_optimizer=True)))


# ---- model builders ---------------------------------------------------------------------------

def _keras_mlp(tf, sizes):
    import keras  # noqa: PLC0415
    x = tf.compat.v1.placeholder(tf.float32, [None, sizes[0]], name="x")
    h = x
    for units in sizes[1:-1]:
        h = keras.layers.Dense(units, activation="relu")(h)
        h = keras.layers.Dropout(0.25)(h)
    y = keras.layers.Dense(sizes[-1], activation="softmax")(h)
    return x, y


def _keras_cnn(tf, image):
    import keras  # noqa: PLC0415
    x = tf.compat.v1.placeholder(tf.float32, [None, *image], name="x")
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(12, 3, strides=2, padding="valid", activation="relu")(h)
    h = keras.layers.AveragePooling2D(2, padding="same")(h)
    h = keras.layers.Dropout(0.5)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(16, activation="relu")(h)
    y = keras.layers.Dense(10, activation="softmax")(h)
    return x, y


def _v1_var(tf, name, shape, resource):
    return tf.compat.v1.get_variable(name, shape, tf.float32,
                                     initializer=tf.compat.v1.glorot_uniform_initializer(),
                                     use_resource=resource)


def _v1_dense(tf, h, units, name, resource, activation=None):
    with tf.compat.v1.variable_scope(name):
        w = _v1_var(tf, "kernel", [h.shape[-1], units], resource)
        b = _v1_var(tf, "bias", [units], resource)
        out = tf.nn.bias_add(tf.matmul(h, w), b)
        return activation(out) if activation else out


def _v1_mlp(tf, sizes, resource):
    x = tf.compat.v1.placeholder(tf.float32, [None, sizes[0]], name="x")
    h = x
    for i, units in enumerate(sizes[1:-1]):
        h = _v1_dense(tf, h, units, f"dense_{i}" if i else "dense", resource, tf.nn.relu)
        h = tf.identity(h, name=f"dropout_{i}" if i else "dropout")  # inference: identity
    y = _v1_dense(tf, h, sizes[-1], "logits", resource, tf.nn.softmax)
    return x, y


def _v1_cnn(tf, image, resource):
    x = tf.compat.v1.placeholder(tf.float32, [None, *image], name="x")
    with tf.compat.v1.variable_scope("conv2d"):
        k = _v1_var(tf, "kernel", [3, 3, image[-1], 8], resource)
        b = _v1_var(tf, "bias", [8], resource)
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"), b))
    with tf.compat.v1.variable_scope("batch_normalization"):
        gamma = _v1_var(tf, "gamma", [8], resource)
        beta = _v1_var(tf, "beta", [8], resource)
        mean = _v1_var(tf, "moving_mean", [8], resource)
        var = _v1_var(tf, "moving_variance", [8], resource)
        h, _, _ = tf.compat.v1.nn.fused_batch_norm(h, gamma, beta, mean, var, epsilon=1e-3,
                                                   is_training=False)
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    with tf.compat.v1.variable_scope("conv2d_1"):
        k = _v1_var(tf, "kernel", [3, 3, 8, 12], resource)
        b = _v1_var(tf, "bias", [12], resource)
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, k, [1, 2, 2, 1], "VALID"), b))
    h = tf.nn.avg_pool2d(h, 2, 2, "SAME")
    h = tf.identity(h, name="dropout")
    flat = int(np.prod(h.shape[1:]))
    h = tf.reshape(h, tf.stack([tf.shape(h)[0], flat]), name="flatten")
    h = _v1_dense(tf, h, 16, "dense", resource, tf.nn.relu)
    y = _v1_dense(tf, h, 10, "dense_1", resource, tf.nn.softmax)
    return x, y


MLP_SIZES = (64, 128, 64, 10)
CNN_IMAGE = (16, 16, 3)


def build(tf, kind, mlp_sizes=MLP_SIZES, cnn_image=CNN_IMAGE):
    """Builds `kind` in the current default graph; returns (x, y)."""
    if kind == "keras_mlp":
        return _keras_mlp(tf, mlp_sizes)
    if kind == "keras_cnn":
        return _keras_cnn(tf, cnn_image)
    if kind.startswith("v1_mlp_"):
        return _v1_mlp(tf, mlp_sizes, kind.endswith("resource"))
    if kind.startswith("v1_cnn_"):
        return _v1_cnn(tf, cnn_image, kind.endswith("resource"))
    raise ValueError(kind)


def randomize_variables(tf, sess, seed):
    """Gives every float variable seeded random values (variances positive)."""
    rng = np.random.RandomState(seed)
    for v in tf.compat.v1.global_variables():
        if v.dtype.base_dtype != tf.float32:
            continue
        shape = v.shape.as_list()
        value = rng.uniform(-0.5, 0.5, shape).astype(np.float32)
        if "variance" in v.name:
            value = np.abs(value) + 0.5
        elif "gamma" in v.name:
            value = value + 1.0
        v.load(value, sess)


def save_model(kind, out_dir, seed=0, **build_args):
    """Builds, randomizes and saves `kind` under out_dir; returns a description dict:
    {kind, prefix, meta, pb, input, output, input_shape, variables: {name: op type}}."""
    tf = import_tf()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        x, y = build(tf, kind, **build_args)
        init = tf.compat.v1.global_variables_initializer()
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=g, config=session_config(tf)) as sess:
            sess.run(init)
            randomize_variables(tf, sess, seed)
            prefix = saver.save(sess, str(out_dir / kind), write_meta_graph=False)
        saver.export_meta_graph(str(out_dir / (kind + ".meta")))
        sub = tf.compat.v1.graph_util.extract_sub_graph(g.as_graph_def(), [y.op.name])
        (out_dir / (kind + ".pb")).write_bytes(sub.SerializeToString())
        ops = {op.name: op.type for op in g.get_operations()}
        variables = {v.op.name: v.op.type for v in tf.compat.v1.global_variables()}
    return {"kind": kind, "prefix": prefix, "meta": str(out_dir / (kind + ".meta")),
            "pb": str(out_dir / (kind + ".pb")), "input": x.name, "output": y.name,
            "input_shape": [d if d is not None else -1 for d in x.shape.as_list()],
            "variables": variables, "op_types": sorted(set(ops.values())),
            "inference_op_types": sorted({n.op for n in sub.node})}


def run_tf(model, inputs, iters=0, warmup=0):
    """Restores `model` (a save_model dict) from its .meta + checkpoint in a fresh TF session
    and returns (outputs, per-run microseconds list) for `inputs`."""
    import time  # noqa: PLC0415
    tf = import_tf()
    g = tf.Graph()
    with g.as_default():
        saver = tf.compat.v1.train.import_meta_graph(model["meta"])
        with tf.compat.v1.Session(graph=g, config=session_config(tf)) as sess:
            saver.restore(sess, model["prefix"])
            feed = {model["input"]: inputs}
            out = sess.run(model["output"], feed)
            for _ in range(warmup):
                sess.run(model["output"], feed)
            times = []
            for _ in range(iters):
                t0 = time.perf_counter()
                sess.run(model["output"], feed)
                times.append((time.perf_counter() - t0) * 1e6)
    return out, times


def run_cpp(work_dir, graph, feeds, fetches, checkpoint=None, bench=None, threads=0,
            check=True, fmt=None):
    """Runs ckpt_keras_tool. feeds: {name: np.ndarray}. Returns (outputs list, result json) or,
    with check=False, the CompletedProcess when it fails."""
    work_dir = pathlib.Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    spec = {"graph": str(graph), "feeds": [], "fetches": list(fetches),
            "out_dir": str(work_dir), "threads": threads}
    if fmt:
        spec["format"] = fmt
    if checkpoint:
        spec["checkpoint"] = str(checkpoint)
    if bench:
        spec["bench"] = bench
    dtypes = {np.float32: "float32", np.float64: "float64", np.int32: "int32",
              np.int64: "int64", np.bool_: "bool", np.uint64: "uint64", np.uint32: "uint32"}
    for i, (name, value) in enumerate(feeds.items()):
        value = np.ascontiguousarray(value)
        f = work_dir / f"feed_{i}.bin"
        value.tofile(f)
        spec["feeds"].append({"name": name, "dtype": dtypes[value.dtype.type],
                              "shape": list(value.shape), "file": str(f)})
    spec_path = work_dir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run([str(tool_path()), str(spec_path)], capture_output=True, timeout=600)
    if proc.returncode != 0:
        if not check:
            return proc
        raise RuntimeError(f"ckpt_keras_tool failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace')}")
    result = json.loads(proc.stdout)
    np_types = {v: k for k, v in dtypes.items()}
    outs = [np.fromfile(o["file"], dtype=np_types[o["dtype"]]).reshape(o["shape"])
            for o in result["outputs"]]
    return outs, result


def run_tf_and_cpp(tf, tmp_path, build, inputs):
    """Builds build(placeholders) -> output tensors in a fresh tf.Graph on placeholders for
    `inputs`, runs it in TF (grappler off) and the same GraphDef through ckpt_keras_tool.
    Returns (tf_outputs, cpp_outputs)."""
    tmp_path = pathlib.Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        phs = [tf.compat.v1.placeholder(tf.as_dtype(v.dtype), v.shape, name=f"in{i}")
               for i, v in enumerate(inputs)]
        outs = build(phs)
        with tf.compat.v1.Session(graph=g, config=session_config(tf)) as sess:
            expected = sess.run(outs, dict(zip(phs, inputs)))
        graph_path = tmp_path / "graph.pb"
        graph_path.write_bytes(g.as_graph_def().SerializeToString())
    feeds = {p.name: v for p, v in zip(phs, inputs)}
    got, _ = run_cpp(tmp_path, graph_path, feeds, [o.name for o in outs])
    return expected, got

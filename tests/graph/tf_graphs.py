#!/usr/bin/env python3
"""Builds small models with TensorFlow (tf.compat.v1 graph mode) and writes, per model:
  <out>/<name>.pb    the GraphDef TF built
  <out>/<name>.json  variable values to load, feeds, fetches and TF's outputs for them
Used by tests/graph/tf_compat_test.cc, which builds the same models with ckpt::ops and checks
the NodeDefs are equal, then runs TF's GraphDef with ckpt::Session and compares outputs.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def save(out, name, g, fetches, feeds, variables, extra=None):
    # The GraphDef as built, before the session adds its own ops.
    graph_def = g.as_graph_def().SerializeToString()
    collections = {k: [getattr(x, "name", str(x)) for x in g.get_collection(k)]
                   for k in g.get_all_collection_keys()}
    rng = np.random.RandomState(len(name))
    var_values = {}
    with tf1.Session(graph=g) as sess:
        sess.run(tf1.global_variables_initializer())
        for v in variables:
            value = rng.uniform(-1, 1, v.shape.as_list()).astype(v.dtype.base_dtype.as_numpy_dtype)
            v.load(value, sess)
            var_values[v.op.name] = {"dtype": v.dtype.base_dtype.name, "shape": list(value.shape),
                                     "values": value.flatten().tolist()}
        feed_dict = {g.get_tensor_by_name(k): np.array(v["values"], dtype=v["dtype"]).reshape(v["shape"])
                     for k, v in feeds.items()}
        results = sess.run([g.get_tensor_by_name(f) for f in fetches], feed_dict)
        # A second run: stateful ops (random) continue their streams.
        results2 = sess.run([g.get_tensor_by_name(f) for f in fetches], feed_dict)
    with open(os.path.join(out, name + ".pb"), "wb") as f:
        f.write(graph_def)
    doc = {"variables": var_values, "feeds": feeds,
           "fetches": [{"name": f, "dtype": r.dtype.name, "shape": list(r.shape),
                        "values": np.asarray(r).flatten().tolist()} for f, r in zip(fetches, results)],
           "fetches_second_run": [np.asarray(r).flatten().tolist() for r in results2],
           "collections": collections}
    if extra:
        doc.update(extra)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(doc, f)


def feed(dtype, values):
    a = np.array(values, dtype=dtype)
    return {"dtype": dtype, "shape": list(a.shape), "values": a.flatten().tolist()}


def linear(out):
    tf1.disable_resource_variables()
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 3], name="input")
        y = tf1.placeholder(tf.float32, [None, 1])
        W = tf1.Variable(tf1.random_normal([3, 1], stddev=0.1, seed=1), name="W")
        b = tf1.Variable(tf.zeros([1]), name="b")
        pred = tf.matmul(x, W) + b
        loss = tf.reduce_mean(tf.square(pred - y))
        tf1.add_to_collection("losses", loss)
        tf1.global_variables_initializer()
    save(out, "linear", g, ["add:0", "Mean:0"],
         {"input:0": feed("float32", [[1, 2, 3], [4, 5, 6]]),
          "Placeholder:0": feed("float32", [[1], [0]])}, [W, b])


def classifier(out):
    tf1.disable_resource_variables()
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 4], name="x")
        labels = tf1.placeholder(tf.int64, [None], name="labels")
        w0 = tf1.Variable(tf1.truncated_normal([4, 5], stddev=0.1, seed=2), name="w0")
        b0 = tf1.Variable(tf1.zeros([5]), name="b0")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w0), b0))
        w1 = tf1.Variable(tf1.random_uniform([5, 3], -0.5, 0.5, seed=3), name="w1")
        b1 = tf1.Variable(tf1.zeros([3]), name="b1")
        logits = tf.matmul(h, w1) + b1
        probs = tf.nn.softmax(logits, name="probs")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        onehot = tf.one_hot(labels, 3)
        dense = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)
        sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=onehot, logits=logits)
        acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32))
        s = tf.reduce_sum(h, axis=1, keepdims=True)
        tf1.global_variables_initializer()
    fetches = [t.name for t in [logits, probs, loss, dense, sig, acc, s]]
    save(out, "classifier", g, fetches,
         {"x:0": feed("float32", [[1, 0, -1, 2], [0.5, 0.5, 0.5, 0.5], [-1, 2, 0, 1]]),
          "labels:0": feed("int64", [2, 0, 1])}, [w0, b0, w1, b1])


def seed_model(out):
    tf1.disable_resource_variables()
    g = tf.Graph()
    with g.as_default():
        x_data = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
        y_target = tf1.placeholder(shape=[1], dtype=tf.float32)
        A = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
        my_output = tf.add(x_data, A)
        xentropy = tf.nn.sigmoid_cross_entropy_with_logits(
            logits=tf.expand_dims(my_output, 0), labels=tf.expand_dims(y_target, 0))
        tf1.add_to_collection("predict_op", tf.round(tf.sigmoid(my_output)))
        tf1.global_variables_initializer()
    save(out, "seed", g, [xentropy.name, "Round:0"],
         {"input:0": feed("float32", [0.3]), "Placeholder:0": feed("float32", [1.0])}, [A])


def resource(out):
    tf1.enable_resource_variables()
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 2], name="x")
        W = tf1.Variable(tf.ones([2, 2]), name="W")
        v = tf1.Variable(2.0, name="v")
        y = tf.matmul(x, W)
        tf1.global_variables_initializer()
    save(out, "resource", g, [y.name], {"x:0": feed("float32", [[1, 2]])}, [W, v])
    tf1.disable_resource_variables()


def literal_ref(out):
    tf1.disable_resource_variables()
    g = tf.Graph()
    with g.as_default():
        v = tf1.Variable(3.0, name="v")
        w = tf1.Variable([1.0, 2.0])
        y = tf.multiply(v, w)
        with tf.name_scope("scope"):
            z = tf.maximum(y, 4.0)
        tf1.global_variables_initializer()
    save(out, "literal_ref", g, [y.name, z.name], {}, [v, w])


def random_ops(out):
    g = tf.Graph()
    with g.as_default():
        a = tf.random.normal([6], seed=1)
        b = tf.random.uniform([5], seed=2)
        c = tf.random.truncated_normal([9], seed=3)
        d = tf.random.normal([3], seed=4, dtype=tf.float64)
        e = tf.random.uniform([3], seed=5, dtype=tf.float64)
        f = tf.random.truncated_normal([5], seed=6, dtype=tf.float64)
        h = tf.random.normal([2, 3], mean=10, stddev=2, seed=7)
        u = tf.random.uniform([4], minval=-1, maxval=3, seed=8)
    save(out, "random", g, [t.name for t in (a, b, c, d, e, f, h, u)], {}, [])


def op_zoo(out):
    """Many ops on fixed inputs: TF's kernels are the oracle for ours."""
    g = tf.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 3], name="x")
        p = tf1.placeholder(tf.float32, [None, 3], name="p")  # positive values
        i = tf1.placeholder(tf.int32, [4], name="i")
        k = tf1.placeholder(tf.int64, [2, 3], name="k")
        e = tf.expand_dims(x, 0)
        r = [
            tf.round(x), tf.floor(x), tf.math.ceil(x), tf.sign(x), tf.abs(x), tf.negative(x),
            tf.square(x), tf.sqrt(p), tf.math.rsqrt(p), tf.exp(x), tf.math.log(p), tf.math.log1p(p),
            tf.math.reciprocal(p), tf.sigmoid(x), tf.tanh(x), tf.nn.relu(x), tf.nn.relu6(x * 4),
            tf.nn.elu(x), tf.nn.softplus(x), tf.nn.softmax(x), tf.nn.log_softmax(x), tf.nn.l2_loss(x),
            x + p, x - 1.0, x * p, x / p, tf.compat.v1.div(x, p), tf.math.floordiv(x, p),
            tf.math.floormod(x, p), tf.maximum(x, 0.25), tf.minimum(x, 0.25), tf.pow(p, x),
            tf.math.squared_difference(x, p), tf.math.add_n([x, p, x]), tf.math.divide_no_nan(x, x),
            tf.math.floordiv(k, 3), tf.math.floormod(k, -4), tf.compat.v1.div(k, 2), k * 3 - 7,
            tf.cast(tf.equal(x, p), tf.float32), tf.cast(x > 0, tf.int32), tf.cast(x, tf.int64),
            tf.cast(tf.logical_and(x > 0, p < 2), tf.float32), tf.cast(tf.logical_or(x > 0, p < 2), tf.int32),
            tf.cast(tf.logical_not(x > 0), tf.float32), tf.cast(tf.not_equal(x, p), tf.float32),
            tf.cast(tf.less_equal(x, p), tf.float32), tf.cast(tf.greater_equal(x, p), tf.float32),
            tf.reduce_sum(x), tf.reduce_sum(x, 0), tf.reduce_mean(x, 1, keepdims=True),
            tf.reduce_max(x, 1), tf.reduce_min(x, 0), tf.reduce_prod(p, 1), tf.reduce_sum(k, 1),
            tf.argmax(x, 1), tf.argmin(x, 0), tf.argmax(k, 0, output_type=tf.int32),
            tf.matmul(x, p, transpose_b=True), tf.matmul(x, p, transpose_a=True),
            tf.nn.bias_add(x, [1.0, 2.0, 3.0]),
            tf.concat([x, p], 1), tf.concat([x, p], 0), tf.stack([x, p], 1), tf.transpose(x),
            tf.reshape(x, [-1]), tf.squeeze(e, [0]), tf.shape(x), tf.size(x), tf.rank(x),
            tf.tile(x, [2, 2]), tf.slice(x, [0, 1], [-1, 2]), x[:, 1:3], x[0], x[::-1, ::2],
            x[:, tf.newaxis, 1], x[..., 2], tf.gather(x, [1, 0, 1]), tf.gather(x, [2, 0], axis=1),
            tf.one_hot(i, 5), tf.one_hot(i, 3, on_value=2.0, off_value=-1.0, axis=0),
            tf.range(0, 10, 3), tf.range(5.0, 1.0, -1.5), tf.fill([2, 3], 1.5),
            tf.zeros_like(x), tf.ones_like(x), tf.where(x > 0, x, -x),
            tf.compat.v1.where(x > 0, x, p), tf.identity(x), tf.stop_gradient(x),
            tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.sigmoid(p), logits=x),
            tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(p), logits=x),
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=x),
            tf.compat.v1.placeholder_with_default(x, [None, 3]), tf.cast(i, tf.float64) * 0.5,
            tf.broadcast_to(p[0], [2, 3]), *tf.unstack(x, axis=1), *tf.shape_n([x, e]),
            tf.raw_ops.Snapshot(input=x),
        ]
    save(out, "op_zoo", g, [t.name for t in r],
         {"x:0": feed("float32", [[-1.5, 0.5, 2.5], [0.25, -0.75, 3.0]]),
          "p:0": feed("float32", [[0.5, 1.5, 2.0], [3.0, 0.25, 1.0]]),
          "i:0": feed("int32", [0, 2, 4, 1]),
          "k:0": feed("int64", [[7, -7, 10], [-1, 0, 5]])}, [])


def main():
    out = sys.argv[1]
    for fn in (linear, classifier, seed_model, resource, literal_ref, random_ops, op_zoo):
        fn(out)


if __name__ == "__main__":
    main()

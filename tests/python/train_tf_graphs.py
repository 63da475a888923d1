"""TensorFlow reference graphs for the training tests: the seed model and a small dense model
trained with each tf.compat.v1 optimizer, with ref (VariableV2) or resource variables.

`python3 train_tf_graphs.py MODEL OPTIMIZER KIND [global_step]` prints the GraphDef nodes as JSON
lines: name, op, inputs, and attrs (values for simple kinds, kind names otherwise).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1


def make_optimizer(name):
    if name == "gd":
        return tf1.train.GradientDescentOptimizer(0.05)
    if name == "momentum":
        return tf1.train.MomentumOptimizer(0.05, 0.9)
    if name == "adam":
        return tf1.train.AdamOptimizer(0.001)
    if name == "rmsprop":
        return tf1.train.RMSPropOptimizer(0.01)
    raise ValueError(name)


def build(model, optimizer, use_global_step):
    """Builds the graph in the current default graph; returns (train_op, loss)."""
    if model == "seed":
        x = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
        y = tf1.placeholder(shape=[1], dtype=tf.float32)
        a = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
        out = tf.add(x, a)
        loss = tf.nn.sigmoid_cross_entropy_with_logits(
            logits=tf.expand_dims(out, 0), labels=tf.expand_dims(y, 0))
        tf1.add_to_collection("predict_op", tf.round(tf.sigmoid(out)))
    elif model == "dense":
        x = tf1.placeholder(tf.float32, [4, 3], name="x")
        y = tf1.placeholder(tf.int64, [4], name="y")
        w = tf1.Variable(tf1.ones([3, 5]), name="w")
        b = tf1.Variable(tf1.zeros([5]), name="b")
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    else:
        raise ValueError(model)
    gs = tf1.train.get_or_create_global_step() if use_global_step else None
    train = make_optimizer(optimizer).minimize(loss, global_step=gs)
    return train, loss


def attr_repr(v):
    kind = v.WhichOneof("value")
    if kind == "s":
        return v.s.decode()
    if kind in ("i", "f", "b"):
        return getattr(v, kind)
    if kind == "type":
        return tf.dtypes.as_dtype(v.type).name
    if kind == "list":
        if v.list.s:
            return [s.decode() for s in v.list.s]
        return "list"
    return kind


def main():
    model, optimizer, kind = sys.argv[1:4]
    use_gs = len(sys.argv) > 4 and sys.argv[4] == "global_step"
    if kind == "ref":
        tf1.disable_v2_behavior()
    else:
        tf1.disable_eager_execution()
    g = tf1.Graph()
    with g.as_default():
        build(model, optimizer, use_gs)
    for n in g.as_graph_def().node:
        print(json.dumps({"name": n.name, "op": n.op, "inputs": list(n.input),
                          "attrs": {k: attr_repr(v) for k, v in sorted(n.attr.items())}}))


if __name__ == "__main__":
    main()

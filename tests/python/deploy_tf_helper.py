"""TensorFlow side of the deploy tests (run as a subprocess: each mode needs a fresh TF).

  python3 deploy_tf_helper.py train DIR ref|resource   -> the seed program (1400 steps,
        saver.save every 200 steps at 199, 399, ..., 1399); prints {"A": {step: value}}
  python3 deploy_tf_helper.py predict PREFIX ref|resource XS_JSON
        -> import_meta_graph(PREFIX.meta), restore(PREFIX), run get_collection('predict_op')[0]
           for every x; prints {"predictions", "sigmoid", "A"}
  python3 deploy_tf_helper.py train_more PREFIX ref|resource DATA_JSON OUT_PREFIX
        -> import, restore, sess.run(train_op) per [x, y]; saves OUT_PREFIX (global_step =
           len(DATA)) when OUT_PREFIX is not "-"; prints {"A"}
  python3 deploy_tf_helper.py bench PREFIX ref|resource ITERS X
        -> latency of sess.run(predict_op) at batch 1 (microseconds)
  python3 deploy_tf_helper.py saved_model DIR
        -> a TF1 SavedModel (y = a * x + b, a = 0.5, b = 2) with signature "serving_default"
           {x -> y} and "scaled" {x -> z = 3 * y}, built with tf.compat.v1.saved_model.Builder
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1


def setup(mode):
    if mode == "ref":
        tf1.disable_v2_behavior()
    else:
        tf1.disable_eager_execution()


def seed_data():
    rng = np.random.RandomState(1234)
    x_vals = np.concatenate((rng.normal(-1, 1, 50), rng.normal(3, 1, 50)))
    y_vals = np.concatenate((np.repeat(0., 50), np.repeat(1., 50)))
    return x_vals, y_vals, rng


def train(directory, mode):
    setup(mode)
    x_vals, y_vals, rng = seed_data()
    g = tf1.Graph()
    with g.as_default():
        tf1.set_random_seed(42)
        x_data = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
        y_target = tf1.placeholder(shape=[1], dtype=tf.float32)
        A = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
        my_output = tf.add(x_data, A)
        my_output_expanded = tf.expand_dims(my_output, 0)
        y_target_expanded = tf.expand_dims(y_target, 0)
        xentropy = tf.nn.sigmoid_cross_entropy_with_logits(
            logits=my_output_expanded, labels=y_target_expanded)
        predict = tf.round(tf.sigmoid(my_output))
        tf1.add_to_collection("predict_op", predict)
        train_step = tf1.train.GradientDescentOptimizer(0.05).minimize(xentropy)
        init = tf1.global_variables_initializer()
        saver = tf1.train.Saver()
        values = {}
        with tf1.Session(graph=g) as sess:
            sess.run(init)
            for i in range(1400):
                rand_index = rng.choice(100)
                sess.run(train_step, feed_dict={x_data: [x_vals[rand_index]],
                                                y_target: [y_vals[rand_index]]})
                if (i + 1) % 200 == 0:
                    saver.save(sess, os.path.join(directory, "checkpoint_model"), global_step=i)
                    values[str(i)] = sess.run(A).tolist()
    print(json.dumps({"A": values}))


def load(sess, prefix):
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    return sess.graph


def variable_values(sess):
    return {v.op.name: sess.run(v).tolist() for v in tf1.global_variables()}


def predict(prefix, mode, xs):
    setup(mode)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        load(sess, prefix)
        predict_op = tf1.get_collection("predict_op")[0]
        x = g.get_tensor_by_name("input:0")
        sig = predict_op.op.inputs[0]
        preds, sigs = [], []
        for v in xs:
            p, s = sess.run([predict_op, sig], {x: [v]})
            preds.append(p.tolist())
            sigs.append(s.tolist())
        print(json.dumps({"predictions": preds, "sigmoid": sigs,
                          "variables": variable_values(sess)}))


def train_more(prefix, mode, data, out_prefix):
    setup(mode)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        load(sess, prefix)
        train_op = tf1.get_collection("train_op")[0]
        x = g.get_tensor_by_name("input:0")
        y = g.get_tensor_by_name("Placeholder:0")
        for xv, yv in data:
            sess.run(train_op, {x: [xv], y: [yv]})
        if out_prefix != "-":
            tf1.train.Saver().save(sess, out_prefix, global_step=len(data))
        print(json.dumps({"variables": variable_values(sess)}))


def bench(prefix, mode, iters, xv):
    setup(mode)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        load(sess, prefix)
        predict_op = tf1.get_collection("predict_op")[0]
        x = g.get_tensor_by_name("input:0")
        feed = {x: [xv]}
        for _ in range(200):
            sess.run(predict_op, feed)
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            sess.run(predict_op, feed)
            times.append((time.perf_counter() - t0) * 1e6)
        times.sort()
        print(json.dumps({"median_us": times[len(times) // 2],
                          "mean_us": sum(times) / len(times), "iters": iters}))


def saved_model(directory):
    tf1.disable_v2_behavior()
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        a = tf1.Variable(0.5, name="a")
        b = tf1.Variable(2.0, name="b")
        x = tf1.placeholder(tf.float32, shape=[None], name="x")
        y = tf.add(tf.multiply(a, x), b, name="y")
        z = tf.multiply(y, 3.0, name="z")
        sess.run(tf1.global_variables_initializer())
        builder = tf1.saved_model.Builder(directory)
        info = tf1.saved_model.utils.build_tensor_info
        sig = tf1.saved_model.signature_def_utils.build_signature_def(
            inputs={"x": info(x)}, outputs={"y": info(y)},
            method_name="tensorflow/serving/predict")
        sig2 = tf1.saved_model.signature_def_utils.build_signature_def(
            inputs={"x": info(x)}, outputs={"z": info(z)},
            method_name="tensorflow/serving/predict")
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": sig, "scaled": sig2})
        builder.save()
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "train":
        train(sys.argv[2], sys.argv[3])
    elif cmd == "predict":
        predict(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    elif cmd == "train_more":
        train_more(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5])
    elif cmd == "bench":
        bench(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "saved_model":
        saved_model(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)

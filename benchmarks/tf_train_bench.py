"""TensorFlow side of the training benchmarks (issue: train in C++).

Measures, with tf.compat.v1 graph mode on this machine:
  seed:       the seed's loop (1400 steps of sigmoid(x + A) with GradientDescent(0.05), one random
              point per step, save every 200 steps with tf.compat.v1.train.Saver)
  classifier: steps/s of a softmax classifier (784-256-256-10 MLP, ReLU, Adam 1e-3) at batch 64

Prints one JSON object; benchmarks/run_train_bench.sh compares it with the C++ figures.
"""
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()


def seed_loop(workdir):
    g = tf1.Graph()
    with g.as_default():
        rng = np.random.RandomState(0)
        x_vals = np.concatenate((rng.normal(-1, 1, 50), rng.normal(3, 1, 50)))
        y_vals = np.concatenate((np.repeat(0., 50), np.repeat(1., 50)))
        x_data = tf1.placeholder(shape=[1], dtype=tf.float32, name="input")
        y_target = tf1.placeholder(shape=[1], dtype=tf.float32)
        A = tf1.Variable(tf1.random_normal(mean=10, shape=[1]))
        my_output = tf.add(x_data, A)
        xentropy = tf.nn.sigmoid_cross_entropy_with_logits(
            logits=tf.expand_dims(my_output, 0), labels=tf.expand_dims(y_target, 0))
        tf1.add_to_collection("predict_op", tf.round(tf.sigmoid(my_output)))
        train_step = tf1.train.GradientDescentOptimizer(0.05).minimize(xentropy)
        saver = tf1.train.Saver()
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            idx = rng.choice(100, 1400)
            t0 = time.perf_counter()
            for i in range(1400):
                feed = {x_data: [x_vals[idx[i]]], y_target: [y_vals[idx[i]]]}
                sess.run(train_step, feed_dict=feed)
                if (i + 1) % 200 == 0:
                    sess.run(A)
                    sess.run(xentropy, feed_dict=feed)
                    saver.save(sess, os.path.join(workdir, "checkpoint_model"), global_step=i)
            return time.perf_counter() - t0


def classifier(batch=64, steps=1000):
    g = tf1.Graph()
    with g.as_default():
        tf1.set_random_seed(0)
        x = tf1.placeholder(tf.float32, [None, 784], name="x")
        y = tf1.placeholder(tf.int64, [None], name="y")
        h = x
        for i, n in enumerate([256, 256]):
            w = tf1.Variable(tf1.truncated_normal([h.shape[1], n], stddev=0.05), name=f"w{i}")
            b = tf1.Variable(tf1.zeros([n]), name=f"b{i}")
            h = tf.nn.relu(tf.matmul(h, w) + b)
        w = tf1.Variable(tf1.truncated_normal([256, 10], stddev=0.05), name="w_out")
        b = tf1.Variable(tf1.zeros([10]), name="b_out")
        logits = tf.matmul(h, w) + b
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf1.train.AdamOptimizer(1e-3).minimize(loss)
        rng = np.random.RandomState(1)
        xb = rng.rand(batch, 784).astype(np.float32)
        yb = rng.randint(0, 10, batch).astype(np.int64)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(20):
                sess.run(train, {x: xb, y: yb})
            t0 = time.perf_counter()
            for _ in range(steps):
                sess.run(train, {x: xb, y: yb})
            return steps / (time.perf_counter() - t0)


def main():
    with tempfile.TemporaryDirectory() as d:
        seed_s = seed_loop(d)
    out = {"tf_version": tf.__version__, "seed_loop_seconds": seed_s,
           "classifier_steps_per_second_batch64": classifier()}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()

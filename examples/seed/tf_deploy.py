"""The other direction: TensorFlow (Python) imports the .meta that ckpt wrote in C++, restores
the weights, runs predict_op, and keeps training the C++-built graph with its own train_op."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()

prefix = sys.argv[1]
with tf1.Session(graph=tf1.Graph()) as sess:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    predict = tf1.get_collection("predict_op")[0]
    x = sess.graph.get_tensor_by_name("input:0")
    print("TensorFlow %s: predict_op(input=[2.4]) = %s, predict_op(input=[-3.0]) = %s"
          % (tf.__version__, sess.run(predict, {x: [2.4]}), sess.run(predict, {x: [-3.0]})))
    train_ops = tf1.get_collection("train_op")
    if train_ops:
        y = sess.graph.get_tensor_by_name("Placeholder:0")
        for _ in range(10):
            sess.run(train_ops[0], {x: [3.0], y: [1.0]})
        print("TensorFlow ran the C++ graph's train_op 10 more steps")

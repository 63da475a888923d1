"""Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool and FusedBatchNorm{,V2,V3} kernels against
TensorFlow.

Each case builds a one-op TF graph on placeholders, runs it in TF (grappler off) on seeded
random inputs, and runs the same GraphDef through ckpt_keras_tool (Graph::FromGraphDef +
Session) on the same inputs; every output must match TF's to 1e-5.
"""
import itertools

import numpy as np
import pytest

import keras_util

tf = keras_util.import_tf()
from tensorflow.python.ops import gen_nn_ops  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def run_both(tmp_path, build, inputs):
    """build(placeholders) -> list of output tensors. Returns (tf_outputs, cpp_outputs)."""
    return keras_util.run_tf_and_cpp(tf, tmp_path, build, inputs)


def check(tmp_path, build, inputs):
    expected, got = run_both(tmp_path, build, inputs)
    assert len(got) == len(expected)
    for e, o in zip(expected, got):
        assert o.shape == e.shape
        assert o.dtype == e.dtype
        np.testing.assert_allclose(o, e, **TOL)
    return expected


def rand(rng, *shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


CONV_CASES = [
    # (input NHWC, filter HWIO, strides, padding, dilations)
    ((2, 9, 9, 3), (3, 3, 3, 5), (1, 1), "SAME", (1, 1)),
    ((2, 9, 9, 3), (3, 3, 3, 5), (1, 1), "VALID", (1, 1)),
    ((2, 9, 8, 3), (3, 3, 3, 4), (2, 2), "SAME", (1, 1)),
    ((2, 9, 8, 3), (3, 3, 3, 4), (2, 2), "VALID", (1, 1)),
    ((1, 10, 11, 2), (5, 5, 2, 3), (3, 2), "SAME", (1, 1)),
    ((1, 10, 11, 2), (2, 3, 2, 3), (1, 3), "VALID", (1, 1)),
    ((3, 6, 6, 4), (1, 1, 4, 6), (1, 1), "SAME", (1, 1)),  # pointwise: direct GEMM
    ((3, 6, 6, 4), (1, 1, 4, 6), (2, 2), "VALID", (1, 1)),
    ((1, 12, 12, 2), (3, 3, 2, 4), (1, 1), "SAME", (2, 2)),
    ((1, 12, 12, 2), (3, 2, 2, 4), (1, 1), "VALID", (2, 3)),
    ((4, 28, 28, 1), (5, 5, 1, 16), (1, 1), "SAME", (1, 1)),  # spans several patch chunks
    ((1, 4, 4, 3), (4, 4, 3, 2), (1, 1), "VALID", (1, 1)),  # window = whole image
    ((2, 3, 3, 2), (5, 5, 2, 2), (1, 1), "SAME", (1, 1)),   # window larger than image
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[0])) + "_k" +
                         "x".join(map(str, c[1])) + f"_s{c[2][0]}{c[2][1]}_{c[3]}_d{c[4][0]}{c[4][1]}")
def test_conv2d(tmp_path, case):
    in_shape, f_shape, strides, padding, dil = case
    rng = np.random.RandomState(1)
    check(tmp_path, lambda p: [tf.nn.conv2d(p[0], p[1], [1, *strides, 1], padding,
                                            dilations=[1, *dil, 1])],
          [rand(rng, *in_shape), rand(rng, *f_shape)])


def test_conv2d_explicit_padding(tmp_path):
    rng = np.random.RandomState(2)
    pads = [[0, 0], [1, 2], [0, 3], [0, 0]]
    check(tmp_path, lambda p: [tf.nn.conv2d(p[0], p[1], [1, 2, 1, 1], pads)],
          [rand(rng, 2, 7, 6, 3), rand(rng, 3, 2, 3, 4)])


def test_conv2d_float64(tmp_path):
    rng = np.random.RandomState(3)
    check(tmp_path, lambda p: [tf.nn.conv2d(p[0], p[1], [1, 1, 1, 1], "SAME")],
          [rng.randn(2, 5, 5, 3), rng.randn(3, 3, 3, 2)])


DEPTHWISE_CASES = [
    # (input NHWC, filter [KH, KW, C, multiplier], strides, padding, dilations)
    ((2, 9, 9, 3), (3, 3, 3, 1), (1, 1), "SAME", (1, 1)),
    ((2, 9, 9, 3), (3, 3, 3, 2), (1, 1), "VALID", (1, 1)),
    ((2, 9, 8, 8), (3, 3, 8, 1), (2, 2), "SAME", (1, 1)),
    ((1, 10, 11, 4), (5, 5, 4, 3), (3, 2), "SAME", (1, 1)),
    ((1, 12, 12, 2), (3, 3, 2, 2), (1, 1), "SAME", (2, 2)),
    ((3, 6, 6, 5), (1, 1, 5, 1), (1, 1), "VALID", (1, 1)),
    ((1, 1, 1, 7), (3, 3, 7, 1), (1, 1), "SAME", (1, 1)),  # 1-pixel image, all padding
    ((0, 5, 5, 3), (3, 3, 3, 1), (1, 1), "SAME", (1, 1)),  # empty batch
    ((2, 3, 3, 2), (5, 5, 2, 1), (1, 1), "SAME", (1, 1)),  # window larger than image
    ((4, 16, 16, 32), (3, 3, 32, 1), (1, 1), "SAME", (1, 1)),  # thread pool
]


@pytest.mark.parametrize("case", DEPTHWISE_CASES, ids=lambda c: "x".join(map(str, c[0])) +
                         "_k" + "x".join(map(str, c[1])) +
                         f"_s{c[2][0]}{c[2][1]}_{c[3]}_d{c[4][0]}{c[4][1]}")
def test_depthwise_conv2d(tmp_path, case):
    in_shape, f_shape, strides, padding, dil = case
    rng = np.random.RandomState(6)
    check(tmp_path, lambda p: [gen_nn_ops.depthwise_conv2d_native(
        p[0], p[1], [1, *strides, 1], padding, dilations=[1, *dil, 1])],
          [rand(rng, *in_shape), rand(rng, *f_shape)])


def test_depthwise_conv2d_explicit_padding_and_float64(tmp_path):
    rng = np.random.RandomState(7)
    check(tmp_path, lambda p: [gen_nn_ops.depthwise_conv2d_native(
        p[0], p[1], [1, 2, 1, 1], "EXPLICIT", explicit_paddings=[0, 0, 1, 2, 0, 3, 0, 0])],
          [rand(rng, 2, 7, 6, 3), rand(rng, 3, 2, 3, 2)])
    check(tmp_path, lambda p: [gen_nn_ops.depthwise_conv2d_native(p[0], p[1], [1, 1, 1, 1],
                                                                  "SAME")],
          [rng.randn(2, 5, 5, 3), rng.randn(3, 3, 3, 2)])


POOL_CASES = list(itertools.product([(2, 2), (3, 3), (1, 3)], [(1, 1), (2, 2), (3, 2)],
                                    ["SAME", "VALID"]))


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES,
                         ids=lambda c: f"k{c[0][0]}{c[0][1]}_s{c[1][0]}{c[1][1]}_{c[2]}")
def test_pool(tmp_path, pool, case):
    ksize, strides, padding = case
    rng = np.random.RandomState(4)
    fn = tf.nn.max_pool2d if pool == "max" else tf.nn.avg_pool2d
    check(tmp_path, lambda p: [fn(p[0], ksize, strides, padding)], [rand(rng, 2, 7, 8, 3)])


def test_max_pool_explicit_padding(tmp_path):
    rng = np.random.RandomState(5)
    pads = [[0, 0], [1, 1], [2, 0], [0, 0]]
    # Negative inputs: padded positions must not contribute zeros.
    check(tmp_path, lambda p: [tf.nn.max_pool2d(p[0], 3, 2, pads)],
          [rand(rng, 1, 6, 6, 2) - 2.0])


def test_pool_int_and_double(tmp_path):
    rng = np.random.RandomState(6)
    check(tmp_path, lambda p: [tf.nn.max_pool2d(p[0], 2, 2, "SAME")],
          [rng.randint(-100, 100, (2, 5, 5, 3)).astype(np.int32)])
    check(tmp_path, lambda p: [tf.nn.avg_pool2d(p[0], 3, 1, "SAME")],
          [rng.randn(2, 5, 5, 3)])


@pytest.mark.parametrize("version", ["V1", "V2", "V3"])
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_fused_batch_norm_inference(tmp_path, version, data_format):
    rng = np.random.RandomState(7)
    c = 5
    shape = (2, 4, 3, c) if data_format == "NHWC" else (2, c, 4, 3)
    fn = {"V1": gen_nn_ops._fused_batch_norm, "V2": gen_nn_ops.fused_batch_norm_v2,
          "V3": gen_nn_ops.fused_batch_norm_v3}[version]
    inputs = [rand(rng, *shape) * 3, rand(rng, c) + 1, rand(rng, c), rand(rng, c),
              np.abs(rand(rng, c)) + 0.1]
    out = check(tmp_path, lambda p: list(fn(*p, epsilon=0.001, is_training=False,
                                            data_format=data_format)), inputs)
    # batch_mean/batch_variance pass the moving statistics through.
    np.testing.assert_array_equal(out[1], inputs[3])
    np.testing.assert_array_equal(out[2], inputs[4])


@pytest.mark.parametrize("factor", [1.0, 0.3])
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_fused_batch_norm_v3_training(tmp_path, factor, data_format):
    rng = np.random.RandomState(8)
    c = 4
    shape = (3, 5, 2, c) if data_format == "NHWC" else (3, c, 5, 2)
    inputs = [rand(rng, *shape) * 2 + 0.5, rand(rng, c) + 1, rand(rng, c), rand(rng, c),
              np.abs(rand(rng, c)) + 0.1]
    check(tmp_path, lambda p: list(gen_nn_ops.fused_batch_norm_v3(
        *p, epsilon=0.01, is_training=True, exponential_avg_factor=factor,
        data_format=data_format)), inputs)


def test_conv_errors_are_reported(tmp_path):
    """A filter whose depth does not match the input fails with a clear message."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None, None, None], name="x")
        f = tf.compat.v1.placeholder(tf.float32, [None, None, None, None], name="f")
        y = tf.nn.conv2d(x, f, [1, 1, 1, 1], "VALID")
    (tmp_path / "g.pb").write_bytes(g.as_graph_def().SerializeToString())
    proc = keras_util.run_cpp(tmp_path, tmp_path / "g.pb",
                              {"x:0": np.zeros((1, 4, 4, 3), np.float32),
                               "f:0": np.zeros((3, 3, 2, 1), np.float32)},
                              [y.name], check=False)
    assert proc.returncode == 1
    msg = proc.stderr.decode()
    assert "Conv2D" in msg and "depth" in msg, msg
    proc = keras_util.run_cpp(tmp_path, tmp_path / "g.pb",
                              {"x:0": np.zeros((1, 2, 2, 3), np.float32),
                               "f:0": np.zeros((3, 3, 3, 1), np.float32)},
                              [y.name], check=False)
    assert proc.returncode == 1
    assert "larger than the input" in proc.stderr.decode()
    # Depthwise: the filter's in_channels must equal the input depth.
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None, None, None], name="x")
        f = tf.compat.v1.placeholder(tf.float32, [None, None, None, None], name="f")
        y = gen_nn_ops.depthwise_conv2d_native(x, f, [1, 1, 1, 1], "SAME")
    (tmp_path / "d.pb").write_bytes(g.as_graph_def().SerializeToString())
    proc = keras_util.run_cpp(tmp_path, tmp_path / "d.pb",
                              {"x:0": np.zeros((1, 4, 4, 3), np.float32),
                               "f:0": np.zeros((3, 3, 2, 1), np.float32)},
                              [y.name], check=False)
    assert proc.returncode == 1
    msg = proc.stderr.decode()
    assert "DepthwiseConv2dNative" in msg and "in_channels 2" in msg and "depth 3" in msg, msg


@pytest.mark.parametrize("seed_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [[7], [3, 5], [2, 2, 2]])
def test_stateless_random_uniform_bit_exact(tmp_path, seed_dtype, dtype, shape):
    """The Philox stream Keras dropout draws from: same bits as TF."""
    seeds = np.array([[0, 0], [12345, -7], [2**31 - 1, 99]], dtype=seed_dtype)
    for i, seed in enumerate(seeds):
        def build(p):
            key, counter = tf.raw_ops.StatelessRandomGetKeyCounter(seed=p[0])
            out = tf.raw_ops.StatelessRandomUniformV2(shape=shape, key=key, counter=counter,
                                                      alg=1, dtype=tf.as_dtype(dtype))
            return [key, counter, out]
        (tmp_path / str(i)).mkdir()
        expected, got = run_both(tmp_path / str(i), build, [seed])
        for e, o in zip(expected, got):
            assert o.dtype == e.dtype and o.shape == e.shape
            np.testing.assert_array_equal(o, e)

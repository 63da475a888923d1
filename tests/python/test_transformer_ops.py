"""The ops transformer encoders and Keras layers emit, against TensorFlow: Erf/Erfc, Selu,
LeakyRelu, Elu, BatchMatMulV2/V3, Einsum, TopKV2, PadV2, MirrorPad, ResizeBilinear,
ResizeNearestNeighbor, SpaceToBatchND/BatchToSpaceND, the stateless normal samplers, and the
older ops those models also use; then whole encoders (a Keras 3 MultiHeadAttention block and a
BERT-style tf.Module) exported as SavedModels and run by `ckpt run`.

Each op case builds a small TF graph on placeholders, runs it in TF (grappler off) on seeded
random inputs and runs the same GraphDef through ckpt_keras_tool; float outputs must match to
1e-5, integer ones and the random samplers exactly.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import keras_util
from conftest import ckpt_cli

# Plain import (not keras_util.import_tf): the graphs below are built in explicit tf.Graph
# contexts, and eager execution stays on for the modules collected with this one.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def run_both(tmp_path, build, inputs):
    """build(placeholders) -> list of output tensors. Returns (tf_outputs, cpp_outputs)."""
    return keras_util.run_tf_and_cpp(tf, tmp_path, build, inputs)


def check(tmp_path, build, inputs, exact=False):
    expected, got = run_both(tmp_path, build, inputs)
    assert len(got) == len(expected)
    for e, o in zip(expected, got):
        e = np.asarray(e)
        assert o.shape == e.shape
        assert o.dtype == e.dtype
        if exact or not np.issubdtype(e.dtype, np.floating):
            np.testing.assert_array_equal(o, e)
        else:
            np.testing.assert_allclose(o, e, **TOL)
    return expected


def cpp_error(tmp_path, build, inputs):
    """Builds the graph on unknown-shape placeholders (TF is not run) and returns
    ckpt_keras_tool's stderr; it must fail."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        phs = [tf.compat.v1.placeholder(tf.as_dtype(v.dtype), None, name=f"in{i}")
               for i, v in enumerate(inputs)]
        outs = build(phs)
        graph_path = tmp_path / "graph.pb"
        graph_path.write_bytes(g.as_graph_def().SerializeToString())
    proc = keras_util.run_cpp(tmp_path, graph_path, {p.name: v for p, v in zip(phs, inputs)},
                              [o.name for o in outs], check=False)
    assert not isinstance(proc, tuple), "expected ckpt to fail"
    return proc.stderr.decode(errors="replace")


def rand(rng, shape, dtype=np.float32):
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-5, 6, shape).astype(dtype)
    return rng.uniform(-3, 3, shape).astype(dtype)


SHAPES = [(0,), (1,), (1, 1), (3, 4), (2, 0, 3), (2, 3, 5)]
FLOATS = [np.float32, np.float64]


# ---- element-wise ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.__name__)
def test_erf_erfc_selu_leaky_relu_elu(tmp_path, dtype):
    rng = np.random.default_rng(1)
    for i, shape in enumerate(SHAPES):
        x = rand(rng, shape, dtype)
        check(tmp_path / str(i), lambda p: [
            tf.math.erf(p[0]), tf.math.erfc(p[0]), tf.nn.selu(p[0]),
            tf.nn.leaky_relu(p[0]), tf.nn.leaky_relu(p[0], alpha=0.01), tf.nn.elu(p[0]),
            # exact GELU, as Keras' gelu(approximate=False) builds it
            0.5 * p[0] * (1.0 + tf.math.erf(p[0] / np.sqrt(2.0).astype(dtype)))], [x])


def test_erf_extremes(tmp_path):
    x = np.array([-40, -6, -1e-8, 0, 1e-8, 0.5, 6, 40, np.inf, -np.inf], np.float32)
    check(tmp_path, lambda p: [tf.math.erf(p[0]), tf.math.erfc(p[0])], [x])


# ---- BatchMatMul -------------------------------------------------------------------------------

MATMUL_CASES = [
    # (x shape, y shape, adj_x, adj_y)
    ((2, 3, 4), (2, 4, 5), False, False),
    ((2, 4, 3), (2, 4, 5), True, False),
    ((2, 3, 4), (2, 5, 4), False, True),
    ((2, 4, 3), (2, 5, 4), True, True),
    ((3, 4), (4, 2), False, False),           # plain matrices
    ((1, 3, 4), (5, 4, 2), False, False),     # batch broadcast
    ((3, 1, 2, 4), (5, 4, 3), False, False),  # rank broadcast
    ((2, 3, 4), (4, 6), False, False),
    ((0, 3, 4), (0, 4, 2), False, False),     # empty batch
    ((2, 3, 0), (2, 0, 4), False, False),     # empty contraction: zeros
    ((2, 1, 1), (2, 1, 1), False, False),
    ((4, 2, 40, 48), (4, 2, 48, 40), False, False),  # large enough for the GEMM path
]


@pytest.mark.parametrize("case", MATMUL_CASES, ids=lambda c: "x".join(map(str, c[0])) + "_" +
                         "x".join(map(str, c[1])) + f"_{int(c[2])}{int(c[3])}")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=lambda d: d.__name__)
def test_batch_matmul(tmp_path, case, dtype):
    xs, ys, ax, ay = case
    rng = np.random.default_rng(2)
    x, y = rand(rng, xs, dtype), rand(rng, ys, dtype)
    check(tmp_path / "v2", lambda p: [tf.raw_ops.BatchMatMulV2(x=p[0], y=p[1], adj_x=ax,
                                                               adj_y=ay)], [x, y])
    check(tmp_path / "v3", lambda p: [tf.raw_ops.BatchMatMulV3(
        x=p[0], y=p[1], Tout=tf.as_dtype(dtype), adj_x=ax, adj_y=ay)], [x, y])


def test_batch_matmul_errors(tmp_path):
    x, y = np.zeros((2, 3, 4), np.float32), np.zeros((3, 4, 5), np.float32)
    err = cpp_error(tmp_path / "batch", lambda p: [tf.raw_ops.BatchMatMulV2(x=p[0], y=p[1])],
                    [x, y])
    assert "batch dimensions" in err
    err = cpp_error(tmp_path / "inner", lambda p: [tf.raw_ops.BatchMatMulV2(x=p[0], y=p[0])],
                    [x])
    assert "size-incompatible" in err


# ---- Einsum ------------------------------------------------------------------------------------

EINSUM_CASES = [
    # (equation, operand shapes)
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("abc,cd->abd", [(2, 8, 16), (16, 12)]),                    # EinsumDense
    ("abc,cde->abde", [(2, 8, 16), (16, 2, 8)]),                # MHA query/key/value projection
    ("abcd,cde->abe", [(2, 8, 2, 8), (2, 8, 16)]),              # MHA output projection
    ("aecd,abcd->acbe", [(2, 8, 2, 8), (2, 7, 2, 8)]),          # MHA attention scores
    ("acbe,aecd->abcd", [(2, 2, 7, 8), (2, 8, 2, 8)]),          # MHA attention-weighted values
    ("BTNH,BFNH->BNFT", [(2, 5, 3, 4), (2, 6, 3, 4)]),          # upper-case labels
    ("...ij,...jk->...ik", [(3, 1, 2, 4), (5, 4, 3)]),          # broadcast ellipsis
    ("...d,df->...f", [(2, 3, 6), (6, 4)]),
    ("bi,bi->b", [(4, 5), (4, 5)]),
    ("i,j->ij", [(3,), (4,)]),                                   # outer product
    ("i,i->", [(6,), (6,)]),                                     # dot product
    ("ij,jk->ki", [(3, 4), (4, 2)]),                             # transposed product
    ("ij,kj->ik", [(0, 4), (3, 4)]),                             # empty operand
    ("bij,bkj->bk", [(2, 3, 4), (2, 5, 4)]),                     # label summed in one operand
    ("ij->ji", [(3, 5)]),
    ("ii->", [(4, 4)]),                                          # trace
    ("ii->i", [(4, 4)]),                                         # diagonal
    ("ij->", [(3, 5)]),
    ("ij->i", [(3, 5)]),
    ("abc->cab", [(2, 3, 4)]),
    ("...ij->...ji", [(2, 3, 4, 5)]),
    ("bii->bi", [(2, 3, 3)]),
]


@pytest.mark.parametrize("case", EINSUM_CASES, ids=lambda c: c[0].replace("->", "_to_")
                         .replace(",", "_").replace("...", "E"))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=lambda d: d.__name__)
def test_einsum(tmp_path, case, dtype):
    eq, shapes = case
    rng = np.random.default_rng(3)
    xs = [rand(rng, s, dtype) for s in shapes]
    check(tmp_path, lambda p: [tf.raw_ops.Einsum(inputs=p, equation=eq)], xs)


def test_einsum_unsupported_and_bad(tmp_path):
    a = np.ones((2, 3), np.float32)
    # TF's own graph builder refuses three operands; the GraphDef is edited to hold them.
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, None, name="in0")
        y = tf.raw_ops.Einsum(inputs=[x, x], equation="ij,jk->ik")
    gd = g.as_graph_def()
    (node,) = [n for n in gd.node if n.op == "Einsum"]
    node.input.append("in0")
    node.attr["N"].i = 3
    node.attr["equation"].s = b"ij,jk,kl->il"
    (tmp_path / "graph.pb").write_bytes(gd.SerializeToString())
    proc = keras_util.run_cpp(tmp_path, tmp_path / "graph.pb", {"in0:0": a}, [y.name],
                              check=False)
    assert not isinstance(proc, tuple)
    err = proc.stderr.decode(errors="replace")
    assert "UNIMPLEMENTED" in err.upper() and "ij,jk,kl->il" in err
    err = cpp_error(tmp_path / "mismatch", lambda p: [tf.raw_ops.Einsum(
        inputs=[p[0], p[0]], equation="ij,jk->ik")], [a])
    assert "ij,jk->ik" in err


# ---- TopK, padding, resize, space/batch --------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64],
                         ids=lambda d: d.__name__)
def test_top_k(tmp_path, dtype):
    rng = np.random.default_rng(4)
    cases = [((10,), 3), ((4, 9), 9), ((4, 9), 0), ((2, 3, 7), 1), ((5, 1), 1), ((0, 4), 2),
             ((3, 6), 4)]
    for i, (shape, k) in enumerate(cases):
        # few distinct values, so ties are common: TF keeps the lower index first
        x = rng.integers(-3, 4, shape).astype(dtype)
        check(tmp_path / str(i), lambda p: list(tf.math.top_k(p[0], k=k, sorted=True)), [x])


def test_top_k_k_too_large(tmp_path):
    err = cpp_error(tmp_path, lambda p: list(tf.math.top_k(p[0], k=5)),
                    [np.zeros((2, 3), np.float32)])
    assert "at least k columns" in err


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=lambda d: d.__name__)
def test_pad_v2_and_mirror_pad(tmp_path, dtype):
    rng = np.random.default_rng(5)
    cases = [((3, 4), [[1, 2], [0, 3]]), ((2, 3, 4), [[0, 0], [2, 2], [3, 0]]),
             ((1,), [[0, 0]]), ((4,), [[3, 2]]), ((0, 3), [[1, 1], [0, 0]])]
    for i, (shape, pads) in enumerate(cases):
        x = rand(rng, shape, dtype)
        check(tmp_path / f"v2_{i}", lambda p: [tf.pad(p[0], pads, constant_values=7)], [x])
    mirror = [((3, 4), [[1, 2], [0, 3]], "REFLECT"), ((3, 4), [[2, 2], [3, 3]], "REFLECT"),
              ((3, 4), [[3, 3], [4, 4]], "SYMMETRIC"), ((2, 5, 3), [[1, 0], [2, 1], [0, 3]],
                                                        "SYMMETRIC"),
              ((5,), [[0, 0]], "REFLECT"), ((1, 1), [[1, 1], [0, 0]], "SYMMETRIC")]
    for i, (shape, pads, mode) in enumerate(mirror):
        x = rand(rng, shape, dtype)
        check(tmp_path / f"m_{i}", lambda p: [tf.pad(p[0], pads, mode=mode)], [x])


def test_mirror_pad_too_wide(tmp_path):
    err = cpp_error(tmp_path, lambda p: [tf.raw_ops.MirrorPad(
        input=p[0], paddings=tf.constant([[3, 0]]), mode="REFLECT")], [np.zeros(3, np.float32)])
    assert "paddings must be no greater" in err


RESIZE_CASES = [((2, 4, 5, 3), (8, 10)), ((1, 6, 6, 2), (3, 4)), ((1, 3, 7, 1), (5, 2)),
                ((2, 1, 1, 2), (3, 3)), ((1, 5, 4, 1), (1, 1)), ((1, 4, 4, 1), (4, 4))]
RESIZE_MODES = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("modes", RESIZE_MODES, ids=lambda m: f"ac{int(m[0])}_hp{int(m[1])}")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=lambda d: d.__name__)
def test_resize(tmp_path, modes, dtype):
    ac, hp = modes
    rng = np.random.default_rng(6)
    for i, (shape, size) in enumerate(RESIZE_CASES):
        x = rand(rng, shape, dtype)
        check(tmp_path / str(i), lambda p: [
            tf.raw_ops.ResizeBilinear(images=p[0], size=size, align_corners=ac,
                                      half_pixel_centers=hp),
            tf.raw_ops.ResizeNearestNeighbor(images=p[0], size=size, align_corners=ac,
                                             half_pixel_centers=hp)], [x])


SPACE_CASES = [
    # (input shape, block, paddings)
    ((1, 4, 4, 1), [2, 2], [[0, 0], [0, 0]]),
    ((2, 5, 7, 3), [2, 3], [[1, 0], [1, 1]]),
    ((3, 6, 2), [3], [[2, 1]]),
    ((1, 2, 3, 4, 2), [2, 1], [[0, 0], [1, 2]]),  # trailing dims after the spatial ones
    ((0, 4, 4, 1), [2, 2], [[0, 0], [0, 0]]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=lambda d: d.__name__)
def test_space_to_batch_and_back(tmp_path, dtype):
    rng = np.random.default_rng(7)
    for i, (shape, block, pads) in enumerate(SPACE_CASES):
        x = rand(rng, shape, dtype)
        check(tmp_path / str(i), lambda p: [
            tf.space_to_batch_nd(p[0], block, pads),
            tf.batch_to_space(tf.space_to_batch_nd(p[0], block, pads), block, pads)], [x])
    # crops that cut into the blocks
    x = rand(rng, (8, 2, 3, 2), dtype)
    check(tmp_path / "crops", lambda p: [tf.batch_to_space(p[0], [2, 2], [[1, 0], [2, 1]])],
          [x])


def test_dilated_conv(tmp_path):
    rng = np.random.default_rng(8)
    x, w = rand(rng, (2, 11, 9, 3)), rand(rng, (3, 3, 3, 4))
    check(tmp_path / "same", lambda p: [tf.nn.atrous_conv2d(p[0], p[1], 2, "SAME")], [x, w])
    check(tmp_path / "valid", lambda p: [tf.nn.atrous_conv2d(p[0], p[1], 3, "VALID")], [x, w])


def test_space_to_batch_errors(tmp_path):
    err = cpp_error(tmp_path, lambda p: [tf.raw_ops.SpaceToBatchND(
        input=p[0], block_shape=tf.constant([3]), paddings=tf.constant([[0, 0]]))],
                    [np.zeros((1, 4, 1), np.float32)])
    assert "divisible" in err


def run_cpp_only(tmp_path, build):
    """Runs a feed-free graph in ckpt only; returns (outputs, None) or the failed process."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        outs = build()
    (tmp_path / "graph.pb").write_bytes(g.as_graph_def().SerializeToString())
    return keras_util.run_cpp(tmp_path, tmp_path / "graph.pb", {}, [o.name for o in outs],
                              check=False)


def test_hostile_sizes(tmp_path):
    # Empty tensors with huge other dims: nothing may be sized by those dims.
    got, _ = run_cpp_only(tmp_path / "topk", lambda: list(tf.math.top_k(
        tf.zeros([0, 2**40]), k=3)))
    assert got[0].shape == (0, 3) and got[1].shape == (0, 3)
    got, _ = run_cpp_only(tmp_path / "resize", lambda: [
        tf.raw_ops.ResizeBilinear(images=tf.zeros([0, 4, 4, 1]), size=[2**30, 2**30]),
        tf.raw_ops.ResizeNearestNeighbor(images=tf.zeros([1, 4, 4, 0]), size=[2**30, 2**30])])
    assert got[0].shape == (0, 2**30, 2**30, 1) and got[1].shape == (1, 2**30, 2**30, 0)
    got, _ = run_cpp_only(tmp_path / "mirror", lambda: [tf.raw_ops.MirrorPad(
        input=tf.zeros([0, 2**40]), paddings=[[0, 0], [2**39, 2**39]], mode="SYMMETRIC")])
    assert got[0].shape == (0, 2**41)
    # Sizes that overflow or cannot be allocated are errors, not crashes (values TF's graph
    # builder would reject are hidden from its shape inference).
    def hidden(v, dtype=tf.int64):
        c = tf.constant(v, dtype)
        return tf.compat.v1.placeholder_with_default(c, shape=[len(v)] + [None] * (c.shape.rank - 1))

    for name, build in [
            ("pad", lambda: [tf.raw_ops.PadV2(input=tf.zeros([2]),
                                              paddings=hidden([[2**62, 2**62]]),
                                              constant_values=1.0)]),
            ("s2b", lambda: [tf.raw_ops.SpaceToBatchND(
                input=tf.zeros([1, 4, 1]), block_shape=[2**62], paddings=[[0, 2**62 - 4]])]),
            ("b2s", lambda: [tf.raw_ops.BatchToSpaceND(
                input=tf.zeros([4, 1, 1]), block_shape=hidden([-2], tf.int32),
                crops=[[0, 0]])]),
            ("random", lambda: [tf.raw_ops.StatelessTruncatedNormalV2(
                shape=[2**62, 4], key=tf.constant([1], tf.uint64),
                counter=tf.constant([0, 0], tf.uint64), alg=1)])]:
        proc = run_cpp_only(tmp_path / name, build)
        assert not isinstance(proc, tuple), name
        assert proc.returncode == 1, (name, proc.stderr.decode(errors="replace"))


# ---- stateless random --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.__name__)
def test_stateless_normals_bit_exact(tmp_path, dtype):
    for i, (shape, seed) in enumerate([((0,), (1, 2)), ((1,), (3, 4)), ((7,), (5, 6)),
                                       ((3, 5), (-7, 123456789)), ((1000,), (0, 0)),
                                       ((2, 3, 4), (2**40, -3))]):
        seed_v = np.array(seed, np.int64)
        check(tmp_path / str(i), lambda p: [
            tf.random.stateless_truncated_normal(shape, p[0], dtype=dtype),
            tf.random.stateless_normal(shape, p[0], dtype=dtype),
            tf.random.stateless_truncated_normal(shape, p[0], mean=1.0, stddev=0.5,
                                                 dtype=dtype)], [seed_v], exact=True)


# ---- ops the encoders also use -----------------------------------------------------------------

def test_supporting_ops(tmp_path):
    rng = np.random.default_rng(9)
    x = rand(rng, (3, 5, 4))
    ids = rng.integers(0, 5, (3, 6)).astype(np.int32)
    xi = rand(rng, (4, 7), np.int32)
    check(tmp_path, lambda p: [
        tf.argmax(p[0], axis=-1), tf.argmax(p[2], axis=1, output_type=tf.int32),
        tf.math.cumsum(p[0], axis=1), tf.math.cumsum(p[0], axis=2, exclusive=True, reverse=True),
        tf.one_hot(p[1], 5), tf.gather(p[0], p[1], axis=1), tf.tile(p[0], [1, 2, 1]),
        tf.slice(p[0], [1, 0, 1], [2, -1, 2]), p[0][:, ::2, tf.newaxis, -1],
        p[0][..., 1:3], tf.cast(p[0], tf.int32), tf.cast(p[2], tf.float64),
        tf.cast(p[0] > 0, tf.float32), tf.math.rsqrt(tf.abs(p[0]) + 1.0),
        tf.math.squared_difference(p[0], p[0][:, :1]), tf.nn.softmax(p[0]),
        tf.nn.softmax(p[0], axis=1)], [x, ids, xi])


# ---- whole encoders as SavedModels -------------------------------------------------------------
# TF and Keras run in a child process: modules collected in the same run (keras_util) may have
# turned eager execution off, which SavedModel export needs on.

EXPORT_PRELUDE = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
SEQ, HIDDEN, HEADS, VOCAB = 8, 16, 2, 20
out = sys.argv[1]


def finish(x):
    fn = tf.saved_model.load(out + "/model").signatures["serving_default"]
    (key,) = fn.structured_input_signature[1].keys()
    want = {k: v.numpy() for k, v in fn(**{key: tf.constant(x)}).items()}
    np.save(out + "/x.npy", x)
    np.savez(out + "/want.npz", **want)
    with open(out + "/key", "w") as f:
        f.write(key)
"""

KERAS_ENCODER = """
import keras
keras.utils.set_random_seed(0)
tokens = keras.Input((SEQ,), dtype="int32")
h = keras.layers.Embedding(VOCAB, HIDDEN)(tokens)
att = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=HIDDEN // HEADS)(h, h)
h = keras.layers.LayerNormalization(epsilon=1e-6)(h + att)
ff = keras.layers.Dense(2 * HIDDEN, activation="gelu")(h)
ff = keras.layers.Dense(HIDDEN)(ff)
model = keras.Model(tokens, keras.layers.LayerNormalization(epsilon=1e-6)(h + ff))
model.export(out + "/model")
finish(np.random.default_rng(10).integers(0, VOCAB, (3, SEQ)).astype(np.int32))
"""

BERT_MODULE = """
rng = np.random.default_rng(11)


def var(*shape):
    return tf.Variable(rng.normal(0, 0.3, shape).astype(np.float32))


def norm(x, gamma):
    mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + 1e-12) * gamma


class Encoder(tf.Module):
    def __init__(self):
        super().__init__()
        d = HIDDEN // HEADS
        self.emb, self.pos = var(VOCAB, HIDDEN), var(SEQ, HIDDEN)
        self.wq, self.wk, self.wv = var(HIDDEN, HEADS, d), var(HIDDEN, HEADS, d), \\
            var(HIDDEN, HEADS, d)
        self.wo = var(HEADS, d, HIDDEN)
        self.w1, self.b1 = var(HIDDEN, 4 * HIDDEN), var(4 * HIDDEN)
        self.w2, self.b2 = var(4 * HIDDEN, HIDDEN), var(HIDDEN)
        self.g1, self.g2 = var(HIDDEN), var(HIDDEN)

    @tf.function(input_signature=[tf.TensorSpec([None, SEQ], tf.int32, name="ids")])
    def __call__(self, ids):
        h = tf.gather(self.emb, ids) + self.pos
        q = tf.einsum("bsh,hnd->bnsd", h, self.wq)
        k = tf.einsum("bsh,hnd->bnsd", h, self.wk)
        v = tf.einsum("bsh,hnd->bnsd", h, self.wv)
        scores = tf.matmul(q, k, transpose_b=True) / np.sqrt(HIDDEN // HEADS)
        ctx = tf.matmul(tf.nn.softmax(scores), v)
        h = norm(h + tf.einsum("bnsd,ndh->bsh", ctx, self.wo), self.g1)
        f = tf.matmul(h, self.w1) + self.b1
        f = 0.5 * f * (1.0 + tf.math.erf(f / np.sqrt(2.0)))
        f = tf.einsum("bsf,fh->bsh", f, self.w2) + self.b2
        return {"hidden": norm(h + f, self.g2), "top": tf.math.top_k(h[:, 0, :], k=3).indices}


m = Encoder()
tf.saved_model.save(m, out + "/model", signatures={"serving_default": m.__call__})
finish(rng.integers(0, VOCAB, (2, SEQ)).astype(np.int32))
"""


def export_and_compare(tmp_path, body):
    """Runs PRELUDE + body in a child Python (it writes model/, x.npy, want.npz, key), then
    `ckpt run DIR --signature serving_default --feed KEY=@x.npy --json`; every output must
    match TF's to 1e-4."""
    script = tmp_path / "export.py"
    script.write_text(EXPORT_PRELUDE + body)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    key = (tmp_path / "key").read_text()
    proc = subprocess.run([str(ckpt_cli()), "run", str(tmp_path / "model"), "--signature",
                           "serving_default", "--feed", f"{key}=@{tmp_path / 'x.npy'}",
                           "--json"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    got = {k: np.asarray(v) for k, v in json.loads(proc.stdout)["outputs"].items()}
    want = dict(np.load(tmp_path / "want.npz"))
    assert set(got) == set(want)
    for k, w in want.items():
        if np.issubdtype(w.dtype, np.floating):
            np.testing.assert_allclose(got[k].reshape(w.shape), w, rtol=1e-4, atol=1e-4,
                                       err_msg=k)
        else:
            np.testing.assert_array_equal(got[k].reshape(w.shape), w, err_msg=k)


def test_keras_encoder_block_export(tmp_path):
    pytest.importorskip("keras")
    export_and_compare(tmp_path, KERAS_ENCODER)


def test_bert_style_module_export(tmp_path):
    export_and_compare(tmp_path, BERT_MODULE)

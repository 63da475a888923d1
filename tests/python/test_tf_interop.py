"""Byte-level compatibility of ckpt's TensorBundle (checkpoint V2) code with real TensorFlow.

Both directions are checked against TensorFlow itself, never against our own idea of the format:
  * TensorFlow writes (tf.raw_ops.SaveV2, tf.compat.v1.train.Saver incl. partitioned variables and
    multi-device sharded saves, tf.train.Checkpoint); `ckpt_interop read` (CheckpointReader /
    BundleReader) must give exactly the bytes TensorFlow held in memory.
  * ckpt writes (`ckpt_interop write` from a JSON spec of numpy values, `ckpt_interop merge`);
    tf.train.load_checkpoint, tf.raw_ops.RestoreV2 and Saver.restore into graph variables must
    give exactly the bytes we wrote.
  * Writing the same tensors in the same order gives byte-identical .index and .data files.

Values come from numpy with a fixed seed plus two random seeds per run (printed in the test ids;
set CKPT_INTEROP_SEEDS="1,2,3" to replay).
"""
import base64
import glob
import json
import os
import pathlib
import secrets

import numpy as np
import pytest

# --------------------------------------------------------------------------------------------
# dtypes

# Every dtype TensorFlow can checkpoint, by its Python name. Quantized types have no numpy
# counterpart; they are built from their storage integer type and tf.bitcast.
FLOAT_DTYPES = ["float16", "float32", "float64", "bfloat16"]
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
QUANTIZED = {"qint8": "int8", "quint8": "uint8", "qint16": "int16", "quint16": "uint16",
             "qint32": "int32"}
# Sub-byte and 8-bit float types: one byte per element; value range of the low bits.
NARROW_INT_RANGE = {"int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1), "uint2": (0, 3)}
FLOAT8_DTYPES = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
                 "float8_e5m2fnuz", "float4_e2m1fn"]
POD_DTYPES = (FLOAT_DTYPES + INT_DTYPES + ["bool", "complex64", "complex128"] +
              list(QUANTIZED) + list(NARROW_INT_RANGE) + FLOAT8_DTYPES)
ALL_DTYPES = POD_DTYPES + ["string"]
# Dtypes whose partitioned (sliced) tensors TensorFlow's own reader can assemble.
TF_SLICEABLE = ["float32", "float64", "int32", "uint8", "int16", "int8", "complex64",
                "complex128", "int64", "bool", "qint32", "quint8", "qint8", "bfloat16"]
# Dtypes a graph-mode resource variable can be restored into by Saver.restore on CPU.
VARIABLE_DTYPES = (FLOAT_DTYPES + INT_DTYPES + ["bool", "complex64", "complex128", "string",
                                                 "qint8", "quint8", "qint32", "float8_e4m3fn",
                                                 "int4"])


def _seeds():
    env = os.environ.get("CKPT_INTEROP_SEEDS")
    if env:
        return [int(s) for s in env.split(",") if s.strip()]
    return [20261125] + [secrets.randbelow(2**31) for _ in range(2)]


SEEDS = _seeds()


def np_dtype(tf, name):
    """numpy dtype holding the storage of `name` (quantized types: their integer type)."""
    if name in QUANTIZED:
        return np.dtype(QUANTIZED[name])
    if name == "string":
        return np.dtype(object)
    return np.dtype(tf.as_dtype(name).as_numpy_dtype)


# --------------------------------------------------------------------------------------------
# random values


def random_strings(rng, count):
    out = []
    for i in range(count):
        kind = rng.integers(0, 6)
        if kind == 0:
            out.append(b"")
        elif kind == 1:
            out.append(b"\x00" * int(rng.integers(1, 4)))
        elif kind == 2:  # long enough for a multi-byte varint length
            out.append(rng.integers(0, 256, size=int(rng.integers(128, 400)),
                                    dtype=np.uint8).tobytes())
        elif kind == 3:
            out.append("wörter ✓ 日本".encode())
        else:
            out.append(rng.integers(0, 256, size=int(rng.integers(1, 20)),
                                    dtype=np.uint8).tobytes())
    return out


def random_array(tf, rng, name, shape):
    """A C-ordered numpy array of storage type np_dtype(name) (object array of bytes for
    strings), including special values where the type has them."""
    n = int(np.prod(shape, dtype=np.int64))
    if name == "string":
        return np.array(random_strings(rng, n) or [], dtype=object).reshape(shape)
    dt = np_dtype(tf, name)
    if name in FLOAT_DTYPES:
        vals = rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))
        specials = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0]
        for i in range(min(n, len(specials))):
            vals[rng.integers(0, n)] = specials[i]
        return vals.astype(dt).reshape(shape)
    if name in ("complex64", "complex128"):
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt).reshape(shape)
    if name == "bool":
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if name in NARROW_INT_RANGE:
        lo, hi = NARROW_INT_RANGE[name]
        return rng.integers(lo, hi + 1, n).astype(dt).reshape(shape)
    if name in FLOAT8_DTYPES:
        bits = rng.integers(0, 16 if name == "float4_e2m1fn" else 256, n, dtype=np.uint8)
        return bits.view(dt).reshape(shape)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True).reshape(shape)


def to_tf(tf, name, arr):
    if name in QUANTIZED:
        return tf.bitcast(tf.constant(arr), tf.as_dtype(name))
    if name == "string":
        return tf.convert_to_tensor(arr, dtype=tf.string)
    return tf.constant(arr, dtype=tf.as_dtype(name))


NAME_PARTS = ["w", "bias", "layer_1", "Dense", "kernel", "emb", "gewicht_ä", "日本語", "Ω", "ß",
              "x.y", "a-b", "🙂", "β1", "part", "Adam", "m", "v", "0"]


class Names:
    """Unique random variable names with '/' scopes and non-ASCII characters."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def __call__(self, hint):
        while True:
            depth = int(self.rng.integers(0, 4))
            parts = [NAME_PARTS[i] for i in self.rng.integers(0, len(NAME_PARTS), depth)]
            name = "/".join(parts + [f"{hint}_{len(self.used)}"])
            if name not in self.used:
                self.used.add(name)
                return name


def random_shape(rng):
    rank = int(rng.integers(1, 4))
    return tuple(int(d) for d in rng.integers(1, 6, rank))


class Var:
    """One logical tensor: full value plus, for partitioned ones, its slices."""

    def __init__(self, name, dtype, value, slices=None):
        self.name, self.dtype, self.value = name, dtype, value
        self.slices = slices  # list of (spec "0,2:0,4", sub-array) or None

    @property
    def shape(self):
        return list(self.value.shape)


def slice_specs(shape, rng, axis=None):
    """Splits `shape` along one axis into 2-3 pieces; returns [(spec, index tuple)]. The
    other dimensions are either all explicit ("0,size", as Python's SaveSliceInfo writes them)
    or all "-" (full extent), chosen at random."""
    if axis is None:
        axis = int(rng.integers(0, len(shape)))
    dash = bool(rng.integers(0, 2))
    n = shape[axis]
    cuts = sorted(set(int(c) for c in rng.integers(1, n, size=2))) if n > 1 else []
    bounds = [0] + cuts + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        spec = ":".join(f"{lo},{hi - lo}" if d == axis else ("-" if dash else f"0,{shape[d]}")
                        for d in range(len(shape)))
        index = tuple(slice(lo, hi) if d == axis else slice(None) for d in range(len(shape)))
        out.append((spec, index))
    return out


def make_variety(tf, seed, *, large=True, partitioned_dtypes=POD_DTYPES):
    """Every dtype as scalar, random shape and empty tensor; a large float32; partitioned
    tensors. Returns a list of Var in a random order."""
    rng = np.random.default_rng(seed)
    names = Names(rng)
    out = []
    for dt in ALL_DTYPES:
        empty = list(random_shape(rng))
        empty[int(rng.integers(0, len(empty)))] = 0
        for shape in [(), random_shape(rng), tuple(empty)]:
            out.append(Var(names(dt), dt, random_array(tf, rng, dt, shape)))
        if dt == "string":
            out.append(Var(names("empty_strings"), dt, np.array([b"", b"", b"\x00"], dtype=object)))
            out.append(Var(names("empty_scalar"), dt, np.array(b"", dtype=object)))
    if large:
        out.append(Var(names("large"), "float32",
                       random_array(tf, rng, "float32", (1024, 1024 + int(rng.integers(0, 64))))))
    for dt in partitioned_dtypes:
        shape = (int(rng.integers(3, 9)), int(rng.integers(2, 5)))
        value = random_array(tf, rng, dt, shape)
        specs = slice_specs(shape, rng)
        out.append(Var(names(dt + "_part"), dt, value,
                       [(spec, np.ascontiguousarray(value[idx])) for spec, idx in specs]))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


# --------------------------------------------------------------------------------------------
# comparing


def value_bytes(arr):
    return np.ascontiguousarray(arr).tobytes()


def as_array(x):
    """numpy array of `x`; a bare bytes value (a string scalar from TF) becomes a 0-d object
    array, since numpy's fixed-width bytes type would drop trailing NUL bytes."""
    if isinstance(x, bytes):
        return np.array(x, dtype=object)
    return np.asarray(x)


def value_strings(arr):
    return [bytes(s) for s in as_array(arr).astype(object).reshape(-1)]


def assert_same_value(where, dtype, expected, got):
    """`expected`, `got`: numpy arrays (object arrays of bytes for strings)."""
    got = as_array(got)
    assert list(np.shape(got)) == list(np.shape(expected)), f"{where}: shape"
    if dtype == "string":
        assert value_strings(got) == value_strings(expected), f"{where}: strings differ"
    else:
        assert value_bytes(got) == value_bytes(expected), f"{where}: bytes differ"


def cpp_read(tool, prefix):
    proc = tool.run("read", prefix)
    doc = json.loads(proc.stdout)
    out = {}
    for v in doc["variables"]:
        name = bytes.fromhex(v["name_hex"]).decode("utf-8")
        assert name not in out, f"duplicate variable {name!r}"
        out[name] = v
    return doc, out


def check_cpp_entry(where, entry, dtype, expected):
    assert entry["dtype"] == dtype, f"{where}: dtype {entry['dtype']} != {dtype}"
    assert entry["shape"] == list(np.shape(expected)), f"{where}: shape"
    if dtype == "string":
        got = [bytes.fromhex(h) for h in entry["strings_hex"]]
        assert got == value_strings(expected), f"{where}: strings differ"
    else:
        assert bytes.fromhex(entry["data_hex"]) == value_bytes(expected), f"{where}: bytes differ"


def spec_of(variables, encoding="hex"):
    def payload(dtype, arr):
        if dtype == "string":
            return {"strings_hex": [s.hex() for s in value_strings(arr)]}
        raw = value_bytes(arr)
        if encoding == "b64":
            return {"data_b64": base64.b64encode(raw).decode()}
        return {"data_hex": raw.hex()}

    entries = []
    for v in variables:
        e = {"name_hex": v.name.encode().hex(), "dtype": v.dtype}
        if v.slices is None:
            e["shape"] = v.shape
            e.update(payload(v.dtype, v.value))
        else:
            e["full_shape"] = v.shape
            e["slices"] = [dict(spec=spec, **payload(v.dtype, sub)) for spec, sub in v.slices]
        entries.append(e)
    return {"entries": entries}


def cpp_write(tool, tmp_path, variables, prefix, encoding="hex"):
    spec = tmp_path / (pathlib.Path(prefix).name + ".spec.json")
    spec.write_text(json.dumps(spec_of(variables, encoding)))
    tool.run("write", spec, prefix)


def tf_savev2(tf, prefix, variables):
    """One SaveV2 call; partitioned tensors are passed as one (name, "shape spec") per slice,
    as Saver does."""
    names, specs, tensors = [], [], []
    for v in variables:
        if v.slices is None:
            names.append(v.name), specs.append(""), tensors.append(to_tf(tf, v.dtype, v.value))
        else:
            full = " ".join(str(d) for d in v.shape)
            for spec, sub in v.slices:
                names.append(v.name)
                specs.append(f"{full} {spec}")
                tensors.append(to_tf(tf, v.dtype, sub))
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=specs,
                      tensors=tensors)


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def index_header(prefix):
    """The BundleHeaderProto of PREFIX.index, parsed independently of ckpt: the first entry of
    the first table block has the empty key (shared 0, unshared 0) and the header as value."""
    from tensorflow.core.protobuf import tensor_bundle_pb2
    raw = pathlib.Path(str(prefix) + ".index").read_bytes()
    shared, pos = _varint(raw, 0)
    unshared, pos = _varint(raw, pos)
    value_len, pos = _varint(raw, pos)
    assert (shared, unshared) == (0, 0), "first index entry is not the header"
    header = tensor_bundle_pb2.BundleHeaderProto()
    header.ParseFromString(raw[pos:pos + value_len])
    return header


def data_files(prefix):
    return sorted(glob.glob(glob.escape(str(prefix)) + ".data-*-of-*"))


# --------------------------------------------------------------------------------------------
# TensorFlow writes, ckpt reads


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_cpp_reads_tf_savev2_every_dtype(tf, ckpt_interop, tmp_path, seed):
    variables = make_variety(tf, seed)
    prefix = tmp_path / "tf" / "model.ckpt"
    tf_savev2(tf, prefix, variables)

    doc, got = cpp_read(ckpt_interop, prefix)
    assert doc["format"] == "V2"
    assert doc["num_shards"] == 1
    assert sorted(got) == sorted(v.name for v in variables)
    for v in variables:
        entry = got[v.name]
        check_cpp_entry(v.name, entry, v.dtype, v.value)
        if v.slices is None:
            assert entry["slices"] == []
        else:
            assert sorted(entry["slices"]) == sorted(spec for spec, _ in v.slices), v.name


def _graph_session(tf, graph, cpus=1):
    config = tf.compat.v1.ConfigProto(device_count={"CPU": cpus})
    return tf.compat.v1.Session(graph=graph, config=config)


@pytest.mark.parametrize("seed", SEEDS[:2], ids=lambda s: f"seed{s}")
def test_cpp_reads_tf_saver_sharded_partitioned(tf, ckpt_interop, tmp_path, seed):
    """tf.compat.v1 Saver(sharded=True) over three CPU devices with partitioned variables."""
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    expected = {}  # checkpoint name -> (dtype, fetchable)
    partitions = {}  # checkpoint name -> [spec]
    var_list = {}  # checkpoint name (may be non-ASCII, unlike op names) -> variable
    with graph.as_default():
        for dev in range(3):
            with tf.device(f"/cpu:{dev}"):
                for dt in ["float32", "int64", "float16", "bfloat16", "string", "bool",
                           "complex128", "uint8"][dev::3]:
                    shape = random_shape(rng)
                    val = random_array(tf, rng, dt, shape)
                    var = tf.compat.v1.get_variable(f"dev{dev}/{dt}",
                                                    initializer=to_tf(tf, dt, val))
                    name = f"dev{dev}/scope/{dt}_ü日"
                    expected[name] = (dt, var)
                    var_list[name] = var
                shape = (int(rng.integers(4, 12)), int(rng.integers(2, 6)))
                axis = dev % 2
                pv = tf.compat.v1.get_variable(
                    f"dev{dev}/partitioned", shape=shape, dtype=tf.float32,
                    initializer=tf.compat.v1.random_normal_initializer(seed=seed + dev),
                    partitioner=tf.compat.v1.fixed_size_partitioner(3, axis=axis))
                expected[f"dev{dev}/partitioned"] = ("float32", pv.as_tensor())
                partitions[f"dev{dev}/partitioned"] = [
                    p._save_slice_info.spec.split(" ")[-1] for p in pv]
                var_list[f"dev{dev}/partitioned"] = pv
        saver = tf.compat.v1.train.Saver(var_list=var_list, sharded=True)
        init = tf.compat.v1.global_variables_initializer()
    (tmp_path / "tf").mkdir()
    with _graph_session(tf, graph, cpus=3) as sess:
        sess.run(init)
        prefix = saver.save(sess, str(tmp_path / "tf" / "model"), write_meta_graph=False,
                            write_state=False)
        values = sess.run({k: v for k, (_, v) in expected.items()})

    files = data_files(prefix)
    assert len(files) == 3 and all(f.endswith("-of-00003") for f in files), files
    assert index_header(prefix).num_shards == 3
    doc, got = cpp_read(ckpt_interop, prefix)
    assert doc["num_shards"] == 3
    assert sorted(got) == sorted(expected)
    for name, (dt, _) in expected.items():
        check_cpp_entry(name, got[name], dt, as_array(values[name]))
    for name, specs in partitions.items():
        assert sorted(got[name]["slices"]) == sorted(specs), name


def test_cpp_reads_tf2_object_checkpoint(tf, ckpt_interop, tmp_path):
    """tf.train.Checkpoint: escaped object-graph keys and the _CHECKPOINTABLE_OBJECT_GRAPH
    string; TensorFlow's own reader is the oracle for every key."""
    rng = np.random.default_rng(7)

    class Layer(tf.Module):
        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable(random_array(tf, rng, "float32", (5, 3)))
            self.bias_ß = tf.Variable(random_array(tf, rng, "float64", (3,)))
            self.steps = tf.Variable(np.int64(12345))
            self.table = tf.Variable(tf.constant([b"a\x00b", b"", "ü".encode()]))

    root = tf.Module()
    root.layers = [Layer(), Layer()]
    root.emb = {"a/b.c": tf.Variable(random_array(tf, rng, "bfloat16", (4, 2)))}
    ckpt = tf.train.Checkpoint(model=root, opt_step=tf.Variable(np.int32(3)))
    prefix = ckpt.write(str(tmp_path / "tf2" / "ckpt"))

    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    doc, got = cpp_read(ckpt_interop, prefix)
    assert sorted(got) == sorted(dtypes)
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in got
    assert any(k.startswith("model/emb/a.Sb..c/") for k in got), sorted(got)
    for name, dt in dtypes.items():
        check_cpp_entry(name, got[name], dt.name, as_array(reader.get_tensor(name)))
    # The object graph parses as TensorFlow's proto and names our variables.
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(bytes.fromhex(got["_CHECKPOINTABLE_OBJECT_GRAPH"]["strings_hex"][0]))
    keys = {a.checkpoint_key for n in graph.nodes for a in n.attributes}
    assert keys == set(got) - {"_CHECKPOINTABLE_OBJECT_GRAPH"}


# --------------------------------------------------------------------------------------------
# ckpt writes, TensorFlow reads


def check_tf_reader(tf, prefix, variables):
    reader = tf.train.load_checkpoint(str(prefix))
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    assert sorted(shapes) == sorted(v.name for v in variables)
    for v in variables:
        assert shapes[v.name] == v.shape, v.name
        assert dtypes[v.name].name == v.dtype, v.name
        got = reader.get_tensor(v.name)
        assert_same_value(f"tf reader {v.name}", v.dtype, v.value, got)


def check_tf_restorev2(tf, prefix, variables):
    """RestoreV2 of every tensor as a whole, and of every stored slice by its spec."""
    names, specs, dtypes, expected = [], [], [], []
    for v in variables:
        names.append(v.name), specs.append(""), dtypes.append(tf.as_dtype(v.dtype))
        expected.append(v.value)
        for spec, sub in v.slices or []:
            names.append(v.name)
            specs.append(" ".join(str(d) for d in v.shape) + " " + spec)
            dtypes.append(tf.as_dtype(v.dtype))
            expected.append(sub)
    restored = tf.raw_ops.RestoreV2(prefix=str(prefix), tensor_names=names,
                                    shape_and_slices=specs, dtypes=dtypes)
    for name, spec, exp, t in zip(names, specs, expected, restored):
        assert_same_value(f"RestoreV2 {name} [{spec}]", t.dtype.name, exp, t.numpy())


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_tf_reads_cpp_bundle_every_dtype(tf, ckpt_interop, tmp_path, seed):
    variables = make_variety(tf, seed, partitioned_dtypes=TF_SLICEABLE)
    prefix = tmp_path / "cpp" / "model.ckpt"
    cpp_write(ckpt_interop, tmp_path, variables, prefix, encoding="b64" if seed % 2 else "hex")
    assert [pathlib.Path(f).name for f in data_files(prefix)] == ["model.ckpt.data-00000-of-00001"]
    check_tf_reader(tf, prefix, variables)
    check_tf_restorev2(tf, prefix, variables)


def _restore_with_saver(tf, prefix, variables, partitioned):
    """Graph-mode Saver.restore into freshly created (zero) variables; returns name -> value.
    `partitioned`: name -> (shape, dtype, num_partitions, axis) restored into a TF partitioned
    variable (whose partitioning may differ from the stored slices)."""
    graph = tf.Graph()
    with graph.as_default():
        var_list, fetch = {}, {}
        for v in variables:
            if v.dtype == "string":
                init = tf.convert_to_tensor(np.full(v.value.shape, b"zzz", dtype=object),
                                            dtype=tf.string)
            else:
                init = tf.zeros(v.shape, dtype=tf.as_dtype(v.dtype))
            var = tf.compat.v1.get_variable(f"v{len(var_list)}", initializer=init)
            var_list[v.name] = var
            fetch[v.name] = var
        for name, (shape, dt, parts, axis) in partitioned.items():
            pv = tf.compat.v1.get_variable(
                f"p{len(fetch)}", shape=shape, dtype=tf.as_dtype(dt),
                initializer=tf.compat.v1.zeros_initializer(),
                partitioner=tf.compat.v1.fixed_size_partitioner(parts, axis=axis))
            var_list[name] = pv
            fetch[name] = pv.as_tensor()
        saver = tf.compat.v1.train.Saver(var_list=var_list)
    with _graph_session(tf, graph) as sess:
        saver.restore(sess, str(prefix))
        return sess.run(fetch)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_tf_saver_restores_cpp_bundle(tf, ckpt_interop, tmp_path, seed):
    rng = np.random.default_rng(seed)
    names = Names(rng)
    variables = []
    for dt in VARIABLE_DTYPES:
        for shape in [(), random_shape(rng), (0, 3)]:
            variables.append(Var(names(dt), dt, random_array(tf, rng, dt, shape)))
    # Partitioned tensors stored as 2-3 slices, restored into 3 TF partitions along either
    # axis: TF must assemble/re-cut our slices.
    stored_parts = []
    restore_into = {}
    for i, dt in enumerate(["float32", "int64", "bfloat16", "complex64", "bool"]):
        shape = (int(rng.integers(6, 12)), int(rng.integers(3, 6)))
        value = random_array(tf, rng, dt, shape)
        name = names(dt + "_part")
        stored_parts.append(Var(name, dt, value, [(s, np.ascontiguousarray(value[idx]))
                                                  for s, idx in slice_specs(shape, rng)]))
        restore_into[name] = (shape, dt, 3, i % 2)
    prefix = tmp_path / "cpp" / "model"
    cpp_write(ckpt_interop, tmp_path, variables + stored_parts, prefix)

    got = _restore_with_saver(tf, prefix, variables, restore_into)
    for v in variables + stored_parts:
        assert_same_value(f"Saver.restore {v.name}", v.dtype, v.value, got[v.name])


def test_tf_restores_cpp_partitioned_same_layout(tf, ckpt_interop, tmp_path):
    """Slices cut exactly like TF's fixed_size_partitioner, so TF reads each partition as one
    stored slice; also compares with what TF itself writes for those partitions."""
    rng = np.random.default_rng(11)
    value = random_array(tf, rng, "float32", (10, 4))
    # fixed_size_partitioner(3) on 10 rows: 4, 3, 3.
    slices = [("0,4:0,4", value[0:4]), ("4,3:0,4", value[4:7]), ("7,3:0,4", value[7:10])]
    var = Var("scope/embedding", "float32", value, slices)
    prefix = tmp_path / "cpp" / "model"
    cpp_write(ckpt_interop, tmp_path, [var], prefix)
    got = _restore_with_saver(tf, prefix, [], {var.name: ((10, 4), "float32", 3, 0)})
    assert value_bytes(got[var.name]) == value_bytes(value)

    reader = tf.train.load_checkpoint(str(prefix))
    assert reader.get_variable_to_shape_map() == {"scope/embedding": [10, 4]}
    assert value_bytes(reader.get_tensor("scope/embedding")) == value_bytes(value)


@pytest.mark.parametrize("seed", SEEDS[:2], ids=lambda s: f"seed{s}")
def test_tf_loads_merged_cpp_bundles(tf, ckpt_interop, tmp_path, seed):
    variables = make_variety(tf, seed, large=False, partitioned_dtypes=["float32", "int32"])
    rng = np.random.default_rng(seed + 1)
    half = len(variables) // 2
    first, second = variables[:half], variables[half:]
    # One partitioned tensor whose slices live in different input bundles.
    shape = (9, 3)
    value = random_array(tf, rng, "float64", shape)
    specs = slice_specs(shape, rng, axis=0)
    split = Var("split/across/bundles", "float64", value,
                [(s, np.ascontiguousarray(value[idx])) for s, idx in specs])
    part_a = Var(split.name, "float64", value, split.slices[:1])
    part_b = Var(split.name, "float64", value, split.slices[1:])

    cpp_write(ckpt_interop, tmp_path, first + [part_a], tmp_path / "in" / "a")
    cpp_write(ckpt_interop, tmp_path, second + [part_b], tmp_path / "in" / "b")
    merged = tmp_path / "out" / "merged"
    ckpt_interop.run("merge", merged, tmp_path / "in" / "a", tmp_path / "in" / "b")

    assert [pathlib.Path(f).name for f in data_files(merged)] == [
        "merged.data-00000-of-00002", "merged.data-00001-of-00002"]
    header = index_header(merged)
    assert header.num_shards == 2 and header.version.producer == 1
    assert not (tmp_path / "in" / "a.index").exists()
    assert not (tmp_path / "in" / "b.index").exists()
    everything = variables + [split]
    check_tf_reader(tf, merged, everything)
    check_tf_restorev2(tf, merged, everything)
    doc, got = cpp_read(ckpt_interop, merged)
    assert doc["num_shards"] == 2
    assert sorted(got[split.name]["slices"]) == sorted(s for s, _ in specs)


# --------------------------------------------------------------------------------------------
# byte identity


@pytest.mark.parametrize("seed", SEEDS[:2], ids=lambda s: f"seed{s}")
def test_cpp_writes_byte_identical_files(tf, ckpt_interop, tmp_path, seed):
    """Same tensors added in the same order: ckpt's .index and .data equal TensorFlow's."""
    variables = make_variety(tf, seed, large=True, partitioned_dtypes=POD_DTYPES)
    tf_prefix = tmp_path / "tf" / "model"
    cpp_prefix = tmp_path / "cpp" / "model"
    tf_savev2(tf, tf_prefix, variables)
    cpp_write(ckpt_interop, tmp_path, variables, cpp_prefix)
    tf_data = pathlib.Path(data_files(tf_prefix)[0]).read_bytes()
    cpp_data = pathlib.Path(data_files(cpp_prefix)[0]).read_bytes()
    assert len(cpp_data) == len(tf_data)
    assert cpp_data == tf_data
    tf_index = pathlib.Path(str(tf_prefix) + ".index").read_bytes()
    cpp_index = pathlib.Path(str(cpp_prefix) + ".index").read_bytes()
    assert cpp_index == tf_index


def test_cpp_index_identical_with_many_entries(tf, ckpt_interop, tmp_path):
    """Thousands of small entries: several index data blocks, separators and restarts."""
    rng = np.random.default_rng(3)
    names = Names(rng)
    variables = [Var(names("many") + "/" + "x" * int(rng.integers(0, 200)), "int32",
                     random_array(tf, rng, "int32", (int(rng.integers(0, 3)),)))
                 for _ in range(6000)]
    tf_prefix = tmp_path / "tf" / "model"
    cpp_prefix = tmp_path / "cpp" / "model"
    tf_savev2(tf, tf_prefix, variables)
    cpp_write(ckpt_interop, tmp_path, variables, cpp_prefix)
    tf_index = pathlib.Path(str(tf_prefix) + ".index").read_bytes()
    assert len(tf_index) > 2 * 262144  # more than one 256 KiB block
    doc, got = cpp_read(ckpt_interop, tf_prefix)
    assert sorted(got) == sorted(v.name for v in variables)
    for v in variables:
        check_cpp_entry(v.name, got[v.name], "int32", v.value)
    assert pathlib.Path(str(cpp_prefix) + ".index").read_bytes() == tf_index
    assert (pathlib.Path(data_files(cpp_prefix)[0]).read_bytes() ==
            pathlib.Path(data_files(tf_prefix)[0]).read_bytes())


# --------------------------------------------------------------------------------------------
# V1 (TensorSlice tables), errors, alignment, object-based restore

V1_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
             "uint16", "bool", "complex64", "complex128", "string", "qint8", "quint8", "qint32"]


@pytest.mark.parametrize("seed", SEEDS[:2], ids=lambda s: f"seed{s}")
def test_cpp_reads_tf_v1_checkpoints(tf, ckpt_interop, tmp_path, seed):
    """Checkpoint format V1: a SaveSlices file with every dtype it can hold (whole tensors and
    partitioned ones), and a sharded V1 Saver (pattern prefix)."""
    rng = np.random.default_rng(seed)
    names = Names(rng)
    variables = []
    for dt in V1_DTYPES:
        for shape in [(), random_shape(rng), (2, 0)]:
            variables.append(Var(names(dt), dt, random_array(tf, rng, dt, shape)))
    # (TF cannot read partitioned V1 string tensors: "Sliced checkpoints are not supported".)
    for dt in ["float32", "int64", "bool", "float16", "complex128", "qint32"]:
        shape = (int(rng.integers(3, 9)), int(rng.integers(2, 5)))
        value = random_array(tf, rng, dt, shape)
        variables.append(Var(names(dt + "_part"), dt, value,
                             [(s, value[idx]) for s, idx in slice_specs(shape, rng)]))
    names_, specs, tensors = [], [], []
    for v in variables:
        for spec, sub in v.slices or [("", v.value)]:
            names_.append(v.name)
            specs.append(" ".join(str(d) for d in v.shape) + " " + spec if spec else "")
            tensors.append(to_tf(tf, v.dtype, sub))
    path = tmp_path / "v1" / "model"
    path.parent.mkdir()
    tf.raw_ops.SaveSlices(filename=str(path), tensor_names=names_, shapes_and_slices=specs,
                          data=tensors)
    doc, got = cpp_read(ckpt_interop, path)
    assert doc["format"] == "V1"
    assert sorted(got) == sorted(v.name for v in variables)
    for v in variables:
        check_cpp_entry(v.name, got[v.name], v.dtype, v.value)

    # A sharded V1 Saver over two devices: files model-0000i-of-00002, read by pattern.
    graph = tf.Graph()
    expected = {}
    with graph.as_default():
        for dev in range(2):
            with tf.device(f"/cpu:{dev}"):
                val = random_array(tf, rng, "float32", random_shape(rng))
                expected[f"dev{dev}/w"] = (val, tf.compat.v1.get_variable(
                    f"dev{dev}/w", initializer=tf.constant(val)))
        saver = tf.compat.v1.train.Saver(sharded=True,
                                         write_version=tf.compat.v1.train.SaverDef.V1)
        init = tf.compat.v1.global_variables_initializer()
    with _graph_session(tf, graph, cpus=2) as sess:
        sess.run(init)
        prefix = saver.save(sess, str(tmp_path / "v1" / "sharded"), write_meta_graph=False,
                            write_state=False)
    assert prefix.endswith("-?????-of-00002")
    doc, got = cpp_read(ckpt_interop, prefix)
    assert doc["format"] == "V1"
    assert sorted(got) == sorted(expected)
    for name, (val, _) in expected.items():
        check_cpp_entry(name, got[name], "float32", val)


def test_corrupt_tf_bundle_is_reported(tf, ckpt_interop, tmp_path):
    """A flipped byte inside one tensor of a TF-written bundle: TF refuses it, and so does
    ckpt, with DATA_LOSS naming the key."""
    rng = np.random.default_rng(5)
    variables = [Var(f"v{i}", "float32", random_array(tf, rng, "float32", (64,)))
                 for i in range(4)]
    prefix = tmp_path / "tf" / "model"
    tf_savev2(tf, prefix, variables)
    data = pathlib.Path(data_files(prefix)[0])
    raw = bytearray(data.read_bytes())
    raw[2 * 256 + 17] ^= 0x40  # inside v2 (tensors are stored in name order, 256 bytes each)
    data.write_bytes(bytes(raw))

    with pytest.raises(Exception, match="Checksum does not match"):
        tf.train.load_checkpoint(str(prefix)).get_tensor("v2")
    proc = ckpt_interop.run("read", prefix, check=False)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "DATA_LOSS" in err and "v2" in err, err


def test_truncated_missing_and_conflicting_bundles_are_reported(tf, ckpt_interop, tmp_path):
    """Errors agree with TensorFlow's: a truncated data file (DATA_LOSS naming key and file),
    a missing checkpoint (NOT_FOUND), merging bundles with the same key (TF's
    MergeV2Checkpoints refuses too)."""
    variables = [Var("a", "float32", np.arange(100, dtype=np.float32)),
                 Var("b", "int64", np.arange(50, dtype=np.int64))]
    prefix = tmp_path / "tf" / "model"
    tf_savev2(tf, prefix, variables)
    data = pathlib.Path(data_files(prefix)[0])
    assert data.stat().st_size == 800
    os.truncate(data, 500)  # "b" occupies [400, 800)
    with pytest.raises(Exception):
        tf.train.load_checkpoint(str(prefix)).get_tensor("b")
    proc = ckpt_interop.run("read", prefix, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert "DATA_LOSS" in err and "key b" in err and data.name in err, err

    proc = ckpt_interop.run("read", tmp_path / "nowhere" / "model", check=False)
    assert proc.returncode == 1 and "NOT_FOUND" in proc.stderr.decode()

    cpp_write(ckpt_interop, tmp_path, variables, tmp_path / "x" / "one")
    cpp_write(ckpt_interop, tmp_path, variables[:1], tmp_path / "x" / "two")
    with pytest.raises(Exception):
        tf.raw_ops.MergeV2Checkpoints(
            checkpoint_prefixes=[str(tmp_path / "x" / "one"), str(tmp_path / "x" / "two")],
            destination_prefix=str(tmp_path / "x" / "tf_merged"))
    proc = ckpt_interop.run("merge", tmp_path / "x" / "merged", tmp_path / "x" / "one",
                            tmp_path / "x" / "two", check=False)
    assert proc.returncode == 1
    assert "INVALID_ARGUMENT" in proc.stderr.decode() and "'a'" in proc.stderr.decode()
    assert not (tmp_path / "x" / "merged.index").exists()


def test_tf_reads_cpp_aligned_bundle(tf, ckpt_interop, tmp_path):
    """data_alignment > 1 pads between tensors; TF reads by offset and must not care."""
    variables = make_variety(tf, 99, large=False, partitioned_dtypes=["float32", "int8"])
    prefix = tmp_path / "cpp" / "aligned"
    spec = tmp_path / "aligned.json"
    spec.write_text(json.dumps(spec_of(variables)))
    ckpt_interop.run("write", spec, prefix, "--alignment", 64)
    plain = tmp_path / "cpp" / "plain"
    cpp_write(ckpt_interop, tmp_path, variables, plain)
    assert (pathlib.Path(data_files(prefix)[0]).stat().st_size >
            pathlib.Path(data_files(plain)[0]).stat().st_size)
    check_tf_reader(tf, prefix, variables)
    check_tf_restorev2(tf, prefix, variables)


def test_tf2_checkpoint_restores_cpp_rewrite(tf, ckpt_interop, tmp_path):
    """tf.train.Checkpoint.restore of a bundle written by ckpt: every tensor of a TF2
    checkpoint (object graph included) read by ckpt and written again by ckpt; TF restores
    it into fresh objects, all of them matched."""
    rng = np.random.default_rng(17)

    def build(init):
        root = tf.Module()
        root.dense = tf.Module()
        root.dense.kernel = tf.Variable(init("float32", (6, 4)))
        root.dense.bias = tf.Variable(init("float64", (4,)))
        root.vocab = tf.Variable(init("string", (3,)))
        root.step = tf.Variable(init("int64", ()))
        root.half = tf.Variable(init("bfloat16", (2, 2)))
        return root

    source = build(lambda dt, shape: random_array(tf, rng, dt, shape))
    tf_prefix = tf.train.Checkpoint(model=source).write(str(tmp_path / "tf2" / "ckpt"))
    doc, got = cpp_read(ckpt_interop, tf_prefix)
    spec = {"entries": [{k: v[k] for k in ("name_hex", "dtype", "shape", "data_hex",
                                             "strings_hex") if k in v}
                        for v in doc["variables"]]}
    spec_path = tmp_path / "rewrite.json"
    spec_path.write_text(json.dumps(spec))
    cpp_prefix = tmp_path / "cpp" / "ckpt-1"
    ckpt_interop.run("write", spec_path, cpp_prefix)

    def zeros(dt, shape):
        if dt == "string":
            return np.full(shape, b"", dtype=object)
        return np.zeros(shape, dtype=np_dtype(tf, dt))

    target = build(zeros)
    status = tf.train.Checkpoint(model=target).read(str(cpp_prefix))
    status.assert_consumed()
    for a, b in [(source.dense.kernel, target.dense.kernel), (source.dense.bias, target.dense.bias),
                 (source.vocab, target.vocab), (source.step, target.step),
                 (source.half, target.half)]:
        assert_same_value(a.name, a.dtype.name, a.numpy(), b.numpy())

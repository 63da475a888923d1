"""TF2 SavedModels run by `ckpt run --signature`: models TensorFlow (2.21) and Keras 3 write
during the test (tf.saved_model.save of tf.Modules, model.export()) and the TF-written
fixtures. Every output is compared with what TensorFlow computes for the same inputs."""
import json
import pathlib
import re
import subprocess

import numpy as np
import pytest
from conftest import Tool, ckpt_cli, find_tool

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures" / "tf"


def run_signature(model_dir, key, **feeds):
    """Runs signature `key` with `ckpt run ... --json`; returns {output key: np.ndarray}."""
    args = [str(ckpt_cli()), "run", str(model_dir), "--signature", key, "--json"]
    for k, v in feeds.items():
        args += ["--feed", f"{k}={json.dumps(np.asarray(v).tolist())}"]
    proc = subprocess.run(args, capture_output=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"ckpt run {model_dir} --signature {key} failed: "
                    f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return {k: np.asarray(v) for k, v in json.loads(proc.stdout)["outputs"].items()}


def assert_matches_tf(model_dir, signature_fn, key, **feeds):
    ours = run_signature(model_dir, key, **feeds)
    theirs = {k: v.numpy() for k, v in signature_fn(**feeds).items()}
    assert set(ours) == set(theirs)
    for k, want in theirs.items():
        got = ours[k].reshape(want.shape)
        if want.dtype == object:  # TF's strings are bytes; --json prints them as text
            want = np.array([b.decode() for b in want.flat]).reshape(want.shape)
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"{key}/{k}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{key}/{k}")


@pytest.fixture(scope="module")
def module_dir(tf, tmp_path_factory):
    """A tf.Module with two variables and three signatures (one calls another tf.function,
    one updates a variable)."""

    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.5, -2.0, 0.25], [0.5, 1.0, -1.0]], name="w")
            self.b = tf.Variable([0.1, 0.2, 0.3], name="b")
            self.calls = tf.Variable(0, dtype=tf.int64, name="calls")

        @tf.function
        def hidden(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def forward(self, x):
            h = self.hidden(x)
            return {"h": h, "total": tf.reduce_sum(h, axis=1)}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32),
                                      tf.TensorSpec([], tf.float32)])
        def scaled(self, x, k):
            return {"y": self.hidden(x * k) - k}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def count(self, ids):
            self.calls.assign_add(1)
            return {"ids_plus": ids + tf.cast(self.calls, tf.int32), "calls": self.calls}

    m = Affine()
    d = tmp_path_factory.mktemp("tf2_module") / "model"
    tf.saved_model.save(m, str(d), signatures={"serving_default": m.forward,
                                               "scaled": m.scaled, "count": m.count})
    return d


def test_module_signatures_match_tf(tf, module_dir):
    loaded = tf.saved_model.load(str(module_dir))
    x = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]], np.float32)
    assert_matches_tf(module_dir, loaded.signatures["serving_default"], "serving_default", x=x)
    assert_matches_tf(module_dir, loaded.signatures["scaled"], "scaled", x=x,
                      k=np.float32(-0.5))


def test_module_stateful_signature_updates_restored_variable(tf, module_dir):
    # Each `ckpt run` restores calls = 0, so one call gives calls = 1, as TF's first call does.
    loaded = tf.saved_model.load(str(module_dir))
    ids = np.array([3, -7], np.int32)
    assert_matches_tf(module_dir, loaded.signatures["count"], "count", ids=ids)


@pytest.fixture(scope="module")
def flow_dir(tf, tmp_path_factory):
    """tf.cond, tf.while_loop (a variable read and updated in its body) and tf.switch_case
    inside a tf.function: StatelessIf / If, While, StatelessCase in the SavedModel."""

    class Flow(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(0.5, name="v")
            self.steps = tf.Variable(0, dtype=tf.int32, name="steps")

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32),
                                      tf.TensorSpec([None], tf.float32)])
        def flow(self, x, vec):
            y = tf.cond(x > 0, lambda: x * 2.0 + self.v, lambda: -x)

            def body(i, y, acc):
                self.steps.assign_add(1)
                return i + 1, y + 1.0, acc * 1.5 + self.v

            i, y, acc = tf.while_loop(lambda i, y, acc: i < tf.cast(tf.abs(x), tf.int32) + 1,
                                      body, [tf.constant(0), y, vec])
            z = tf.switch_case(tf.cast(x, tf.int32) % 3,
                               [lambda: y, lambda: y * 10.0, lambda: y - 100.0])
            return {"z": z, "acc": acc, "i": i, "steps": self.steps.read_value()}

    m = Flow()
    d = tmp_path_factory.mktemp("tf2_flow") / "model"
    tf.saved_model.save(m, str(d), signatures={"serving_default": m.flow})
    return d


@pytest.mark.parametrize("x", [2.0, -1.0, 4.0, 0.0])
def test_control_flow_v2_matches_tf(tf, flow_dir, x):
    loaded = tf.saved_model.load(str(flow_dir))  # fresh variables: steps starts at 0
    vec = np.array([1.0, -2.0, 0.25], np.float32)
    assert_matches_tf(flow_dir, loaded.signatures["serving_default"], "serving_default",
                      x=np.float32(x), vec=vec)


def test_keras_mlp_export_matches_keras(tf, tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.normal(size=(32, 6)).astype(np.float32), rng.integers(0, 3, 32),
              epochs=1, verbose=0)
    model.export(str(tmp_path / "mlp"))
    loaded = tf.saved_model.load(str(tmp_path / "mlp"))
    (key,) = [k for k in loaded.signatures if k == "serving_default"]
    fn = loaded.signatures[key]
    (in_key,) = fn.structured_input_signature[1].keys()
    x = rng.normal(size=(4, 6)).astype(np.float32)
    assert_matches_tf(tmp_path / "mlp", fn, key, **{in_key: x})


def test_keras_cnn_export_matches_keras(tf, tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(6, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(5),
    ])
    model.export(str(tmp_path / "cnn"))
    loaded = tf.saved_model.load(str(tmp_path / "cnn"))
    fn = loaded.signatures["serving_default"]
    (in_key,) = fn.structured_input_signature[1].keys()
    x = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    assert_matches_tf(tmp_path / "cnn", fn, "serving_default", **{in_key: x})


def test_fixture_half_plus_two_tf2(tf):
    d = FIXTURES / "tf2_savedmodel_half_plus_two"
    if not d.is_dir():
        pytest.skip(f"TF fixtures not found at {FIXTURES}")
    loaded = tf.saved_model.load(str(d))
    x = np.array([3.0], np.float32)
    assert_matches_tf(d, loaded.signatures["serving_default"], "serving_default", x=x)
    assert run_signature(d, "serving_default", x=x)["y"].tolist() == [3.5]  # 0.5 x + 2
    for key in ("regress_x2_to_y3", "classify_x2_to_y3"):
        assert_matches_tf(d, loaded.signatures[key], key, inputs=x)


def test_fixture_stale_shards_keras(tf):
    # TF 2.21's object loader cannot rebuild this old Keras model's optimizer, so TF's values
    # come from its graph-mode loader (the C++ loader's path: restore, then run the signature).
    d = FIXTURES / "tf2_savedmodel_stale_shards"
    if not d.is_dir():
        pytest.skip(f"TF fixtures not found at {FIXTURES}")
    x = np.random.default_rng(2).normal(size=(2, 8)).astype(np.float32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        mg = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(d))
        sig = mg.signature_def["serving_default"]
        (in_key, in_info), = sig.inputs.items()
        assert [dim.size for dim in in_info.tensor_shape.dim] == [-1, x.shape[1]]
        theirs = {k: sess.run(v.name, {in_info.name: x}) for k, v in sig.outputs.items()}
    ours = run_signature(d, "serving_default", **{in_key: x})
    assert set(ours) == set(theirs)
    for k, want in theirs.items():
        np.testing.assert_allclose(ours[k].reshape(want.shape), want, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def tables_dir(tf, tmp_path_factory):
    """A tf.Module with lookup tables: a vocabulary file (an asset) -> id table, an int64 ->
    float table from tensors, a string -> string table, and a MutableHashTable whose contents,
    inserted before saving, travel in the checkpoint."""
    root = tmp_path_factory.mktemp("tf2_tables")
    vocab = root / "vocab.txt"
    vocab.write_text("apple\nbanana\ncherry\ndate\n")

    class Tables(tf.Module):
        def __init__(self):
            super().__init__()
            self.ids = tf.lookup.StaticHashTable(
                tf.lookup.TextFileInitializer(
                    str(vocab), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                    tf.lookup.TextFileIndex.LINE_NUMBER), default_value=-1)
            self.weights = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant([3, 1, 4], tf.int64), tf.constant([0.5, -1.25, 8.0])), -2.0)
            self.names = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(["a", "b"], ["alpha", "beta"]), "?")
            self.counts = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -7)
            self.counts.insert(tf.constant(["banana", "kiwi"]), tf.constant([5, 9], tf.int64))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string),
                                      tf.TensorSpec([None], tf.int64)])
        def lookup(self, words, keys):
            ids = self.ids.lookup(words)
            return {"ids": ids, "w": self.weights.lookup(keys), "n": self.ids.size(),
                    "names": self.names.lookup(words), "counts": self.counts.lookup(words),
                    "score": tf.cast(ids, tf.float32) * self.weights.lookup(keys)}

    m = Tables()
    d = root / "model"
    tf.saved_model.save(m, str(d), signatures={"serving_default": m.lookup})
    vocab.unlink()  # the SavedModel must use its own copy (assets/vocab.txt)
    return d


def test_lookup_tables_match_tf(tf, tables_dir):
    loaded = tf.saved_model.load(str(tables_dir))
    words = np.array(["cherry", "kiwi", "apple", "a", "banana", "zzz"])
    keys = np.array([4, 2, 3, 1, 1, 0], np.int64)
    assert_matches_tf(tables_dir, loaded.signatures["serving_default"], "serving_default",
                      words=words, keys=keys)
    ours = run_signature(tables_dir, "serving_default", words=words, keys=keys)
    assert ours["ids"].tolist() == [2, -1, 0, -1, 1, -1]
    assert ours["counts"].tolist() == [-7, 9, -7, -7, 5, -7]  # restored from the checkpoint


def test_keras_string_lookup_export_matches_keras(tf, tmp_path):
    keras = pytest.importorskip("keras")
    inp = keras.Input(shape=(3,), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=["red", "green", "blue"], num_oov_indices=1)(inp)
    out = keras.layers.Embedding(5, 2, embeddings_initializer=keras.initializers.RandomNormal(
        seed=3))(ids)
    model = keras.Model(inp, [ids, out])
    model.export(str(tmp_path / "lookup"))
    loaded = tf.saved_model.load(str(tmp_path / "lookup"))
    fn = loaded.signatures["serving_default"]
    (in_key,) = fn.structured_input_signature[1].keys()
    x = np.array([["red", "blue", "pink"], ["green", "", "red"]])
    assert_matches_tf(tmp_path / "lookup", fn, "serving_default", **{in_key: x})


def test_npy_feeds_and_output_dir(tf, module_dir, tables_dir, tmp_path):
    """--feed KEY=@FILE.npy (numbers, and strings as NumPy writes them) and --output-dir, as
    saved_model_cli run --inputs/--outdir: every output lands as KEY.npy with TF's values."""
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    subprocess.run([str(ckpt_cli()), "run", str(module_dir), "--signature", "serving_default",
                    "--feed", f"x=@{tmp_path / 'x.npy'}", "--output-dir", str(out)],
                   check=True, capture_output=True, timeout=300)
    want = tf.saved_model.load(str(module_dir)).signatures["serving_default"](x=x)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{k}.npy" for k in want)
    for k, v in want.items():
        got = np.load(out / f"{k}.npy")
        assert got.dtype == v.numpy().dtype and got.shape == v.numpy().shape
        np.testing.assert_allclose(got, v.numpy(), rtol=1e-6)

    # Strings: NumPy's unicode ('<U') and bytes ('|S') arrays; string outputs come back as
    # bytes ('|S').
    words = np.array(["cherry", "kiwi", "a", "日本"])
    np.save(tmp_path / "words.npy", words)
    np.save(tmp_path / "keys.npy", np.array([4, 2, 3, 1], np.int64))
    np.save(tmp_path / "words_b.npy", np.char.encode(words, "utf-8"))
    fn = tf.saved_model.load(str(tables_dir)).signatures["serving_default"]
    want = fn(words=tf.constant(words), keys=tf.constant([4, 2, 3, 1], tf.int64))
    for feed in ("words.npy", "words_b.npy"):
        out = tmp_path / ("out_" + feed)
        subprocess.run([str(ckpt_cli()), "run", str(tables_dir), "--signature",
                        "serving_default", "--feed", f"words=@{tmp_path / feed}",
                        "--feed", f"keys=@{tmp_path / 'keys.npy'}", "--output-dir", str(out)],
                       check=True, capture_output=True, timeout=300)
        assert np.load(out / "names.npy").tolist() == want["names"].numpy().tolist()
        np.testing.assert_array_equal(np.load(out / "ids.npy"), want["ids"].numpy())

    # A file that is not .npy, and one of the wrong dtype, are clear errors naming the feed.
    (tmp_path / "bad.npy").write_bytes(b"this is not a numpy file")
    np.save(tmp_path / "ints.npy", np.array([[1, 2]], np.int32))
    for bad, words in (("bad.npy", "bad magic"), ("ints.npy", "int32")):
        proc = subprocess.run([str(ckpt_cli()), "run", str(module_dir), "--signature",
                               "serving_default", "--feed", f"x=@{tmp_path / bad}"],
                              capture_output=True, timeout=300)
        assert proc.returncode != 0
        err = proc.stderr.decode()
        assert bad in err and words in err, err


def tf_object_paths(tf, prefix):
    """{object path: checkpoint key} from TF's own TrackableObjectGraph proto: every path from
    the root along children, and slot variables under their variable (as ckpt names them)."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(tf.train.load_checkpoint(prefix).get_tensor(
        "_CHECKPOINTABLE_OBJECT_GRAPH"))
    paths = {0: [""]}

    def walk(node, path, on_path):
        for c in graph.nodes[node].children:
            if c.node_id in on_path:
                continue
            p = f"{path}/{c.local_name}" if path else c.local_name
            paths.setdefault(c.node_id, []).append(p)
            walk(c.node_id, p, on_path | {c.node_id})

    walk(0, "", {0})
    for i, n in enumerate(graph.nodes):
        for s in n.slot_variables:
            for vp in list(paths.get(s.original_variable_node_id, [])):
                paths.setdefault(s.slot_variable_node_id, []).append(
                    f"{vp}/.OPTIMIZER_SLOT/{paths[i][0]}/{s.slot_name}")
    out = {}
    for i, n in enumerate(graph.nodes):
        for a in n.attributes:
            for p in paths.get(i, []):
                name = p if a.name == "VARIABLE_VALUE" else f"{p}/.ATTRIBUTES/{a.name}"
                out[name] = a.checkpoint_key
    return out


def test_object_checkpoint_restores_into_cpp_graph(tf, tmp_path):
    """A Keras model's tf.train.Checkpoint (with its optimizer): `ckpt ls --objects` lists
    TF's object tree, and a dense network built with the C++ graph API restores the Keras
    weights by object path and computes Keras's outputs."""
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 3, 16), epochs=1,
              verbose=0)
    prefix = tf.train.Checkpoint(model=model, optimizer=model.optimizer).save(
        str(tmp_path / "ck" / "ckpt"))

    listed = json.loads(subprocess.run(
        [str(ckpt_cli()), "ls", "--objects", "--json", prefix], check=True,
        capture_output=True, timeout=60).stdout)["objects"]
    ours = {o["path"]: o["key"] for o in listed}
    assert ours == tf_object_paths(tf, prefix)
    shapes = dict(tf.train.list_variables(prefix))
    for o in listed:
        assert o["shape"] == shapes[o["key"]], o
    text = subprocess.run([str(ckpt_cli()), "ls", "--objects", prefix], check=True,
                          capture_output=True, timeout=60).stdout.decode()
    assert re.search(r"^save_counter +-> save_counter/\.ATTRIBUTES/VARIABLE_VALUE +int64 +\[\]$",
                     text, re.M), text

    # Which object path under model/ holds each Keras weight.
    reader = tf.train.load_checkpoint(prefix)
    name_map = {}
    for j, layer in enumerate(model.layers):
        scope = "dense" if j == 0 else f"dense_{j}"
        for weight, suffix in ((layer.kernel, "kernel"), (layer.bias, "bias")):
            (path,) = [p for p, k in ours.items() if p.startswith("model/")
                       and p.endswith(suffix) and reader.get_tensor(k).shape == weight.shape
                       and np.array_equal(reader.get_tensor(k), weight.numpy())]
            name_map[path] = f"{scope}/{suffix}"
    x = rng.normal(size=(5, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    objects_tool = Tool(find_tool("ckpt_objects_tool"))
    spec = {"layers": [[4, 8, "relu"], [8, 3, "softmax"]], "name_map": name_map,
            "x": str(tmp_path / "x.npy"), "out": str(tmp_path / "y.npy")}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    report = json.loads(objects_tool.run(prefix, tmp_path / "spec.json").stdout)
    assert sorted(report["restored"]) == sorted(name_map.values())
    assert report["missing"] == [] and report["mismatched"] == []
    assert any(u.startswith("save_counter") for u in report["unused"])
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model(x).numpy(), rtol=1e-5,
                               atol=1e-6)

    # A dry run with the two kernels swapped reports both mismatches and sets nothing.
    kernels = [p for p, v in name_map.items() if v.endswith("kernel")]
    swapped = dict(name_map)
    swapped[kernels[0]], swapped[kernels[1]] = name_map[kernels[1]], name_map[kernels[0]]
    spec.update(name_map=swapped, dry_run=True)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    report = json.loads(objects_tool.run(prefix, tmp_path / "spec.json").stdout)
    assert sorted(m["variable"] for m in report["mismatched"]) == ["dense/kernel",
                                                                   "dense_1/kernel"]


# ---- Keras TextVectorization and its ops ---------------------------------------------------
TEXT_CORPUS = ["the cat sat", "the dog ran fast", "a cat and a dog"]
TEXT_INPUTS = np.array([["The cat sat!"], ["a DOG, ran... fast"], [""], ["   "],
                        ["unknown words: here, and more words than six"], ["Ünïcode Çat"]])


def export_text_vectorization(tmp_path, name, **layer_args):
    keras = pytest.importorskip("keras")
    inp = keras.Input(shape=(1,), dtype="string")
    tv = keras.layers.TextVectorization(max_tokens=20, **layer_args)
    tv.adapt(TEXT_CORPUS)
    keras.Model(inp, tv(inp)).export(str(tmp_path / name))
    return tmp_path / name


@pytest.mark.parametrize("layer_args", [
    {"output_sequence_length": 6},
    {"output_sequence_length": 3},  # truncates the longer rows
    {},  # int mode without a length: as wide as the longest row
    {"output_mode": "multi_hot"},
    {"output_mode": "count"},
    {"output_mode": "tf_idf"},
    {"ngrams": None, "split": None, "standardize": "lower", "output_sequence_length": 2},
], ids=["int6", "int3", "int_ragged_width", "multi_hot", "count", "tf_idf", "lower_no_split"])
def test_keras_text_vectorization_export_matches_keras(tf, tmp_path, layer_args):
    """StringLower, StaticRegexReplace (Keras's punctuation pattern), StringSplitV2, the
    ragged row partition (DenseBincount + Cumsum), RaggedTensorToTensor and RaggedBincount
    (multi_hot / count / tf_idf), as Keras 3's model.export() writes them."""
    if layer_args.get("split", "whitespace") is None:
        inputs = np.array([["The Cat"], ["DOG"], ["a cat and a dog"]])
    else:
        inputs = TEXT_INPUTS
    d = export_text_vectorization(tmp_path, "tv", **layer_args)
    fn = tf.saved_model.load(str(d)).signatures["serving_default"]
    (in_key,) = fn.structured_input_signature[1].keys()
    assert_matches_tf(d, fn, "serving_default", **{in_key: inputs})


@pytest.fixture(scope="module")
def text_ops_dir(tf, tmp_path_factory):
    """One signature per op family of TextVectorization, called with the ops' attrs
    directly (raw ops), so edge cases Keras does not reach are compared with TF too."""
    from tensorflow.python.ops import gen_math_ops, gen_ragged_conversion_ops, gen_string_ops

    punct = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
    strings = tf.TensorSpec([None], tf.string)

    class TextOps(tf.Module):
        @tf.function(input_signature=[strings])
        def lower(self, s):
            return {"ascii": tf.strings.lower(s), "utf8": tf.strings.lower(s, encoding="utf-8")}

        @tf.function(input_signature=[strings])
        def regex(self, s):
            return {"punct": tf.strings.regex_replace(s, punct, ""),
                    "swap_first": tf.strings.regex_replace(s, r"(\w+) (\w+)", r"\2 \1",
                                                           replace_global=False),
                    "vowels": tf.strings.regex_replace(s, "[aeiouAEIOU]+", r"<\0>"),
                    "empty_matches": tf.strings.regex_replace(s, "x*", "-"),
                    "full": tf.strings.regex_full_match(s, r"\w+( \w+)*")}

        @tf.function(input_signature=[strings])
        def split(self, s):
            out = {}
            for name, sep, maxsplit in [("ws", "", -1), ("ws1", "", 1), ("comma", ",", -1),
                                        ("comma2", ",", 2), ("multi", "<>", -1), ("zero", ",", 0)]:
                r = gen_string_ops.string_split_v2(s, sep, maxsplit=maxsplit)
                out.update({name + "_idx": r.indices, name + "_val": r.values,
                            name + "_shape": r.shape})
            return out

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64),
                                      tf.TensorSpec([None], tf.int64),
                                      tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int64)])
        def ragged(self, values, splits, rowids, nrows):
            to_dense = gen_ragged_conversion_ops.ragged_tensor_to_tensor
            out = {}
            for name, shape in [("auto", [-1, -1]), ("pad", [7, 6]), ("trunc", [2, 2]),
                                ("rows", [-1, 3])]:
                out["splits_" + name] = to_dense(tf.constant(shape, tf.int64), values,
                                                 tf.constant(-1, tf.int64), [splits],
                                                 ["ROW_SPLITS"])
                out["rowids_" + name] = to_dense(tf.constant(shape, tf.int64), values,
                                                 tf.constant(-1, tf.int64), [nrows, rowids],
                                                 ["FIRST_DIM_SIZE", "VALUE_ROWIDS"])
            # Inner dims with a broadcast default, and two ragged dims.
            pairs = tf.stack([values, values * 10], axis=1)
            out["inner"] = to_dense(tf.constant([-1, -1, 2], tf.int64), pairs,
                                    tf.constant([7, 8], tf.int64), [splits], ["ROW_SPLITS"])
            inner_rows = tf.size(splits, out_type=tf.int64) - 1
            outer = tf.stack([tf.constant(0, tf.int64), inner_rows // 2, inner_rows])
            out["nested"] = to_dense(tf.constant([-1, -1, -1], tf.int64), values,
                                     tf.constant(0, tf.int64), [outer, splits],
                                     ["ROW_SPLITS", "ROW_SPLITS"])
            out["nested_trunc"] = to_dense(tf.constant([2, 1, 2], tf.int64), values,
                                           tf.constant(0, tf.int64), [outer, splits],
                                           ["ROW_SPLITS", "ROW_SPLITS"])
            return out

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                      tf.TensorSpec([None, None], tf.float32),
                                      tf.TensorSpec([None], tf.int64)])
        def bincount(self, ids, weights, splits):
            flat = tf.reshape(ids, [-1])
            flat_w = tf.reshape(weights, [-1])
            none = tf.constant([], tf.float32)
            return {
                "flat": gen_math_ops.dense_bincount(flat, 5, none),
                "flat_w": gen_math_ops.dense_bincount(flat, 5, flat_w),
                "flat_bin": gen_math_ops.dense_bincount(flat, 5, flat_w, binary_output=True),
                "rows": gen_math_ops.dense_bincount(ids, 4, none),
                "rows_w": gen_math_ops.dense_bincount(ids, 4, weights),
                "rows_bin": gen_math_ops.dense_bincount(ids, 4, none, binary_output=True),
                "ragged": gen_math_ops.ragged_bincount(splits, tf.cast(flat, tf.int64),
                                                       tf.constant(6, tf.int64), none),
                "ragged_w": gen_math_ops.ragged_bincount(splits, tf.cast(flat, tf.int64),
                                                         tf.constant(6, tf.int64), flat_w),
                "ragged_bin": gen_math_ops.ragged_bincount(
                    splits, tf.cast(flat, tf.int64), tf.constant(6, tf.int64), none,
                    binary_output=True),
            }

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32),
                                      tf.TensorSpec([None, None], tf.int32)])
        def cumsum(self, x, n):
            out = {}
            for axis in (0, 1, -1):
                for exclusive in (False, True):
                    for reverse in (False, True):
                        key = f"a{axis + 1}_e{int(exclusive)}_r{int(reverse)}"
                        out["f_" + key] = tf.math.cumsum(x, axis, exclusive, reverse)
                        out["i_" + key] = tf.math.cumsum(n, axis, exclusive, reverse)
            out["i64"] = tf.math.cumsum(tf.cast(n, tf.int64), tf.constant(1, tf.int64))
            out["f64"] = tf.math.cumsum(tf.cast(x, tf.float64), 0, reverse=True)
            return out

    m = TextOps()
    d = tmp_path_factory.mktemp("text_ops") / "model"
    tf.saved_model.save(m, str(d), signatures={k: getattr(m, k) for k in (
        "lower", "regex", "split", "ragged", "bincount", "cumsum")})
    return d


def random_words(rng, n, alphabet):
    words = ["".join(rng.choice(list(alphabet), size=rng.integers(0, 6))) for _ in range(n)]
    return words


def test_text_ops_lower_and_regex_match_tf(tf, text_ops_dir):
    loaded = tf.saved_model.load(str(text_ops_dir))
    rng = np.random.default_rng(7)
    alphabet = "abcXYZ ,.!'-_\t" + "ÀÉÎÕÜàéçÇñÑßŸĀāŁłŒœ" + "ΑΒΓΣσςάΆ" + "ДЖЁжё" + "漢字ａＢ"
    texts = [" ".join(random_words(rng, rng.integers(0, 5), alphabet)) for _ in range(40)]
    texts += ["", " ", "ΣΑΣ Σ Α.Σ.Α Σ'Σ ΣΑΣ.", "İstanbul ẞ", "hello, world! it's [ok]",
              "x", "xx", "the  cat\tsat\n"]
    strings = np.array(texts)
    assert_matches_tf(text_ops_dir, loaded.signatures["lower"], "lower", s=strings)
    assert_matches_tf(text_ops_dir, loaded.signatures["regex"], "regex", s=strings)


def test_text_ops_split_matches_tf(tf, text_ops_dir):
    loaded = tf.saved_model.load(str(text_ops_dir))
    strings = np.array(["a,b,,c", "", "  the cat\tsat  ", "1<>2<><>3<>", ",", "a b", "   ",
                        "x,y,z,w"])
    assert_matches_tf(text_ops_dir, loaded.signatures["split"], "split", s=strings)
    assert_matches_tf(text_ops_dir, loaded.signatures["split"], "split",
                      s=np.array([], dtype=str))


@pytest.mark.parametrize("lengths", [[2, 0, 3], [0, 0], [5], [1, 4, 0, 2, 3, 1, 1, 6], []])
def test_text_ops_ragged_to_dense_matches_tf(tf, text_ops_dir, lengths):
    loaded = tf.saved_model.load(str(text_ops_dir))
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = np.arange(1, splits[-1] + 1, dtype=np.int64) * 3
    rowids = np.repeat(np.arange(len(lengths)), lengths).astype(np.int64)
    assert_matches_tf(text_ops_dir, loaded.signatures["ragged"], "ragged", values=values,
                      splits=splits, rowids=rowids, nrows=np.int64(len(lengths)))


def test_text_ops_bincount_and_cumsum_match_tf(tf, text_ops_dir):
    loaded = tf.saved_model.load(str(text_ops_dir))
    rng = np.random.default_rng(11)
    ids = rng.integers(0, 7, size=(4, 5)).astype(np.int32)  # some >= size: dropped
    weights = rng.normal(size=(4, 5)).astype(np.float32)
    splits = np.array([0, 3, 3, 12, 20], np.int64)
    assert_matches_tf(text_ops_dir, loaded.signatures["bincount"], "bincount", ids=ids,
                      weights=weights, splits=splits)
    x = rng.normal(size=(3, 6)).astype(np.float32)
    n = rng.integers(-1000, 1000, size=(3, 6)).astype(np.int32)
    assert_matches_tf(text_ops_dir, loaded.signatures["cumsum"], "cumsum", x=x, n=n)

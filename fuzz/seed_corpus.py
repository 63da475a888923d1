#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from TensorFlow-written fixtures and small
hand-built files.

Usage: fuzz/seed_corpus.py [FIXTURES_DIR] (default: ../shared/fixtures/tf from the repository
root). Needs protoc and the Python protobuf package (the proto/ files are compiled into a
temporary directory). The corpus it writes is committed: tests and scripts/fuzz.sh read only
fuzz/corpus/, never the fixtures. Each seed stays under 64 KiB.
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 64 * 1024


def compile_protos():
    out = tempfile.mkdtemp(prefix="ckpt-protos-")
    proto_dir = os.path.join(ROOT, "proto")
    files = []
    for d, _, names in os.walk(proto_dir):
        files += [os.path.relpath(os.path.join(d, n), proto_dir) for n in names
                  if n.endswith(".proto")]
    subprocess.check_call(["protoc", "-I" + proto_dir, "--python_out=" + out] + files)
    # Regular packages, so an installed tensorflow package does not shadow them.
    for d, _, _ in os.walk(os.path.join(out, "tensorflow")):
        open(os.path.join(d, "__init__.py"), "a").close()
    sys.path.insert(0, out)


def write(target, name, data):
    if len(data) > MAX_SEED:
        print(f"skip {target}/{name}: {len(data)} bytes")
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(fixtures, rel):
    with open(os.path.join(fixtures, rel), "rb") as f:
        return f.read()


def u32(n):
    return struct.pack("<I", n)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def example(features):
    """A serialized tf.Example: {key: ("bytes"|"float"|"int64", [values])}."""
    feats = b""
    for key, (kind, values) in features.items():
        if kind == "bytes":
            lst = b"".join(field(1, v) for v in values)
            feat = field(1, lst)
        elif kind == "float":
            feat = field(2, field(1, b"".join(struct.pack("<f", v) for v in values)))
        else:
            feat = field(3, field(1, b"".join(varint(v & (2**64 - 1)) for v in values)))
        feats += field(1, field(1, key.encode()) + field(2, feat))
    return field(1, feats)


def npy(descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join(f"{d}, " for d in shape) if len(shape) != 1 else f"{shape[0]},")
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def tf1_while_loop_meta(meta_graph_pb2):
    mg = meta_graph_pb2.MetaGraphDef()
    g = mg.graph_def

    def node(name, op, inputs=(), t=3, **attrs):  # t: the T attr (3: DT_INT32, 10: DT_BOOL)
        n = g.node.add(name=name, op=op, input=list(inputs))
        if t is not None:
            n.attr["T"].type = t
        for k, v in attrs.items():
            if isinstance(v, bool):
                n.attr[k].b = v
            elif isinstance(v, int):
                n.attr[k].i = v
            else:
                n.attr[k].s = v.encode()
        return n

    def const(name, value, controls=()):
        n = node(name, "Const", [f"^{c}" for c in controls], t=None)
        n.attr["dtype"].type = 3
        n.attr["value"].tensor.dtype = 3
        n.attr["value"].tensor.int_val.append(value)

    n = node("n", "Placeholder", t=None)
    n.attr["dtype"].type = 3
    const("zero", 0)
    node("w/n", "Enter", ["n"], frame_name="w", is_constant=True)
    for v in ("i", "s"):
        node(f"w/enter_{v}", "Enter", ["zero"], frame_name="w")
        node(f"w/merge_{v}", "Merge", [f"w/enter_{v}", f"w/next_{v}"], N=2)
        node(f"w/switch_{v}", "Switch", [f"w/merge_{v}", "w/LoopCond"])
        node(f"w/id_{v}", "Identity", [f"w/switch_{v}:1"])
        node(f"w/next_{v}", "NextIteration", [f"w/new_{v}"])
        node(f"w/exit_{v}", "Exit", [f"w/switch_{v}"])
    node("w/Less", "Less", ["w/merge_i", "w/n"])
    node("w/LoopCond", "LoopCond", ["w/Less"], t=None)
    const("w/one", 1, ["w/id_i"])
    node("w/new_i", "AddV2", ["w/id_i", "w/one"])
    const("w/two", 2, ["w/id_i"])
    node("w/small", "Less", ["w/id_i", "w/two"])
    node("w/c/pred", "Switch", ["w/small", "w/small"], t=10)
    node("w/c/switch_t", "Identity", ["w/c/pred:1"], t=10)
    node("w/c/switch_f", "Identity", ["w/c/pred"], t=10)
    node("w/c/s", "Switch", ["w/id_s", "w/small"])
    const("w/c/ten", 10, ["w/c/switch_t"])
    const("w/c/one", 1, ["w/c/switch_f"])
    node("w/c/a", "AddV2", ["w/c/s:1", "w/c/ten"])
    node("w/c/b", "AddV2", ["w/c/s", "w/c/one"])
    node("w/c/Merge", "Merge", ["w/c/a", "w/c/b"], N=2)
    node("w/new_s", "Identity", ["w/c/Merge"])
    return mg.SerializeToString()


def main():
    fixtures = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                               os.path.join(ROOT, "..", "shared", "fixtures", "tf"))
    compile_protos()
    from tensorflow.core.framework import tensor_pb2, types_pb2  # noqa: E402
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2  # noqa: E402

    # .index tables and whole bundles (index + data) TF wrote.
    bundles = {
        "tf1_saver_v2": "tf1_saver_v2_regression/model",
        "tf2_keras_weights": "tf2_keras_save_weights/checkpoint",
        "tf1_saved_model_vars": "tf1_savedmodel_half_plus_two/variables/variables",
        "tf2_saved_model_vars": "tf2_savedmodel_half_plus_two/variables/variables",
    }
    for name, prefix in bundles.items():
        index = read(fixtures, prefix + ".index")
        data = read(fixtures, prefix + ".data-00000-of-00001")
        write("table", name + ".index", index)
        write("bundle", name, b"\x00" + u32(len(index)) + index + data)
    index = read(fixtures, bundles["tf1_saver_v2"] + ".index")
    data = read(fixtures, bundles["tf1_saver_v2"] + ".data-00000-of-00001")
    write("bundle", "tf1_saver_v2_mmap", b"\x01" + u32(len(index)) + index + data)
    write("table", "tf2_stale_shards.index",
          read(fixtures, "tf2_savedmodel_stale_shards/variables/variables.index"))

    # TF2 object graphs: a hand-built one (a layer's variable also tracked by an optimizer,
    # with a slot variable and a cycle back to the root); fuzz/corpus/object_graph/ also keeps
    # two TensorFlow-written ones (a Keras model with Adam, half_plus_two).
    from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402
    g = trackable_object_graph_pb2.TrackableObjectGraph()
    root, model, kernel, opt, slot = (g.nodes.add() for _ in range(5))
    root.children.add(node_id=1, local_name="model")
    root.children.add(node_id=3, local_name="optimizer")
    model.children.add(node_id=2, local_name="kernel")
    model.children.add(node_id=0, local_name="root")
    kernel.attributes.add(name="VARIABLE_VALUE", full_name="dense/kernel",
                          checkpoint_key="model/kernel/.ATTRIBUTES/VARIABLE_VALUE")
    opt.children.add(node_id=2, local_name="var0")
    opt.slot_variables.add(original_variable_node_id=2, slot_name="m", slot_variable_node_id=4)
    slot.attributes.add(name="VARIABLE_VALUE",
                        checkpoint_key="model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/"
                        "VARIABLE_VALUE")
    write("object_graph", "hand_built", g.SerializeToString())

    # V1 TensorSlice checkpoints.
    write("v1_checkpoint", "sharded_export",
          read(fixtures, "v1_sharded_session_bundle/export-00000-of-00001"))
    write("v1_checkpoint", "plain_export", read(fixtures, "v1_plain_bad_half_plus_two/export"))

    # checkpoint state files.
    for name, rel in {"tf1_saver_v2": "tf1_saver_v2_regression/checkpoint",
                      "tf2_keras": "tf2_keras_save_weights/checkpoint",
                      "v1_plain": "v1_plain_bad_half_plus_two/checkpoint",
                      "estimator": "tf1_estimator_ckpt_tfx/checkpoint"}.items():
        write("checkpoint_state", name, read(fixtures, rel))
    write("checkpoint_state", "timestamps",
          b'model_checkpoint_path: "model-3"\nall_model_checkpoint_paths: "model-2"\n'
          b'all_model_checkpoint_paths: "/abs/model-3"\n'
          b"all_model_checkpoint_timestamps: 1672531200.0\n"
          b"all_model_checkpoint_timestamps: 1.5e+16\nlast_preserved_timestamp: 1e-05\n"
          b"# comment\n")

    # metrics sidecars.
    write("metrics_sidecar", "best_min",
          b"# ckpt checkpoint metrics v1\n@best\teval_loss\tmin\neval_loss\t0.25\nacc\t0.9\n")
    write("metrics_sidecar", "special",
          b"# ckpt checkpoint metrics v1\n@best\tacc\tmax\nacc\tnan\nloss\tinf\nx\t-1e-300\n")

    # TensorProtos: Const values of a TF graph, and hand-built forms.
    mg = meta_graph_pb2.MetaGraphDef()
    mg.ParseFromString(read(fixtures, "tf1_saver_v2_regression/model.meta"))
    seen = set()
    for node in mg.graph_def.node:
        if node.op == "Const" and "value" in node.attr:
            t = node.attr["value"].tensor
            key = (t.dtype, len(t.tensor_shape.dim))
            if key not in seen:
                seen.add(key)
                write("tensor_proto", f"const_{len(seen)}", t.SerializeToString())
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    t.tensor_shape.dim.add(size=2)
    t.tensor_shape.dim.add(size=3)
    t.float_val.extend([1.5, -2])
    write("tensor_proto", "float_splat", t.SerializeToString())
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT64, tensor_content=struct.pack("<3q", 1, -2, 3))
    t.tensor_shape.dim.add(size=3)
    write("tensor_proto", "int64_content", t.SerializeToString())
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING)
    t.tensor_shape.dim.add(size=2)
    t.string_val.extend([b"ab", b"\xff"])
    write("tensor_proto", "strings", t.SerializeToString())
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_COMPLEX64)
    t.scomplex_val.extend([1, 2])
    write("tensor_proto", "complex", t.SerializeToString())
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_HALF)
    t.tensor_shape.dim.add(size=2)
    t.half_val.extend([0x3C00])
    write("tensor_proto", "half", t.SerializeToString())

    # MetaGraphDefs (.meta files and the meta graph of a TF1 SavedModel).
    write("meta_graph", "v1_plain_export.meta", read(fixtures, "v1_plain_bad_half_plus_two/export.meta"))
    write("meta_graph", "v1_sharded_export.meta", read(fixtures, "v1_sharded_session_bundle/export.meta"))
    write("meta_graph", "tf1_saver_v2.meta", read(fixtures, "tf1_saver_v2_regression/model.meta"))
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(read(fixtures, "tf1_savedmodel_half_plus_two/saved_model.pb"))
    write("meta_graph", "tf1_saved_model.meta", sm.meta_graphs[0].SerializeToString())

    # A TF1 while loop (control flow v1: a frame raised into a While at import) with a
    # conditional in its body, as tf.compat.v1.while_loop writes it: while i < n: i += 1;
    # s += 10 if i < 2 else 1.
    write("meta_graph", "tf1_while_loop.meta", tf1_while_loop_meta(meta_graph_pb2))

    # SavedModels: pb, variables index, variables data.
    for name, d in {"tf1_half_plus_two": "tf1_savedmodel_half_plus_two",
                    "tf1_rust_regression": "tf1_savedmodel_rust_regression",
                    "tf2_half_plus_two": "tf2_savedmodel_half_plus_two"}.items():
        pb = read(fixtures, d + "/saved_model.pb")
        index = read(fixtures, d + "/variables/variables.index")
        data = read(fixtures, d + "/variables/variables.data-00000-of-00001")
        write("saved_model", name, u32(len(pb)) + pb + u32(len(index)) + index + data)

    # GraphDefs with function libraries (TF2 SavedModel graphs).
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(read(fixtures, "tf2_savedmodel_half_plus_two/saved_model.pb"))
    write("function_def", "tf2_half_plus_two", sm.meta_graphs[0].graph_def.SerializeToString())
    g = sm.meta_graphs[0].graph_def
    small = type(g)()
    small.library.CopyFrom(g.library)
    for node in g.node:
        if node.op in ("Placeholder", "StatefulPartitionedCall", "VarHandleOp", "Const"):
            small.node.add().CopyFrom(node)
    write("function_def", "tf2_calls", small.SerializeToString())

    # Feeds: dtype byte, shape byte (see cli_feeds_fuzzer.cc), JSON.
    for name, dtype, shape, text in [("float_vec", 1, 2, b"[1.5, -2, 3e10]"),
                                     ("int_matrix", 3, 6, b"[[1, 2], [3, 4]]"),
                                     ("scalar_in_vec", 1, 3, b"2.4"),
                                     ("strings", 7, 0, b'["a", "\\u00e9", "\\n"]'),
                                     ("bools", 10, 5, b"[[true, false], [false, true]]"),
                                     ("uint64", 23, 2, b"[18446744073709551615, 0]")]:
        write("cli_feeds", name, bytes([dtype, shape]) + text)

    # Examples for ParseExample(V2): flags byte, then length-prefixed examples.
    ok = example({"a": ("float", [1.0, 2.0]), "b": ("int64", [7]), "c": ("bytes", [b"hi"])})
    default = example({"b": ("int64", [-1])})
    wrong = example({"a": ("int64", [1, 2]), "b": ("int64", [1])})
    for flags in (0, 1):
        write("parse_example", f"batch_{flags}",
              bytes([flags]) + u32(len(ok)) + ok + u32(len(default)) + default)
    write("parse_example", "wrong_kind", b"\x01" + u32(len(wrong)) + wrong)

    # Summary writer inputs: suffix length + suffix, then events (step, count, tag, value).
    def event(step, values):
        out = struct.pack("<II", step >> 32, step & 0xFFFFFFFF) + bytes([len(values)])
        for tag, v in values:
            bits = struct.unpack("<Q", struct.pack("<d", v))[0]
            out += bytes([len(tag)]) + tag + struct.pack("<II", bits >> 32, bits & 0xFFFFFFFF)
        return out
    write("summary_event", "two_events", b"\x04.v2a" + event(1, [(b"loss", 0.5)]) +
          event(2, [(b"loss", 0.25), (b"acc", 0.75)]))
    write("summary_event", "specials", b"\x00" + event(2**40, [(b"x", float("nan")),
                                                               (b"y", 1e300)]))

    # safetensors files.
    write("safetensors", "f32_i64", safetensors({
        "w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
        "step": ("I64", [], struct.pack("<q", 7))}, {"format": "pt"}))
    write("safetensors", "bf16_empty", safetensors({
        "b": ("BF16", [3], b"\x80\x3f\x00\x40\x40\x40"), "e": ("F16", [0], b"")}))

    # .npz archives: stored and deflated members.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("w.npy", npy("<f4", [2, 2], struct.pack("<4f", 1, 2, 3, 4)))
        z.writestr("s.npy", npy("<i8", [], struct.pack("<q", 5)))
    write("npz", "stored", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("v.npy", npy("<f8", [3], struct.pack("<3d", 1, 2, 3)))
        z.writestr("b.npy", npy("|b1", [2], b"\x01\x00"))
    write("npz", "deflated", buf.getvalue())

    # Single .npy files (ckpt run --feed NAME=@FILE.npy), strings included.
    write("npy", "f32", npy("<f4", [2, 2], struct.pack("<4f", 1, 2, 3, 4)))
    write("npy", "i64_scalar", npy("<i8", [], struct.pack("<q", -5)))
    write("npy", "unicode", npy("<U3", [2], "ab\0\u00e9\U0001f600x".encode("utf-32-le")))
    write("npy", "bytes", npy("|S4", [3], b"abc\0\x00\xff\0\0wxyz"))
    write("npy", "bool", npy("|b1", [3], b"\x01\x00\x01"))


if __name__ == "__main__":
    main()

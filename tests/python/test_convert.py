"""`ckpt convert` against the real safetensors, NumPy and TensorFlow packages: TF ->
safetensors -> TF round trips bit-exactly (bfloat16, float16, partitioned variables
included), files written by safetensors.numpy.save_file and np.savez[_compressed] convert to
checkpoints TensorFlow reads, and what cannot be converted is a clear error."""
import pathlib
import subprocess

import numpy as np
import pytest
from conftest import ckpt_cli

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures" / "tf"


def ckpt(*args, expect=0):
    proc = subprocess.run([str(ckpt_cli()), *map(str, args)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def tf_values():
    """name -> numpy array, one per dtype safetensors can hold, with awkward bit patterns."""
    import ml_dtypes  # noqa: PLC0415 (comes with TensorFlow)
    rng = np.random.default_rng(3)
    bits16 = rng.integers(0, 2**16, size=(3, 5), dtype=np.uint16)
    bits16[0, :3] = [0x7fc1, 0xffff, 0x0001]  # NaN payloads, a subnormal
    v = {
        "f32": rng.standard_normal((4, 7)).astype(np.float32),
        "f64": np.array([np.pi, -0.0, np.inf, 5e-324]),
        "f16": bits16.view(np.float16),
        "bf16": bits16.view(ml_dtypes.bfloat16),
        "i8": np.array([-128, 127, 0], np.int8),
        "u8": np.arange(256, dtype=np.uint8).reshape(16, 16),
        "i16": np.array([-32768, 5], np.int16),
        "u16": np.array([65535, 1], np.uint16),
        "i32": np.array([[-(2**31), 2**31 - 1]], np.int32),
        "u32": np.array([2**32 - 1], np.uint32),
        "i64": np.array(-(2**63), np.int64),
        "u64": np.array([2**64 - 1], np.uint64),
        "bool": np.array([True, False, True]),
        "c64": np.array([1 + 2j, -3.5 - 0j], np.complex64),
        "scope/nested/kernel": rng.standard_normal((2, 3)).astype(np.float32),
    }
    return v


def save_tf(tf, prefix, values, partitioned=None):
    """Writes a V2 checkpoint with TF's SaveV2; `partitioned` = (name, full array, row splits)
    adds a variable saved as slices, as a PartitionedVariable is."""
    names, slices, tensors = [], [], []
    for k, a in values.items():
        names.append(k)
        slices.append("")
        tensors.append(tf.constant(a))
    if partitioned:
        name, full, splits = partitioned
        dims = " ".join(str(d) for d in full.shape)
        start = 0
        for rows in splits:
            names.append(name)
            rest = ":".join("-" for _ in full.shape[1:])
            slices.append(f"{dims} {start},{rows}:{rest}")
            tensors.append(tf.constant(full[start:start + rows]))
            start += rows
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=slices,
                      tensors=tensors)


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype.itemsize == b.dtype.itemsize and a.tobytes() == b.tobytes()


def test_tf_to_safetensors_to_tf_is_bit_exact(tf, tmp_path):
    import safetensors  # noqa: PLC0415
    import safetensors.numpy  # noqa: PLC0415
    values = tf_values()
    full = np.arange(24, dtype=np.float32).reshape(6, 4)
    save_tf(tf, tmp_path / "tf" / "model", values, partitioned=("part/w", full, [2, 4]))
    st = tmp_path / "model.safetensors"
    ckpt("convert", tmp_path / "tf" / "model", st)

    # The safetensors library reads every tensor back with the same bytes.
    loaded = safetensors.numpy.load_file(str(st))
    for k, a in values.items():
        if k == "bf16":
            continue  # numpy has no bfloat16: checked through deserialize below
        assert same_bits(loaded[k], a), k
        assert loaded[k].dtype == a.dtype, k
    assert same_bits(loaded["part/w"], full)
    raw = dict(safetensors.deserialize(st.read_bytes()))
    assert raw["bf16"]["dtype"] == "BF16"
    assert bytes(raw["bf16"]["data"]) == values["bf16"].tobytes()

    # Back to a TF checkpoint: TensorFlow reads identical bits.
    ckpt("convert", st, tmp_path / "back" / "model")
    reader = tf.train.load_checkpoint(str(tmp_path / "back" / "model"))
    for k, a in values.items():
        got = reader.get_tensor(k)
        assert same_bits(got, a), k
        assert reader.get_variable_to_dtype_map()[k].as_numpy_dtype == a.dtype, k
    assert same_bits(reader.get_tensor("part/w"), full)
    # And ckpt agrees the two checkpoints are identical.
    ckpt("diff", tmp_path / "tf" / "model", tmp_path / "back" / "model")


def test_safetensors_library_files_convert_with_metadata(tf, tmp_path):
    import safetensors  # noqa: PLC0415
    import safetensors.numpy  # noqa: PLC0415
    arrays = {"embed.weight": np.linspace(-1, 1, 12, dtype=np.float16).reshape(3, 4),
              "head.bias": np.array([7, 8], np.int64)}
    src = tmp_path / "lib.safetensors"
    safetensors.numpy.save_file(arrays, str(src), metadata={"format": "np", "epoch": "3"})
    out = tmp_path / "renamed.safetensors"
    ckpt("convert", src, out, "--rename", r"\.=/")
    with safetensors.safe_open(str(out), framework="np") as f:
        assert f.metadata() == {"format": "np", "epoch": "3"}
        assert sorted(f.keys()) == ["embed/weight", "head/bias"]
        assert same_bits(f.get_tensor("embed/weight"), arrays["embed.weight"])
    ckpt("convert", src, tmp_path / "tf" / "m", "--only", "^embed")
    reader = tf.train.load_checkpoint(str(tmp_path / "tf" / "m"))
    assert sorted(reader.get_variable_to_shape_map()) == ["embed.weight"]
    assert same_bits(reader.get_tensor("embed.weight"), arrays["embed.weight"])


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_from_numpy_converts_to_tf(tf, tmp_path, compressed):
    rng = np.random.default_rng(5)
    arrays = {"w": rng.standard_normal((64, 33)), "b": np.arange(10, dtype=np.int32),
              "flag": np.array(True), "h": rng.standard_normal(7).astype(np.float16),
              "c": np.array([1 - 1j], np.complex128), "layer/x": np.zeros((0, 3), np.float32)}
    src = tmp_path / "a.npz"
    (np.savez_compressed if compressed else np.savez)(src, **arrays)
    ckpt("convert", src, tmp_path / "tf" / "m")
    reader = tf.train.load_checkpoint(str(tmp_path / "tf" / "m"))
    for k, a in arrays.items():
        assert same_bits(reader.get_tensor(k), a), k


def test_tf_to_npz_reads_in_numpy(tf, tmp_path):
    values = {k: v for k, v in tf_values().items() if k != "bf16"}
    save_tf(tf, tmp_path / "tf" / "model", values)
    out = tmp_path / "m.npz"
    ckpt("convert", tmp_path / "tf" / "model", out)
    with np.load(out) as z:
        assert sorted(z.files) == sorted(values)
        for k, a in values.items():
            assert z[k].dtype == a.dtype, k
            assert same_bits(z[k], a), k


def test_what_a_format_cannot_hold_is_a_clear_error(tf, tmp_path):
    import ml_dtypes  # noqa: PLC0415
    save_tf(tf, tmp_path / "tf" / "m", {"names": np.array([b"a", b"\xff"]),
                                         "bf": np.ones(2, ml_dtypes.bfloat16)})
    r = ckpt("convert", tmp_path / "tf" / "m", tmp_path / "o.safetensors", "--only", "names",
             expect=1)
    assert "tensor names: safetensors cannot hold dtype string" in r.stderr
    r = ckpt("convert", tmp_path / "tf" / "m", tmp_path / "o.npz", "--only", "bf", expect=1)
    assert "tensor bf: npz cannot hold dtype bfloat16" in r.stderr
    assert not (tmp_path / "o.npz").exists() and not (tmp_path / "o.safetensors").exists()
    # Strings go to another TF checkpoint unchanged.
    ckpt("convert", tmp_path / "tf" / "m", tmp_path / "tf2" / "m")
    got = tf.train.load_checkpoint(str(tmp_path / "tf2" / "m")).get_tensor("names")
    assert list(got) == [b"a", b"\xff"]


def test_v1_checkpoint_converts(tmp_path):
    src = FIXTURES / "v1_sharded_session_bundle" / "export-00000-of-00001"
    if not src.exists():
        pytest.skip(f"TensorFlow fixtures not found at {FIXTURES}")
    import safetensors.numpy  # noqa: PLC0415
    out = tmp_path / "v1.safetensors"
    ckpt("convert", src, out)
    got = safetensors.numpy.load_file(str(out))
    assert sorted(got) == ["a", "b"]
    for k, want in (("a", 0.5), ("b", 2.0)):
        assert got[k].dtype == np.float32 and got[k].shape == () and float(got[k]) == want

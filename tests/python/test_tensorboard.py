"""TensorBoard event files written by ckpt, read with TensorBoard's own EventAccumulator: the
seed demo's training loss (checkpoint_dir/train) and the evaluation loss and accuracy of every
kept checkpoint (checkpoint_dir/eval), against the values the demo prints."""
import os
import pathlib
import re
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
DEMO = BUILD / "examples" / "seed" / "seed_demo"


def run(*args):
    if not DEMO.exists():
        pytest.fail(f"{DEMO} not built (ninja -C {BUILD} seed_demo)")
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def scalars(logdir, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: PLC0415
    files = list(pathlib.Path(logdir).glob("events.out.tfevents.*"))
    assert len(files) == 1, files
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    assert tag in acc.Tags()["scalars"], acc.Tags()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tb") / "checkpoint_dir"
    d.mkdir()
    train = run(DEMO, "train", d, 1400)
    evaluate = run(DEMO, "evaluate", d)
    return d, train, evaluate


def test_training_loss_curve(seed_dir):
    d, train, _ = seed_dir
    printed = [float(x) for x in re.findall(r"^Loss = \[([^\]]*)\]", train, re.M)]
    got = scalars(d / "train", "loss")
    assert [s for s, _ in got] == [199, 399, 599, 799, 999, 1199, 1399]
    assert [v for _, v in got] == pytest.approx(printed, rel=1e-6)


def test_eval_loss_and_accuracy_of_every_kept_checkpoint(seed_dir):
    d, _, evaluate = seed_dir
    rows = re.findall(r"checkpoint_model-(\d+): mean loss ([0-9.]+), accuracy (\d+)%", evaluate)
    assert [int(s) for s, _, _ in rows] == [599, 799, 999, 1199, 1399]
    loss = scalars(d / "eval", "loss")
    acc = scalars(d / "eval", "accuracy")
    assert [s for s, _ in loss] == [int(s) for s, _, _ in rows]
    assert [v for _, v in loss] == pytest.approx([float(l) for _, l, _ in rows], abs=1e-6)
    assert [v for _, v in acc] == pytest.approx([int(a) / 100 for _, _, a in rows], abs=1e-7)

"""Process-level robustness of CheckpointManager directories.

* kill -9 at random moments of a process saving in a loop (one data file, or three written
  concurrently): after every kill the next process recovers, the latest checkpoint restores and verifies, and no kept checkpoint is lost
  (CKPT_KILL_ITERATIONS, default 200, raises the count).
* SIGTERM/SIGINT with a PreemptionWatcher: the process saves its current step and exits 0.
* An evaluator following a trainer with a pinning iterator never loses a checkpoint it uses,
  even with max_to_keep=1.
* A second trainer on the same directory gets a clear error.
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SIZE = 20000  # floats per checkpoint


def tool_path():
    bdir = pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))
    for c in (bdir / "tests" / "tools" / "ckpt_manager_tool", bdir / "ckpt_manager_tool"):
        if c.is_file():
            return str(c)
    raise FileNotFoundError(f"ckpt_manager_tool not built under {bdir}")


def cmd(*args):
    return [tool_path(), *map(str, args)]


def events(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_tool(*args, timeout=60):
    return subprocess.run([tool_path(), *map(str, args)], capture_output=True, timeout=timeout)


@pytest.mark.parametrize("mode", ["sync", "async", "sharded"])
def test_kill9_at_random_moments(tmp_path, mode):
    iterations = int(os.environ.get("CKPT_KILL_ITERATIONS", "200"))
    keep = 3
    d = tmp_path / "kill"
    rng = random.Random(int(os.environ.get("CKPT_KILL_SEED", "20240501")))
    last_reported = -1  # newest step a killed process reported as committed
    total_saves = 0
    killed_while_saving = 0
    started = time.monotonic()
    for i in range(iterations):
        extra = {"async": ["--async"], "sharded": ["--shards", 3]}.get(mode, [])
        proc = subprocess.Popen(cmd("loop", d, "--size", SIZE, "--max_to_keep", keep, *extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill at a random moment: sometimes during start-up and recovery, mostly mid-save.
        delay = rng.uniform(0, 0.01) if rng.random() < 0.2 else rng.uniform(0.01, 0.1)
        time.sleep(delay)
        proc.kill()
        out, err = proc.communicate(timeout=30)
        evs = events(out.decode())
        if not evs:
            continue  # killed before it could check anything
        start = evs[0]
        assert start["event"] == "start"
        assert start["ok"], f"iteration {i}: {start} {err.decode()}"
        listed = start["listed"]
        if last_reported >= 0:
            # Nothing committed is lost: the newest is the last reported or one committed
            # just before the kill; the kept ones are the `keep` newest, consecutive.
            assert start["latest"] in (last_reported, last_reported + 1), (i, start,
                                                                           last_reported)
            assert listed == list(range(listed[-1] - len(listed) + 1, listed[-1] + 1)), listed
            assert len(listed) == min(keep, listed[-1] + 1), listed
        killed_while_saving += 1
        saved = [e["step"] for e in evs[1:] if e.get("event") == "saved"]
        total_saves += len(saved)
        if saved:
            last_reported = saved[-1]
        elif start["latest"] is not None:
            last_reported = start["latest"]
    # A final healthy run sees a consistent directory.
    final = run_tool("check", d, "--size", SIZE, "--max_to_keep", keep)
    if mode == "sharded":
        # Every checkpoint on disk has its three shards and no shard outlives its index
        # (checkpoints a kill kept out of the state file are adopted, so there may be more
        # than `keep`).
        indexed = sorted(p.name[:-len(".index")] for p in d.glob("*.index"))
        for shard in range(3):
            assert sorted(p.name.split(".data-")[0]
                          for p in d.glob(f"*.data-0000{shard}-of-00003")) == indexed
    report = events(final.stdout.decode())[0]
    assert final.returncode == 0 and report["ok"], report
    assert report["latest"] in (last_reported, last_reported + 1)
    # Most kills really hit a process in its saving loop.
    assert killed_while_saving > iterations // 3, killed_while_saving
    assert total_saves > 0
    elapsed = time.monotonic() - started
    print(f"{mode}: {iterations} kills ({killed_while_saving} in the saving loop), "
          f"{total_saves} saves committed, {elapsed:.1f} s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_preemption_signal_saves_before_exit(tmp_path, sig):
    d = tmp_path / "preempt"
    proc = subprocess.Popen(cmd("preempt", d, "--size", 200000, "--every", 20,
                             "--max_to_keep", 3), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = json.loads(proc.stdout.readline())
    assert first["event"] == "training"
    time.sleep(0.4)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    last = events(out.decode())[-1]
    assert last["event"] == "preempted" and last["signal"] == int(sig), last
    check = run_tool("check", d, "--size", 200000, "--max_to_keep", 3)
    report = events(check.stdout.decode())[0]
    assert check.returncode == 0 and report["ok"], report
    assert report["latest"] == last["step"]


def test_evaluator_pins_survive_trainer_retention(tmp_path):
    d = tmp_path / "eval"
    trainer = subprocess.Popen(cmd("loop", d, "--size", SIZE, "--max_to_keep", 1),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    evaluator = subprocess.Popen(cmd("evaluate", d, "--size", SIZE, "--timeout", 2,
                                  "--hold_ms", 300), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    time.sleep(3)
    trainer.kill()
    t_out, _ = trainer.communicate(timeout=30)
    e_out, e_err = evaluator.communicate(timeout=60)
    evs = events(e_out.decode())
    evaluated = [e for e in evs if e["event"] == "evaluated"]
    assert evs[-1] == {"event": "done", "failures": 0}, (evs, e_err.decode())
    assert evaluator.returncode == 0
    assert len(evaluated) >= 4, evaluated
    steps = [e["step"] for e in evaluated]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    saves = [e for e in events(t_out.decode()) if e.get("event") == "saved"]
    # The trainer moved on (max_to_keep=1, so it deleted each older checkpoint as soon as
    # the pin allowed) while checkpoints were held: the evaluator skipped steps.
    assert len(saves) >= 1.5 * len(evaluated), (len(saves), len(evaluated))
    assert any(b - a > 1 for a, b in zip(steps, steps[1:])), steps
    # Deletions deferred by pins are carried out by the next trainer.
    check = run_tool("check", d, "--size", SIZE, "--max_to_keep", 1)
    assert check.returncode == 0, check.stdout.decode()
    remaining = sorted(p.name for p in d.iterdir() if p.name.endswith(".index"))
    assert len(remaining) == 1, remaining


def test_second_trainer_gets_clear_error(tmp_path):
    d = tmp_path / "two"
    holder = subprocess.Popen(cmd("hold-lock", d, 30), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert json.loads(holder.stdout.readline())["event"] == "locked"
    second = run_tool("save", d, "--step", 1)
    res = events(second.stdout.decode())[-1]
    assert second.returncode == 1
    assert res["code"] == "FAILED_PRECONDITION"
    assert "in use by another CheckpointManager" in res["error"]
    assert not (d / "model.ckpt-1.index").exists()
    holder.kill()
    holder.communicate(timeout=30)
    # The lock dies with its process.
    third = run_tool("save", d, "--step", 1)
    assert third.returncode == 0, third.stdout.decode()

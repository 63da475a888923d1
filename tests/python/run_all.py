"""Runs every tests/python/test_*.py file in its own pytest process and sums the results.

Some suites put TensorFlow in graph mode for the whole process (tf.compat.v1 with eager
execution disabled) and others need TF2's eager mode; TensorFlow cannot switch back, so each
file gets a fresh interpreter. Prints the totals as the last line: "N passed, M failed".
Extra arguments are passed to every pytest run.
"""
import pathlib
import re
import subprocess
import sys


def main():
    here = pathlib.Path(__file__).resolve().parent
    files = sorted(here.glob("test_*.py"))
    totals = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    bad = []
    for f in files:
        print(f"== pytest {f.relative_to(here.parent.parent)}", flush=True)
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", str(f), *sys.argv[1:]],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(proc.stdout)
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        for count, what in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary):
            totals["errors" if what.startswith("error") else what] += int(count)
        if proc.returncode not in (0, 5):
            bad.append(f.name)
    if bad:
        print("failing files: " + ", ".join(bad))
    print(f"{totals['passed']} passed, {totals['failed'] + totals['errors']} failed, "
          f"{totals['skipped']} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

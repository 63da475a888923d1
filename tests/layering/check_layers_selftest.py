#!/usr/bin/env python3
"""Shows that check_layers.py catches each kind of crossing (and passes a clean tree), so the
layering check in CI cannot pass by failing to look."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_layers.py")


def make_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def run(files):
    with tempfile.TemporaryDirectory() as root:
        make_tree(root, files)
        p = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True)
        return p.returncode, p.stdout


BASE = {
    "include/ckpt/core/status.h": "#pragma once\n",
    "include/ckpt/format/bundle.h": '#include "ckpt/core/status.h"\n',
    "include/ckpt/graph/graph.h": '#include "ckpt/core/status.h"\n',
    "src/format/bundle/util.h": "#pragma once\n",
    "src/format/bundle/reader.cc": '#include "ckpt/format/bundle.h"\n#include "format/bundle/util.h"\n',
    "src/graph/graph_impl.h": "#pragma once\n",
    "src/graph/graph.cc": '#include "ckpt/graph/graph.h"\n#include "graph/graph_impl.h"\n',
    "src/metagraph/meta.cc": '#include "ckpt/graph/graph.h"\n',
    "tools/ckpt/main.cc": '#include "ckpt/graph/graph.h"\n',
}

CASES = [
    # (description, extra files, expected substring or None for a clean tree)
    ("clean tree", {}, None),
    ("private header of another layer",
     {"src/metagraph/bad.cc": '#include "graph/graph_impl.h"\n'},
     "layer 'metagraph' includes the private header \"graph/graph_impl.h\""),
    ("public header of a higher layer",
     {"src/format/bad.cc": '#include "ckpt/graph/graph.h"\n'},
     "layer 'format' includes the public header \"ckpt/graph/graph.h\""),
    ("public header of a sibling layer",
     {"src/checkpoint/bad.cc": '#include "ckpt/graph/graph.h"\n'},
     "layer 'checkpoint' includes the public header \"ckpt/graph/graph.h\""),
    ("private header from a public header",
     {"include/ckpt/format/bad.h": '#include "format/bundle/util.h"\n'},
     "public header includes the private header"),
    ("generated proto from a public header",
     {"include/ckpt/graph/bad.h": '#include "tensorflow/core/framework/graph.pb.h"\n'},
     "public header includes the generated proto header"),
    ("private header from the CLI",
     {"tools/ckpt/bad.cc": '#include "graph/graph_impl.h"\n'},
     "includes the private header \"graph/graph_impl.h\" of layer 'graph'"),
]


def main():
    failed = 0
    for name, extra, expected in CASES:
        rc, out = run({**BASE, **extra})
        ok = (rc == 0 and "0 crossing" in out) if expected is None else (rc == 1 and expected in out)
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
        if not ok:
            print(out)
            failed += 1
    print(f"{len(CASES) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

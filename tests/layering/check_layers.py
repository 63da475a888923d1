#!/usr/bin/env python3
"""Fails on any #include that crosses a layer boundary.

The layers and what each may use (its own public and private headers, plus the public headers
of the layers below it) are in LAYERS. Rules:
  - a layer's private headers (src/LAYER/...) are included only by that layer's sources and
    tests;
  - public headers (include/ckpt/LAYER/...) of a higher or sibling layer are never included;
  - public headers include no private header and no generated proto header, so an installed
    ckpt needs neither;
  - everything above the layers (CLI, examples, benchmarks, test tools, tests joining layers,
    bindings) uses public headers only;
  - a fuzz target fuzz/NAME_fuzzer.cc is checked as a test of the layer its
    `ckpt_add_fuzzer(NAME LAYER layer)` line in fuzz/CMakeLists.txt names.
Usage: check_layers.py [SOURCE_DIR]; prints each violation as FILE:LINE: message.
"""
import os
import re
import sys

# layer -> layers whose public headers it may include (itself included)
LAYERS = {
    "core": {"core"},
    "format": {"core", "format"},
    "checkpoint": {"core", "format", "checkpoint"},
    "graph": {"core", "format", "graph"},
    "metagraph": {"core", "format", "checkpoint", "graph", "metagraph"},
    "convert": {"core", "format", "convert"},
    "dist": {"core", "format", "checkpoint", "dist"},  # MPI scale-out, on top of checkpoint
}
# Folders above the layers: public headers of every layer, no private header.
TOP_LEVEL = ["tools", "examples", "benchmarks", "tests/tools", "tests/consumer",
             "tests/integration", "python", "fuzz"]
FUZZER_RE = re.compile(r"^\s*ckpt_add_fuzzer\((\w+)\s+LAYER\s+(\w+)\)", re.M)
SOURCE_EXT = (".h", ".hpp", ".cc", ".cpp", ".c")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def files_under(root, rel):
    base = os.path.join(root, rel)
    for dirpath, _, names in os.walk(base):
        for n in sorted(names):
            if n.endswith(SOURCE_EXT):
                yield os.path.join(dirpath, n)


def classify(root, inc, including_file):
    """Returns (kind, layer): kind in public/private/test/generated/local/system."""
    if os.path.exists(os.path.join(os.path.dirname(including_file), inc)):
        return "local", None
    parts = inc.split("/")
    if parts[0] == "ckpt" and len(parts) > 2:
        return "public", parts[1]
    if os.path.exists(os.path.join(root, "src", inc)):
        return "private", parts[0]
    if os.path.exists(os.path.join(root, "tests", inc)):
        return "test", parts[0]
    if parts[0] == "tensorflow":
        return "generated", None
    return "other", None


def check_file(root, path, layer, role, problems):
    """role: 'src' (layer sources), 'public' (include/ckpt/LAYER), 'test' (tests/LAYER), 'top'."""
    rel = os.path.relpath(path, root)
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(1)
            kind, inc_layer = classify(root, inc, path)
            where = f"{rel}:{lineno}"
            if kind == "public":
                if inc_layer not in LAYERS:
                    problems.append(f"{where}: \"{inc}\" names no known layer")
                elif role != "top" and inc_layer not in LAYERS[layer]:
                    problems.append(f"{where}: layer '{layer}' includes the public header "
                                    f"\"{inc}\" of layer '{inc_layer}', which is not below it")
            elif kind == "private":
                if role == "public":
                    problems.append(f"{where}: public header includes the private header "
                                    f"\"{inc}\" (installed headers must stand alone)")
                elif role == "top":
                    problems.append(f"{where}: includes the private header \"{inc}\" of layer "
                                    f"'{inc_layer}'; use a public header under include/ckpt/")
                elif inc_layer != layer:
                    problems.append(f"{where}: layer '{layer}' includes the private header "
                                    f"\"{inc}\" of layer '{inc_layer}'")
            elif kind == "generated" and role == "public":
                problems.append(f"{where}: public header includes the generated proto header "
                                f"\"{inc}\" (installed headers must not need generated code)")
            elif kind == "test" and role in ("src", "public"):
                problems.append(f"{where}: library code includes the test header \"{inc}\"")


def fuzzer_layers(root):
    """fuzz/NAME_fuzzer.cc path -> layer, from fuzz/CMakeLists.txt."""
    cml = os.path.join(root, "fuzz", "CMakeLists.txt")
    if not os.path.exists(cml):
        return {}
    with open(cml, encoding="utf-8") as f:
        return {os.path.join(root, "fuzz", f"{name}_fuzzer.cc"): layer
                for name, layer in FUZZER_RE.findall(f.read())}


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    problems = []
    checked = 0
    for layer in LAYERS:
        for role, rel in (("src", f"src/{layer}"), ("public", f"include/ckpt/{layer}"),
                          ("test", f"tests/{layer}")):
            for path in files_under(root, rel):
                check_file(root, path, layer, role, problems)
                checked += 1
    fuzzers = fuzzer_layers(root)
    for rel in TOP_LEVEL:
        for path in files_under(root, rel):
            if path in fuzzers:
                if fuzzers[path] not in LAYERS:
                    problems.append(f"{os.path.relpath(path, root)}: fuzz target of unknown "
                                    f"layer '{fuzzers[path]}'")
                else:
                    check_file(root, path, fuzzers[path], "test", problems)
            else:
                check_file(root, path, None, "top", problems)
            checked += 1
    for p in problems:
        print(p)
    print(f"check_layers: {checked} files, {len(problems)} crossing(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Prints TF's OpDefs (descriptions stripped) as C++ table lines for src/graph/ops/*_ops.cc.

Usage: python3 src/graph/ops/print_op_defs.py MatMul BiasAdd ...
Each line is one text-format OpDef string literal, as the tables hold them.
"""
import sys

from google.protobuf import text_format
from tensorflow.python.framework import op_def_registry


def strip(op_def):
  op_def.ClearField("summary")
  op_def.ClearField("description")
  for arg in list(op_def.input_arg) + list(op_def.output_arg):
    arg.ClearField("description")
    # Full-type annotations are not in our op_def.proto (TF derives them itself).
    arg.ClearField("experimental_full_type")
  for attr in op_def.attr:
    attr.ClearField("description")
  return op_def


for name in sys.argv[1:]:
  op_def = op_def_registry.get(name)
  if op_def is None:
    sys.exit("unknown op " + name)
  text = text_format.MessageToString(strip(op_def), as_one_line=True)
  print('    R"pb(%s)pb",' % text)

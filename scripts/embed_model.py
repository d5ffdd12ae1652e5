#!/usr/bin/env python3
"""Writes processors/evaluate/model_default.c from schemas/default-model.json, so the binary
carries the default model. tests/t_model.py checks the two stay equal."""
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
text = open(os.path.join(root, "schemas/default-model.json"), encoding="utf-8").read()
json.loads(text)
lines = ['/* The default indicator model of model.md, generated from schemas/default-model.json',
         ' * by scripts/embed_model.py: edit the JSON and run the script. */',
         '#include "model.h"', '', '/* clang-format off */', 'const char cqe_default_model_json[] =']
for line in text.splitlines():
    esc = line.replace("\\", "\\\\").replace('"', '\\"')
    lines.append('    "%s\\n"' % esc)
lines[-1] += ";"
lines.append("/* clang-format on */")
out = "\n".join(lines) + "\n"
path = os.path.join(root, "processors/evaluate/model_default.c")
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    sys.exit(0 if open(path, encoding="utf-8").read() == out else 1)
open(path, "w", encoding="utf-8").write(out)

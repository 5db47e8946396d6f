#!/usr/bin/env python3
"""Writes tests/data/quant_expected.txt: reference dequantized values of real
Q4_1 and Q8_0 blocks of the default model (SmolLM2-135M-Instruct.Q4_1.gguf),
produced by the Python gguf package (independent of fitchat's kernels).

Run once (venv with gguf + numpy):
  /tmp/venv/bin/python tests/data/quant_gen_expected.py MODEL.gguf > tests/data/quant_expected.txt

Format, one slice per header line, then its values one per line:
  slice <tensor> <type> <abs_file_offset_of_tensor> <first_element> <count>
"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

SLICES = [  # (tensor, first element, count)
    ("blk.0.attn_q.weight", 0, 128),
    ("blk.0.attn_q.weight", 576 * 300 + 64, 64),
    ("token_embd.weight", 0, 128),
    ("token_embd.weight", 576 * 12345 + 32, 64),
]

def main():
    r = GGUFReader(sys.argv[1])
    tensors = {t.name: t for t in r.tensors}
    for name, first, count in SLICES:
        t = tensors[name]
        vals = dequantize(t.data, t.tensor_type).reshape(-1)
        print(f"slice {name} {t.tensor_type.name} {t.data_offset} {first} {count}")
        for v in vals[first:first + count]:
            print(repr(float(np.float32(v))))

main()

#!/usr/bin/env python3
"""Writes tests/data/quant_k_expected.txt: blocks of the K-quant and IQ4 types
made of random bytes (scale fields replaced by finite halves) and their values
as dequantized by the Python gguf package (gguf.quants.dequantize), which is
independent of fitchat's kernels. The gguf package cannot quantize these
types, hence crafted blocks rather than quantized data.

Run (venv with gguf + numpy, e.g. the one scripts/setup-venv.sh prints):
  /tmp/venv/bin/python tests/data/quant_k_gen_expected.py > tests/data/quant_k_expected.txt

Format, per case: a header line
  block <type> <n_elements> <n_bytes>
then one line of the block bytes in hex, then n_elements lines of float32
values (repr of the float).
"""
import numpy as np
from gguf import GGMLQuantizationType as T, GGML_QUANT_SIZES
from gguf.quants import dequantize

# type -> byte offsets (within one block) of its f16 scale fields
HALVES = {
    "Q2_K": [80, 82],
    "Q3_K": [108],
    "Q4_K": [0, 2],
    "Q5_K": [0, 2],
    "Q6_K": [208],
    "IQ4_NL": [0],
    "IQ4_XS": [0],
}
N_ELEMS = {"IQ4_NL": 96}  # others: two super-blocks

def main():
    rng = np.random.default_rng(20240611)
    for name, halves in HALVES.items():
        qt = T[name]
        blk_elems, blk_bytes = GGML_QUANT_SIZES[qt]
        n = N_ELEMS.get(name, 512)
        nb = n // blk_elems
        raw = bytearray(rng.integers(0, 256, nb * blk_bytes, dtype=np.uint8).tobytes())
        for b in range(nb):
            for k, off in enumerate(halves):
                # mixed magnitudes and signs; the second half (dmin) of the first block is zero
                v = 0.0 if (b == 0 and k == 1) else float(rng.uniform(-1, 1) * 10.0 ** rng.integers(-4, 1))
                raw[b * blk_bytes + off:b * blk_bytes + off + 2] = np.float16(v).tobytes()
        vals = dequantize(np.frombuffer(bytes(raw), dtype=np.uint8), qt).reshape(-1)
        assert vals.size == n
        print(f"block {name} {n} {len(raw)}")
        print(bytes(raw).hex())
        for v in vals:
            print(repr(float(np.float32(v))))

main()

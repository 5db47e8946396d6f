"""An emulation of a correct llama.cpp-style engine's rounding, on top of the
float64 reference: used to size the tolerances (tolerance_study.py) and to test
compare.py itself (fake_fitchat.py). Not a reference: it is deliberately lossy.

- Before every matmul with a quantized weight, the activation row is quantized
  to Q8_0 (blocks of 32, scale = amax/127, fp16 scale), as llama.cpp does
  (q8_0 / q8_1 activations; q8_1's values are the same rounding).
- K and V are stored in the KV cache in the chosen type (f32, f16, q8_0, q4_0,
  rounded with the gguf package's reference quantizers, in blocks of 32 along
  the row of all KV heads of a token, as llama.cpp lays out its cache).
- Everything else stays float64 (an engine's float32 arithmetic adds ~1e-7
  relative per op, orders of magnitude below the 8-bit rounding).
"""
import numpy as np
import gguf
from gguf.quants import quantize, dequantize

from ref_forward import Model

Q = gguf.GGMLQuantizationType
KV_TYPES = {"f32": Q.F32, "f16": Q.F16, "q8_0": Q.Q8_0, "q4_0": Q.Q4_0}


def round_to(x, qtype):
    """x rounded through qtype along its last axis (float64 in, float64 out)."""
    if qtype == Q.F32:
        return x.astype(np.float32).astype(np.float64)
    shape = x.shape
    flat = np.ascontiguousarray(x.reshape(-1, shape[-1]), dtype=np.float32)
    return dequantize(quantize(flat, qtype), qtype).reshape(shape).astype(np.float64)


class EmulatedModel(Model):
    def __init__(self, path, kv_type="f32", act_q8=True, **perturb):
        super().__init__(path, **perturb)
        self.kv_qtype = KV_TYPES[kv_type]
        self.act_q8 = act_q8

    def kv_store(self, x):
        # x: (T, KV, hd); a cache row holds all KV heads of one token (llama.cpp's layout)
        return round_to(x.reshape(x.shape[0], -1), self.kv_qtype).reshape(x.shape)

    def linear(self, x, name):
        if self.act_q8 and self.wtype[name + ".weight"] not in (Q.F32, Q.F16, Q.BF16):
            x = round_to(x, Q.Q8_0)
        return super().linear(x, name)


#!/usr/bin/env python3
"""Measures, against the float64 reference, the error of (a) an emulated correct
engine (emulate.py: q8_0 activations, KV cache in f32/f16/q8_0/q4_0) and (b) the
reference deliberately broken (wrong RoPE pairing, eps, query position, causal
mask, GQA mapping). The numbers size compare.py's tolerances; they are recorded
in README.md. Manual tool, not a test (about a minute per model and prompt set).

  tolerance_study.py --model M.gguf [--prompts prompts.txt] [--greedy 64]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import load_prompts          # noqa: E402
from emulate import EmulatedModel, KV_TYPES  # noqa: E402


def rel_err(a, b):
    """Per-position max |a-b| / max |b| (compare.py's measure): (max, mean) over positions."""
    rel = np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)
    return float(rel.max()), float(rel.mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "prompts.txt"))
    ap.add_argument("--greedy", type=int, default=64)
    args = ap.parse_args()
    prompts = load_prompts(args.prompts)
    m = EmulatedModel(args.model)

    def configure(kv="f32", act_q8=False, neox=None, eps=None, qpos=0, mask=0, gqa=False):
        m.kv_qtype, m.act_q8 = KV_TYPES[kv], act_q8
        m.neox = (m.arch in __import__("ref_forward").NEOX_ARCHS) if neox is None else neox
        m.eps = float(m.meta.get(f"{m.arch}.attention.layer_norm_rms_epsilon", 1e-5)) if eps is None else eps
        m.q_pos_offset, m.mask_offset, m.gqa_interleaved = qpos, mask, gqa

    configure()
    ref = {name: m.run(ids, args.greedy) for name, ids in prompts}
    cases = [(f"engine emulation, kv {kv}", dict(kv=kv, act_q8=True), True) for kv in KV_TYPES]
    cases += [("rope neox instead of normal", dict(neox=True), False),
              ("rms eps 1e-6 instead of 1e-5", dict(eps=1e-6), False),
              ("rms eps 1e-4 instead of 1e-5", dict(eps=1e-4), False),
              ("query rotated at pos+1", dict(qpos=1), False),
              ("causal mask sees t+1", dict(mask=1), False),
              ("gqa head i -> kv i % n_kv", dict(gqa=True), False)]
    print("per prompt: max rel err, mean rel err (over positions), argmax agreement, "
          "first greedy difference (g= : none)")
    print(f"{'case':40s} " + " ".join(f"{n:>30s}" for n, _ in prompts))
    for label, cfg, greedy in cases:
        configure(**cfg)
        cols = []
        for name, ids in prompts:
            logits, gen, _ = m.run(ids, args.greedy if greedy else 0)
            r_logits, r_gen, _ = ref[name]
            agree = int(np.sum(logits.argmax(1) == r_logits.argmax(1)))
            mx, mean = rel_err(logits, r_logits)
            col = f"{mx:.4f} {mean:.4f} am {agree}/{len(ids)}"
            if greedy:
                first = next((i for i, (a, b) in enumerate(zip(gen, r_gen)) if a != b), None)
                col += f" g{'=' if first is None else first}"
            cols.append(col)
        print(f"{label:40s} " + " ".join(f"{c:>30s}" for c in cols), flush=True)


if __name__ == "__main__":
    main()

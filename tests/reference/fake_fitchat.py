#!/usr/bin/env python3
"""A stand-in for `fitchat run` with the CLI contract compare.py uses, built on
the reference: tests compare.py itself (a correct engine's rounding must pass,
a wrong model must fail). Behaviour from $FAKE_FITCHAT, comma separated:
  emulate             q8_0 activations + KV rounding (emulate.py), like an engine
  rope-type=neox | eps=X | q-pos-offset=N | mask-offset=N | gqa-interleaved
                      the reference's perturbations (a wrong engine)
  stop-eos            greedy stops after the end-of-sequence token
  not-available       print "run: not available" and exit 1

  fake_fitchat.py run -m M --tokens "1 2" -n 0 --logits-out F [--kv-type K] [--attn A] [-t T]
  fake_fitchat.py run -m M --tokens "1 2" -n N --greedy --ids-out F [...]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    opts = dict((o.split("=", 1) + [True])[:2] for o in os.environ.get("FAKE_FITCHAT", "").split(",") if o)
    if "not-available" in opts:
        print("run: not available")
        return 1
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["run"])
    ap.add_argument("-m", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("-n", type=int, default=0)
    ap.add_argument("--logits-out")
    ap.add_argument("--greedy", action="store_true")
    ap.add_argument("--ids-out")
    ap.add_argument("--kv-type", default="f32")
    ap.add_argument("--attn", default="flash")
    ap.add_argument("-t", type=int)
    a = ap.parse_args()
    perturb = {}
    if "rope-type" in opts: perturb["rope_type"] = opts["rope-type"]
    if "eps" in opts: perturb["eps"] = float(opts["eps"])
    if "q-pos-offset" in opts: perturb["q_pos_offset"] = int(opts["q-pos-offset"])
    if "mask-offset" in opts: perturb["mask_offset"] = int(opts["mask-offset"])
    if "gqa-interleaved" in opts: perturb["gqa_interleaved"] = True
    if "emulate" in opts:
        from emulate import EmulatedModel
        model = EmulatedModel(a.m, kv_type=a.kv_type, **perturb)
    else:
        from ref_forward import Model
        model = Model(a.m, **perturb)
    ids = [int(t) for t in a.tokens.split()]
    logits, gen, _ = model.run(ids, a.n if a.greedy else 0)
    if a.logits_out:
        logits.astype("<f4").tofile(a.logits_out)
    if a.greedy and a.ids_out:
        if "stop-eos" in opts and model.eos in gen:
            gen = gen[:gen.index(model.eos) + 1]
        with open(a.ids_out, "w") as f:
            f.write(" ".join(map(str, gen)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What a quantized KV cache costs, measured teacher-forced on a real text.

  kvquality.py --fitchat build/fitchat --model M.gguf [--text GPL-3.txt] [--n-tok 1024]
               [--types f16,q8_0,q4_0] [--bound q8_0=0.01] [--bound q4_0=0.08] [-t THREADS]
               [--extra "ARGS"]

The text's first n-tok tokens (fitchat's own tokenizer, BOS first when the
model's GGUF asks for it, as llama.cpp does) are evaluated once per KV type
with `fitchat run --tokens IDS -n 0 --logits-out F` (raw float32, n_tok x
n_vocab). The first type is the reference (f16 by default). Per type it
prints the perplexity of the text (positions 0..n-2 predicting tokens
1..n-1) and the mean over those positions of KL(P_ref || P_type) in nats,
where P is the softmax of the logits: the figure llama.cpp's
`perplexity --kl-divergence` reports and issue 17 quotes.
Exit 1 when a type's KL is above its --bound; 2 on errors.

Logits files are large (Gemma 3: 1024 x 262144 floats = 1 GiB per type), so
they are read through numpy.memmap in chunks of rows, all types in one pass
(the reference's log-probabilities computed once per chunk).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def add_bos(model):
    """(wants BOS, BOS id) from the GGUF metadata."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    from gguf_meta import scalars
    meta = scalars(model)
    want, bos = meta.get("tokenizer.ggml.add_bos_token"), meta.get("tokenizer.ggml.bos_token_id")
    return bool(want) if want is not None else False, None if bos is None else int(bos)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fitchat", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "GPL-3.txt"))
    ap.add_argument("--n-tok", type=int, default=1024)
    ap.add_argument("--types", default="f16,q8_0,q4_0")
    ap.add_argument("--bound", action="append", default=[], help="TYPE=KL: fail above it")
    ap.add_argument("-t", "--threads", type=int, default=1)
    ap.add_argument("--extra", default="", help="more fitchat run arguments (e.g. '--attn plain')")
    a = ap.parse_args()
    bounds = {}
    for b in a.bound:
        t, _, v = b.partition("=")
        bounds[t] = float(v)
    types = a.types.split(",")

    with open(a.text, "rb") as f:
        text = f.read()
    p = subprocess.run([a.fitchat, "tokenize", "-m", a.model, "-"], input=text, capture_output=True)
    if p.returncode:
        print("tokenize failed: " + p.stderr.decode(errors="replace"), file=sys.stderr)
        return 2
    ids = [int(x) for x in p.stdout.split()]
    want_bos, bos = add_bos(a.model)
    if want_bos and bos is not None:
        ids = [bos] + ids
    ids = ids[: a.n_tok]
    n = len(ids)
    if n < 2:
        print("text too short", file=sys.stderr)
        return 2
    target = np.array(ids[1:], dtype=np.int64)
    print(f"{os.path.basename(a.model)}: {n} tokens of {os.path.basename(a.text)} (BOS {'yes' if want_bos else 'no'})")

    tmp = tempfile.mkdtemp(prefix="kvquality.")
    failed = False
    chunk = 64
    try:
        paths = {}
        for kv in types:
            paths[kv] = os.path.join(tmp, kv + ".f32")
            cmd = [a.fitchat, "run", "-m", a.model, "--tokens", " ".join(map(str, ids)), "-n", "0",
                   "--logits-out", paths[kv], "--kv-type", kv, "-t", str(a.threads), "-c", str(max(n, 256))]
            cmd += shlex.split(a.extra)
            p = subprocess.run(cmd, capture_output=True)
            if p.returncode:
                print(f"fitchat run ({kv}) failed: {p.stderr.decode(errors='replace')}", file=sys.stderr)
                return 2
        nv = os.path.getsize(paths[types[0]]) // 4 // n
        logits = {kv: np.memmap(paths[kv], dtype=np.float32, mode="r", shape=(n, nv)) for kv in types}
        # one pass over the rows: the reference's log-probabilities once per chunk
        nll = dict.fromkeys(types, 0.0)
        kl = dict.fromkeys(types[1:], 0.0)
        kl_max = dict.fromkeys(types[1:], 0.0)
        for r0 in range(0, n - 1, chunk):
            r1 = min(n - 1, r0 + chunk)
            rows = np.arange(r1 - r0)
            lr = log_softmax(np.asarray(logits[types[0]][r0:r1]))
            nll[types[0]] -= lr[rows, target[r0:r1]].sum()
            pr = np.exp(lr)
            for kv in types[1:]:
                lp = log_softmax(np.asarray(logits[kv][r0:r1]))
                nll[kv] -= lp[rows, target[r0:r1]].sum()
                k = (pr * (lr - lp)).sum(axis=1)
                kl[kv] += k.sum()
                kl_max[kv] = max(kl_max[kv], float(k.max()))
        del logits
        for kv in types:
            ppl = float(np.exp(nll[kv] / (n - 1)))
            if kv == types[0]:
                print(f"  {kv:5s} ppl {ppl:8.4f}   (reference)")
                continue
            mean = kl[kv] / (n - 1)
            b = bounds.get(kv)
            verdict = ""
            if b is not None:
                verdict = f"  bound {b:g}: " + ("ok" if mean <= b else "FAIL")
                failed |= mean > b
            print(f"  {kv:5s} ppl {ppl:8.4f}   KL {mean:.5f} (max {kl_max[kv]:.3f}){verdict}")
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

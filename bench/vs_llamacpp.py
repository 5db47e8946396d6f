#!/usr/bin/env python3
"""fitchat vs llama.cpp on the same GGUF file, same machine, same sitting.

llama.cpp is driven through llama-cpp-python's low-level API (the C functions
of llama.h), so no Python runs inside the timed loops except one call per
decode. fitchat is timed by `fitchat bench -r 1` (its own warm-up, then one
timed run). Runs are interleaved A B A B ... because this machine's speed
drifts by 2-3x over minutes; medians of --reps runs are reported.

  bench/vs_llamacpp.py --fitchat build/fitchat --model M.gguf --threads 1,2 --reps 7
With --depth D both tests start with D tokens already in the context (filled
before the clock starts; llama.cpp keeps them and drops the tested positions
between runs, fitchat bench -d refills them per process). Writes a Markdown table to stdout. --base OTHER_FITCHAT adds a third binary
(e.g. the commit before a change) to the same interleaved runs, with its
column and the new/base ratio.
"""
import argparse
import ctypes
import re
import statistics
import subprocess
import time

import llama_cpp as L


def fn(*names):
    for n in names:
        f = getattr(L, n, None)
        if f is not None:
            return f
    raise AttributeError(f"llama_cpp has none of {names}")


class Llama:
    def __init__(self, path, threads, n_ctx):
        L.llama_backend_init()
        mp = L.llama_model_default_params()
        mp.n_gpu_layers = 0
        self.model = fn("llama_model_load_from_file", "llama_load_model_from_file")(path.encode(), mp)
        cp = L.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = n_ctx
        cp.n_ubatch = n_ctx
        cp.n_threads = threads
        cp.n_threads_batch = threads
        self.ctx = fn("llama_init_from_model", "llama_new_context_with_model")(self.model, cp)
        if not self.ctx:
            raise RuntimeError("llama.cpp: no context")

    def clear(self, keep=0):
        """Forgets the positions >= keep (all of them with keep 0)."""
        if keep and hasattr(L, "llama_get_memory"):
            L.llama_memory_seq_rm(L.llama_get_memory(self.ctx), 0, keep, -1)
        elif keep:
            fn("llama_kv_self_seq_rm", "llama_kv_cache_seq_rm")(self.ctx, 0, keep, -1)
        elif hasattr(L, "llama_get_memory"):
            L.llama_memory_clear(L.llama_get_memory(self.ctx), True)
        else:
            fn("llama_kv_self_clear", "llama_kv_cache_clear")(self.ctx)

    def fill(self, toks):
        """The depth: toks in the context, untimed."""
        self.clear()
        if toks:
            self.decode(toks)
        self.depth = len(toks)

    def decode(self, toks):
        arr = (L.llama_token * len(toks))(*toks)
        rc = L.llama_decode(self.ctx, L.llama_batch_get_one(arr, len(toks)))
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")

    depth = 0

    def pp(self, toks):
        self.clear(self.depth)
        t = time.perf_counter()
        self.decode(toks)
        return len(toks) / (time.perf_counter() - t)

    def tg(self, toks):
        self.clear(self.depth)
        t = time.perf_counter()
        for tok in toks:
            self.decode([tok])
        return len(toks) / (time.perf_counter() - t)


def fitchat_run(binary, model, threads, n_pp, n_tg, depth=0):
    cmd = [binary, "bench", "-m", model, "-t", str(threads), "-p", str(n_pp), "-n", str(n_tg), "-r", "1"]
    if depth:
        cmd += ["-d", str(depth)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.search(r"\|\s*(pp|tg)(\d+)(?: @ d\d+)?\s*\|\s*([\d.]+)", line)
        if m:
            res[m.group(1)] = float(m.group(3))
    return res


def tokens(n, vocab=49152):
    x, out = 88172645463325252, []
    for _ in range(n):
        x ^= (x << 13) & (2**64 - 1); x ^= x >> 7; x ^= (x << 17) & (2**64 - 1)
        out.append(x % vocab)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fitchat", default="build/fitchat")
    ap.add_argument("--base", help="a second fitchat binary run in the same rounds (before/after)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("-p", type=int, default=128)
    ap.add_argument("-n", type=int, default=64, help="generated tokens; 0: prompt processing only")
    ap.add_argument("--depth", type=int, default=0, help="tokens already in the context when each test starts")
    ap.add_argument("--vocab", type=int, default=49152, help="token ids are drawn below this (the model's n_vocab or less)")
    a = ap.parse_args()
    rows = []
    for t in [int(x) for x in a.threads.split(",")]:
        llm = Llama(a.model, t, a.depth + max(a.p, a.n) + 16)
        all_toks = tokens(a.depth + max(a.p, a.n), a.vocab)
        llm.fill(all_toks[:a.depth])
        toks = all_toks[a.depth:]
        llm.pp(toks[:a.p])  # warm-up
        if a.n:
            llm.tg(toks[:a.n])
        r = {"fc_pp": [], "fc_tg": [], "ll_pp": [], "ll_tg": [], "bs_pp": [], "bs_tg": []}
        for _ in range(a.reps):
            if a.base:
                f = fitchat_run(a.base, a.model, t, a.p, a.n, a.depth)
                r["bs_pp"].append(f["pp"])
                if a.n:
                    r["bs_tg"].append(f["tg"])
            f = fitchat_run(a.fitchat, a.model, t, a.p, a.n, a.depth)
            r["fc_pp"].append(f["pp"])
            if a.n:
                r["fc_tg"].append(f["tg"])
            r["ll_pp"].append(llm.pp(toks[:a.p]))
            if a.n:
                r["ll_tg"].append(llm.tg(toks[:a.n]))
        med = {k: statistics.median(v) for k, v in r.items() if v}
        rng = {k: (min(v), max(v)) for k, v in r.items() if v}
        rows.append((t, med, rng))
    base_h = " fitchat base t/s (median, min..max) |" if a.base else ""
    print(f"| threads | test |{base_h} fitchat t/s (median, min..max) | llama.cpp t/s (median, min..max) | ratio |" +
          (" new/base |" if a.base else ""))
    print("|---|---|---|---|---|" + ("---|---|" if a.base else ""))
    at = f" @ d{a.depth}" if a.depth else ""
    for t, med, rng in rows:
        for test, n in (("pp", a.p), ("tg", a.n))[:2 if a.n else 1]:
            f, l = med[f"fc_{test}"], med[f"ll_{test}"]
            cell = lambda k: f"{med[k]:.1f} ({rng[k][0]:.1f}..{rng[k][1]:.1f})"
            base_c = f" {cell(f'bs_{test}')} |" if a.base else ""
            tail = f" {f / med[f'bs_{test}']:.2f}x |" if a.base else ""
            print(f"| {t} | {test}{n}{at} |{base_c} {cell(f'fc_{test}')} | {cell(f'll_{test}')} | {f / l:.2f}x |{tail}")


if __name__ == "__main__":
    main()

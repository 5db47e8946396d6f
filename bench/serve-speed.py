#!/usr/bin/env python3
"""Serving speed of OpenAI-compatible servers: aggregate tokens/s and time to first token.

Re-run (starts fitchat serve -np 8 and llama-cpp-python's server, interleaves them, prints
the Markdown tables; BENCHMARKS.md, "Serving: aggregate tokens/s and TTFT at 1-8 streams"):

    bash bench/serve-speed.sh [BUILD] [MODEL.gguf] [ROUNDS] [REQUESTS_PER_STREAM]

or drive servers that are already running (one NAME=URL per server, no /v1 in the URL):

    python3 bench/serve-speed.py --server fitchat=http://127.0.0.1:8080 \\
        --server llama.cpp=http://127.0.0.1:8000 --rounds 3 --per-stream 2

Each level of concurrency C (1, 2, 4, 8) runs C streams, each sending PER_STREAM streaming
/v1/completions requests one after the other (closed loop): the same 8 fixed prompts in the
same order for every server, temperature 0, max_tokens 64, and the fields that make every
reply exactly 64 tokens (ignore_eos for fitchat, min_tokens 64 for llama-cpp-python; each
server ignores the other's). Before the timed rounds each prompt is sent once to each server
without streaming (warm-up), and usage.completion_tokens must be 64 for all of them.

Per level and round: aggregate tokens/s = completion tokens of all requests / wall time from
the first request sent to the last reply ended; TTFT = time from sending a request to its
first non-empty text chunk, p50 and p99 (nearest rank) over that level's requests. Rounds
alternate the servers (round 1: A then B per level, round 2: B then A, ...); the tables give
the median over the rounds (and min..max of the aggregate rate). Standard library only;
loopback URLs only.
"""
import argparse
import concurrent.futures as cf
import http.client
import json
import statistics
import sys
import time
import urllib.parse

PROMPTS = [
    "The history of the printing press begins in",
    "Here is a recipe for a simple tomato soup. First,",
    "In mathematics, a prime number is",
    "The old lighthouse keeper looked out over the sea and",
    "To install the package on a Linux machine, open a terminal and",
    "The main causes of the French Revolution were",
    "Photosynthesis is the process by which plants",
    "Once upon a time, in a small village at the edge of a forest,",
]
MAX_TOKENS = 64
LEVELS = [1, 2, 4, 8]
TIMEOUT = 600  # seconds, per request (a socket timeout: no read may stall longer)


def body(prompt, stream):
    b = {"model": "m", "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0,
         "ignore_eos": True, "min_tokens": MAX_TOKENS, "stream": stream}
    if stream:
        b["stream_options"] = {"include_usage": True}
    return json.dumps(b).encode()


def conn(url):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("serve-speed: loopback URLs only (%s)" % url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)


def once(url, prompt):
    """Non-streamed request; returns usage.completion_tokens."""
    c = conn(url)
    try:
        c.request("POST", "/v1/completions", body(prompt, False), {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("HTTP %d: %s" % (r.status, data[:300]))
        return json.loads(data)["usage"]["completion_tokens"]
    finally:
        c.close()


def streamed(url, prompt):
    """One streaming request: (ttft seconds, completion tokens or None, end time)."""
    c = conn(url)
    try:
        t0 = time.perf_counter()
        c.request("POST", "/v1/completions", body(prompt, True), {"Content-Type": "application/json"})
        r = c.getresponse()
        if r.status != 200:
            raise RuntimeError("HTTP %d: %s" % (r.status, r.read()[:300]))
        ttft, tokens, chunks = None, None, 0
        for _ in range(100000):  # bounded: far more lines than 64 tokens make
            line = r.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            ev = json.loads(data)
            if "error" in ev:
                raise RuntimeError("stream error: %s" % ev["error"])
            if ev.get("usage"):
                tokens = ev["usage"].get("completion_tokens")
            for ch in ev.get("choices") or []:
                if ch.get("text"):
                    chunks += 1
                    if ttft is None:
                        ttft = time.perf_counter() - t0
        return ttft, tokens, chunks, time.perf_counter()
    finally:
        c.close()


def level(url, n_streams, per_stream, verified):
    """Runs one concurrency level; returns (tokens/s, [ttft...], [chunks...])."""
    jobs = [[PROMPTS[(s * per_stream + k) % len(PROMPTS)] for k in range(per_stream)] for s in range(n_streams)]

    def stream_loop(prompts):
        return [streamed(url, p) + (p,) for p in prompts]

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(n_streams) as ex:
        res = [x for lst in ex.map(stream_loop, jobs) for x in lst]
    t1 = max(r[3] for r in res)
    toks = sum(r[1] if r[1] is not None else verified[r[4]] for r in res)
    bad = [r for r in res if r[1] is not None and r[1] != MAX_TOKENS]
    if bad:
        raise RuntimeError("a streamed reply had %s tokens, not %d" % (bad[0][1], MAX_TOKENS))
    if any(r[0] is None for r in res):
        raise RuntimeError("a streamed reply had no text")
    return toks / (t1 - t0), [r[0] for r in res], [r[2] for r in res]


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", action="append", required=True, help="NAME=URL (repeat; loopback only)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-stream", type=int, default=2, help="requests each stream sends in a row")
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)))
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    servers = [tuple(s.split("=", 1)) for s in a.server]
    levels = [int(x) for x in a.levels.split(",")]

    verified = {}
    for name, url in servers:
        counts = {p: once(url, p) for p in PROMPTS}
        print("# %s: warm-up, usage.completion_tokens of the 8 prompts: %s" % (name, sorted(set(counts.values()))),
              file=sys.stderr, flush=True)
        if set(counts.values()) != {MAX_TOKENS}:
            sys.exit("serve-speed: %s did not generate %d tokens for every prompt: %s" % (name, MAX_TOKENS, counts))
        verified[name] = counts

    rate = {(n, c): [] for n, _ in servers for c in levels}
    p50 = {(n, c): [] for n, _ in servers for c in levels}
    p99 = {(n, c): [] for n, _ in servers for c in levels}
    chunks = {n: set() for n, _ in servers}
    for rnd in range(a.rounds):
        for c in levels:
            order = servers if rnd % 2 == 0 else servers[::-1]
            for name, url in order:
                tps, ttfts, ch = level(url, c, a.per_stream, verified[name])
                rate[name, c].append(tps)
                p50[name, c].append(pct(ttfts, 50))
                p99[name, c].append(pct(ttfts, 99))
                chunks[name].update(ch)
                print("# round %d, %d streams, %s: %.1f tok/s, TTFT p50 %.0f ms p99 %.0f ms (%d requests)"
                      % (rnd + 1, c, name, tps, pct(ttfts, 50) * 1e3, pct(ttfts, 99) * 1e3, len(ttfts)),
                      file=sys.stderr, flush=True)

    med = statistics.median
    if a.title:
        print("%s\n" % a.title)
    names = [n for n, _ in servers]
    hdr = "| streams | " + " | ".join("%s tok/s (min..max)" % n for n in names)
    hdr += " | " + " | ".join("%s TTFT p50 / p99 ms" % n for n in names) + " |"
    print(hdr)
    print("|" + "---|" * (1 + 2 * len(names)))
    for c in levels:
        cells = ["%.1f (%.1f..%.1f)" % (med(rate[n, c]), min(rate[n, c]), max(rate[n, c])) for n in names]
        cells += ["%.0f / %.0f" % (med(p50[n, c]) * 1e3, med(p99[n, c]) * 1e3) for n in names]
        print("| %d | %s |" % (c, " | ".join(cells)))
    print("\n%d rounds, medians; %d requests per stream, %d tokens each (usage.completion_tokens checked); "
          "text chunks per reply: %s" % (a.rounds, a.per_stream, MAX_TOKENS,
                                         ", ".join("%s %s" % (n, sorted(chunks[n])) for n in names)))


if __name__ == "__main__":
    main()

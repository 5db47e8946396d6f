"""Two fitchat serve replicas behind HAProxy, on 127.0.0.1 (tests/serve_lb.test.sh).

usage: lb_checks.py LB_URL STATS_URL R1_URL R1_PID R2_URL

100 small completions (a 5-token prompt, max_tokens 4, temperature 0, 4 at a time, 30 s timeout each) go
through HAProxy. Once 40 have completed, replica 1 is SIGKILLed while requests are in
flight. Checks: both replicas served some before the kill (their /metrics counters and
HAProxy's X-Served-By header); HAProxy's health check (GET /health) marks replica 1 DOWN
within a few seconds; every request that started after the kill succeeds, on replica 2;
the requests in flight at the kill are retried by HAProxy on replica 2 (retry-on
empty-response, option redispatch) so all 100 succeed; at temperature 0 the same prompt
gives the same text on either replica. Only the standard library.
"""
import concurrent.futures as cf
import csv
import io
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

lb, stats, r1, r1_pid, r2 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
N, KILL_AFTER, CONC, TIMEOUT = 100, 40, 4, 30
PROMPTS = ["The capital of France is", "My favourite color is", "Two plus two is", "Hello, my name is", "Apples are"]


def check(name, cond, why=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)[:800]), flush=True)


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def served_ok(url):
    """fitchat_requests_total{outcome="ok"} of one replica, None when it does not answer."""
    try:
        m = re.search(r'^fitchat_requests_total\{outcome="ok"\} (\d+)$', get(url + "/metrics"), re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def lb_rows():
    """HAProxy's stats CSV rows of the backend, by server name (and "BACKEND")."""
    try:
        text = get(stats + ";csv").lstrip("# ")
    except OSError:
        return {}
    return {row["svname"]: row for row in csv.DictReader(io.StringIO(text)) if row["pxname"] == "fitchat"}


def lb_status():
    """HAProxy's view of each server of the backend: {"r1": "UP", "r2": "DOWN", ...}."""
    return {k: v["status"].split()[0] for k, v in lb_rows().items() if k != "BACKEND"}


def wait_status(want, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if lb_status() == want:
            return True
        time.sleep(0.1)
    return False


kill_time = None  # set (time.monotonic()) right after the SIGKILL
kill_lock = threading.Lock()


def one(i):
    body = {"model": "m", "prompt": PROMPTS[i % len(PROMPTS)], "max_tokens": 4, "temperature": 0}
    req = urllib.request.Request(lb + "/v1/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with kill_lock:
        started_after_kill = kill_time is not None
    t0 = time.monotonic()
    res = {"i": i, "after_kill": started_after_kill, "t0": t0}
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            out = json.loads(r.read())
            res.update(ok=r.status == 200 and out["usage"]["completion_tokens"] >= 1,
                       text=out["choices"][0]["text"], server=r.headers.get("X-Served-By"))
    except (OSError, ValueError, KeyError) as e:
        body = e.read()[:200] if isinstance(e, urllib.error.HTTPError) else b""
        res.update(ok=False, error="%r %r" % (e, body), server=None)
    res["secs"] = time.monotonic() - t0
    return res


check("HAProxy sees both replicas UP (GET /health)", wait_status({"r1": "UP", "r2": "UP"}, 15), lb_status())

results, before = [], None
t_start = time.monotonic()
with cf.ThreadPoolExecutor(CONC) as ex:
    futs = [ex.submit(one, i) for i in range(N)]
    deadline = time.monotonic() + 60
    while sum(f.done() for f in futs) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    before = (served_ok(r1), served_ok(r2))
    os.kill(r1_pid, signal.SIGKILL)
    with kill_lock:
        kill_time = time.monotonic()
    t_down = None
    while time.monotonic() < kill_time + 10:
        if lb_status().get("r1") == "DOWN":
            t_down = time.monotonic() - kill_time
            break
        time.sleep(0.05)
    for f in futs:
        try:
            results.append(f.result(timeout=TIMEOUT + 30))
        except cf.TimeoutError:
            results.append({"ok": False, "error": "no result", "after_kill": True, "server": None})
elapsed = time.monotonic() - t_start

pre = [r for r in results if not r["after_kill"] and r["t0"] + r["secs"] <= kill_time]
inflight = [r for r in results if not r["after_kill"] and r["t0"] + r["secs"] > kill_time]
post = [r for r in results if r["after_kill"]]
by = {s: sum(r.get("server") == s for r in pre) for s in ("r1", "r2")}
print("  %d requests in %.1f s; before the kill %d (r1 %d, r2 %d by X-Served-By; /metrics ok r1 %s, r2 %s),"
      " in flight at the kill %d, after %d" % (len(results), elapsed, len(pre), by["r1"], by["r2"],
                                               before[0], before[1], len(inflight), len(post)))
check("both replicas served requests before the kill (/metrics requests_total ok: %s, %s)" % before,
      None not in before and before[0] > 0 and before[1] > 0, before)
check("the X-Served-By header agrees: both replicas in the first %d" % len(pre), by["r1"] > 0 and by["r2"] > 0, by)
check("HAProxy marks the killed replica DOWN (after %s s)" % (None if t_down is None else "%.2f" % t_down),
      t_down is not None and t_down < 5, lb_status())
bad_post = [r for r in post if not r["ok"] or r["server"] != "r2"]
check("all %d requests started after the kill succeed, on r2" % len(post), post and not bad_post, bad_post)
bad_in = [r for r in inflight if not r["ok"]]
check("the %d in flight at the kill succeed too (HAProxy retries them on r2)" % len(inflight), not bad_in, bad_in)
be = lb_rows().get("BACKEND", {})
print("  HAProxy: %s retries, %s redispatches, %s connection errors, %s response errors" % (
    be.get("wretr"), be.get("wredis"), be.get("econ"), be.get("eresp")))
check("all %d requests succeed" % N, len(results) == N and all(r["ok"] for r in results),
      [r for r in results if not r["ok"]])
texts = {}
for r in results:
    if r["ok"]:
        texts.setdefault(r["i"] % len(PROMPTS), set()).add(r["text"])
check("temperature 0: each prompt gives one text on either replica", all(len(s) == 1 for s in texts.values()),
      texts)
after = served_ok(r2)
check("r2's /metrics counts the requests after the kill (%s -> %s)" % (before[1], after),
      after is not None and before[1] is not None and after - before[1] >= len(post), (before[1], after, len(post)))
check("r1 is gone", served_ok(r1) is None)

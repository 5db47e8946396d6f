"""fitchat serve under bounded load, on 127.0.0.1 (tests/serve_load.test.sh).

usage: load_checks.py URL MODE
  MODE parallel: 8 concurrent requests at temperature 0, each equal to the same request
                 alone; prefix reuse; a client that leaves mid-stream (and one that leaves
                 a non-streamed request) frees its slot.
  MODE soak PID: 300 requests at concurrency 16 with faults; RSS of PID steady.
  MODE queue:    (server with -np 1 --queue 1) a third concurrent request gets a 503 with
                 Retry-After, through openai.InternalServerError.
"""
import concurrent.futures as cf
import re
import sys
import threading
import time

import httpx
import openai

url, mode = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0, timeout=120)


def check(name, cond, why=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)), flush=True)


def metric(name):
    text = httpx.get(url + "/metrics", timeout=10).text
    m = re.search(r"^fitchat_%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def wait_metric(name, value, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if metric(name) == value:
            return True
        time.sleep(0.05)
    return False


QUESTIONS = ["What is the capital of France?", "Name a color.", "What is 2 + 2?", "Write a word that rhymes with cat."]


def ask(q, stream=False):
    msgs = [{"role": "user", "content": q}]
    if not stream:
        r = client.chat.completions.create(model="m", messages=msgs, temperature=0, max_tokens=24)
        return r.choices[0].message.content
    out = client.chat.completions.create(model="m", messages=msgs, temperature=0, max_tokens=24, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in out if c.choices)


if mode == "parallel":
    # Alone first, each from a fresh slot state as far as the prefix goes.
    alone = {q: ask(q) for q in QUESTIONS}
    check("alone: 4 answers", all(alone.values()), alone)
    jobs = [(q, i % 2 == 1) for i, q in enumerate(QUESTIONS * 2)]
    t0 = time.time()
    with cf.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda a: ask(*a), jobs))
    diff = [(q, g, alone[q]) for (q, _), g in zip(jobs, got) if g != alone[q]]
    check("8 concurrent requests at temperature 0 equal the same request alone", not diff, diff)
    print("  8 concurrent in %.1f s" % (time.time() - t0))
    check("all slots idle after", wait_metric("requests_active", 0, 5), metric("requests_active"))
    reused = metric("prompt_tokens_reused_total")
    ask(QUESTIONS[0])
    check("prefix reuse: an asked-again prompt reuses its slot's cache (whole chunks of -b 16)",
          metric("prompt_tokens_reused_total") - reused >= 16, (reused, metric("prompt_tokens_reused_total")))

    # A streaming client that leaves after a few chunks: its slot is free within a step.
    body = {"model": "m", "prompt": "Count: 1, 2, 3,", "max_tokens": 3000, "ignore_eos": True, "stream": True,
            "temperature": 0}
    ok0, cancelled0 = metric('requests_total{outcome="ok"}'), metric('requests_total{outcome="cancelled"}')
    busy = None
    with httpx.stream("POST", url + "/v1/completions", json=body, timeout=60) as s:
        n = 0
        for line in s.iter_lines():
            n += line.startswith("data: {")
            if n == 3:
                busy = metric("requests_active")
            if n >= 4:
                break  # the generator's end closes the connection
    t_close = time.time()
    freed = wait_metric("requests_active", 0, 5)
    check("stream closed mid-way: slot freed (active 1 -> 0)", busy == 1 and freed, (busy, metric("requests_active")))
    print("  freed %.2f s after the close" % (time.time() - t_close))
    gen = metric("generated_tokens_total")
    time.sleep(0.3)
    check("  ... and no more tokens generated for it", metric("generated_tokens_total") == gen)

    # A non-streamed request whose client gives up.
    body.pop("stream")
    def leave():
        try:
            httpx.post(url + "/v1/completions", json=body, timeout=1.0)
        except httpx.TimeoutException:
            pass
    t = threading.Thread(target=leave)
    t.start()
    time.sleep(0.5)
    busy = metric("requests_active")
    t.join()
    check("non-streamed request abandoned: slot freed", busy == 1 and wait_metric("requests_active", 0, 5),
          (busy, metric("requests_active")))
    check("the two abandoned requests count as cancelled, not ok (/metrics)",
          metric('requests_total{outcome="cancelled"}') - cancelled0 == 2 and metric('requests_total{outcome="ok"}') == ok0,
          (ok0, cancelled0, metric('requests_total{outcome="ok"}'), metric('requests_total{outcome="cancelled"}')))
    check("the server still answers", ask(QUESTIONS[0]) == alone[QUESTIONS[0]])

elif mode == "queue":
    long_req = {"model": "m", "prompt": "Count: 1, 2, 3,", "max_tokens": 120, "ignore_eos": True, "temperature": 0}
    results = []

    def run():
        try:
            r = httpx.post(url + "/v1/completions", json=long_req, timeout=120)
            results.append(r.status_code)
        except Exception as e:  # noqa: BLE001
            results.append(repr(e))
    ts = [threading.Thread(target=run) for _ in range(2)]
    for t in ts:
        t.start()
        time.sleep(0.2)
    ok_state = wait_metric("requests_queued", 1, 5) and metric("requests_active") == 1
    check("one generating, one queued", ok_state, (metric("requests_active"), metric("requests_queued")))
    try:
        client.completions.create(model="m", prompt="hi", max_tokens=2)
        check("503 when the queue is full", False, "accepted")
    except openai.InternalServerError as e:
        check("503 InternalServerError when the queue is full, with Retry-After",
              e.status_code == 503 and e.response.headers.get("retry-after") == "1" and e.code == "server_busy", e)
    for t in ts:
        t.join()
    check("the two accepted requests complete", results == [200, 200], results)
    check("rejected counted in /metrics", (metric('requests_total{outcome="rejected"}') or 0) >= 1)

elif mode == "soak":
    # 300 requests at concurrency 16 (bounded: each with a timeout), one in ten leaving
    # mid-stream, one in twenty with a malformed body: no crash, no 5xx but 503 (queue
    # full), every slot free at the end, and RSS after 300 within 5 % of RSS after 30.
    pid = int(sys.argv[3])
    rss_check = len(sys.argv) < 5 or sys.argv[4] == "1"

    def rss():
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    statuses, lock = {}, threading.Lock()

    def one(i):
        q = QUESTIONS[i % len(QUESTIONS)] + " (%d)" % (i % 7)
        try:
            if i % 20 == 7:
                r = httpx.post(url + "/v1/chat/completions", content=b'{"model": "m", "messages": [{"role": ',
                               headers={"content-type": "application/json"}, timeout=60)
                code = r.status_code
            elif i % 10 == 3:
                body = {"model": "m", "messages": [{"role": "user", "content": q}], "max_tokens": 40, "stream": True}
                with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=60) as s:
                    code = s.status_code
                    for n, _ in enumerate(s.iter_lines()):
                        if n >= 2:
                            break  # leave mid-stream
            else:
                body = {"model": "m", "messages": [{"role": "user", "content": q}], "max_tokens": 8, "temperature": 0}
                code = httpx.post(url + "/v1/chat/completions", json=body, timeout=60).status_code
        except httpx.HTTPError as e:
            code = type(e).__name__
        with lock:
            statuses[code] = statuses.get(code, 0) + 1

    def run(lo, hi):
        with cf.ThreadPoolExecutor(16) as ex:
            list(ex.map(one, range(lo, hi)))

    t0 = time.time()
    run(0, 30)
    wait_metric("requests_active", 0, 10)
    rss30 = rss()
    run(30, 300)
    idle = wait_metric("requests_active", 0, 10)
    rss300 = rss()
    print("  300 requests in %.1f s: %s; RSS %d -> %d KiB" % (time.time() - t0, statuses, rss30 // 1024, rss300 // 1024))
    bad = {k: v for k, v in statuses.items() if not (k in (200, 400, 503))}
    check("300 requests at concurrency 16: only 200, 400 (malformed) and 503 (queue full)", not bad, statuses)
    check("malformed bodies answered 400", statuses.get(400, 0) >= 300 // 20, statuses)
    check("every slot free at the end (/metrics: 0 active, 0 queued)", idle and metric("requests_queued") == 0,
          (metric("requests_active"), metric("requests_queued")))
    if rss_check:
        check("RSS after 300 requests within 5 %% of RSS after 30 (%d vs %d KiB)" % (rss300 // 1024, rss30 // 1024),
              rss30 > 0 and abs(rss300 - rss30) <= 0.05 * rss30)
    else:
        print("skip RSS bound under the sanitizers (their allocator keeps freed memory)")
    check("the server still answers", ask(QUESTIONS[0]) != "")

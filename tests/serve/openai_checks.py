"""fitchat serve through the official openai package (tests/serve.test.sh).

usage: openai_checks.py URL RUN_TEXT
  RUN_TEXT: what `fitchat run -p "Once upon a time" -n 16 --temp 0` printed, which the
  completion at temperature 0 must equal.
Prints "ok NAME" / "FAIL NAME: why" per check.
"""
import socket
import sys
import urllib.parse

import httpx
import openai

url, run_text = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0, timeout=60)
Q = [{"role": "user", "content": "What is the capital of France?"}]


def check(name, cond, why=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)), flush=True)


def expect_error(name, cls, status, fn, needle=None):
    try:
        fn()
    except cls as e:
        msg = str(e)
        good = e.status_code == status and (needle is None or needle in msg)
        check(name, good, "status %s, %s" % (e.status_code, msg))
        return e
    except Exception as e:  # noqa: BLE001 (the wrong exception is the failure)
        check(name, False, "raised %s: %s" % (type(e).__name__, e))
        return None
    check(name, False, "no error")
    return None


models = client.models.list().data
check("models: one model with an id", len(models) == 1 and models[0].id, models)
model = models[0].id
m1 = client.models.retrieve(model)
check("models.retrieve: the model by its id", m1.id == model and m1.object == "model", m1)

r = client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30)
text = r.choices[0].message.content
check("chat: greedy answer", text == "The capital of France is Paris.", text)
check("chat: finish_reason stop", r.choices[0].finish_reason == "stop", r.choices[0].finish_reason)
check("chat: usage counts", r.usage.prompt_tokens > 10 and r.usage.completion_tokens == 7
      and r.usage.total_tokens == r.usage.prompt_tokens + 7, r.usage)

chunks = list(client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30, stream=True,
                                             stream_options={"include_usage": True}))
deltas = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("chat stream: same text as not streamed", deltas == text, deltas)
check("chat stream: role in the first chunk", chunks[0].choices[0].delta.role == "assistant", chunks[0])
fin = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
check("chat stream: one finish_reason stop", fin == ["stop"], fin)
check("chat stream: usage chunk last", chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
      and not chunks[-1].choices, chunks[-1])

parts = [{"role": "user", "content": [{"type": "text", "text": "What is the capital"},
                                      {"type": "text", "text": " of France?"}]}]
r2 = client.chat.completions.create(model=model, messages=parts, temperature=0, max_tokens=30)
check("chat: text-part content equals the string", r2.choices[0].message.content == text, r2.choices[0].message.content)

sys_q = [{"role": "system", "content": "You are a helpful assistant."}] + Q
r3 = client.chat.completions.create(model=model, messages=sys_q, temperature=0, max_tokens=30)
check("chat: a system message is accepted", r3.choices[0].finish_reason in ("stop", "length"), r3)

r4 = client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30, stop=["Paris"])
check("chat: stop string ends the text before it", r4.choices[0].message.content == "The capital of France is "
      and r4.choices[0].finish_reason == "stop", r4.choices[0])

r5 = client.chat.completions.create(model=model, messages=Q, temperature=0, max_completion_tokens=3)
check("chat: max_completion_tokens -> finish_reason length", r5.choices[0].finish_reason == "length"
      and r5.usage.completion_tokens == 3, r5.choices[0])

a = client.chat.completions.create(model=model, messages=Q, temperature=0.9, seed=42, max_tokens=20).choices[0].message.content
b = client.chat.completions.create(model=model, messages=Q, temperature=0.9, seed=42, max_tokens=20).choices[0].message.content
check("chat: same seed, same sample", a == b, (a, b))

r6 = client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30, presence_penalty=1.5,
                                    frequency_penalty=1.0, top_p=0.9, extra_body={"min_p": 0.1, "top_k": 20})
check("chat: penalties and top_p/top_k/min_p accepted", r6.choices[0].message.content, r6)

c = client.completions.create(model=model, prompt="Once upon a time", temperature=0, max_tokens=16)
check("completions: equals fitchat run", c.choices[0].text == run_text, (c.choices[0].text, run_text))
check("completions: finish_reason length", c.choices[0].finish_reason == "length", c.choices[0].finish_reason)
cs = list(client.completions.create(model=model, prompt="Once upon a time", temperature=0, max_tokens=16, stream=True))
check("completions stream: same text", "".join(x.choices[0].text for x in cs if x.choices) == run_text, cs[-1])

# Special-token text in a prompt stays text: several tokens, not the one control token.
sp = client.completions.create(model=model, prompt="<|im_start|>", temperature=0, max_tokens=1)
check("completions: '<|im_start|>' in the prompt is text (several tokens)", sp.usage.prompt_tokens > 2, sp.usage)

e = expect_error("400 BadRequestError: temperature of the wrong type", openai.BadRequestError, 400,
                 lambda: client.chat.completions.create(model=model, messages=Q, temperature="hot"), "temperature")
if e is not None:
    check("400 body: OpenAI's error shape naming the field", e.body and e.body.get("param") == "temperature"
          and e.body.get("type") == "invalid_request_error", e.body)
expect_error("400: role not supported", openai.BadRequestError, 400,
             lambda: client.chat.completions.create(model=model, messages=[{"role": "robot", "content": "x"}]),
             "messages[0].role")
expect_error("400: messages missing", openai.BadRequestError, 400,
             lambda: client.chat.completions.create(model=model, messages=[]), "messages")
expect_error("400: n > 1 refused", openai.BadRequestError, 400,
             lambda: client.chat.completions.create(model=model, messages=Q, n=2), "n")
e = expect_error("400: prompt + max_tokens over the context", openai.BadRequestError, 400,
                 lambda: client.chat.completions.create(model=model, messages=Q, max_tokens=100000), "context")
if e is not None:
    check("400 context: code context_length_exceeded", e.code == "context_length_exceeded", e.code)
e = expect_error("404 NotFoundError: models.retrieve of another model", openai.NotFoundError, 404,
                 lambda: client.models.retrieve("nope"), "nope")
if e is not None:
    check("404 model: code model_not_found", e.code == "model_not_found", e.code)
expect_error("404 NotFoundError: unknown path", openai.NotFoundError, 404,
             lambda: client.get("/nothing/here", cast_to=object))
big = "word " * (1100 * 1024)  # 5.4 MB, over the 4 MiB default
expect_error("413: body over MAX_BODY", openai.APIStatusError, 413,
             lambda: client.chat.completions.create(model=model, messages=[{"role": "user", "content": big}]))
for name, kw, field in [
        ("response_format json_object", {"response_format": {"type": "json_object"}}, "response_format"),
        ("response_format json_schema", {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}}, "response_format"),
        ("functions", {"extra_body": {"functions": [{"name": "f", "parameters": {}}]}}, "functions"),
        ("tool_choice required", {"tool_choice": "required"}, "tool_choice"),
        ("logit_bias", {"logit_bias": {"15": 5}}, "logit_bias"),
        ("stream_options without stream", {"stream_options": {"include_usage": True}}, "stream_options")]:
    e = expect_error("400: %s refused" % name, openai.BadRequestError, 400,
                     lambda: client.chat.completions.create(model=model, messages=Q, max_tokens=4, **kw), field)
r7 = client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30,
                                    response_format={"type": "text"}, tool_choice="none")
check("chat: response_format text and tool_choice none accepted", r7.choices[0].message.content == text, r7)
c16 = client.completions.create(model=model, prompt="Once upon a time", temperature=0)
check("completions: max_tokens defaults to 16 (OpenAI's default)", c16.usage.completion_tokens == 16
      and c16.choices[0].finish_reason == "length" and c16.choices[0].text == run_text, c16)
# A body just over the limit and one far over it: both a 413 naming the size (read to the end, never a reset).
for size in (5_000_000, 40_000_000):
    try:
        hb = httpx.post(url + "/v1/chat/completions", content=b" " * size,
                        headers={"Content-Type": "application/json"}, timeout=60)
        check("413 for a %d-byte body, its size named" % size, hb.status_code == 413
              and ("%d bytes" % size) in hb.json()["error"]["message"], (hb.status_code, hb.text[:200]))
    except httpx.HTTPError as ex:
        check("413 for a %d-byte body, its size named" % size, False, "%s: %s" % (type(ex).__name__, ex))
# A client that waits for "100 Continue" before sending a body over the limit gets the 413
# instead, without uploading it (RFC 9110 10.1.1).
try:
    u = urllib.parse.urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=10) as sk:
        sk.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
        first = sk.recv(4096).split(b"\r\n", 1)[0]
    check("Expect: 100-continue with a body over MAX_BODY: 413 at once, no 100", first.startswith(b"HTTP/1.1 413"), first)
except OSError as ex:
    check("Expect: 100-continue with a body over MAX_BODY: 413 at once, no 100", False, repr(ex))
# HTTP/1.1 without Host is a 400 (RFC 9112 3.2; libmicrohttpd's strict mode).
try:
    with socket.create_connection((u.hostname, u.port), timeout=10) as sk:
        sk.sendall(b"GET /health HTTP/1.1\r\n\r\n")
        first = sk.recv(4096).split(b"\r\n", 1)[0]
    check("HTTP/1.1 request without Host: 400", first.startswith(b"HTTP/1.1 400"), first)
except OSError as ex:
    check("HTTP/1.1 request without Host: 400", False, repr(ex))
# CORS: a page of this machine may call the server (preflight 204, then the header); another origin may not.
pf = httpx.options(url + "/v1/chat/completions", headers={"Origin": "http://localhost:3000",
                   "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}, timeout=10)
check("CORS preflight from http://localhost:3000: 204 with the allow headers", pf.status_code == 204
      and pf.headers.get("access-control-allow-origin") == "http://localhost:3000"
      and "POST" in pf.headers.get("access-control-allow-methods", "")
      and pf.headers.get("access-control-allow-headers") == "authorization,content-type", (pf.status_code, pf.headers))
hm = httpx.get(url + "/v1/models", headers={"Origin": "http://127.0.0.1:8000"}, timeout=10)
check("CORS: a local page's GET carries Access-Control-Allow-Origin", hm.headers.get("access-control-allow-origin")
      == "http://127.0.0.1:8000", hm.headers)
pf2 = httpx.options(url + "/v1/chat/completions", headers={"Origin": "https://evil.example",
                    "Access-Control-Request-Method": "POST"}, timeout=10)
hm2 = httpx.get(url + "/v1/models", headers={"Origin": "https://evil.example"}, timeout=10)
check("CORS: another site's preflight 403, its GET without the header", pf2.status_code == 403
      and "access-control-allow-origin" not in hm2.headers and "CORS_ORIGINS" in pf2.json()["error"]["message"],
      (pf2.status_code, pf2.text, hm2.headers))
h = httpx.get(url + "/v1/chat/completions", timeout=10)
check("405: GET on a POST endpoint, with Allow", h.status_code == 405 and h.headers.get("allow") == "POST"
      and h.json()["error"]["type"], (h.status_code, h.headers, h.text))
h = httpx.get(url + "/health", timeout=10)
check("health: 200 {status: ok}", h.status_code == 200 and h.json() == {"status": "ok"}, h.text)
r = client.chat.completions.create(model=model, messages=Q, temperature=0, max_tokens=30)
check("chat still answers after the errors", r.choices[0].message.content == text, r)

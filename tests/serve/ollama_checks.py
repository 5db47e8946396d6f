"""fitchat serve's ollama endpoints through the official ollama package (tests/serve_ollama.test.sh).

usage: ollama_checks.py URL CHAT_TEXT
  CHAT_TEXT: the OpenAI endpoint's greedy answer to the same question (must be equal).
"""
import json
import sys

import httpx
import ollama

url, want = sys.argv[1], sys.argv[2]
client = ollama.Client(host=url, timeout=60)
Q = [{"role": "user", "content": "What is the capital of France?"}]
OPT = {"temperature": 0, "num_predict": 30}


def check(name, cond, why=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)), flush=True)


tags = client.list()
check("tags: one model", len(tags.models) == 1 and tags.models[0].model, tags)
model = tags.models[0].model

# /api/show and /api/ps against the GGUF file as the gguf package reads it
import os
import gguf
rd = gguf.GGUFReader(os.environ["FITCHAT_MODEL"])
n_params = sum(int(t.n_elements) for t in rd.tensors)
arch = bytes(rd.fields["general.architecture"].parts[-1]).decode()
ctx_train = int(rd.fields[arch + ".context_length"].parts[-1][0])
by_type = {}
for t in rd.tensors:
    by_type[t.tensor_type.name] = by_type.get(t.tensor_type.name, 0) + int(t.n_bytes)
tmpl = bytes(rd.fields["tokenizer.chat_template"].parts[-1]).decode() if "tokenizer.chat_template" in rd.fields else ""
s = client.show(model)
check("show: parameter count, architecture, trained context as in the file",
      s.modelinfo["general.parameter_count"] == n_params and s.modelinfo["general.architecture"] == arch
      and s.modelinfo[arch + ".context_length"] == ctx_train, s.modelinfo)
check("show: quantization_level the type of most bytes, the chat template",
      s.details.quantization_level == max(by_type, key=by_type.get) and s.template == tmpl and s.details.format == "gguf",
      (s.details, by_type))
check("show: ':latest' tag accepted", client.show(model + ":latest").modelinfo == s.modelinfo)
try:
    client.show("no-such-model")
    check("show: another model is a 404", False, "no error")
except ollama.ResponseError as e:
    check("show: another model is a 404 naming it", e.status_code == 404 and "no-such-model" in e.error, e)
ps = client.ps()
check("ps: the loaded model, its slot context", len(ps.models) == 1 and ps.models[0].model == model
      and ps.models[0].context_length >= 512 and ps.models[0].size_vram == 0, ps)

r = client.chat(model=model, messages=Q, options=OPT)
check("chat: same answer as /v1/chat/completions", r.message.content == want, r.message.content)
check("chat: done, done_reason stop, counts", r.done and r.done_reason == "stop" and r.eval_count == 7
      and r.prompt_eval_count > 10, r)
parts = list(client.chat(model=model, messages=Q, options=OPT, stream=True))
check("chat stream: same text", "".join(p.message.content for p in parts) == want, parts[-1])
check("chat stream: only the last line done", parts[-1].done and not any(p.done for p in parts[:-1]), parts[-1])
for name, x in (("chat", r), ("chat stream", parts[-1])):  # ollama counts from the request's arrival
    check(name + ": total_duration >= prompt_eval_duration + eval_duration > 0",
          x.total_duration >= x.prompt_eval_duration + x.eval_duration > 0, x)

g = client.generate(model=model, prompt="What is the capital of France?", options=OPT)
check("generate: the prompt through the chat template", g.response == want, g.response)
gs = list(client.generate(model=model, prompt="What is the capital of France?", options=OPT, stream=True))
check("generate stream: same text", "".join(p.response for p in gs) == want, gs[-1])
raw = client.generate(model=model, prompt="Once upon a time", raw=True, options={"temperature": 0, "num_predict": 5})
check("generate raw: done_reason length", raw.done_reason == "length" and raw.eval_count == 5, raw)

try:
    client.chat(model=model, messages=Q, options={"temperature": "hot"})
    check("400 ResponseError: bad option", False, "no error")
except ollama.ResponseError as e:
    check("400 ResponseError: bad option names it", e.status_code == 400 and "options.temperature" in e.error, e)

# NDJSON framing: every line a JSON object, the last with done true.
with httpx.stream("POST", url + "/api/chat", json={"model": model, "messages": Q, "options": OPT}, timeout=60) as s:
    ctype = s.headers.get("content-type")
    lines = [ln for ln in s.iter_lines()]
objs = [json.loads(ln) for ln in lines if ln]
check("NDJSON: application/x-ndjson, one object a line, done last", ctype == "application/x-ndjson"
      and len(objs) == len(lines) and objs[-1]["done"] and not any(o["done"] for o in objs[:-1]), (ctype, lines[-2:]))

# Load / unload (no prompt, no messages): answered at once, nothing generated.
ld = client.generate(model=model)
check("generate without a prompt: done_reason load, nothing generated", ld.done and ld.done_reason == "load"
      and ld.response == "" and not ld.eval_count, ld)
ul = client.generate(model=model, keep_alive=0)
check("generate without a prompt, keep_alive 0: done_reason unload", ul.done and ul.done_reason == "unload", ul)
lc = client.chat(model=model, messages=[])
check("chat without messages: done_reason load", lc.done and lc.done_reason == "load" and lc.message.content == "", lc)
h = httpx.post(url + "/api/generate", json={"model": model, "prompt": ""}, timeout=10)
check("generate with an empty prompt: one done line", h.status_code == 200 and h.json()["done_reason"] == "load", h.text)

# num_predict beyond the context: generation runs until the context is full (done_reason length), as ollama's does.
n_ctx = client.ps().models[0].context_length
try:
    hb = httpx.post(url + "/api/generate", json={"model": model, "prompt": "x" + " a" * (n_ctx - 60), "raw": True,
                    "stream": False, "ignore_eos": True, "options": {"temperature": 0, "num_predict": 1 << 20}}, timeout=300)
    big = hb.json()
    check("num_predict over the context: generated until the context is full (done_reason length), not refused",
          hb.status_code == 200 and big.get("done_reason") == "length" and big["eval_count"] > 0
          and big["prompt_eval_count"] + big["eval_count"] == n_ctx, (hb.status_code, n_ctx, hb.text[-300:]))
except httpx.HTTPError as ex:
    check("num_predict over the context: generated until the context is full", False, "%s: %s" % (type(ex).__name__, ex))

# What this server cannot honour is a 400 naming the field, not a different answer.
for name, kw, field in [("tools", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
                        ("think", {"think": True}, "think"),
                        ("format json", {"format": "json"}, "format")]:
    try:
        client.chat(model=model, messages=Q, options=OPT, **kw)
        check("400: %s refused" % name, False, "no error")
    except ollama.ResponseError as e:
        check("400: %s refused, naming it" % name, e.status_code == 400 and field in e.error, e)
h = httpx.post(url + "/api/generate", json={"model": model, "prompt": "hi", "context": [1, 2, 3]}, timeout=10)
check("400: context (token ids) refused", h.status_code == 400 and "context" in h.json()["error"], h.text)

v = httpx.get(url + "/api/version", timeout=10)
check("version: {version: ...}", v.status_code == 200 and v.json()["version"], v.text)
root = httpx.get(url + "/", timeout=10)
check("GET /: 200, the server is running", root.status_code == 200 and "running" in root.text, root.text)

"""Reference renderer for the chat-template conformance test (tests/templates.test.sh).

Renders one Jinja chat template over every case of a cases file with Python's jinja2 set up
as Hugging Face transformers' apply_chat_template does: ImmutableSandboxedEnvironment(
trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, AssistantTracker]), tojson = json.dumps
(ensure_ascii=False, no HTML escaping), globals raise_exception and strftime_now (the time is
pinned by the cases file's "now", seconds since the epoch, UTC), and transformers' own
{% generation %} ... {% endgeneration %} tag (its AssistantTracker extension: the block renders
its body; transformers only records where it was).

usage: render_templates.py TEMPLATE CASES.json OUTDIR
writes OUTDIR/<case>.out (the rendered text, bytes) or OUTDIR/<case>.err (one line: the
exception class, a tab, its message).
"""
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    """transformers' {% generation %} tag, without the index tracking (not part of the text)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def main():
    tmpl_path, cases_path, outdir = sys.argv[1:4]
    with open(cases_path, encoding="utf-8") as f:
        spec = json.load(f)
    now = datetime.fromtimestamp(spec["now"], tz=timezone.utc)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return now.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, AssistantTracker])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    with open(tmpl_path, "rb") as f:
        source = f.read().decode("utf-8")
    os.makedirs(outdir, exist_ok=True)
    try:
        template = env.from_string(source)
    except Exception as e:  # a parse error fails every case
        template = e
    for case in spec["cases"]:
        name = case["name"]
        try:
            if isinstance(template, Exception):
                raise template
            variables = dict(case["vars"])
            text = template.render(**variables)
            with open(os.path.join(outdir, name + ".out"), "wb") as f:
                f.write(text.encode("utf-8"))
        except Exception as e:
            msg = str(e).replace("\n", " ")
            with open(os.path.join(outdir, name + ".err"), "w", encoding="utf-8") as f:
                f.write(f"{type(e).__name__}\t{msg}\n")


if __name__ == "__main__":
    main()

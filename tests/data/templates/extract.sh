#!/usr/bin/env bash
# Regenerates tests/data/templates/*.jinja: tokenizer.chat_template of the default model and of the
# shared tokenizer fixtures that carry one. Needs python with the `gguf` package (PYTHON=/tmp/venv/bin/python).
cd "$(dirname "$0")" && ${PYTHON:-python3} -c 'import gguf,sys,os
for f in sys.argv[1:]:
    t = gguf.GGUFReader(f).fields.get("tokenizer.chat_template")
    if t: open(os.path.basename(f).replace("ggml-vocab-", "").replace(".gguf", "") + ".jinja", "wb").write(bytes(t.parts[t.data[0]]))
' "${FITCHAT_MODEL:-$HOME/.cache/fitchat/models/SmolLM2-135M-Instruct.Q4_1.gguf}" "${FITCHAT_TESTDATA:-../../../../shared/testdata}"/tokenizer/*.gguf

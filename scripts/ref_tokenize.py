#!/usr/bin/env python3
"""Independent reference ids for tests/test_tokenizer.c: builds a Hugging Face
`tokenizers` BPE from the vocabulary and merges stored in a GGUF file (read
with the `gguf` package) and prints C initialisers for the given texts.

    /tmp/venv/bin/python scripts/ref_tokenize.py MODEL.gguf

Only the smollm / starcoder pre-tokenizer (single digits, then GPT-2
byte-level) is set up here; that is what the default model uses.
"""
import json
import sys

import gguf
from tokenizers import Tokenizer, models, pre_tokenizers, AddedToken

TEXTS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's 12345 dollars, isn't it?",
    "def add(a, b):\n    return a + b\n\n\n",
    "   leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\n\r\nmixed \t \n end",
    "Ünïcödé: naïve café, Straße, 日本語のテキスト, 한국어, Ελληνικά, русский",
    "emoji 🚀🔥 family 👨‍👩‍👧 flag 🇫🇷 and ✅",
    "3.14159 + 2,718 = 5.86e0; 1000000",
    "<|im_start|>user\nHi<|im_end|>",
]


def field_value(r, key):
    f = r.fields[key]
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        return [bytes(f.parts[i]).decode('utf-8') if f.types[-1] == gguf.GGUFValueType.STRING
                else int(f.parts[i][0]) for i in f.data]
    return f.parts[f.data[0]][0]


def main():
    r = gguf.GGUFReader(sys.argv[1])
    tokens = field_value(r, 'tokenizer.ggml.tokens')
    types = field_value(r, 'tokenizer.ggml.token_type')
    merges = [tuple(m.split(' ', 1)) for m in field_value(r, 'tokenizer.ggml.merges')]
    tk = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    # Plain: control-token text is ordinary text (parse_special = false).
    print('/* parse_special = false */')
    for text in TEXTS:
        ids = tk.encode(text, add_special_tokens=False).ids
        print('    {%s,\n     {%s}},' % (json.dumps(text, ensure_ascii=False), ', '.join(map(str, ids))))
    # With the control tokens registered: what parse_special = true must give.
    tk.add_special_tokens([AddedToken(t, special=True) for t, ty in zip(tokens, types) if ty == 3])
    print('/* parse_special = true */')
    for text in TEXTS:
        if '<|' in text:
            ids = tk.encode(text, add_special_tokens=False).ids
            print('    {%s,\n     {%s}},' % (json.dumps(text, ensure_ascii=False), ', '.join(map(str, ids))))


if __name__ == '__main__':
    main()

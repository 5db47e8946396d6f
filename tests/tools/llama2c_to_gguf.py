#!/usr/bin/env python3
"""Converts a llama2.c checkpoint (model .bin + tokenizer .bin) to a GGUF v3 file,
architecture `llama`, all tensors F32, with a SentencePiece (`llama`) tokenizer.

  python llama2c_to_gguf.py stories260K.bin tok512.bin out.gguf

Model file: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
vocab_size, seq_len; vocab_size < 0 means a separate classifier follows the RoPE
tables), then float32 weights: token embeddings (V, D); attention RMSNorm (L, D);
wq (L, D, D); wk (L, KVD, D); wv (L, KVD, D); wo (L, D, D); FFN RMSNorm (L, D);
w1 (L, F, D); w2 (L, D, F); w3 (L, F, D); final RMSNorm (D); two RoPE tables
(seq_len, hd/2) each, skipped; [wcls (V, D)].

Every matrix is stored (n_out, n_in) row-major, which is exactly a GGUF tensor with
ne = [n_in, n_out]; llama2.c's RoPE already rotates adjacent pairs (2i, 2i+1) like
llama.cpp's `llama` architecture, so wq/wk need no permutation (HF checkpoints do).

Tokenizer file: int32 max token length, then per token: float32 score, int32 byte
length, bytes. llama2.c's exporter replaced SentencePiece's U+2581 "▁" by a plain
space and named BOS/EOS "\\n<s>\\n" / "\\n</s>\\n". We store the pieces as
SentencePiece itself does (and as llama.cpp's GGUFs of SentencePiece models do):
every ' ' becomes '▁' again, BOS/EOS are "<s>" / "</s>". A SentencePiece piece never
contains a literal space, so the mapping is exact. fitchat's SentencePiece
tokenizer therefore sees the same vocabulary shape as in any llama-spm GGUF.
Token types: 2 unknown (id 0), 3 control (ids 1, 2), 6 byte (<0x00>..<0xFF>),
1 normal otherwise.
"""
import struct
import sys

import numpy as np
import gguf


def read_model(path):
    with open(path, "rb") as f:
        data = f.read()
    dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = struct.unpack_from("<7i", data, 0)
    shared = vocab > 0
    vocab = abs(vocab)
    hd = dim // n_heads
    kv_dim = n_kv_heads * hd
    floats = np.frombuffer(data, dtype="<f4", offset=7 * 4)
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        a = floats[off:off + n].reshape(shape).astype(np.float32)
        off += n
        return a

    w = {"token_embd": take(vocab, dim),
         "attn_norm": take(n_layers, dim),
         "wq": take(n_layers, dim, dim),
         "wk": take(n_layers, kv_dim, dim),
         "wv": take(n_layers, kv_dim, dim),
         "wo": take(n_layers, dim, dim),
         "ffn_norm": take(n_layers, dim),
         "w1": take(n_layers, hidden, dim),
         "w2": take(n_layers, dim, hidden),
         "w3": take(n_layers, hidden, dim),
         "output_norm": take(dim)}
    take(seq_len, hd // 2)  # legacy freq_cis_real
    take(seq_len, hd // 2)  # legacy freq_cis_imag
    if not shared:
        w["output"] = take(vocab, dim)
    if off != floats.size:
        sys.exit(f"llama2c_to_gguf: {path}: {floats.size - off} trailing floats; not a llama2.c checkpoint?")
    hp = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads,
              n_kv_heads=n_kv_heads, vocab=vocab, seq_len=seq_len)
    return hp, w


def read_tokenizer(path, vocab):
    with open(path, "rb") as f:
        data = f.read()
    off = 4  # max token length, unused
    pieces, scores = [], []
    for _ in range(vocab):
        score, n = struct.unpack_from("<fi", data, off)
        off += 8
        pieces.append(data[off:off + n].decode("utf-8"))
        off += n
        scores.append(score)
    if off != len(data):
        sys.exit(f"llama2c_to_gguf: {path}: {len(data) - off} trailing bytes")
    return pieces, scores


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: llama2c_to_gguf.py MODEL.bin TOKENIZER.bin OUT.gguf")
    model_path, tok_path, out_path = sys.argv[1:]
    hp, w = read_model(model_path)
    pieces, scores = read_tokenizer(tok_path, hp["vocab"])

    tokens, types = [], []
    for i, p in enumerate(pieces):
        if i == 0:
            tokens.append("<unk>"); types.append(gguf.TokenType.UNKNOWN)
        elif i == 1:
            tokens.append("<s>"); types.append(gguf.TokenType.CONTROL)
        elif i == 2:
            tokens.append("</s>"); types.append(gguf.TokenType.CONTROL)
        elif 3 <= i <= 258:
            assert p == f"<0x{i - 3:02X}>", (i, p)
            tokens.append(p); types.append(gguf.TokenType.BYTE)
        else:
            tokens.append(p.replace(" ", "\u2581")); types.append(gguf.TokenType.NORMAL)

    wr = gguf.GGUFWriter(out_path, "llama")  # writes general.architecture
    wr.add_name("stories260K")
    wr.add_context_length(hp["seq_len"])
    wr.add_embedding_length(hp["dim"])
    wr.add_block_count(hp["n_layers"])
    wr.add_feed_forward_length(hp["hidden"])
    wr.add_head_count(hp["n_heads"])
    wr.add_head_count_kv(hp["n_kv_heads"])
    wr.add_rope_dimension_count(hp["dim"] // hp["n_heads"])
    wr.add_rope_freq_base(10000.0)
    wr.add_layer_norm_rms_eps(1e-5)
    wr.add_file_type(gguf.LlamaFileType.ALL_F32)

    wr.add_tokenizer_model("llama")
    wr.add_token_list(tokens)
    wr.add_token_scores(scores)
    wr.add_token_types(types)
    wr.add_bos_token_id(1)
    wr.add_eos_token_id(2)
    wr.add_unk_token_id(0)
    wr.add_add_bos_token(True)
    wr.add_add_eos_token(False)
    wr.add_add_space_prefix(True)

    wr.add_tensor("token_embd.weight", w["token_embd"])
    for l in range(hp["n_layers"]):
        b = f"blk.{l}."
        wr.add_tensor(b + "attn_norm.weight", w["attn_norm"][l])
        wr.add_tensor(b + "attn_q.weight", w["wq"][l])
        wr.add_tensor(b + "attn_k.weight", w["wk"][l])
        wr.add_tensor(b + "attn_v.weight", w["wv"][l])
        wr.add_tensor(b + "attn_output.weight", w["wo"][l])
        wr.add_tensor(b + "ffn_norm.weight", w["ffn_norm"][l])
        wr.add_tensor(b + "ffn_gate.weight", w["w1"][l])
        wr.add_tensor(b + "ffn_down.weight", w["w2"][l])
        wr.add_tensor(b + "ffn_up.weight", w["w3"][l])
    wr.add_tensor("output_norm.weight", w["output_norm"])
    if "output" in w:
        wr.add_tensor("output.weight", w["output"])

    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


if __name__ == "__main__":
    main()

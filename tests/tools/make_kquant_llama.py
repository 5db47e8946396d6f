#!/usr/bin/env python3
"""Writes a tiny random-weight llama GGUF whose matrices use the K-quant and
IQ4 types (and, in the same layer, legacy types: weights sharing an input
then want both activation forms). Blocks are random bytes with their f16
scale fields set to finite values of a size that keeps activations sane; the
gguf package cannot quantize these types, and random blocks are valid ones.

  python tests/tools/make_kquant_llama.py OUT.gguf
"""
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGML_QUANT_SIZES

# type -> (offsets of the f16 fields in a block, the value each is set around)
HALVES = {
    T.Q2_K: ([80, 82], [4e-3, 2e-3]), T.Q3_K: ([108], [8e-4]), T.Q4_K: ([0, 2], [4e-4, 4e-4]),
    T.Q5_K: ([0, 2], [2e-4, 2e-4]), T.Q6_K: ([208], [1e-4]), T.IQ4_NL: ([0], [3e-4]),
    T.IQ4_XS: ([0], [3e-5]), T.Q8_0: ([0], [4e-4]), T.Q4_0: ([0], [6e-3]),
}
N_EMBD, N_FF, N_HEAD, N_KV, VOCAB = 256, 768, 4, 2, 260
LAYERS = [  # q, k, v, o, gate, up, down
    (T.Q4_K, T.Q3_K, T.Q6_K, T.Q5_K, T.Q4_K, T.IQ4_XS, T.Q6_K),
    (T.Q2_K, T.Q8_0, T.IQ4_NL, T.Q4_K, T.Q5_K, T.Q4_0, T.Q6_K),
]

def qtensor(rng, qt, n_out, n_in):
    be, bb = GGML_QUANT_SIZES[qt]
    nb = n_out * n_in // be
    raw = rng.integers(0, 256, (nb, bb), dtype=np.uint8)
    offs, scales = HALVES[qt]
    for off, s in zip(offs, scales):
        raw[:, off:off + 2] = (rng.uniform(0.5, 1.5, nb) * s).astype(np.float16).view(np.uint8).reshape(nb, 2)
    return raw.reshape(n_out, n_in // be * bb)

def add_placeholder_vocab(wr, n):
    """A SentencePiece-style vocabulary of n placeholder pieces (<unk>, <s>,
    </s>, t3, t4, ...): the tests feed token ids, so only its size matters."""
    wr.add_tokenizer_model("llama")
    wr.add_token_list(["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(3, n)])
    wr.add_token_scores([0.0] * n)
    wr.add_token_types([2, 3, 3] + [1] * (n - 3))
    wr.add_bos_token_id(1)
    wr.add_eos_token_id(2)
    wr.add_unk_token_id(0)

def main():
    rng = np.random.default_rng(7)
    wr = gguf.GGUFWriter(sys.argv[1], "llama")
    wr.add_name("kquant-tiny")
    wr.add_context_length(128)
    wr.add_embedding_length(N_EMBD)
    wr.add_block_count(len(LAYERS))
    wr.add_feed_forward_length(N_FF)
    wr.add_head_count(N_HEAD)
    wr.add_head_count_kv(N_KV)
    wr.add_rope_dimension_count(N_EMBD // N_HEAD)
    wr.add_rope_freq_base(10000.0)
    wr.add_layer_norm_rms_eps(1e-5)
    add_placeholder_vocab(wr, VOCAB)

    def add(name, qt, n_out, n_in):
        wr.add_tensor(name, qtensor(rng, qt, n_out, n_in), raw_dtype=qt)

    def norm(name, n):
        wr.add_tensor(name, rng.uniform(0.8, 1.2, n).astype(np.float32))

    add("token_embd.weight", T.Q4_K, VOCAB, N_EMBD)
    hd = N_EMBD // N_HEAD
    for l, (q, k, v, o, g, u, d) in enumerate(LAYERS):
        b = f"blk.{l}."
        norm(b + "attn_norm.weight", N_EMBD)
        add(b + "attn_q.weight", q, N_HEAD * hd, N_EMBD)
        add(b + "attn_k.weight", k, N_KV * hd, N_EMBD)
        add(b + "attn_v.weight", v, N_KV * hd, N_EMBD)
        add(b + "attn_output.weight", o, N_EMBD, N_HEAD * hd)
        norm(b + "ffn_norm.weight", N_EMBD)
        add(b + "ffn_gate.weight", g, N_FF, N_EMBD)
        add(b + "ffn_up.weight", u, N_FF, N_EMBD)
        add(b + "ffn_down.weight", d, N_EMBD, N_FF)
    norm("output_norm.weight", N_EMBD)
    add("output.weight", T.Q6_K, VOCAB, N_EMBD)
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes tiny random-weight models of the architectures the engine runs besides
llama (qwen2, qwen3, phi3, gemma3) plus a Llama 3.1-style llama (llama3), with each architecture's real tensor names
and layouts, in two weight flavours: all matrices Q8_0, and a Q4_K / Q6_K mix.

  python tests/tools/make_arch_models.py OUT_DIR     -> OUT_DIR/{arch}-{q8,kmix}.gguf

Shapes: n_embd 256 (K-quant rows are 256 wide), 4 query heads, 2 KV heads,
head_dim 64 (qwen3: 128, so it differs from n_embd / n_head), n_ff 512,
vocabulary 260 (the run uses --tokens, so a placeholder SentencePiece vocab).
  qwen2   biases on Q/K/V, separate output.weight
  qwen3   per-head Q/K norms, tied output
  phi3    fused attn_qkv and ffn_up (gate rows, then up rows), partial rotary
          (rope.dimension_count 32 of 64), separate output
  gemma3  6 layers (five sliding-window, one global), window 5 (shorter than the
          test prompt, so the ring of KV rows wraps), Q/K norms, post norms,
          local/global RoPE bases, linear RoPE scaling 2 (global layers), tied output
  llama3  arch llama (adjacent-pair RoPE), rope base 500000, rope_freqs.weight
          computed as the Llama 3.1 converter does (factor 8, low/high frequency
          factors 1/4) but with original_max_position_embeddings 64 instead of
          8192, so that the stretched wavelengths matter at the test's positions:
          factors 1 (wavelength < 16), 8 (> 64), smooth in between; separate output
Blocks are random bytes with their f16 scales set (make_kquant_llama.qtensor).
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_kquant_llama import add_placeholder_vocab, qtensor  # noqa: E402

N_EMBD, N_FF, N_HEAD, N_KV, VOCAB = 256, 512, 4, 2, 260

ARCHS = {  # arch: (layers, head_dim, extra)
    "qwen2": dict(layers=2, hd=64, bias=True, tied=False),
    "qwen3": dict(layers=2, hd=128, qk_norm=True, tied=True),
    "phi3": dict(layers=2, hd=64, fused=True, n_rot=32, tied=False),
    "gemma3": dict(layers=6, hd=64, qk_norm=True, post_norms=True, tied=True, window=5),
    "llama3": dict(layers=2, hd=64, tied=False, arch="llama", base=500000.0, llama3_rope=(8.0, 1.0, 4.0, 64)),
}
# flavour -> (type of most matrices, type of the sensitive ones: v, down, output)
FLAVOURS = {"q8": (T.Q8_0, T.Q8_0), "kmix": (T.Q4_K, T.Q6_K)}


def llama3_rope_factors(n_rot, base, factor, low_freq_factor, high_freq_factor, old_context_len):
    """Llama 3.1's rope_scaling "llama3", as a per-pair divisor of the frequency
    (what convert_hf_to_gguf.py stores as rope_freqs.weight)."""
    low_wavelen, high_wavelen = old_context_len / low_freq_factor, old_context_len / high_freq_factor
    out = []
    for i in range(n_rot // 2):
        wavelen = 2 * np.pi * base ** (2 * i / n_rot)
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def write(path, name, cfg, flavour, seed):
    arch = cfg.get("arch", name)
    rng = np.random.default_rng(seed)
    qt, qt_hi = FLAVOURS[flavour]
    hd, L = cfg["hd"], cfg["layers"]
    wr = gguf.GGUFWriter(path, arch)
    wr.add_name(f"{name}-tiny-{flavour}")
    wr.add_context_length(1024)  # room for archs.test.sh's 600-token prompt
    wr.add_embedding_length(N_EMBD)
    wr.add_block_count(L)
    wr.add_feed_forward_length(N_FF)
    wr.add_head_count(N_HEAD)
    wr.add_head_count_kv(N_KV)
    wr.add_key_length(hd)
    wr.add_value_length(hd)
    wr.add_rope_dimension_count(cfg.get("n_rot", hd))
    wr.add_rope_freq_base(cfg.get("base", 1e6 if arch == "gemma3" else 10000.0))
    wr.add_layer_norm_rms_eps(1e-6)
    if "window" in cfg:
        wr.add_sliding_window(cfg["window"])
        wr.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        wr.add_rope_scaling_factor(2.0)
    add_placeholder_vocab(wr, VOCAB)

    def mat(name, t, n_out, n_in):
        wr.add_tensor(name, qtensor(rng, t, n_out, n_in), raw_dtype=t)

    def f32(name, n, lo=0.8, hi=1.2):
        wr.add_tensor(name, rng.uniform(lo, hi, n).astype(np.float32))

    mat("token_embd.weight", qt, VOCAB, N_EMBD)
    if "llama3_rope" in cfg:
        wr.add_tensor("rope_freqs.weight", llama3_rope_factors(cfg.get("n_rot", hd), cfg["base"], *cfg["llama3_rope"]))
    nq, nk = N_HEAD * hd, N_KV * hd
    for l in range(L):
        b = f"blk.{l}."
        f32(b + "attn_norm.weight", N_EMBD)
        if cfg.get("fused"):
            mat(b + "attn_qkv.weight", qt, nq + 2 * nk, N_EMBD)
        else:
            mat(b + "attn_q.weight", qt, nq, N_EMBD)
            mat(b + "attn_k.weight", qt, nk, N_EMBD)
            mat(b + "attn_v.weight", qt_hi, nk, N_EMBD)
        if cfg.get("bias"):
            f32(b + "attn_q.bias", nq, -0.5, 0.5)
            f32(b + "attn_k.bias", nk, -0.5, 0.5)
            f32(b + "attn_v.bias", nk, -0.5, 0.5)
        if cfg.get("qk_norm"):
            f32(b + "attn_q_norm.weight", hd)
            f32(b + "attn_k_norm.weight", hd)
        mat(b + "attn_output.weight", qt, N_EMBD, nq)
        if cfg.get("post_norms"):
            f32(b + "post_attention_norm.weight", N_EMBD)
        f32(b + "ffn_norm.weight", N_EMBD)
        if cfg.get("fused"):
            mat(b + "ffn_up.weight", qt, 2 * N_FF, N_EMBD)
        else:
            mat(b + "ffn_gate.weight", qt, N_FF, N_EMBD)
            mat(b + "ffn_up.weight", qt, N_FF, N_EMBD)
        mat(b + "ffn_down.weight", qt_hi, N_EMBD, N_FF)
        if cfg.get("post_norms"):
            f32(b + "post_ffw_norm.weight", N_EMBD)
    f32("output_norm.weight", N_EMBD)
    if not cfg["tied"]:
        mat("output.weight", qt_hi, VOCAB, N_EMBD)
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    only = sys.argv[2:] or list(ARCHS)
    for i, (name, cfg) in enumerate(ARCHS.items()):
        if name not in only:
            continue
        for j, flavour in enumerate(FLAVOURS):
            write(os.path.join(out, f"{name}-{flavour}.gguf"), name, cfg, flavour, 100 + 10 * i + j)


if __name__ == "__main__":
    main()

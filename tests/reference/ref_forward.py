#!/usr/bin/env python3
"""Independent float64 reference forward pass for GGUF models of the `llama` family
(llama, mistral, qwen2, qwen3, phi3, gemma3).

Written from the model's definition (llama2.c's run.c is the template), not from
fitchat's C code: it shares nothing with the engine but the GGUF file. Weights are
read and dequantized with the `gguf` package (PyPI), then every computation is done
in numpy float64: RMSNorm, RoPE, causal GQA attention with a float64 softmax,
SwiGLU feed-forward, output projection (tied to token_embd when output.weight is
absent).

  python ref_forward.py --model M.gguf --tokens "1 2 3" --out logits.npy [--greedy N]

--out writes float64 logits of shape (n_tokens, n_vocab), one row per prompt
position. --greedy N then generates N tokens (argmax, no early stop), one at a
time with a float64 KV cache, and prints the generated ids on one line.

Shape names: T tokens in this call, S positions in the cache, D = n_embd,
H = n_head, KV = n_head_kv, hd = head_dim, F = n_ff, V = n_vocab.
GGUF lists a tensor's dims fastest first: ne = [n_in, n_out] is the numpy matrix
(n_out, n_in), so a linear layer is  y = x @ W.T.

Architectures, from their published (Hugging Face transformers) definitions:
  qwen2   Q/K/V projections have biases (linear() adds any `.bias` the file has).
  qwen3   RMSNorm of each query and key head (q_norm, k_norm, size hd) before RoPE;
          hd from key_length, independent of D/H.
  phi3    Q, K, V in one matrix attn_qkv (rows Q, then K, then V); gate and up in
          one ffn_up (gate_up_proj: gate rows first, `gate, up = chunk(2)`).
  gemma3  embeddings times sqrt(D); norms of the attention and FFN outputs
          (post_attention_norm, post_ffw_norm) before the residual adds; GeGLU with
          the tanh GELU; Q/K norms; scores scaled by query_pre_attn_scalar^-1/2
          (= hd; D/H in the 27B); five sliding-window layers (the last `window`
          positions) then one global; local RoPE base 10000 without scaling, global
          base rope.freq_base with the linear scaling. The GGUF converter stores
          Gemma's norm weights as 1 + w (the HF model's RMSNorm multiplies by
          1 + w), so they are used as stored, as for every other architecture.
  llama   Llama 3.1/3.2 files carry rope_freqs.weight (n_rot/2 factors f_i, from the
          HF config's rope_scaling "llama3"): pair i rotates by pos * base^(-2i/n_rot) / f_i
          (gemma3's local layers excepted: their RoPE is a separate one).
  Any `{arch}.final_logit_softcapping` c gives logits c * tanh(logits / c).

The options under "perturbations" deliberately break the model; they exist only
to show what error a wrong engine would produce (see README.md).
"""
import argparse
import sys

import numpy as np
import gguf
from gguf.quants import dequantize

# Architectures whose RoPE rotates the pairs (i, i + n_rot/2) ("neox" style, as
# llama.cpp's llama_model_rope_type says); all others (llama, ...) rotate the
# adjacent pairs (2i, 2i+1).
NEOX_ARCHS = {"falcon", "gptneox", "phi2", "phi3", "qwen", "qwen2", "qwen2moe", "qwen3",
              "qwen3moe", "gemma", "gemma2", "gemma3", "stablelm", "starcoder2", "olmo2",
              "nemotron", "exaone", "bitnet"}


class Model:
    def __init__(self, path, rope_type=None, eps=None, q_pos_offset=0, mask_offset=0, gqa_interleaved=False,
                 ignore_rope_freqs=False):
        reader = gguf.GGUFReader(path)
        # metadata, less the big tokenizer arrays (vocab, merges, scores) we do not need
        self.meta = {name: f.contents() for name, f in reader.fields.items()
                     if not (name.startswith("tokenizer.ggml.") and len(f.data) > 1)}
        arch = self.meta["general.architecture"]
        hp = lambda key, default=None: self.meta.get(f"{arch}.{key}", default)
        self.arch = arch
        self.n_embd = int(hp("embedding_length"))                        # D
        self.n_layer = int(hp("block_count"))
        self.n_head = int(hp("attention.head_count"))                    # H
        self.n_head_kv = int(hp("attention.head_count_kv", self.n_head))  # KV
        self.head_dim = int(hp("attention.key_length", self.n_embd // self.n_head))  # hd
        self.n_rot = int(hp("rope.dimension_count", self.head_dim))      # rotated dims per head
        self.rope_base = float(hp("rope.freq_base", 10000.0))
        self.rope_scale = 1.0                                            # position multiplier
        if hp("rope.scaling.type", "none") == "linear":
            self.rope_scale = 1.0 / float(hp("rope.scaling.factor", 1.0))
        self.eps = float(hp("attention.layer_norm_rms_epsilon", 1e-5))
        self.neox = arch in NEOX_ARCHS
        self.window = int(hp("attention.sliding_window", 0))             # 0: no sliding window
        # which layers slide: gemma3 five local then one global, gemma2 every other,
        # phi3 all when the key is present (as Hugging Face runs it); llama, qwen2 and
        # qwen3 none (llama.cpp ignores the key there)
        if arch == "gemma3":
            self.swa = [self.window > 0 and l % 6 != 5 for l in range(self.n_layer)]
        elif arch == "gemma2":
            self.swa = [self.window > 0 and l % 2 == 0 for l in range(self.n_layer)]
        else:
            self.swa = [self.window > 0 and arch == "phi3"] * self.n_layer
        self.rope_base_local = 10000.0 if arch == "gemma3" else self.rope_base
        self.gemma = arch in ("gemma2", "gemma3")
        self.act = "gelu_tanh" if self.gemma else "silu"
        self.embd_scale = np.sqrt(self.n_embd) if self.gemma else 1.0
        self.att_scale = 1.0 / np.sqrt(self.head_dim)
        if arch == "gemma3" and self.n_layer == 62:                       # the 27B: query_pre_attn_scalar = D/H
            self.att_scale = 1.0 / np.sqrt(self.n_embd // self.n_head)
        self.softcap = float(hp("final_logit_softcapping", 0.0))
        # perturbations (for demonstrating the tolerance; never used by the tests)
        if rope_type is not None:
            self.neox = rope_type == "neox"
        if eps is not None:
            self.eps = eps
        self.q_pos_offset = q_pos_offset        # queries rotated at pos + this (keys at pos)
        self.mask_offset = mask_offset          # position t sees keys s <= t + this
        self.gqa_interleaved = gqa_interleaved  # head i uses kv head i % KV instead of i // (H/KV)

        # Dequantize every tensor once, to float64, keyed by its GGUF name.
        self.w, self.wtype = {}, {}
        for t in reader.tensors:
            self.wtype[t.name] = t.tensor_type
            shape = tuple(int(n) for n in reversed(t.shape))             # numpy order
            self.w[t.name] = dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float64)
        self.tok_embd = self.w["token_embd.weight"]                      # (V, D)
        self.output = "output" if "output.weight" in self.w else "token_embd"  # (V, D), tied if absent
        self.n_vocab = self.tok_embd.shape[0]
        # Llama 3.1/3.2 frequency factors: rotated pair i turns at base^(-2i/n_rot) / f_i
        self.freq_factors = self.w.get("rope_freqs.weight")
        if self.freq_factors is not None:
            self.freq_factors = self.freq_factors.reshape(-1)
            if self.freq_factors.shape != (self.n_rot // 2,):
                sys.exit(f"rope_freqs.weight has {self.freq_factors.size} values, expected n_rot/2 = {self.n_rot // 2}")
            if ignore_rope_freqs:
                self.freq_factors = None
        self.eos = self.meta.get("tokenizer.ggml.eos_token_id")

    def new_cache(self, n_ctx):
        # per layer: K and V, (n_ctx, KV, hd)
        return [(np.zeros((n_ctx, self.n_head_kv, self.head_dim)),
                 np.zeros((n_ctx, self.n_head_kv, self.head_dim))) for _ in range(self.n_layer)]

    def rmsnorm(self, x, weight):
        # x: (T, D); normalize each row by its root mean square, then scale
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def rope(self, x, pos, local=False):
        # x: (T, heads, hd); pos: (T,). Rotates the first n_rot dims of each head.
        # local: a gemma3 sliding-window layer (its own base, no scaling)
        half = self.n_rot // 2
        base, scale = (self.rope_base_local, 1.0) if local and self.gemma else (self.rope_base, self.rope_scale)
        inv_freq = base ** (-2.0 * np.arange(half) / self.n_rot)            # (half,)
        if self.freq_factors is not None and not (local and self.gemma):
            inv_freq = inv_freq / self.freq_factors                         # Llama 3.1: wavelengths stretched
        theta = (pos * scale)[:, None] * inv_freq[None, :]                  # (T, half)
        cos, sin = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]     # (T, 1, half)
        x = x.copy()
        if self.neox:   # pairs (i, i + half)
            a, b = x[..., :half].copy(), x[..., half:self.n_rot].copy()
            x[..., :half], x[..., half:self.n_rot] = a * cos - b * sin, a * sin + b * cos
        else:           # pairs (2i, 2i + 1)
            a, b = x[..., 0:self.n_rot:2].copy(), x[..., 1:self.n_rot:2].copy()
            x[..., 0:self.n_rot:2], x[..., 1:self.n_rot:2] = a * cos - b * sin, a * sin + b * cos
        return x

    def kv_store(self, x):
        # what the KV cache keeps of K or V; exact here (tolerance_study.py rounds it)
        return x

    def linear(self, x, name):
        # x: (T, n_in) @ W.T with W (n_out, n_in) -> (T, n_out), plus bias if the file has one
        y = x @ self.w[name + ".weight"].T
        bias = self.w.get(name + ".bias")
        return y if bias is None else y + bias

    def qkv(self, h, p, T):
        # (T, D) -> q (T, H*hd), k (T, KV*hd), v (T, KV*hd); phi3 has them in one matrix
        if p + "attn_qkv.weight" in self.w:
            qkv = self.linear(h, p + "attn_qkv")
            nq, nk = self.n_head * self.head_dim, self.n_head_kv * self.head_dim
            return qkv[:, :nq], qkv[:, nq:nq + nk], qkv[:, nq + nk:]
        return self.linear(h, p + "attn_q"), self.linear(h, p + "attn_k"), self.linear(h, p + "attn_v")

    def ffn(self, h, p):
        # (T, D) -> act(gate) * up (T, F); phi3's ffn_up holds gate then up
        if p + "ffn_gate.weight" in self.w:
            gate, up = self.linear(h, p + "ffn_gate"), self.linear(h, p + "ffn_up")
        else:
            gate, up = np.split(self.linear(h, p + "ffn_up"), 2, axis=-1)
        if self.act == "gelu_tanh":
            g = 0.5 * gate * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (gate + 0.044715 * gate ** 3)))
        else:
            g = gate / (1.0 + np.exp(-gate))
        return g * up

    def post_norm(self, y, name):
        # gemma: norm of a block's output before the residual add; identity elsewhere
        return self.rmsnorm(y, self.w[name]) if name in self.w else y

    def forward(self, tokens, pos0, cache):
        """Runs tokens at positions pos0 .. pos0+T-1; returns logits (T, V)."""
        T, H, KV, hd = len(tokens), self.n_head, self.n_head_kv, self.head_dim
        pos = np.arange(pos0, pos0 + T)                                   # (T,) cache slots
        rope_pos = pos.astype(np.float64)                                 # (T,) rotary positions
        x = self.tok_embd[np.asarray(tokens)] * self.embd_scale           # (T, D)
        for l in range(self.n_layer):
            p = f"blk.{l}."
            # --- attention ---
            h = self.rmsnorm(x, self.w[p + "attn_norm.weight"])           # (T, D)
            q, k, v = self.qkv(h, p, T)
            q = q.reshape(T, H, hd)                                       # (T, H, hd)
            k = k.reshape(T, KV, hd)                                      # (T, KV, hd)
            v = v.reshape(T, KV, hd)                                      # (T, KV, hd)
            if p + "attn_q_norm.weight" in self.w:                        # per-head norms (qwen3, gemma3)
                q = self.rmsnorm(q, self.w[p + "attn_q_norm.weight"])
                k = self.rmsnorm(k, self.w[p + "attn_k_norm.weight"])
            local = self.swa[l]
            q, k = self.rope(q, rope_pos + self.q_pos_offset, local), self.rope(k, rope_pos, local)
            kc, vc = cache[l]
            kc[pos], vc[pos] = self.kv_store(k), self.kv_store(v)
            S = pos0 + T
            K = np.repeat(kc[:S], H // KV, axis=1)                        # (S, H, hd): GQA, head i uses kv head i // (H/KV)
            V = np.repeat(vc[:S], H // KV, axis=1)                        # (S, H, hd)
            if self.gqa_interleaved:
                K, V = np.tile(kc[:S], (1, H // KV, 1)), np.tile(vc[:S], (1, H // KV, 1))
            att = np.einsum("thd,shd->hts", q, K) * self.att_scale        # (H, T, S)
            causal = np.arange(S)[None, :] > pos[:, None] + self.mask_offset  # (T, S): future positions
            if local:                                                     # and those before the window
                causal |= np.arange(S)[None, :] <= pos[:, None] - self.window
            att = np.where(causal[None], -np.inf, att)
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)                        # softmax over s, float64
            o = np.einsum("hts,shd->thd", att, V).reshape(T, H * hd)      # (T, H*hd)
            x = x + self.post_norm(self.linear(o, p + "attn_output"), p + "post_attention_norm.weight")  # (T, D)
            # --- feed-forward (SwiGLU, GeGLU for gemma) ---
            h = self.rmsnorm(x, self.w[p + "ffn_norm.weight"])            # (T, D)
            y = self.linear(self.ffn(h, p), p + "ffn_down")               # (T, D)
            x = x + self.post_norm(y, p + "post_ffw_norm.weight")
        x = self.rmsnorm(x, self.w["output_norm.weight"])                 # (T, D)
        logits = self.linear(x, self.output)                              # (T, V)
        if self.softcap > 0:
            logits = self.softcap * np.tanh(logits / self.softcap)
        return logits

    def run(self, prompt, n_greedy=0):
        """Prompt logits (T, V), n_greedy greedily generated ids, and the logits
        (n_greedy, V) each generated id was chosen from."""
        cache = self.new_cache(len(prompt) + n_greedy)
        logits = self.forward(prompt, 0, cache)
        generated, steps, last = [], [], logits[-1]
        for i in range(n_greedy):
            nxt = int(np.argmax(last))
            generated.append(nxt)
            steps.append(last)
            if i + 1 < n_greedy:
                last = self.forward([nxt], len(prompt) + i, cache)[0]
        return logits, generated, np.array(steps).reshape(n_greedy, self.n_vocab)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="GGUF file")
    ap.add_argument("--tokens", required=True, help='prompt token ids, e.g. "1 2 3"')
    ap.add_argument("--out", help="write float64 logits (n_tokens, n_vocab) as .npy")
    ap.add_argument("--greedy", type=int, default=0, metavar="N", help="generate N tokens greedily, print ids")
    g = ap.add_argument_group("perturbations (deliberately wrong models, for tolerance demonstrations)")
    g.add_argument("--rope-type", choices=["normal", "neox"], help="override the architecture's RoPE pairing")
    g.add_argument("--eps", type=float, help="override the RMSNorm epsilon")
    g.add_argument("--q-pos-offset", type=int, default=0, help="rotate queries at pos+N (keys at pos)")
    g.add_argument("--mask-offset", type=int, default=0, help="causal mask lets position t see up to t+N")
    g.add_argument("--gqa-interleaved", action="store_true", help="head i uses kv head i %% KV")
    g.add_argument("--ignore-rope-freqs", action="store_true", help="leave out rope_freqs.weight (Llama 3.1)")
    args = ap.parse_args()

    prompt = [int(t) for t in args.tokens.split()]
    if not prompt:
        sys.exit("ref_forward: --tokens is empty")
    model = Model(args.model, args.rope_type, args.eps, args.q_pos_offset, args.mask_offset,
                  args.gqa_interleaved, args.ignore_rope_freqs)
    if max(prompt) >= model.n_vocab or min(prompt) < 0:
        sys.exit(f"ref_forward: token id out of range 0..{model.n_vocab - 1}")
    logits, generated, _ = model.run(prompt, args.greedy)
    if args.out:
        np.save(args.out, logits)
    if args.greedy:
        print(" ".join(map(str, generated)))


if __name__ == "__main__":
    main()

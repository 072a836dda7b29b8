"""ModernBERT shapes, seeded random weights (Hugging Face names) and an
independent numpy forward pass written from transformers' ModernBertModel
definition (modeling_modernbert.py), not from imi's ONNX graph.

Definition, as implemented here:
- embeddings: tok_embeddings[ids] -> LayerNorm (no bias unless norm_bias)
- layer i: attn_norm (identity for layer 0) -> Wqkv (no bias unless
  attention_bias) -> q, k, v [heads, n, head_dim]; rotary embedding on q and k
  with rotate_half (first/second half of each head), theta = the
  sliding_attention theta when layer_types[i] is sliding, else the
  full_attention theta; scores q k^T / sqrt(head_dim); layers with
  i % global_attn_every_n_layers != 0 only see |i - j| <= local_attention // 2;
  softmax; Wo; residual.  mlp_norm -> Wi -> (input, gate) halves ->
  Wo(gelu(input) * gate); residual.
- final_norm.
"""

import math

import numpy as np

SIZES = {
    # ruri-v3-30m: 10 layers, hidden 256, 4 heads, intermediate 1024, vocab 102400.
    "30m": dict(layers=10, hidden=256, heads=4, ffn=1024, vocab=102400, local=128, every=3),
    # ruri-v3-310m (ModernBERT-Ja-310m): 25 layers, hidden 768, 12 heads, intermediate 3072.
    "310m": dict(layers=25, hidden=768, heads=12, ffn=3072, vocab=102400, local=128, every=3),
    # Tests: a window of 16 (8 tokens each side) so that JSICK sentences exceed it.
    "tiny": dict(layers=4, hidden=32, heads=4, ffn=48, vocab=None, local=16, every=3),
}


def make_weights(shape, seed, biases=False):
    """{name: float32 array} in PyTorch layout ([out, in] for Linear)."""
    rng = np.random.default_rng(seed)
    h, f = shape["hidden"], shape["ffn"]

    def normal(*dims):
        return (rng.standard_normal(dims, dtype=np.float32) * np.float32(0.02)).astype(np.float32)

    def gamma():
        return (1.0 + rng.standard_normal(h, dtype=np.float32) * np.float32(0.05)).astype(np.float32)

    w = {"embeddings.tok_embeddings.weight": normal(shape["vocab"], h),
         "embeddings.norm.weight": gamma()}
    for i in range(shape["layers"]):
        p = f"layers.{i}."
        if i != 0:
            w[p + "attn_norm.weight"] = gamma()
        w[p + "attn.Wqkv.weight"] = normal(3 * h, h)
        w[p + "attn.Wo.weight"] = normal(h, h)
        w[p + "mlp_norm.weight"] = gamma()
        w[p + "mlp.Wi.weight"] = normal(2 * f, h)
        w[p + "mlp.Wo.weight"] = normal(h, f)
        if biases:
            w[p + "attn.Wqkv.bias"] = normal(3 * h)
            w[p + "attn.Wo.bias"] = normal(h)
            w[p + "mlp.Wi.bias"] = normal(2 * f)
            w[p + "mlp.Wo.bias"] = normal(h)
    w["final_norm.weight"] = gamma()
    if biases:
        for name in [n for n in w if n.endswith("norm.weight")]:
            w[name[:-len("weight")] + "bias"] = normal(h)
    return w


class Config:
    """The parts of a ModernBERT config.json the forward pass needs, read the
    way transformers' ModernBertConfig reads both its older and newer forms."""

    def __init__(self, c):
        self.layers = c["num_hidden_layers"]
        self.hidden = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.ffn = c["intermediate_size"]
        self.eps = c.get("norm_eps", 1e-5)
        self.local = c.get("local_attention", 128)
        self.every = c.get("global_attn_every_n_layers", 3)
        self.norm_bias = c.get("norm_bias", False)
        self.attention_bias = c.get("attention_bias", False)
        self.mlp_bias = c.get("mlp_bias", False)
        rp = c.get("rope_parameters") or {}
        self.theta_full = (rp.get("full_attention") or {}).get("rope_theta", c.get("global_rope_theta", 160000.0))
        self.theta_sliding = (rp.get("sliding_attention") or {}).get("rope_theta",
                                                                     c.get("local_rope_theta", 10000.0))
        types = c.get("layer_types")
        if types is None:
            types = ["sliding_attention" if i % self.every else "full_attention" for i in range(self.layers)]
        self.layer_types = types


def _layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps) * gamma
    return y if beta is None else y + beta


_erf = np.vectorize(math.erf)


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(cfg, w, ids):
    """Last hidden state [n, hidden] (float64) of one unpadded sequence."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    g = lambda name: w[name].astype(np.float64)
    opt = lambda name: w[name].astype(np.float64) if name in w else None
    lin = lambda v, name: v @ g(name + ".weight").T + (opt(name + ".bias") if name + ".bias" in w else 0.0)
    x = _layer_norm(g("embeddings.tok_embeddings.weight")[ids], g("embeddings.norm.weight"),
                    opt("embeddings.norm.bias"), cfg.eps)
    heads, d = cfg.heads, cfg.hidden // cfg.heads
    pos = np.arange(n, dtype=np.float64)
    distance = np.abs(pos[:, None] - pos[None, :])
    for i in range(cfg.layers):
        p = f"layers.{i}."
        h = x if i == 0 else _layer_norm(x, g(p + "attn_norm.weight"), opt(p + "attn_norm.bias"), cfg.eps)
        qkv = lin(h, p + "attn.Wqkv")
        q, k, v = (qkv[:, j * cfg.hidden:(j + 1) * cfg.hidden].reshape(n, heads, d).transpose(1, 0, 2)
                   for j in range(3))
        theta = cfg.theta_sliding if cfg.layer_types[i] == "sliding_attention" else cfg.theta_full
        inv_freq = 1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
        freqs = pos[:, None] * inv_freq[None, :]
        emb = np.concatenate([freqs, freqs], axis=-1)
        cos, sin = np.cos(emb), np.sin(emb)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        if i % cfg.every != 0:
            scores = np.where(distance[None, :, :] <= cfg.local // 2, scores, -np.inf)
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(n, cfg.hidden)
        x = x + lin(ctx, p + "attn.Wo")
        m = _layer_norm(x, g(p + "mlp_norm.weight"), opt(p + "mlp_norm.bias"), cfg.eps)
        wi = lin(m, p + "mlp.Wi")
        inp, gate = wi[:, :cfg.ffn], wi[:, cfg.ffn:]
        x = x + lin(_gelu(inp) * gate, p + "mlp.Wo")
    return _layer_norm(x, g("final_norm.weight"), opt("final_norm.bias"), cfg.eps)

"""Model shapes, seeded random weights and an independent numpy forward pass.

The numpy code is written from the Hugging Face BertModel / XLMRobertaModel
definitions, not from the ONNX graph, so that it checks the graph (and imi)
rather than restating it.
"""

import math

import numpy as np

# Shapes of the real models (paraphrase-multilingual-MiniLM-L12-v2, bge-m3,
# multilingual-e5-small) and tiny ones for unit tests.
SIZES = {
    ("bert", "full"): dict(layers=12, hidden=384, heads=12, ffn=1536, vocab=250037,
                           max_positions=512, type_vocab=2, eps=1e-12, pad_id=0),
    ("bert", "tiny"): dict(layers=2, hidden=32, heads=4, ffn=64, vocab=None,
                           max_positions=512, type_vocab=2, eps=1e-12, pad_id=0),
    ("xlmr", "full"): dict(layers=24, hidden=1024, heads=16, ffn=4096, vocab=250002,
                           max_positions=8194, type_vocab=1, eps=1e-5, pad_id=1),
    ("xlmr", "small"): dict(layers=12, hidden=384, heads=12, ffn=1536, vocab=250037,
                            max_positions=514, type_vocab=1, eps=1e-12, pad_id=1),
    ("xlmr", "tiny"): dict(layers=2, hidden=32, heads=4, ffn=64, vocab=None,
                           max_positions=514, type_vocab=1, eps=1e-5, pad_id=1),
}


def make_weights(shape, seed):
    """Returns {name: float32 array} with HF names, N(0, 0.02) like initializer_range."""
    rng = np.random.default_rng(seed)
    h, f = shape["hidden"], shape["ffn"]

    def normal(*dims):
        return (rng.standard_normal(dims, dtype=np.float32) * np.float32(0.02)).astype(np.float32)

    def ln_gamma():
        return (1.0 + rng.standard_normal(h, dtype=np.float32) * np.float32(0.05)).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": normal(shape["vocab"], h),
        "embeddings.position_embeddings.weight": normal(shape["max_positions"], h),
        "embeddings.token_type_embeddings.weight": normal(shape["type_vocab"], h),
        "embeddings.LayerNorm.weight": ln_gamma(),
        "embeddings.LayerNorm.bias": normal(h),
    }
    for i in range(shape["layers"]):
        p = f"encoder.layer.{i}."
        # Linear weights are stored as [in, out] (the MatMul layout of exported models).
        for name, dims in (("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                           ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                           ("intermediate.dense", (h, f)), ("output.dense", (f, h))):
            w[p + name + ".weight"] = normal(*dims)
            w[p + name + ".bias"] = normal(dims[1])
        w[p + "attention.output.LayerNorm.weight"] = ln_gamma()
        w[p + "attention.output.LayerNorm.bias"] = normal(h)
        w[p + "output.LayerNorm.weight"] = ln_gamma()
        w[p + "output.LayerNorm.bias"] = normal(h)
    return w


def _layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


_erf = np.frompyfunc(math.erf, 1, 1)


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def forward(arch, shape, w, ids, type_ids=None):
    """Last hidden state [n, hidden] (float64) of one unpadded sequence of ids."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    if ids.max() >= shape["vocab"]:
        raise ValueError("token id beyond the vocabulary")
    g = lambda name: w[name].astype(np.float64)
    if arch == "bert":
        positions = np.arange(n)
        types = np.zeros(n, dtype=np.int64) if type_ids is None else np.asarray(type_ids)
    else:
        # XLM-R: positions count non-padding tokens from padding_idx + 1.
        not_pad = (ids != shape["pad_id"]).astype(np.int64)
        positions = np.cumsum(not_pad) * not_pad + shape["pad_id"]
        types = np.zeros(n, dtype=np.int64)
    x = (g("embeddings.word_embeddings.weight")[ids]
         + g("embeddings.position_embeddings.weight")[positions]
         + g("embeddings.token_type_embeddings.weight")[types])
    eps = shape["eps"]
    x = _layer_norm(x, g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"), eps)
    heads = shape["heads"]
    d = shape["hidden"] // heads
    for i in range(shape["layers"]):
        p = f"encoder.layer.{i}."
        lin = lambda name, v: v @ g(p + name + ".weight") + g(p + name + ".bias")
        q = lin("attention.self.query", x).reshape(n, heads, d).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(n, heads, d).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(n, heads, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(n, heads * d)
        x = _layer_norm(lin("attention.output.dense", ctx) + x,
                        g(p + "attention.output.LayerNorm.weight"),
                        g(p + "attention.output.LayerNorm.bias"), eps)
        inter = _gelu(lin("intermediate.dense", x))
        x = _layer_norm(lin("output.dense", inter) + x, g(p + "output.LayerNorm.weight"),
                        g(p + "output.LayerNorm.bias"), eps)
    return x


def pool(tokens, mode):
    """sentence-transformers' Pooling over one unpadded sequence [n, hidden]."""
    n = tokens.shape[0]
    if mode == "mean":
        return tokens.mean(axis=0)
    if mode == "cls":
        return tokens[0]
    if mode == "max":
        return tokens.max(axis=0)
    if mode == "lasttoken":
        return tokens[n - 1]
    if mode == "mean_sqrt_len":
        return tokens.sum(axis=0) / math.sqrt(n)
    raise ValueError("unknown pooling mode " + mode)


def finish(vector, normalize, dimensions):
    """Matryoshka truncation then optional L2 normalisation, as sentence-transformers."""
    if dimensions:
        vector = vector[:dimensions]
    if normalize:
        vector = vector / max(np.linalg.norm(vector), 1e-12)
    return vector

"""Heads on top of the encoder, with seeded random weights and numpy references.

bge-m3 (FlagEmbedding's BGE-M3 / EncoderOnlyEmbedderM3Model), written from its
definition:
  dense   = L2-normalise(h[0])                                   (CLS)
  sparse  = per token relu(h_i . w + b) with sparse_linear (Linear H -> 1); for
            a token id seen more than once the maximum; the ids of CLS, EOS,
            PAD and UNK dropped; only weights > 0 kept
  colbert = for every token after CLS: L2-normalise(W h_i + c) with
            colbert_linear (Linear H -> C)
  scores  = dense: q . p; sparse: sum over shared ids of w_q w_p; colbert: mean
            over query vectors of the best dot product with a passage vector;
            compute_score's 'colbert+sparse+dense' = (w0 d + w1 s + w2 c) / (w0 + w1 + w2)
            and 'sparse+dense' = (w0 d + w1 s) / (w0 + w1)

Cross-encoders (transformers' sequence classification heads):
  bert  BertForSequenceClassification: pooled = tanh(Wp h[0] + bp); logits = Wc pooled + bc
  xlmr  XLMRobertaForSequenceClassification (RobertaClassificationHead):
        x = tanh(Wd h[0] + bd); logits = Wo x + bo
Weights here are in torch's Linear layout [out, in].
"""

import math

import numpy as np


def _normal(rng, *dims, scale=0.02):
    return (rng.standard_normal(dims, dtype=np.float32) * np.float32(scale)).astype(np.float32)


def make_m3_heads(hidden, colbert_dim, seed):
    """sparse_linear and colbert_linear state dicts, torch layout."""
    rng = np.random.default_rng(seed)
    # sparse_linear's scale makes about half the tokens positive, as in bge-m3.
    return {
        "sparse": {"weight": _normal(rng, 1, hidden, scale=0.1), "bias": _normal(rng, 1, scale=0.05)},
        "colbert": {"weight": _normal(rng, colbert_dim, hidden, scale=0.05), "bias": _normal(rng, colbert_dim)},
    }


def _l2_normalise(x):
    """torch.nn.functional.normalize along the last axis (eps 1e-12)."""
    norm = np.sqrt((x * x).sum(axis=-1, keepdims=True))
    return x / np.maximum(norm, 1e-12)


def m3_outputs(tokens, ids, heads, unused_ids):
    """The three outputs of one unpadded sequence.

    tokens: last hidden state [n, hidden] (float64); ids: its n token ids.
    Returns (dense [hidden], sparse {id: weight}, colbert [n - 1, C]).
    """
    g = lambda a: np.asarray(a, dtype=np.float64)
    dense = _l2_normalise(tokens[0])
    weights = np.maximum(tokens @ g(heads["sparse"]["weight"]).T + g(heads["sparse"]["bias"]), 0.0)[:, 0]
    sparse = {}
    for w, i in zip(weights, ids):
        if int(i) in unused_ids or not w > 0:
            continue
        sparse[int(i)] = max(sparse.get(int(i), 0.0), float(w))
    colbert = _l2_normalise(tokens[1:] @ g(heads["colbert"]["weight"]).T + g(heads["colbert"]["bias"]))
    return dense, sparse, colbert


def dense_score(q, p):
    return float(np.dot(q, p))


def sparse_score(q, p):
    return float(sum(w * p[i] for i, w in q.items() if i in p))


def colbert_score(q, p):
    if len(q) == 0 or len(p) == 0:
        return 0.0
    return float((q @ p.T).max(axis=1).sum() / len(q))


def compute_score(dense, sparse, colbert, weights=(0.4, 0.2, 0.4)):
    """FlagEmbedding's M3 compute_score for one pair, from the three component scores."""
    w0, w1, w2 = weights
    return {"dense": dense, "sparse": sparse, "colbert": colbert,
            "sparse+dense": (w1 * sparse + w0 * dense) / (w0 + w1),
            "colbert+sparse+dense": (w2 * colbert + w1 * sparse + w0 * dense) / (w0 + w1 + w2)}


def make_classifier(arch, hidden, num_labels, seed):
    """A sequence classification head with transformers' parameter names."""
    rng = np.random.default_rng(seed)
    if arch == "bert":
        return {"bert.pooler.dense.weight": _normal(rng, hidden, hidden, scale=0.2),
                "bert.pooler.dense.bias": _normal(rng, hidden),
                "classifier.weight": _normal(rng, num_labels, hidden, scale=0.5),
                "classifier.bias": _normal(rng, num_labels)}
    return {"classifier.dense.weight": _normal(rng, hidden, hidden, scale=0.2),
            "classifier.dense.bias": _normal(rng, hidden),
            "classifier.out_proj.weight": _normal(rng, num_labels, hidden, scale=0.5),
            "classifier.out_proj.bias": _normal(rng, num_labels)}


def classifier_logits(arch, tokens, head):
    """Logits [num_labels] of one unpadded sequence's last hidden state [n, hidden]."""
    g = lambda name: np.asarray(head[name], dtype=np.float64)
    cls = tokens[0]
    if arch == "bert":
        pooled = np.tanh(g("bert.pooler.dense.weight") @ cls + g("bert.pooler.dense.bias"))
        return g("classifier.weight") @ pooled + g("classifier.bias")
    x = np.tanh(g("classifier.dense.weight") @ cls + g("classifier.dense.bias"))
    return g("classifier.out_proj.weight") @ x + g("classifier.out_proj.bias")


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))

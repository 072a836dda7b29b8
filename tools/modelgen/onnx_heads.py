"""Output heads appended to the encoder graph of onnx_graph.build_model.

m3_head: the three bge-m3 outputs, laid out as the community ONNX exports of
bge-m3 lay them out (FlagEmbedding's inference model exported whole):
  dense  [batch, hidden]           L2-normalised CLS
  sparse [batch, sequence, 1]      relu(sparse_linear(h)) per token (or [batch, sequence])
  colbert [batch, sequence - 1, C] L2-normalised colbert_linear(h[:, 1:]) * mask[:, 1:]
Output names: aapot/bge-m3-onnx and gpahal/bge-m3-onnx-int8 use dense_vecs,
sparse_vecs, colbert_vecs; yuniko-software/bge-m3-onnx uses dense_embeddings,
sparse_weights, colbert_vectors.

classifier_head: a sequence classification model's logits [batch, num_labels].
Head weights are initializers named "<head>.weight_t" / "<head>.bias" (MatMul
layout [in, out]) so that a reference can read them back.
"""

import numpy as np
from onnx import TensorProto, helper

LAYOUTS = {
    "aapot": ("dense_vecs", "sparse_vecs", "colbert_vecs"),
    "yuniko": ("dense_embeddings", "sparse_weights", "colbert_vectors"),
}


def _linear(b, x, weight, bias, name):
    """x @ weight.T + bias for a torch-layout weight [out, in]."""
    wt = b.init(name + ".weight_t", np.ascontiguousarray(np.asarray(weight, np.float32).T))
    y = b.op("MatMul", [x, wt], name + "_matmul")
    return b.op("Add", [y, b.init(name + ".bias", np.asarray(bias, np.float32))], name + "_add")


def _normalise(b, x, hint):
    norm = b.op("ReduceL2", [x], hint + "_norm", axes=[-1], keepdims=1)
    return b.op("Div", [x, b.op("Max", [norm, b.const(np.float32(1e-12))], hint + "_eps")], hint + "_div")


def m3_head(heads, layout="aapot", sparse_rank=3):
    dense_name, sparse_name, colbert_name = LAYOUTS[layout]
    colbert_dim = np.asarray(heads["colbert"]["weight"]).shape[0]

    def build(b, x, ids, mask):
        hidden = np.asarray(heads["colbert"]["weight"]).shape[1]
        cls = b.op("Gather", [x, b.const(np.int64(0))], "cls", axis=1)
        b.nodes.append(helper.make_node("Identity", [_normalise(b, cls, "dense")], [dense_name]))

        weights = b.op("Relu", [_linear(b, x, heads["sparse"]["weight"], heads["sparse"]["bias"], "sparse_linear")],
                       "sparse_relu")
        if sparse_rank == 2:
            weights = b.op("Squeeze", [weights, b.const(np.array([2], dtype=np.int64))], "sparse_squeeze")
        b.nodes.append(helper.make_node("Identity", [weights], [sparse_name]))

        one = b.const(np.array([1], dtype=np.int64))
        end = b.const(np.array([np.iinfo(np.int64).max], dtype=np.int64))
        after_cls = b.op("Slice", [x, one, end, one], "after_cls")
        vecs = _linear(b, after_cls, heads["colbert"]["weight"], heads["colbert"]["bias"], "colbert_linear")
        maskf = b.op("Cast", [b.op("Slice", [mask, one, end, one], "mask_after_cls")], "mask_after_cls_f",
                     to=TensorProto.FLOAT)
        masked = b.op("Mul", [vecs, b.op("Unsqueeze", [maskf, b.const(np.array([2], dtype=np.int64))],
                                         "mask_unsqueeze")], "colbert_masked")
        b.nodes.append(helper.make_node("Identity", [_normalise(b, masked, "colbert")], [colbert_name]))
        sparse_shape = ["batch", "sequence", 1] if sparse_rank == 3 else ["batch", "sequence"]
        return [helper.make_tensor_value_info(dense_name, TensorProto.FLOAT, ["batch", hidden]),
                helper.make_tensor_value_info(sparse_name, TensorProto.FLOAT, sparse_shape),
                helper.make_tensor_value_info(colbert_name, TensorProto.FLOAT,
                                              ["batch", "sequence_minus_1", colbert_dim])]
    return build


def classifier_head(arch, head):
    def build(b, x, ids, mask):
        cls = b.op("Gather", [x, b.const(np.int64(0))], "cls", axis=1)
        if arch == "bert":
            pooled = b.op("Tanh", [_linear(b, cls, head["bert.pooler.dense.weight"], head["bert.pooler.dense.bias"],
                                           "pooler")], "pooler_tanh")
            logits = _linear(b, pooled, head["classifier.weight"], head["classifier.bias"], "classifier")
            labels = np.asarray(head["classifier.weight"]).shape[0]
        else:
            dense = b.op("Tanh", [_linear(b, cls, head["classifier.dense.weight"], head["classifier.dense.bias"],
                                          "classifier_dense")], "classifier_tanh")
            logits = _linear(b, dense, head["classifier.out_proj.weight"], head["classifier.out_proj.bias"],
                             "classifier_out_proj")
            labels = np.asarray(head["classifier.out_proj.weight"]).shape[0]
        b.nodes.append(helper.make_node("Identity", [logits], ["logits"]))
        return [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])]
    return build


def heads_from_onnx(weights):
    """Head weights (torch layout) back from weights_from_onnx's initializers."""
    out = {}
    for name, value in weights.items():
        if name.endswith(".weight_t"):
            out[name[: -len(".weight_t")] + ".weight"] = np.ascontiguousarray(value.T)
        elif name.startswith(("sparse_linear.", "colbert_linear.", "pooler.", "classifier")) and name.endswith(".bias"):
            out[name] = value
    return out

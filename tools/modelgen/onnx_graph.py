"""Builds the encoder as an ONNX graph (opset 14), FP32 or dynamically quantised.

The FP32 graph has the shape of a Hugging Face / optimum export: decomposed
LayerNorm and erf-GELU (which ONNX Runtime fuses), additive attention mask.
The INT8 graphs follow ONNX Runtime's quantize_dynamic: every MatMul with a
constant weight becomes DynamicQuantizeLinear(activation) -> MatMulInteger
(uint8 activation, int8/uint8 weight, zero points) -> Cast(float) -> Mul(scale
product) -> Add(bias); the word embedding table is stored quantised and
dequantised after the Gather.
"""

import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 14


class _Builder:
    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array, hint="c"):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, hint=None, outputs=1, **attrs):
        outs = [self.name(hint or op_type) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if outputs == 1 else outs


def _quantize_weight(w, mode):
    """Per-tensor weight quantisation as quantize_dynamic: int8 symmetric or uint8 asymmetric."""
    if mode == "qint8":
        absmax = float(np.abs(w).max())
        scale = np.float32(absmax / 127.0 if absmax > 0 else 1.0)
        q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        return q, scale, np.int8(0)
    rmin = min(float(w.min()), 0.0)
    rmax = max(float(w.max()), 0.0)
    scale = np.float32((rmax - rmin) / 255.0 if rmax > rmin else 1.0)
    zero = int(np.clip(np.rint(-rmin / scale), 0, 255))
    q = np.clip(np.rint(w / scale) + zero, 0, 255).astype(np.uint8)
    return q, scale, np.uint8(zero)


def _linear(b, x, w, bias, quant, hint):
    if quant is None:
        y = b.op("MatMul", [x, b.init(hint + ".weight", w)], hint + "_matmul")
    else:
        q, scale, zero = _quantize_weight(w, quant)
        xq, xs, xz = b.op("DynamicQuantizeLinear", [x], hint + "_dql", outputs=3)
        wq = b.init(hint + ".weight_quantized", q)
        wz = b.init(hint + ".weight_zero_point", zero)
        ws = b.init(hint + ".weight_scale", scale)
        acc = b.op("MatMulInteger", [xq, wq, xz, wz], hint + "_matmulinteger")
        accf = b.op("Cast", [acc], hint + "_cast", to=TensorProto.FLOAT)
        s = b.op("Mul", [xs, ws], hint + "_scale")
        y = b.op("Mul", [accf, s], hint + "_dequant")
    return b.op("Add", [y, b.init(hint + ".bias", bias)], hint + "_add")


def _layer_norm(b, x, gamma, beta, eps, hint):
    mean = b.op("ReduceMean", [x], hint + "_mean", axes=[-1])
    centred = b.op("Sub", [x, mean], hint + "_sub")
    sq = b.op("Pow", [centred, b.const(np.float32(2.0))], hint + "_pow")
    var = b.op("ReduceMean", [sq], hint + "_var", axes=[-1])
    std = b.op("Sqrt", [b.op("Add", [var, b.const(np.float32(eps))], hint + "_eps")], hint + "_sqrt")
    normed = b.op("Div", [centred, std], hint + "_div")
    scaled = b.op("Mul", [normed, b.init(hint + ".weight", gamma)], hint + "_gamma")
    return b.op("Add", [scaled, b.init(hint + ".bias", beta)], hint + "_beta")


def _gelu(b, x, hint):
    scaled = b.op("Div", [x, b.const(np.float32(math.sqrt(2.0)))], hint + "_div")
    erf = b.op("Erf", [scaled], hint + "_erf")
    one_plus = b.op("Add", [erf, b.const(np.float32(1.0))], hint + "_add")
    return b.op("Mul", [b.op("Mul", [x, one_plus], hint + "_mul"), b.const(np.float32(0.5))],
                hint + "_half")


def build_model(arch, shape, w, quant=None, input_names=None, head=None):
    """Returns an onnx.ModelProto. quant: None (FP32), 'qint8' or 'quint8'.

    head: None for the output last_hidden_state, or a function (builder,
    hidden state, input_ids name, attention_mask name) returning the graph's
    output value infos (see onnx_heads.py).
    """
    names = {"input_ids": "input_ids", "attention_mask": "attention_mask",
             "token_type_ids": "token_type_ids"}
    names.update(input_names or {})
    b = _Builder()
    h, heads = shape["hidden"], shape["heads"]
    d = h // heads
    ids = names["input_ids"]
    mask = names["attention_mask"]
    inputs = [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "sequence"]),
              helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "sequence"])]
    if arch == "bert":
        inputs.append(helper.make_tensor_value_info(names["token_type_ids"], TensorProto.INT64,
                                                    ["batch", "sequence"]))

    word = w["embeddings.word_embeddings.weight"]
    if quant is None:
        x = b.op("Gather", [b.init("embeddings.word_embeddings.weight", word), ids], "word")
    else:
        q, scale, zero = _quantize_weight(word, quant)
        g = b.op("Gather", [b.init("embeddings.word_embeddings.weight_quantized", q), ids], "word_q")
        x = b.op("DequantizeLinear", [g, b.init("embeddings.word_embeddings.weight_scale", scale),
                                      b.init("embeddings.word_embeddings.weight_zero_point", zero)],
                 "word")

    pos_table = b.init("embeddings.position_embeddings.weight", w["embeddings.position_embeddings.weight"])
    if arch == "bert":
        seq = b.op("Gather", [b.op("Shape", [ids], "shape"), b.const(np.int64(1))], "seq_len")
        positions = b.op("Range", [b.const(np.int64(0)), seq, b.const(np.int64(1))], "positions")
        pos = b.op("Unsqueeze", [b.op("Gather", [pos_table, positions], "pos_gather"),
                                 b.const(np.array([0], dtype=np.int64))], "pos")
        types = b.op("Gather", [b.init("embeddings.token_type_embeddings.weight",
                                       w["embeddings.token_type_embeddings.weight"]),
                                names["token_type_ids"]], "types")
    else:
        pad = np.int64(shape["pad_id"])
        not_pad = b.op("Cast", [b.op("Not", [b.op("Equal", [ids, b.const(pad)], "is_pad")], "not_pad_b")],
                       "not_pad", to=TensorProto.INT64)
        cum = b.op("CumSum", [not_pad, b.const(np.int64(1))], "cumsum")
        positions = b.op("Add", [b.op("Mul", [cum, not_pad], "cum_mask"), b.const(pad)], "positions")
        pos = b.op("Gather", [pos_table, positions], "pos")
        # No token types: the single row [1, hidden] broadcasts over every token.
        types = b.init("embeddings.token_type_embeddings.weight",
                       w["embeddings.token_type_embeddings.weight"])
    x = b.op("Add", [b.op("Add", [x, pos], "emb_pos"), types], "emb_types")
    x = _layer_norm(b, x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                    shape["eps"], "embeddings.LayerNorm")

    # Additive mask [batch, 1, 1, seq]: 0 where attended, float32 min elsewhere.
    maskf = b.op("Cast", [mask], "mask_f", to=TensorProto.FLOAT)
    inv = b.op("Sub", [b.const(np.float32(1.0)), maskf], "mask_inv")
    add_mask = b.op("Unsqueeze", [b.op("Mul", [inv, b.const(np.finfo(np.float32).min)], "mask_min"),
                                  b.const(np.array([1, 2], dtype=np.int64))], "mask_add")

    split_shape = b.const(np.array([0, 0, heads, d], dtype=np.int64), "split_shape")
    merge_shape = b.const(np.array([0, 0, h], dtype=np.int64), "merge_shape")
    inv_sqrt = b.const(np.float32(1.0 / math.sqrt(d)), "inv_sqrt_d")
    for i in range(shape["layers"]):
        p = f"encoder.layer.{i}."
        lin = lambda v, name: _linear(b, v, w[p + name + ".weight"], w[p + name + ".bias"], quant,
                                      p + name)
        q = b.op("Transpose", [b.op("Reshape", [lin(x, "attention.self.query"), split_shape])],
                 perm=[0, 2, 1, 3])
        k = b.op("Transpose", [b.op("Reshape", [lin(x, "attention.self.key"), split_shape])],
                 perm=[0, 2, 3, 1])
        v = b.op("Transpose", [b.op("Reshape", [lin(x, "attention.self.value"), split_shape])],
                 perm=[0, 2, 1, 3])
        scores = b.op("Add", [b.op("Mul", [b.op("MatMul", [q, k]), inv_sqrt]), add_mask])
        probs = b.op("Softmax", [scores], axis=-1)
        ctx = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [probs, v])], perm=[0, 2, 1, 3]),
                               merge_shape])
        attn = lin(ctx, "attention.output.dense")
        x = _layer_norm(b, b.op("Add", [attn, x]), w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"], shape["eps"],
                        p + "attention.output.LayerNorm")
        inter = _gelu(b, lin(x, "intermediate.dense"), p + "gelu")
        out = lin(inter, "output.dense")
        x = _layer_norm(b, b.op("Add", [out, x]), w[p + "output.LayerNorm.weight"],
                        w[p + "output.LayerNorm.bias"], shape["eps"], p + "output.LayerNorm")

    if head is None:
        b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
        outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                                 ["batch", "sequence", h])]
    else:
        outputs = head(b, x, ids, mask)
    graph = helper.make_graph(b.nodes, "imi_modelgen_" + arch, inputs, outputs, b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="imi-modelgen")
    model.ir_version = 8
    return model


def save(model, path):
    """Saves; models over ~1.8 GB keep their weights in path + '_data' (external data)."""
    size = sum(t.ByteSize() for t in model.graph.initializer)
    if size > 1_800_000_000:
        # onnx appends to an existing data file; start from an empty one.
        data = path + "_data"
        if os.path.exists(data):
            os.remove(data)
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.split("/")[-1] + "_data", size_threshold=1024)
    else:
        onnx.save_model(model, path)


def weights_from_onnx(path):
    """Reads back the FP32 weights by their HF names (for the numpy reference)."""
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if "." in t.name}

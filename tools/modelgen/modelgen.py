#!/usr/bin/python3
"""imi model generator: sentence-transformers directories with seeded random
weights (BERT and XLM-RoBERTa encoders), FP32 and INT8 ONNX files, and
expected outputs from an independent numpy forward pass.

  modelgen.py generate --arch bert|xlmr --size tiny|small|full --tokenizer FILE --out DIR
      [--m3 official|aapot|yuniko] [--classifier --num-labels N --activation sigmoid|identity]
  modelgen.py reference --model DIR --ids IDS.json --out EXPECTED.json
  modelgen.py repo --arch modernbert|bert|xlmr --size tiny|30m|310m|... --tokenizer FILE --out DIR
  modelgen.py hf-reference --model DIR --ids TOKENS.jsonl --pooling mean --out EXPECTED.npy
  modelgen.py reference-m3 --model DIR --ids IDS.json --out EXPECTED.json
  modelgen.py reference-rerank --model DIR --ids PAIRS.json --out EXPECTED.json

Needs only Debian's python3-onnx and python3-numpy (no ONNX Runtime).
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import architecture  # noqa: E402
import heads  # noqa: E402
import onnx_graph  # noqa: E402
import repo  # noqa: E402
import onnx_heads  # noqa: E402
import torch_pt  # noqa: E402

DEFAULT_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                 "shared", "model-configs")
POOLING_MODES = ["mean", "cls", "max", "lasttoken", "mean_sqrt_len"]


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path, value):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def _tokenizer_vocab_size(path):
    t = _read_json(path)
    vocab = t["model"]["vocab"]
    size = len(vocab)
    for added in t.get("added_tokens", []):
        size = max(size, added["id"] + 1)
    return size


def _config(arch, shape, templates):
    if arch == "bert":
        c = _read_json(os.path.join(templates, "paraphrase-multilingual-MiniLM-L12-v2", "config.json"))
    else:
        c = _read_json(os.path.join(templates, "bge-m3", "config.json"))
    c.update({
        "hidden_size": shape["hidden"], "num_hidden_layers": shape["layers"],
        "num_attention_heads": shape["heads"], "intermediate_size": shape["ffn"],
        "vocab_size": shape["vocab"], "max_position_embeddings": shape["max_positions"],
        "type_vocab_size": shape["type_vocab"], "layer_norm_eps": shape["eps"],
        "pad_token_id": shape["pad_id"], "hidden_act": "gelu",
    })
    c["_name_or_path"] = "imi-modelgen/" + arch
    return c


def _pooling_config(arch, hidden, mode):
    if arch == "bert":
        # The older boolean layout (paraphrase-multilingual-MiniLM-L12-v2).
        return {"word_embedding_dimension": hidden,
                "pooling_mode_cls_token": mode == "cls",
                "pooling_mode_mean_tokens": mode == "mean",
                "pooling_mode_max_tokens": mode == "max",
                "pooling_mode_mean_sqrt_len_tokens": mode == "mean_sqrt_len",
                "pooling_mode_weightedmean_tokens": False,
                "pooling_mode_lasttoken": mode == "lasttoken",
                "include_prompt": True}
    # The newer single-key layout (bge-m3).
    return {"embedding_dimension": hidden, "pooling_mode": mode, "include_prompt": True}


def generate(args):
    key = (args.arch, args.size)
    if key not in architecture.SIZES:
        sys.exit(f"modelgen: no size '{args.size}' for arch '{args.arch}'")
    shape = dict(architecture.SIZES[key])
    tok_vocab = _tokenizer_vocab_size(args.tokenizer)
    if args.vocab_size:
        shape["vocab"] = args.vocab_size
    elif shape["vocab"] is None:
        shape["vocab"] = tok_vocab
    out = args.out
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)

    config = _config(args.arch, shape, args.templates)
    _write_json(os.path.join(out, "config.json"), config)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if args.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
        os.makedirs(os.path.join(out, "2_Normalize"), exist_ok=True)
    _write_json(os.path.join(out, "modules.json"), modules)
    _write_json(os.path.join(out, "1_Pooling", "config.json"),
                _pooling_config(args.arch, shape["hidden"], args.pooling))
    _write_json(os.path.join(out, "sentence_bert_config.json"),
                {"max_seq_length": args.max_seq_length, "do_lower_case": False})
    prompts = {"query": "query: ", "passage": "passage: "} if args.prompts == "e5" else {}
    _write_json(os.path.join(out, "config_sentence_transformers.json"),
                {"__version__": {"sentence_transformers": "3.0.0"}, "prompts": prompts,
                 "default_prompt_name": None, "similarity_fn_name": "cosine"})
    shutil.copyfile(args.tokenizer, os.path.join(out, "tokenizer.json"))

    weights = architecture.make_weights(shape, args.seed)
    renames = dict(r.split("=", 1) for r in args.rename_input)
    head = _write_heads(args, shape, out, config)
    onnx_dir = out if args.bare else os.path.join(out, "onnx")
    onnx_graph.save(onnx_graph.build_model(args.arch, shape, weights, None, renames, head),
                    os.path.join(onnx_dir, "model.onnx"))
    for variant in args.int8:
        quant = "quint8" if variant.startswith("quint8") else "qint8"
        model = onnx_graph.build_model(args.arch, shape, weights, quant, renames, head)
        onnx_graph.save(model, os.path.join(onnx_dir, f"model_{variant}.onnx"))
    if args.bare:
        os.rmdir(os.path.join(out, "onnx"))
    print(f"modelgen: wrote {args.arch}/{args.size} (vocab {shape['vocab']}, tokenizer vocab "
          f"{tok_vocab}, hidden {shape['hidden']}, layers {shape['layers']}) to {out}")


def _special_tokens(tokenizer_path):
    """cls/eos/pad/unk token strings as an XLM-R or BERT tokenizer's special_tokens_map.json names them."""
    t = _read_json(tokenizer_path)
    added = {a["content"] for a in t.get("added_tokens", [])}
    if "<s>" in added:
        return {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>",
                "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"}
    return {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]",
            "unk_token": "[UNK]"}


def _write_heads(args, shape, out, config):
    """Writes the bge-m3 heads or the classifier config; returns the graph head (None: last_hidden_state)."""
    special = _special_tokens(args.tokenizer)
    _write_json(os.path.join(out, "special_tokens_map.json"), special)
    _write_json(os.path.join(out, "tokenizer_config.json"),
                dict(special, model_max_length=args.max_seq_length, tokenizer_class="XLMRobertaTokenizer"
                     if args.arch == "xlmr" else "BertTokenizer"))
    if args.m3:
        m3 = heads.make_m3_heads(shape["hidden"], args.colbert_dim or shape["hidden"], args.seed + 1000)
        if args.m3 == "official":
            dtype = {"float32": "FloatStorage", "float16": "HalfStorage", "bfloat16": "BFloat16Storage"}[args.pt_dtype]
            for name in ("sparse", "colbert"):
                torch_pt.save_state_dict(os.path.join(out, f"{name}_linear.pt"), m3[name], dtype=dtype)
            return None
        return onnx_heads.m3_head(m3, args.m3, args.sparse_rank)
    if args.classifier:
        head = heads.make_classifier(args.arch, shape["hidden"], args.num_labels, args.seed + 2000)
        cls = "BertForSequenceClassification" if args.arch == "bert" else "XLMRobertaForSequenceClassification"
        config.update({"architectures": [cls], "num_labels": args.num_labels,
                       "id2label": {str(i): f"LABEL_{i}" for i in range(args.num_labels)},
                       "label2id": {f"LABEL_{i}": i for i in range(args.num_labels)}})
        if args.activation:
            fn = {"sigmoid": "Sigmoid", "identity": "Identity"}[args.activation]
            config["sentence_transformers"] = {"activation_fn": f"torch.nn.modules.activation.{fn}",
                                               "version": "4.1.0"}
        _write_json(os.path.join(out, "config.json"), config)
        for f in ("modules.json", "1_Pooling/config.json", "config_sentence_transformers.json"):
            os.remove(os.path.join(out, f))
        os.rmdir(os.path.join(out, "1_Pooling"))
        return onnx_heads.classifier_head(args.arch, head)
    return None


def reference(args):
    """Expected vectors for every case of an ids file (see tests/model/ref/embed_ref.mjs)."""
    config = _read_json(os.path.join(args.model, "config.json"))
    arch = "xlmr" if config["model_type"] == "xlm-roberta" else "bert"
    shape = {"layers": config["num_hidden_layers"], "hidden": config["hidden_size"],
             "heads": config["num_attention_heads"], "ffn": config["intermediate_size"],
             "vocab": config["vocab_size"], "max_positions": config["max_position_embeddings"],
             "type_vocab": config["type_vocab_size"], "eps": config["layer_norm_eps"],
             "pad_id": config["pad_token_id"]}
    weights = onnx_graph.weights_from_onnx(os.path.join(args.model, "onnx", "model.onnx"))
    ids_file = _read_json(args.ids)
    cache = {}
    cases = []
    for case in ids_file["cases"]:
        if case["model"] != args.model_name:
            continue
        vectors = []
        for ids in case["ids"]:
            key = tuple(ids)
            if key not in cache:
                cache[key] = architecture.forward(arch, shape, weights, ids)
            v = architecture.pool(cache[key], case["pooling"])
            v = architecture.finish(v, case["normalize"], case.get("dimensions") or 0)
            vectors.append([float(x) for x in v.astype(np.float32)])
        cases.append({"name": case["name"], "vectors": vectors})
    _write_json(args.out, {"model": args.model_name, "cases": cases})
    print(f"modelgen: {len(cases)} cases, {len(cache)} distinct inputs -> {args.out}")


def _model_shape(model_dir):
    config = _read_json(os.path.join(model_dir, "config.json"))
    arch = "xlmr" if config["model_type"] == "xlm-roberta" else "bert"
    shape = {"layers": config["num_hidden_layers"], "hidden": config["hidden_size"],
             "heads": config["num_attention_heads"], "ffn": config["intermediate_size"],
             "vocab": config["vocab_size"], "max_positions": config["max_position_embeddings"],
             "type_vocab": config["type_vocab_size"], "eps": config["layer_norm_eps"],
             "pad_id": config["pad_token_id"]}
    return config, arch, shape


def _onnx_file(model_dir):
    for candidate in ("onnx/model.onnx", "model.onnx"):
        if os.path.exists(os.path.join(model_dir, candidate)):
            return os.path.join(model_dir, candidate)
    sys.exit(f"modelgen: no model.onnx in {model_dir}")


def _unused_ids(model_dir):
    """Ids of cls, eos, pad and unk as FlagEmbedding drops them from sparse weights."""
    special = _read_json(os.path.join(model_dir, "special_tokens_map.json"))
    t = _read_json(os.path.join(model_dir, "tokenizer.json"))
    ids = {a["content"]: a["id"] for a in t.get("added_tokens", [])}
    vocab = t["model"]["vocab"]
    if isinstance(vocab, list):
        ids.update({piece[0]: i for i, piece in enumerate(vocab) if piece[0] not in ids})
    else:
        ids.update({k: v for k, v in vocab.items() if k not in ids})
    return {ids[special[k]] for k in ("cls_token", "eos_token", "pad_token", "unk_token") if k in special}


def reference_m3(args):
    """dense, sparse and ColBERT outputs of every input and compute_score of every pair."""
    _, arch, shape = _model_shape(args.model)
    onnx_weights = onnx_graph.weights_from_onnx(_onnx_file(args.model))
    if os.path.exists(os.path.join(args.model, "sparse_linear.pt")):
        m3 = {name: torch_pt.load_state_dict(os.path.join(args.model, f"{name}_linear.pt"))
              for name in ("sparse", "colbert")}
    else:
        h = onnx_heads.heads_from_onnx(onnx_weights)
        m3 = {name: {"weight": h[f"{name}_linear.weight"], "bias": h[f"{name}_linear.bias"]}
              for name in ("sparse", "colbert")}
    unused = _unused_ids(args.model)
    ids_file = _read_json(args.ids)
    weights = ids_file.get("weights", [0.4, 0.2, 0.4])
    outputs = []
    dropped = 0  # special-token positions with a positive weight (what dropping them changes)
    for ids in ids_file["texts"]:
        tokens = architecture.forward(arch, shape, onnx_weights, ids)
        outputs.append(heads.m3_outputs(tokens, ids, m3, unused))
        weights_all = tokens @ np.asarray(m3["sparse"]["weight"], np.float64).T + m3["sparse"]["bias"]
        dropped += sum(1 for w, i in zip(weights_all[:, 0], ids) if i in unused and w > 0)
    texts = []
    for dense, sparse, colbert in outputs:
        order = sorted(sparse)
        texts.append({"dense": [float(x) for x in dense.astype(np.float32)],
                      "sparse": {"ids": order, "weights": [float(np.float32(sparse[i])) for i in order]},
                      "colbert": [[float(x) for x in row] for row in colbert.astype(np.float32)]})
    pairs = []
    for pair in ids_file.get("pairs", []):
        q, p = (pair["query"], pair["text"]) if isinstance(pair, dict) else pair
        (qd, qs, qc), (pd, ps, pc) = outputs[q], outputs[p]
        pairs.append(heads.compute_score(heads.dense_score(qd, pd), heads.sparse_score(qs, ps),
                                         heads.colbert_score(qc, pc), weights))
    _write_json(args.out, {"model": args.model, "unused_ids": sorted(unused), "dropped_positive": dropped,
                           "weights": weights,
                           "texts": texts, "pairs": pairs})
    print(f"modelgen: m3 outputs of {len(texts)} inputs and {len(pairs)} pair scores -> {args.out}")


def reference_rerank(args):
    """Logits (and the configured activation) of every tokenised pair."""
    config, arch, shape = _model_shape(args.model)
    onnx_weights = onnx_graph.weights_from_onnx(_onnx_file(args.model))
    head = onnx_heads.heads_from_onnx(onnx_weights)
    if arch == "bert":
        head = {"bert.pooler.dense.weight": head["pooler.weight"], "bert.pooler.dense.bias": head["pooler.bias"],
                "classifier.weight": head["classifier.weight"], "classifier.bias": head["classifier.bias"]}
    else:
        head = {"classifier.dense.weight": head["classifier_dense.weight"],
                "classifier.dense.bias": head["classifier_dense.bias"],
                "classifier.out_proj.weight": head["classifier_out_proj.weight"],
                "classifier.out_proj.bias": head["classifier_out_proj.bias"]}
    fn = config.get("sentence_transformers", {}).get("activation_fn", "")
    activation = "identity" if fn.endswith("Identity") else "sigmoid"
    scores = []
    for pair in _read_json(args.ids)["pairs"]:
        tokens = architecture.forward(arch, shape, onnx_weights, pair["ids"], pair["type_ids"])
        logits = heads.classifier_logits(arch, tokens, head)
        raw = float(logits[0])
        scores.append({"logits": [float(np.float32(x)) for x in logits], "raw": raw,
                       "score": heads.sigmoid(raw) if activation == "sigmoid" else raw})
    _write_json(args.out, {"model": args.model, "activation": activation, "pairs": scores})
    print(f"modelgen: {len(scores)} cross-encoder scores ({activation}) -> {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write a model directory")
    g.add_argument("--arch", choices=["bert", "xlmr"], required=True)
    g.add_argument("--size", default="tiny", help="tiny, full (bert/xlmr), small (xlmr: e5-small shape)")
    g.add_argument("--tokenizer", required=True, help="tokenizer.json to copy into the directory")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=1234)
    g.add_argument("--pooling", choices=POOLING_MODES, default="mean")
    g.add_argument("--normalize", action="store_true", help="add a 2_Normalize module")
    g.add_argument("--prompts", choices=["none", "e5"], default="none")
    g.add_argument("--max-seq-length", type=int, default=128)
    g.add_argument("--vocab-size", type=int, default=0, help="override (default: tokenizer's for tiny)")
    g.add_argument("--int8", nargs="*", default=["quint8_avx2", "qint8_avx512_vnni"],
                   help="INT8 variants to write (model_<name>.onnx); --int8 alone writes none")
    g.add_argument("--rename-input", action="append", default=[], metavar="OLD=NEW")
    g.add_argument("--templates", default=DEFAULT_TEMPLATES, help="real configs to start from")
    g.add_argument("--bare", action="store_true", help="model.onnx at the top level instead of onnx/")
    g.add_argument("--m3", choices=["official", "aapot", "yuniko"],
                   help="bge-m3 heads: official (sparse_linear.pt, colbert_linear.pt beside a hidden-state "
                        "model) or a community export with the three outputs in the graph (output names of "
                        "aapot/bge-m3-onnx or yuniko-software/bge-m3-onnx)")
    g.add_argument("--colbert-dim", type=int, default=0, help="colbert_linear outputs (default: hidden size)")
    g.add_argument("--pt-dtype", choices=["float32", "float16", "bfloat16"], default="float32",
                   help="storage type of the .pt heads (bge-m3's own files are float16)")
    g.add_argument("--sparse-rank", type=int, choices=[2, 3], default=3,
                   help="community layout: sparse output [batch, seq, 1] (3) or [batch, seq] (2)")
    g.add_argument("--classifier", action="store_true",
                   help="a cross-encoder: sequence classification head, output logits")
    g.add_argument("--num-labels", type=int, default=1)
    g.add_argument("--activation", choices=["sigmoid", "identity"],
                   help="sentence-transformers CrossEncoder activation_fn in config.json (default: none set)")
    r = sub.add_parser("reference", help="numpy expected vectors for an ids file")
    r.add_argument("--model", required=True)
    r.add_argument("--model-name", required=True, help="the 'model' key of the cases to compute")
    r.add_argument("--ids", required=True)
    r.add_argument("--out", required=True)
    h = sub.add_parser("repo", help="write a safetensors-only Hugging Face repository (for imi convert)")
    h.add_argument("--arch", choices=["modernbert", "bert", "xlmr"], required=True)
    h.add_argument("--size", default="tiny", help="tiny, 30m, 310m (modernbert); tiny, small, full (bert/xlmr)")
    h.add_argument("--tokenizer", required=True)
    h.add_argument("--out", required=True)
    h.add_argument("--seed", type=int, default=1234)
    h.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    h.add_argument("--shards", type=int, default=1)
    h.add_argument("--prefix", choices=["none", "model", "bert", "roberta"], default="none")
    h.add_argument("--config-form", choices=["old", "new"], default="old",
                   help="modernbert: global_rope_theta/local_rope_theta (old) or rope_parameters/layer_types")
    h.add_argument("--global-theta", type=float, default=160000.0)
    h.add_argument("--local-theta", type=float, default=10000.0)
    h.add_argument("--biases", action="store_true", help="modernbert with attention/mlp/norm biases")
    h.add_argument("--pooling", choices=POOLING_MODES, default="mean")
    h.add_argument("--normalize", action="store_true")
    h.add_argument("--prompts", choices=["none", "ruri", "e5"], default="none")
    h.add_argument("--exclude-prompt", action="store_true", help="include_prompt: false")
    h.add_argument("--padding-side", choices=["right", "left"], default="right")
    h.add_argument("--max-seq-length", type=int, default=512)
    h.add_argument("--vocab-size", type=int, default=0)
    h.add_argument("--modelgen-onnx", default="", help="bert/xlmr: also write modelgen's ONNX model dir here")
    h.add_argument("--modelgen-int8", nargs="*", default=[], help="INT8 variants for --modelgen-onnx")
    h.add_argument("--templates", default=DEFAULT_TEMPLATES)
    f = sub.add_parser("hf-reference", help="numpy vectors for a repository and imi tokenize output")
    f.add_argument("--model", required=True)
    f.add_argument("--ids", required=True, help="JSON lines with \"ids\" (imi tokenize output)")
    f.add_argument("--pooling", choices=POOLING_MODES, default="mean")
    f.add_argument("--normalize", action="store_true")
    f.add_argument("--skip-tokens", type=int, default=0, help="prompt tokens excluded from pooling")
    f.add_argument("--out", required=True)
    r3 = sub.add_parser("reference-m3", help="numpy bge-m3 outputs and scores for an ids file")
    r3.add_argument("--model", required=True)
    r3.add_argument("--ids", required=True, help='{"texts": [[id, ...]], "pairs": [[query, passage] or {"query", "text"}], "weights"}')
    r3.add_argument("--out", required=True)
    rr = sub.add_parser("reference-rerank", help="numpy cross-encoder scores for tokenised pairs")
    rr.add_argument("--model", required=True)
    rr.add_argument("--ids", required=True, help='{"pairs": [{"ids": [...], "type_ids": [...]}]}')
    rr.add_argument("--out", required=True)
    args = parser.parse_args()
    {"generate": generate, "reference": reference, "repo": repo.generate_repo,
     "hf-reference": repo.reference, "reference-m3": reference_m3,
     "reference-rerank": reference_rerank}[args.command](args)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""imi model generator: sentence-transformers directories with seeded random
weights (BERT and XLM-RoBERTa encoders), FP32 and INT8 ONNX files, and
expected outputs from an independent numpy forward pass.

  modelgen.py generate --arch bert|xlmr --size tiny|small|full --tokenizer FILE --out DIR
  modelgen.py reference --model DIR --ids IDS.json --out EXPECTED.json
  modelgen.py repo --arch modernbert|bert|xlmr --size tiny|30m|310m|... --tokenizer FILE --out DIR
  modelgen.py hf-reference --model DIR --ids TOKENS.jsonl --pooling mean --out EXPECTED.npy

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
import onnx_graph  # noqa: E402
import repo  # noqa: E402

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
    onnx_graph.save(onnx_graph.build_model(args.arch, shape, weights, None, renames),
                    os.path.join(out, "onnx", "model.onnx"))
    for variant in args.int8:
        quant = "quint8" if variant.startswith("quint8") else "qint8"
        model = onnx_graph.build_model(args.arch, shape, weights, quant, renames)
        onnx_graph.save(model, os.path.join(out, "onnx", f"model_{variant}.onnx"))
    print(f"modelgen: wrote {args.arch}/{args.size} (vocab {shape['vocab']}, tokenizer vocab "
          f"{tok_vocab}, hidden {shape['hidden']}, layers {shape['layers']}) to {out}")


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
    args = parser.parse_args()
    {"generate": generate, "reference": reference, "repo": repo.generate_repo,
     "hf-reference": repo.reference}[args.command](args)


if __name__ == "__main__":
    main()

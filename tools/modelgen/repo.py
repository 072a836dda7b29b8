"""`modelgen.py repo`: random-weight Hugging Face repositories (safetensors,
no ONNX) in the layouts of the real ones, for `imi convert`; and
`modelgen.py hf-reference`: the numpy forward pass over such a repository."""

import json
import os
import shutil

import numpy as np

import architecture
import hfrepo
import modernbert
import onnx_graph

RURI_PROMPTS = {"query": "検索クエリ: ", "document": "検索文書: ", "topic": "トピック: ", "": ""}
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _tokenizer_info(path):
    t = _read_json(path)
    size = len(t["model"]["vocab"])
    pad = None
    for added in t.get("added_tokens", []):
        size = max(size, added["id"] + 1)
        if added["content"] in ("<pad>", "[PAD]"):
            pad = added["id"]
    return size, (pad if pad is not None else 0)


def _modernbert_config(shape, pad_id, form, global_theta, local_theta, biases):
    c = {
        "architectures": ["ModernBertModel"], "attention_bias": biases, "attention_dropout": 0.0,
        "bos_token_id": 1, "classifier_activation": "gelu", "classifier_bias": False,
        "classifier_dropout": 0.0, "classifier_pooling": "mean", "cls_token_id": 1,
        "decoder_bias": True, "deterministic_flash_attn": False, "embedding_dropout": 0.0,
        "eos_token_id": 2, "global_attn_every_n_layers": shape["every"], "hidden_activation": "gelu",
        "hidden_size": shape["hidden"], "initializer_cutoff_factor": 2.0, "initializer_range": 0.02,
        "intermediate_size": shape["ffn"], "layer_norm_eps": 1e-05, "local_attention": shape["local"],
        "max_position_embeddings": 8192, "mlp_bias": biases, "mlp_dropout": 0.0,
        "model_type": "modernbert", "norm_bias": biases, "norm_eps": 1e-05,
        "num_attention_heads": shape["heads"], "num_hidden_layers": shape["layers"],
        "pad_token_id": pad_id, "sep_token_id": 2, "sparse_pred_ignore_index": -100,
        "sparse_prediction": False, "vocab_size": shape["vocab"],
    }
    if form == "old":
        c.update({"global_rope_theta": global_theta, "local_rope_theta": local_theta,
                  "torch_dtype": "float32", "transformers_version": "4.48.3"})
    else:
        c.update({"layer_types": ["sliding_attention" if i % shape["every"] else "full_attention"
                                  for i in range(shape["layers"])],
                  "rope_parameters": {"full_attention": {"rope_theta": global_theta, "rope_type": "default"},
                                      "sliding_attention": {"rope_theta": local_theta, "rope_type": "default"}},
                  "dtype": "float32", "transformers_version": "5.0.0"})
    return c


def _extra_head(arch, hidden, vocab, rng):
    """Tensors a masked-LM checkpoint carries beside the encoder (imi ignores them)."""
    z = lambda *d: (rng.standard_normal(d) * 0.02).astype(np.float32)
    if arch == "modernbert":
        return {"head.dense.weight": z(hidden, hidden), "head.norm.weight": z(hidden), "decoder.bias": z(vocab)}
    if arch == "bert":
        return {"cls.predictions.bias": z(vocab), "cls.predictions.transform.dense.weight": z(hidden, hidden)}
    return {"lm_head.bias": z(vocab), "lm_head.dense.weight": z(hidden, hidden)}


def generate_repo(args):
    tok_vocab, pad_id = _tokenizer_info(args.tokenizer)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed + 1)
    if args.arch == "modernbert":
        shape = dict(modernbert.SIZES[args.size])
        shape["vocab"] = args.vocab_size or shape["vocab"] or tok_vocab
        weights = modernbert.make_weights(shape, args.seed, biases=args.biases)
        config = _modernbert_config(shape, pad_id, args.config_form, args.global_theta, args.local_theta,
                                    args.biases)
        hidden = shape["hidden"]
    else:
        shape = dict(architecture.SIZES[(args.arch, args.size)])
        shape["vocab"] = args.vocab_size or shape["vocab"] or tok_vocab
        w = architecture.make_weights(shape, args.seed)  # Linear weights [in, out]
        weights = {k: (v.T.copy() if v.ndim == 2 and ".layer." in k else v) for k, v in w.items()}
        weights["pooler.dense.weight"] = (rng.standard_normal((shape["hidden"], shape["hidden"])) * 0.02).astype(np.float32)
        weights["pooler.dense.bias"] = np.zeros(shape["hidden"], dtype=np.float32)
        templates = args.templates
        src = "paraphrase-multilingual-MiniLM-L12-v2" if args.arch == "bert" else "bge-m3"
        config = _read_json(os.path.join(templates, src, "config.json"))
        config.update({"hidden_size": shape["hidden"], "num_hidden_layers": shape["layers"],
                       "num_attention_heads": shape["heads"], "intermediate_size": shape["ffn"],
                       "vocab_size": shape["vocab"], "max_position_embeddings": shape["max_positions"],
                       "type_vocab_size": shape["type_vocab"], "layer_norm_eps": shape["eps"],
                       "pad_token_id": shape["pad_id"], "hidden_act": "gelu"})
        hidden = shape["hidden"]
    config["_name_or_path"] = "imi-modelgen/" + args.arch
    # The checkpoint stores rounded values; everything below uses exactly those.
    weights = {k: hfrepo.round_to(args.dtype, v) for k, v in weights.items()}
    stored = dict(weights)
    if args.prefix != "none":
        stored = {args.prefix + "." + k: v for k, v in weights.items()}
        stored.update({k: hfrepo.round_to(args.dtype, v)
                       for k, v in _extra_head(args.arch, hidden, shape["vocab"], rng).items()})
    hfrepo.write_checkpoint(args.out, stored, args.dtype, args.shards)
    hfrepo.write_json(os.path.join(args.out, "config.json"), config)
    shutil.copyfile(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    hfrepo.write_json(os.path.join(args.out, "tokenizer_config.json"),
                      {"model_max_length": args.max_seq_length, "padding_side": args.padding_side,
                       "tokenizer_class": "PreTrainedTokenizerFast"})
    prompts = {"ruri": RURI_PROMPTS, "e5": E5_PROMPTS}.get(args.prompts, {})
    hfrepo.sentence_transformers_files(args.out, hidden, args.pooling, args.normalize, prompts,
                                       args.max_seq_length, include_prompt=not args.exclude_prompt)
    if args.modelgen_onnx and args.arch != "modernbert":
        # tools/modelgen's own ONNX export of the same (rounded) weights.
        os.makedirs(os.path.join(args.modelgen_onnx, "onnx"), exist_ok=True)
        for f in os.listdir(args.out):
            if f.endswith(".json") and not f.startswith("model"):
                shutil.copyfile(os.path.join(args.out, f), os.path.join(args.modelgen_onnx, f))
        shutil.copytree(os.path.join(args.out, "1_Pooling"), os.path.join(args.modelgen_onnx, "1_Pooling"),
                        dirs_exist_ok=True)
        inout = {k: (v.T.copy() if v.ndim == 2 and ".layer." in k else v) for k, v in weights.items()}
        onnx_graph.save(onnx_graph.build_model(args.arch, shape, inout, None),
                        os.path.join(args.modelgen_onnx, "onnx", "model.onnx"))
        for variant in args.modelgen_int8:
            quant = "quint8" if variant.startswith("quint8") else "qint8"
            onnx_graph.save(onnx_graph.build_model(args.arch, shape, inout, quant),
                            os.path.join(args.modelgen_onnx, "onnx", f"model_{variant}.onnx"))
    print(f"modelgen: wrote {args.arch}/{args.size} repository ({args.dtype}, {args.shards} shard(s), "
          f"prefix {args.prefix}, vocab {shape['vocab']}) to {args.out}")


def _pool(tokens, mode, skip):
    """sentence-transformers' Pooling with the first `skip` tokens masked (include_prompt false)."""
    n = tokens.shape[0]
    if mode == "cls":
        return tokens[0]
    kept = tokens[skip:]
    if kept.shape[0] == 0:
        return np.zeros(tokens.shape[1])
    if mode == "mean":
        return kept.mean(axis=0)
    if mode == "max":
        return kept.max(axis=0)
    if mode == "lasttoken":
        return tokens[n - 1]
    if mode == "mean_sqrt_len":
        return kept.sum(axis=0) / np.sqrt(kept.shape[0])
    raise ValueError(mode)


def reference(args):
    """Expected vectors (float32 .npy) for token ids from `imi tokenize` (one JSON line each)."""
    config = _read_json(os.path.join(args.model, "config.json"))
    weights = hfrepo.read_checkpoint(args.model)
    if config["model_type"] == "modernbert":
        weights = hfrepo.strip_prefix(weights, "embeddings.tok_embeddings.weight")
        cfg = modernbert.Config(config)
        fwd = lambda ids: modernbert.forward(cfg, weights, ids)
    else:
        weights = hfrepo.strip_prefix(weights, "embeddings.word_embeddings.weight")
        arch = "xlmr" if config["model_type"] == "xlm-roberta" else "bert"
        shape = {"layers": config["num_hidden_layers"], "hidden": config["hidden_size"],
                 "heads": config["num_attention_heads"], "vocab": config["vocab_size"],
                 "eps": config["layer_norm_eps"], "pad_id": config["pad_token_id"]}
        inout = {k: (v.T.copy() if v.ndim == 2 and ".layer." in k else v) for k, v in weights.items()}
        fwd = lambda ids: architecture.forward(arch, shape, inout, ids)
    vectors = []
    with open(args.ids, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            ids = json.loads(line)["ids"]
            v = _pool(fwd(ids), args.pooling, args.skip_tokens)
            vectors.append(architecture.finish(v, args.normalize, 0))
    out = np.asarray(vectors, dtype=np.float32)
    np.save(args.out, out)
    print(f"modelgen: {len(vectors)} reference vectors -> {args.out}")

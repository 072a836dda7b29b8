"""Hugging Face repository layouts: safetensors files written and read with
numpy alone (8-byte little-endian header length, JSON header, raw
little-endian data), sharded checkpoints with model.safetensors.index.json,
and the config / sentence-transformers files the real repositories carry."""

import json
import os
import struct

import numpy as np

DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def to_bf16_bits(a):
    """float32 -> bfloat16 bit patterns (round to nearest even), uint16."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((u >> 16) & 1) + 0x7FFF
    return ((u + rounding) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def round_to(dtype, a):
    """The float32 values a checkpoint of `dtype` actually stores."""
    if dtype == "f16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "bf16":
        return from_bf16_bits(to_bf16_bits(a))
    return a.astype(np.float32)


def _encode(dtype, a):
    if dtype == "f16":
        return a.astype("<f2").tobytes()
    if dtype == "bf16":
        return to_bf16_bits(a).astype("<u2").tobytes()
    return a.astype("<f4").tobytes()


def write_safetensors(path, tensors, dtype, metadata=None):
    """tensors: {name: float32 array}; every tensor stored as `dtype`."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = _encode(dtype, tensors[name])
        header[name] = {"dtype": DTYPES[dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # the reference writer pads to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    return offset


def write_checkpoint(out, tensors, dtype, shards):
    """model.safetensors, or `shards` files model-0000i-of-0000N.safetensors + index."""
    meta = {"format": "pt"}
    if shards <= 1:
        write_safetensors(os.path.join(out, "model.safetensors"), tensors, dtype, meta)
        return
    names = sorted(tensors)
    per = (len(names) + shards - 1) // shards
    weight_map = {}
    total = 0
    for s in range(shards):
        part = {n: tensors[n] for n in names[s * per:(s + 1) * per]}
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        total += write_safetensors(os.path.join(out, file), part, dtype, meta)
        for n in part:
            weight_map[n] = file
    with open(os.path.join(out, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")


def read_checkpoint(model_dir):
    """{name: float32 array} from model.safetensors or its shards (numpy only)."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out = {}
    for file in files:
        with open(os.path.join(model_dir, file), "rb") as f:
            blob = f.read()
        n = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8:8 + n])
        data = blob[8 + n:]
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            raw = data[begin:end]
            if info["dtype"] == "F32":
                a = np.frombuffer(raw, dtype="<f4")
            elif info["dtype"] == "F16":
                a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            elif info["dtype"] == "BF16":
                a = from_bf16_bits(np.frombuffer(raw, dtype="<u2"))
            else:
                raise ValueError(f"{file}: {name} has dtype {info['dtype']}")
            out[name] = a.reshape(info["shape"]).astype(np.float32)
    return out


def strip_prefix(weights, probe):
    """Removes the name prefix ('', 'model.', 'bert.', 'roberta.') under which `probe` exists."""
    for prefix in ("", "model.", "bert.", "roberta."):
        if prefix + probe in weights:
            return {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    raise KeyError(probe)


def write_json(path, value):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def sentence_transformers_files(out, hidden, pooling, normalize, prompts, max_seq_length,
                                include_prompt=True, default_prompt_name=None):
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
        os.makedirs(os.path.join(out, "2_Normalize"), exist_ok=True)
    write_json(os.path.join(out, "modules.json"), modules)
    write_json(os.path.join(out, "1_Pooling", "config.json"), {
        "word_embedding_dimension": hidden,
        "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean",
        "pooling_mode_max_tokens": pooling == "max",
        "pooling_mode_mean_sqrt_len_tokens": pooling == "mean_sqrt_len",
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": pooling == "lasttoken",
        "include_prompt": include_prompt})
    write_json(os.path.join(out, "sentence_bert_config.json"),
               {"max_seq_length": max_seq_length, "do_lower_case": False})
    write_json(os.path.join(out, "config_sentence_transformers.json"), {
        "__version__": {"sentence_transformers": "3.4.1", "transformers": "4.48.3", "pytorch": "2.5.1"},
        "prompts": prompts, "default_prompt_name": default_prompt_name, "similarity_fn_name": "cosine"})

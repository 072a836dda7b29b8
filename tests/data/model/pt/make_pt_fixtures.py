#!/usr/bin/python3
"""Writes the small PyTorch state-dict files the .pt reader tests use (and the
data.pkl seeds of fuzz/seeds/torch_state_dict/), without torch: tools/modelgen/torch_pt.py writes the format
torch.save uses. Values are small integers / 8 so every storage type holds
them exactly; the test knows them by formula: t[i] = (i % 17 - 8) / 8.

  tests/data/model/pt/make_pt_fixtures.py   (rewrites the files next to it)
"""
import io
import os
import pickle
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "tools", "modelgen"))
import torch_pt  # noqa: E402


def record(name, compress=zipfile.ZIP_STORED):
    """A zip record with a fixed date, so the files come out the same on every run."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def values(*shape):
    n = int(np.prod(shape))
    return ((np.arange(n) % 17 - 8) / 8.0).astype(np.float32).reshape(shape)


def main():
    linear = {"weight": values(3, 5), "bias": values(3)}
    for dtype, name in (("FloatStorage", "f32"), ("HalfStorage", "f16"), ("BFloat16Storage", "bf16"),
                        ("DoubleStorage", "f64")):
        torch_pt.save_state_dict(os.path.join(HERE, f"linear_{name}.pt"), linear, dtype=dtype)
    # A transposed view (stride [1, 3]) two elements into its storage.
    torch_pt.save_state_dict(os.path.join(HERE, "linear_strided.pt"), linear, transpose=("weight",), offset_pad=2,
                             prefix="archive")
    torch_pt.save_state_dict(os.path.join(HERE, "linear_no_metadata.pt"), linear, with_metadata=False)
    torch_pt.save_state_dict(os.path.join(HERE, "empty.pt"), {})

    # Rejected inputs.
    with open(os.path.join(HERE, "linear_f32.pt"), "rb") as f:
        good = f.read()
    with zipfile.ZipFile(io.BytesIO(good)) as z, \
            zipfile.ZipFile(os.path.join(HERE, "bad_deflated.pt"), "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            out.writestr(record(info.filename, zipfile.ZIP_DEFLATED), z.read(info.filename))
    # The legacy (pre-1.6) format starts with a bare pickle.
    with open(os.path.join(HERE, "bad_legacy.pt"), "wb") as f:
        pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
    # A pickle that would run code: os.system.
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))
    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=2).dump(Evil())
    with zipfile.ZipFile(os.path.join(HERE, "bad_global.pt"), "w") as z:
        z.writestr(record("bad_global/data.pkl"), buf.getvalue())
    # A CRC mismatch: one byte of a storage flipped after writing.
    data = bytearray(good)
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        info = z.getinfo("linear_f32/data/0")
    local_extra = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    data[info.header_offset + 30 + len(info.filename) + local_extra + 5] ^= 0x01
    with open(os.path.join(HERE, "bad_crc.pt"), "wb") as f:
        f.write(bytes(data))
    # Protocol 4 pickle (torch never writes it).
    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=4).dump({"weight": 1})
    with zipfile.ZipFile(os.path.join(HERE, "bad_protocol.pt"), "w") as z:
        z.writestr(record("bad_protocol/data.pkl"), buf.getvalue())
    # The fuzzer's data.pkl seeds (fuzz/torch_state_dict_fuzzer.cc packs them into archives).
    seeds = os.path.join(HERE, "..", "..", "..", "..", "fuzz", "seeds", "torch_state_dict")
    os.makedirs(seeds, exist_ok=True)
    for name in ("linear_f32", "linear_bf16", "linear_strided", "linear_no_metadata", "empty"):
        with zipfile.ZipFile(os.path.join(HERE, name + ".pt")) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            with open(os.path.join(seeds, name + ".pkl"), "wb") as f:
                f.write(z.read(pkl))
    print("make_pt_fixtures: wrote", sorted(f for f in os.listdir(HERE) if f.endswith(".pt")))


if __name__ == "__main__":
    main()

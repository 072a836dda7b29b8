"""PyTorch state-dict files (`torch.save` of `module.state_dict()`) without torch.

torch >= 1.6 writes a zip archive of stored (uncompressed) records under one
top-level folder (the file's stem, or "archive"):

  <prefix>/data.pkl      the pickled object, pickle protocol 2
  <prefix>/byteorder     "little"
  <prefix>/data/<key>    raw bytes of one storage, 64-byte aligned in the file
  <prefix>/version       "3"

In data.pkl a state dict is a collections.OrderedDict (with a `_metadata`
attribute set by nn.Module.state_dict()) whose values are tensors pickled as
torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict()), the storage being a persistent id
("storage", torch.<Dtype>Storage, key, "cpu", numel).

This module writes that format with Python's own zipfile and pickle (the torch
globals are stand-ins registered under their real module names while pickling)
and reads it back with a restricted unpickler, for round-trip checks. Both are
written from the format's definition above, not from imi's C++ reader.
"""

import collections
import io
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

# Storage class name <-> numpy dtype (little-endian).
_STORAGES = {
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "DoubleStorage": np.dtype("<f8"),
    "BFloat16Storage": None,  # no numpy dtype: written from float32 by truncation
}


class _Storage:
    """One storage: raw bytes and the torch class name that types them."""

    def __init__(self, key, class_name, raw, numel):
        self.key, self.class_name, self.raw, self.numel = key, class_name, raw, numel


class _TensorRef:
    """A tensor as torch pickles it: a view (offset, size, stride) of a storage."""

    def __init__(self, storage, offset, size, stride, rebuild):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.rebuild = rebuild

    def __reduce_ex__(self, protocol):
        args = (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict())
        return (self.rebuild, args)


def _fake_torch():
    """Stand-ins for the globals torch's pickles name, registered in sys.modules."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # noqa: ARG001 (only its name is pickled)
        raise RuntimeError("stand-in")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in _STORAGES:
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    torch._utils = utils
    return torch, utils


def _to_storage_bytes(array, class_name):
    a = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
    if class_name == "BFloat16Storage":
        bits = a.view(np.uint32) >> 16  # round toward zero: exact for values stored as bf16
        return bits.astype("<u2").tobytes()
    return a.astype(_STORAGES[class_name]).tobytes()


def _aligned_extra(offset, name):
    """A local-header extra field that puts the record's data on a 64-byte boundary, as torch does."""
    header = 30 + len(name.encode("utf-8"))
    pad = (-(offset + header + 4)) % 64
    return b"FB" + struct.pack("<H", pad) + b"Z" * pad


def save_state_dict(path, tensors, dtype="FloatStorage", prefix=None, with_metadata=True,
                    transpose=(), offset_pad=0):
    """Writes {name: float array} like torch.save(module.state_dict(), path).

    dtype: storage class for every tensor. transpose: names stored as the
    transpose of a contiguous storage (a non-contiguous stride, as a .t() view
    would be saved). offset_pad: elements of padding before each tensor in its
    storage (a non-zero storage offset, as a slice view would be saved).
    """
    torch, utils = _fake_torch()
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        storages = []
        state = collections.OrderedDict()
        for key, (name, array) in enumerate(tensors.items()):
            a = np.asarray(array, dtype=np.float32)
            size = list(a.shape)
            if name in transpose and a.ndim == 2:
                body = np.ascontiguousarray(a.T)
                stride = [1, a.shape[0]]
            else:
                body = np.ascontiguousarray(a)
                stride = [int(np.prod(size[i + 1:])) for i in range(len(size))]
            flat = np.concatenate([np.zeros(offset_pad, np.float32), body.reshape(-1)])
            storage = _Storage(str(key), dtype, _to_storage_bytes(flat, dtype), flat.size)
            storages.append(storage)
            state[name] = _TensorRef(storage, offset_pad, size, stride, utils._rebuild_tensor_v2)
        if with_metadata:
            state._metadata = collections.OrderedDict([("", {"version": 1})])

        class _Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, _Storage):
                    return ("storage", getattr(torch, obj.class_name), obj.key, "cpu", obj.numel)
                return None

        buf = io.BytesIO()
        _Pickler(buf, protocol=2).dump(state)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

    if prefix is None:
        prefix = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    with open(path, "wb") as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
        records = [("data.pkl", buf.getvalue()), ("byteorder", b"little")]
        records += [(f"data/{s.key}", s.raw) for s in storages]
        records += [("version", b"3\n")]
        for name, data in records:
            full = f"{prefix}/{name}"
            info = zipfile.ZipInfo(full, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.extra = _aligned_extra(f.tell(), full)
            z.writestr(info, data)


class _Unpickler(pickle.Unpickler):
    """Allows exactly the globals a torch state dict names."""

    def __init__(self, file, records):
        super().__init__(file)
        self.records = records

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild
        if module == "torch" and name in _STORAGES:
            return name
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")

    def persistent_load(self, pid):
        kind, class_name, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError("unknown persistent id " + repr(kind))
        raw = self.records[key]
        if class_name == "BFloat16Storage":
            values = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, _STORAGES[class_name]).astype(np.float32)
        if values.size != numel:
            raise pickle.UnpicklingError("storage size does not match its record")
        return values


def _rebuild(storage, offset, size, stride, *_rest):
    return np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                           strides=[s * storage.itemsize for s in stride]).copy()


def load_state_dict(path):
    """Reads a file written by torch.save(state_dict) (or save_state_dict) into {name: float32 array}."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        prefix = names[0].split("/", 1)[0]
        records = {n.split("/data/", 1)[1]: z.read(n) for n in names if "/data/" in n}
        pkl = z.read(prefix + "/data.pkl")
    return dict(_Unpickler(io.BytesIO(pkl), records).load())

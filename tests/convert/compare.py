#!/usr/bin/python3
"""compare.py A.npy|A.f32 B.npy LIMIT LABEL: fails (exit 1) when any component of
A and B differs by more than LIMIT; prints the largest difference."""
import sys

import numpy as np


def load(path, dim):
    if path.endswith(".npy"):
        return np.load(path)
    return np.fromfile(path, dtype="<f4").reshape(-1, dim)


b = np.load(sys.argv[2])
a = load(sys.argv[1], b.shape[1])
limit, label = float(sys.argv[3]), sys.argv[4]
if a.shape != b.shape:
    sys.exit(f"{label}: shapes differ: {a.shape} vs {b.shape}")
diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
worst = float(diff.max())
row = int(diff.max(axis=1).argmax())
print(f"{label}: {a.shape[0]} vectors, max |difference| {worst:.3g} (row {row}), limit {limit:g}")
if not worst <= limit:
    sys.exit(1)

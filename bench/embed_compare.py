#!/usr/bin/python3
"""Compares two raw float32 vector files of the same corpus (rows of DIM).

  embed_compare.py A.f32 B.f32 DIM
prints: rows, mean cosine, min cosine, max |a-b| over all components.
"""
import sys

import numpy as np


def main():
    a_path, b_path, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = np.fromfile(a_path, dtype="<f4").reshape(-1, dim).astype(np.float64)
    b = np.fromfile(b_path, dtype="<f4").reshape(-1, dim).astype(np.float64)
    if a.shape != b.shape:
        sys.exit(f"embed_compare: shapes differ: {a.shape} vs {b.shape}")
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
    print(f"rows {a.shape[0]} mean_cosine {cos.mean():.6f} min_cosine {cos.min():.6f} "
          f"max_abs_diff {np.abs(a - b).max():.3g}")


if __name__ == "__main__":
    main()

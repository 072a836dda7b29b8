# imi_test(...) entries for the pipeline, loader and parity suites.

# imi_test(...) entries for the model and decoder suites.

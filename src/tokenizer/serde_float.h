#ifndef IMI_TOKENIZER_SERDE_FLOAT_H_
#define IMI_TOKENIZER_SERDE_FLOAT_H_

namespace imi::tokenizer {

// The f64 that Rust's serde_json (without float_roundtrip, as the reference
// library is built) reads for the number whose shortest decimal form is that
// of `value`. serde_json scales the decimal significand by a power of ten in
// floating point, which can differ from the correctly rounded `value` by an
// ulp; Unigram score ties (e.g. t5-small on "-----...") depend on that ulp.
// Pure function; thread-safe.
double SerdeJsonF64(double value);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_SERDE_FLOAT_H_

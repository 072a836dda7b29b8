#ifndef IMI_TOKENIZER_ENCODING_OPS_H_
#define IMI_TOKENIZER_ENCODING_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// Encoding operations with the reference's semantics (encoding.rs,
// utils/truncation.rs, utils/padding.rs). Pure functions on values.

// Keeps at most `max_length` tokens from `direction`; the rest become
// overflowing windows that overlap by `stride`. InvalidArgument when
// stride >= max_length > 0.
Status TruncateEncoding(Encoding* e, size_t max_length, size_t stride, TruncationDirection direction);

// Appends `pair` to *e (offsets shifted when `growing_offsets`), combining
// their overflowing windows as the reference does.
void MergeEncodings(Encoding* e, Encoding pair, bool growing_offsets);

// Pads *e (and its overflowing windows) to `target_length`.
void PadEncoding(Encoding* e, size_t target_length, int32_t pad_id, int32_t pad_type_id,
                 const std::string& pad_token, PaddingDirection direction);

// Truncates an encoding (and optional pair) to params.max_length in total
// with the configured strategy. InvalidArgument where the reference errors.
Status TruncateEncodings(Encoding* e, Encoding* pair, const TruncationParams& params);

// Pads every encoding to the fixed length or the longest, rounded up to
// pad_to_multiple_of.
void PadEncodings(std::vector<Encoding>* encodings, const PaddingParams& params);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_ENCODING_OPS_H_

// ICU adapter: the only file that includes ICU. Conversion with ucnv,
// detection with ucsdet.
#include "crawl/charset.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <vector>

namespace imi::crawl {

namespace {

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '"' || c == '\'') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// ICU converter behind each canonical name.
const char* IcuName(const std::string& canonical) {
  if (canonical == "Shift_JIS") return "windows-31j";
  if (canonical == "EUC-JP") return "EUC-JP";
  if (canonical == "ISO-2022-JP") return "ISO-2022-JP";
  return nullptr;
}

using Converter = std::unique_ptr<UConverter, decltype(&ucnv_close)>;

Result<Converter> Open(const std::string& charset) {
  UErrorCode err = U_ZERO_ERROR;
  const char* icu = IcuName(charset);
  Converter conv(ucnv_open(icu != nullptr ? icu : charset.c_str(), &err), &ucnv_close);
  if (U_FAILURE(err) || !conv) return Status::InvalidArgument("no converter for charset " + charset);
  return conv;
}

// Counts substitutions made while converting to Unicode.
struct SubstitutionCounter {
  size_t count = 0;
};

void CountingCallback(const void* context, UConverterToUnicodeArgs* args, const char*, int32_t,
                      UConverterCallbackReason reason, UErrorCode* err) {
  if (reason == UCNV_ILLEGAL || reason == UCNV_IRREGULAR || reason == UCNV_UNASSIGNED) {
    ++static_cast<SubstitutionCounter*>(const_cast<void*>(context))->count;
  }
  UCNV_TO_U_CALLBACK_SUBSTITUTE(nullptr, args, nullptr, 0, reason, err);
}

Result<std::u16string> ToUtf16(std::string_view bytes, const std::string& charset, size_t* replaced) {
  IMI_ASSIGN_OR_RETURN(Converter conv, Open(charset));
  SubstitutionCounter counter;
  UErrorCode err = U_ZERO_ERROR;
  ucnv_setToUCallBack(conv.get(), &CountingCallback, &counter, nullptr, nullptr, &err);
  if (U_FAILURE(err)) return Status::Internal("ICU could not set a conversion callback");
  // At most one UTF-16 unit per byte plus surrogates: 2x is always enough.
  std::u16string out(bytes.size() * 2 + 16, u'\0');
  err = U_ZERO_ERROR;
  const int32_t n = ucnv_toUChars(conv.get(), reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()),
                                  bytes.data(), static_cast<int32_t>(bytes.size()), &err);
  if (U_FAILURE(err)) return Status::InvalidArgument(std::string("conversion from ") + charset + " failed: " + u_errorName(err));
  out.resize(static_cast<size_t>(n));
  if (replaced != nullptr) *replaced = counter.count;
  return out;
}

}  // namespace

std::string CanonicalCharset(std::string_view label) {
  const std::string l = Lower(label);
  if (l.empty()) return "";
  static const std::map<std::string, std::string> kKnown = {
      {"utf-8", "UTF-8"},          {"utf8", "UTF-8"},           {"unicode-1-1-utf-8", "UTF-8"},
      {"shift_jis", "Shift_JIS"},  {"shift-jis", "Shift_JIS"},  {"sjis", "Shift_JIS"},
      {"x-sjis", "Shift_JIS"},     {"ms_kanji", "Shift_JIS"},   {"csshiftjis", "Shift_JIS"},
      {"windows-31j", "Shift_JIS"}, {"cp932", "Shift_JIS"},     {"ms932", "Shift_JIS"},
      {"x-ms-cp932", "Shift_JIS"}, {"euc-jp", "EUC-JP"},        {"x-euc-jp", "EUC-JP"},
      {"eucjp", "EUC-JP"},         {"cseucpkdfmtjapanese", "EUC-JP"}, {"iso-2022-jp", "ISO-2022-JP"},
      {"csiso2022jp", "ISO-2022-JP"}, {"us-ascii", "windows-1252"}, {"ascii", "windows-1252"},
      {"iso-8859-1", "windows-1252"}, {"latin1", "windows-1252"}, {"l1", "windows-1252"},
      {"windows-1252", "windows-1252"}, {"cp1252", "windows-1252"}, {"utf-16", "UTF-16LE"},
      {"utf-16le", "UTF-16LE"},    {"utf-16be", "UTF-16BE"},
  };
  if (auto it = kKnown.find(l); it != kKnown.end()) return it->second;
  if (l.size() > 40) return "";
  UErrorCode err = U_ZERO_ERROR;
  const char* canonical = ucnv_getCanonicalName(l.c_str(), "", &err);
  if (U_FAILURE(err) || canonical == nullptr) {
    err = U_ZERO_ERROR;
    canonical = ucnv_getAlias(l.c_str(), 0, &err);
  }
  if (U_FAILURE(err) || canonical == nullptr) return "";
  return canonical;
}

Result<std::string> ConvertToUtf8(std::string_view bytes, const std::string& charset, size_t* replaced) {
  if (bytes.size() > (1u << 30)) return Status::TooLarge("text too large to convert");
  IMI_ASSIGN_OR_RETURN(std::u16string utf16, ToUtf16(bytes, charset, replaced));
  std::string out(utf16.size() * 3 + 4, '\0');
  UErrorCode err = U_ZERO_ERROR;
  int32_t length = 0;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &length, reinterpret_cast<const UChar*>(utf16.data()),
                     static_cast<int32_t>(utf16.size()), 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) return Status::Internal(std::string("UTF-16 to UTF-8 failed: ") + u_errorName(err));
  out.resize(static_cast<size_t>(length));
  return out;
}

bool DecodesCleanly(std::string_view bytes, const std::string& charset) {
  size_t replaced = 0;
  auto converted = ToUtf16(bytes, charset, &replaced);
  return converted.ok() && replaced == 0;
}

std::string DetectCharset(std::string_view bytes) {
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<UCharsetDetector, decltype(&ucsdet_close)> detector(ucsdet_open(&err), &ucsdet_close);
  if (U_FAILURE(err)) return "";
  const int32_t n = static_cast<int32_t>(std::min<size_t>(bytes.size(), 1 << 20));
  ucsdet_setText(detector.get(), bytes.data(), n, &err);
  int32_t count = 0;
  const UCharsetMatch** matches = ucsdet_detectAll(detector.get(), &count, &err);
  if (U_FAILURE(err) || matches == nullptr) return "";
  for (int32_t i = 0; i < count; ++i) {
    UErrorCode e = U_ZERO_ERROR;
    const char* name = ucsdet_getName(matches[i], &e);
    const int32_t confidence = ucsdet_getConfidence(matches[i], &e);
    if (U_FAILURE(e) || name == nullptr || confidence < 10) continue;
    const std::string canonical = CanonicalCharset(name);
    if (canonical == "Shift_JIS" || canonical == "EUC-JP" || canonical == "ISO-2022-JP" || canonical == "UTF-8")
      return canonical;
  }
  return "";
}

}  // namespace imi::crawl

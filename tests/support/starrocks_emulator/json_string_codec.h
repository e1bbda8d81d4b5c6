// Checking and decoding the contents of JSON strings, as nlohmann's lexer
// accepts them (used by FlatRowScanner).
//
// Thread-safety: free functions, no shared state.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_STRING_CODEC_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_STRING_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dbmazz::starrocks_emulator {

// The code unit of the 4 hex digits at `p` (a \u escape's), or -1.
[[nodiscard]] int32_t JsonCodeUnit(const char* p, const char* end);

// Length of the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at
// `p`, or 0 (overlong forms, surrogates and code points past U+10FFFF are
// ill-formed, as nlohmann's lexer has it).
[[nodiscard]] size_t Utf8SequenceLength(const char* p, const char* end);

// Decodes the contents of a string (without its quotes) whose escapes have
// been checked into *out.
void DecodeJsonEscapes(std::string_view raw, std::string* out);

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_JSON_STRING_CODEC_H_

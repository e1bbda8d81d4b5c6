// The input format of pgoutput_decoder_fuzz, shared with the seed generator:
//   byte 0: decoder options: protocol_version = 1 + (b & 3),
//           streaming_parallel = (b & 4) != 0
//   then payloads, each a u16 big-endian length and that many bytes (a short
//   last payload takes whatever is left).
// Several payloads per input let the fuzzer reach the streaming state.
#ifndef DBMAZZ_TESTS_FUZZ_PGOUTPUT_FUZZ_INPUT_H_
#define DBMAZZ_TESTS_FUZZ_PGOUTPUT_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pgoutput/decoder.h"

namespace dbmazz::pgoutput::fuzzing {

inline DecoderOptions OptionsFromByte(uint8_t b) {
  return DecoderOptions{.protocol_version = 1 + (b & 3), .streaming_parallel = (b & 4) != 0};
}

inline uint8_t ByteFromOptions(const DecoderOptions& options) {
  return static_cast<uint8_t>(((options.protocol_version - 1) & 3) |
                              (options.streaming_parallel ? 4 : 0));
}

// Splits the bytes after the options byte into payload views.
inline std::vector<std::string_view> SplitPayloads(std::string_view input) {
  std::vector<std::string_view> payloads;
  while (input.size() >= 2) {
    size_t length = static_cast<uint8_t>(input[0]) << 8 | static_cast<uint8_t>(input[1]);
    input.remove_prefix(2);
    if (length > input.size()) length = input.size();
    payloads.push_back(input.substr(0, length));
    input.remove_prefix(length);
  }
  return payloads;
}

// Appends one payload (at most 65535 bytes) in the format above.
inline void AppendPayload(std::string_view payload, std::string* out) {
  if (payload.size() > 0xffff) payload = payload.substr(0, 0xffff);
  out->push_back(static_cast<char>(payload.size() >> 8));
  out->push_back(static_cast<char>(payload.size() & 0xff));
  out->append(payload);
}

}  // namespace dbmazz::pgoutput::fuzzing

#endif  // DBMAZZ_TESTS_FUZZ_PGOUTPUT_FUZZ_INPUT_H_

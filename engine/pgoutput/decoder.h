// Decoder for pgoutput payloads (the bytes inside one XLogData message).
//
// Ownership: Decode() writes views into `out` that borrow from `payload`.
// Thread-safety: a Decoder is used by one thread at a time (it tracks whether
// a streaming block is open, which decides whether messages carry an xid).
// Errors: DataLoss naming the message type and byte offset on
// truncated input, trailing bytes, unknown message types, unknown tuple
// column kinds, or protocol-state violations (e.g. Stream Stop with no open
// stream, nested Stream Start, a transaction boundary such as Begin/Commit/
// Stream Commit/Stream Abort/Prepare inside a streaming block, or a message
// newer than options.protocol_version: streaming needs 2, two-phase needs 3).
// Unknown input is never skipped. A failed Decode() leaves the stream state
// unchanged; `out` then holds partial, meaningless contents.
#ifndef DBMAZZ_ENGINE_PGOUTPUT_DECODER_H_
#define DBMAZZ_ENGINE_PGOUTPUT_DECODER_H_

#include <string_view>

#include "absl/status/status.h"
#include "engine/pgoutput/messages.h"

namespace dbmazz::pgoutput {

struct DecoderOptions {
  int protocol_version = 1;         // the proto_version asked for in START_REPLICATION
  bool streaming_parallel = false;  // streaming 'parallel': Stream Abort carries abort_lsn/time
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}

  // Decodes exactly one pgoutput message; the whole payload must be consumed.
  [[nodiscard]] absl::Status Decode(std::string_view payload, DecodedMessage* out);

  // True between Stream Start and Stream Stop.
  bool in_stream() const { return in_stream_; }

  // Forget protocol state (call when a new replication session starts).
  void Reset() { in_stream_ = false; }

 private:
  DecoderOptions options_;
  bool in_stream_ = false;
};

}  // namespace dbmazz::pgoutput

#endif  // DBMAZZ_ENGINE_PGOUTPUT_DECODER_H_

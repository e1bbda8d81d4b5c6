// Writes the seed corpus of pgoutput_decoder_fuzz from the captured fixtures.
// Usage: pgoutput_fuzz_seeds <fixture dir> <corpus dir>
// Seeds (format: pgoutput_fuzz_input.h):
//  - each fixture's first 32 messages;
//  - each fixture with the bulk of its Inserts left out (keeps every other
//    message, including all stream blocks and their boundaries);
//  - up to two single messages per type per fixture, wrapped in their
//    Stream Start / Stream Stop when they were captured inside a stream.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/fixtures/pgoutput/fixture_file.h"
#include "tests/fuzz/pgoutput_fuzz_input.h"

namespace {

namespace fs = std::filesystem;
using dbmazz::pgoutput::fuzzing::AppendPayload;
using dbmazz::pgoutput::fuzzing::ByteFromOptions;
using dbmazz::pgoutput::testing::FixtureFile;

bool WriteSeed(const fs::path& dir, const std::string& name, const std::string& bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int WriteSeedsFor(const FixtureFile& file, const std::string& stem, const fs::path& dir) {
  const char options = static_cast<char>(ByteFromOptions(file.options));
  int written = 0;
  auto write = [&](const std::string& name, const std::string& bytes) {
    if (WriteSeed(dir, stem + "-" + name, bytes)) ++written;
  };

  std::string head(1, options);
  for (size_t i = 0; i < file.messages.size() && i < 32; ++i) {
    AppendPayload(file.messages[i].payload, &head);
  }
  write("head", head);

  std::string sparse(1, options);
  int inserts_in_row = 0;
  for (const auto& m : file.messages) {
    inserts_in_row = m.payload[0] == 'I' ? inserts_in_row + 1 : 0;
    if (inserts_in_row <= 2) AppendPayload(m.payload, &sparse);
  }
  write("sparse", sparse);

  std::map<char, int> per_type;
  std::string stream_start;
  for (const auto& m : file.messages) {
    const char type = m.payload[0];
    if (type == 'S') stream_start = m.payload;
    if (type == 'E') stream_start.clear();
    if (per_type[type]++ >= 2) continue;
    std::string seed(1, options);
    if (!stream_start.empty() && type != 'S') AppendPayload(stream_start, &seed);
    AppendPayload(m.payload, &seed);
    if (!stream_start.empty()) AppendPayload("E", &seed);
    write(std::string("type-") + std::to_string(static_cast<int>(type)) + "-" +
              std::to_string(per_type[type]),
          seed);
  }
  return written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <fixture dir> <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path fixtures = argv[1];
  const fs::path corpus = argv[2];
  std::error_code ec;
  fs::create_directories(corpus, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", corpus.c_str(), ec.message().c_str());
    return 1;
  }
  int total = 0;
  for (const auto& entry : fs::directory_iterator(fixtures)) {
    if (entry.path().extension() != ".txt") continue;
    auto file = dbmazz::pgoutput::testing::LoadFixtureFile(entry.path().string());
    if (!file.ok()) {
      std::fprintf(stderr, "%s\n", std::string(file.status().message()).c_str());
      return 1;
    }
    total += WriteSeedsFor(*file, entry.path().stem().string(), corpus);
  }
  std::printf("pgoutput_fuzz_seeds: wrote %d seeds to %s\n", total, corpus.c_str());
  return total > 0 ? 0 : 1;
}

// The converted rows of one load, in body order: every encoded row (see
// row_codec.h) back to back in one buffer, plus a 16-byte record per row
// (offset, length, upsert or delete). Converting a load thus allocates nothing
// per row. For partial updates, columns the load does not write hold the value
// a new row gets (default, NULL or the type's zero value).
//
// A row can be built in place: append its cells to *buffer(), then FinishRow
// keeps it or DropRow discards everything appended since the previous row.
//
// Ownership: owns its bytes; the views returned by operator[] are valid until
// the batch is next modified.
// Thread-safety: not thread-safe; a plain value owned by one load.
#ifndef DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_BATCH_H_
#define DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dbmazz::starrocks_emulator {

class RowBatch {
 public:
  struct Op {
    bool is_delete = false;
    std::string_view row;  // Encoded; a view into the batch.
  };

  // Appends a whole encoded row. No row may be under construction.
  void Append(bool is_delete, std::string_view row) {
    bytes_.append(row);
    FinishRow(is_delete);
  }

  // The buffer the row under construction is appended to. Bytes before
  // buffer()->size() at the last FinishRow/DropRow/Clear must stay untouched.
  [[nodiscard]] std::string* buffer() { return &bytes_; }
  // Makes the bytes appended since the previous row a row.
  void FinishRow(bool is_delete) {
    records_.push_back(
        Record{row_start_, static_cast<uint32_t>(bytes_.size() - row_start_), is_delete});
    row_start_ = bytes_.size();
  }
  // Discards the bytes appended since the previous row.
  void DropRow() { bytes_.resize(row_start_); }

  [[nodiscard]] size_t size() const { return records_.size(); }
  [[nodiscard]] bool empty() const { return records_.empty(); }
  [[nodiscard]] Op operator[](size_t i) const {
    const Record& r = records_[i];
    return Op{r.is_delete, std::string_view(bytes_).substr(r.offset, r.length)};
  }

  // Forgets every row, keeping the allocated capacity.
  void Clear() {
    bytes_.clear();
    records_.clear();
    row_start_ = 0;
  }

 private:
  struct Record {
    uint64_t offset;
    uint32_t length;
    bool is_delete;
  };

  std::string bytes_;
  std::vector<Record> records_;
  uint64_t row_start_ = 0;  // Where the row under construction begins.
};

}  // namespace dbmazz::starrocks_emulator

#endif  // DBMAZZ_TESTS_SUPPORT_STARROCKS_EMULATOR_ROW_BATCH_H_

#include "tests/support/starrocks_emulator/json_row_reader.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/absl_compat.h"
#include "tests/support/starrocks_emulator/flat_row_scanner.h"

namespace dbmazz::starrocks_emulator {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kArrayInStream =
    "parse error. The value is array type in json document stream, you can set "
    "strip_outer_array=true to parse each element of the array as individual rows";
constexpr std::string_view kNotObjectInStream =
    "parse error. The value should be object type in json document stream";
constexpr std::string_view kIncorrectType =
    "INCORRECT_TYPE: The JSON element does not have the requested type.";

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// End (exclusive) of the object or array starting at `pos`, or npos.
size_t FindContainerEnd(std::string_view s, size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// nlohmann SAX handler turning objects at `row_depth` into rows.
class RowSax {
 public:
  using json = nlohmann::json;

  RowSax(const JsonRowReader& reader, JsonRowReader::Row* row,
         const JsonRowReader::RowCallback& on_row, bool array_mode)
      : reader_(reader),
        row_(row),
        on_row_(on_row),
        array_mode_(array_mode),
        row_depth_(array_mode ? 1 : 0),
        error_prefix_(array_mode ? "parse error. Failed to iterate json array as object. error: "
                                 : "parse error. Failed to iterate document stream as object. "
                                   "error: ") {}

  const std::string& error() const { return error_; }

  bool null() {
    return Scalar(
        RawKind::kNull, [](RawValue&) {}, OrderedJson(nullptr));
  }
  bool boolean(bool b) {
    return Scalar(
        RawKind::kBool, [b](RawValue& v) { v.boolean = b; }, OrderedJson(b));
  }
  bool number_integer(json::number_integer_t n) {
    return Scalar(
        RawKind::kInt, [n](RawValue& v) { v.int_value = n; }, OrderedJson(n));
  }
  bool number_unsigned(json::number_unsigned_t n) {
    return Scalar(
        RawKind::kUint, [n](RawValue& v) { v.uint_value = n; }, OrderedJson(n));
  }
  bool number_float(json::number_float_t d, const json::string_t& raw) {
    return Scalar(
        RawKind::kFloat,
        [d, &raw](RawValue& v) {
          v.float_value = d;
          v.text = raw;
        },
        OrderedJson(d));
  }
  bool string(json::string_t& s) {
    if (capture_depth_ > 0) return CaptureAdd(OrderedJson(s));
    return Scalar(
        RawKind::kString, [&s](RawValue& v) { v.text.swap(s); }, OrderedJson());
  }
  bool binary(json::binary_t&) { return Fail("binary values are not JSON"); }

  bool start_object(std::size_t) {
    if (capture_depth_ > 0) return CaptureOpen(OrderedJson::object());
    if (depth_ == row_depth_) {
      std::fill(row_->present.begin(), row_->present.end(), 0);
      current_slot_ = -1;
      ++depth_;
      return true;
    }
    if (depth_ == row_depth_ + 1) return CaptureStart(OrderedJson::object());
    return Fail("unexpected object");
  }
  bool key(json::string_t& k) {
    if (capture_depth_ > 0) {
      capture_key_.swap(k);
      return true;
    }
    current_slot_ = reader_.FindSlot(k);
    if (current_slot_ >= 0 && row_->present[current_slot_]) current_slot_ = -1;  // First wins.
    return true;
  }
  bool end_object() {
    if (capture_depth_ > 0) return CaptureClose();
    --depth_;
    if (depth_ == row_depth_) on_row_(*row_);
    return true;
  }
  bool start_array(std::size_t) {
    if (capture_depth_ > 0) return CaptureOpen(OrderedJson::array());
    if (array_mode_ && depth_ == 0) {
      ++depth_;
      return true;
    }
    if (depth_ == row_depth_) {
      if (!array_mode_) {
        error_ = std::string(kArrayInStream);
        return false;
      }
      return Fail(kIncorrectType);
    }
    if (depth_ == row_depth_ + 1) return CaptureStart(OrderedJson::array());
    return Fail("unexpected array");
  }
  bool end_array() {
    if (capture_depth_ > 0) return CaptureClose();
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    return Fail(ex.what());
  }

 private:
  template <typename Setter>
  bool Scalar(RawKind kind, Setter&& set, OrderedJson captured) {
    if (capture_depth_ > 0) return CaptureAdd(std::move(captured));
    if (depth_ != row_depth_ + 1) {
      if (!array_mode_) {
        error_ = std::string(kNotObjectInStream);
        return false;
      }
      return Fail(kIncorrectType);
    }
    if (current_slot_ >= 0) {
      RawValue& v = row_->values[current_slot_];
      v.kind = kind;
      set(v);
      row_->present[current_slot_] = 1;
    }
    return true;
  }

  bool CaptureStart(OrderedJson container) {
    capture_build_ = current_slot_ >= 0;
    capture_depth_ = 1;
    ++depth_;
    if (capture_build_) {
      capture_root_ = std::move(container);
      capture_stack_.assign(1, &capture_root_);
    }
    return true;
  }
  bool CaptureOpen(OrderedJson container) {
    ++capture_depth_;
    ++depth_;
    if (capture_build_) capture_stack_.push_back(CaptureInsert(std::move(container)));
    return true;
  }
  bool CaptureAdd(OrderedJson value) {
    if (capture_build_) CaptureInsert(std::move(value));
    return true;
  }
  bool CaptureClose() {
    --capture_depth_;
    --depth_;
    if (capture_build_) capture_stack_.pop_back();
    if (capture_depth_ == 0 && capture_build_) {
      RawValue& v = row_->values[current_slot_];
      v.kind = RawKind::kNested;
      v.text = capture_root_.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
      row_->present[current_slot_] = 1;
    }
    return true;
  }
  OrderedJson* CaptureInsert(OrderedJson value) {
    OrderedJson* top = capture_stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(value));
      return &top->back();
    }
    OrderedJson& slot = (*top)[capture_key_];
    slot = std::move(value);
    return &slot;
  }

  bool Fail(std::string_view why) {
    error_ = absl::StrCat(error_prefix_, AsAbsl(why));
    return false;
  }

  const JsonRowReader& reader_;
  JsonRowReader::Row* row_;
  const JsonRowReader::RowCallback& on_row_;
  const bool array_mode_;
  const int row_depth_;
  const std::string error_prefix_;
  int depth_ = 0;
  int current_slot_ = -1;
  int capture_depth_ = 0;
  bool capture_build_ = false;
  OrderedJson capture_root_;
  std::vector<OrderedJson*> capture_stack_;
  std::string capture_key_;
  std::string error_;
};

}  // namespace

JsonRowReader::JsonRowReader(std::vector<std::string> slot_names, bool flat_fast_path)
    : slot_names_(std::move(slot_names)), flat_fast_path_(flat_fast_path) {
  for (size_t i = 0; i < slot_names_.size(); ++i) {
    slot_by_lower_name_.emplace(absl::AsciiStrToLower(slot_names_[i]), static_cast<int>(i));
  }
}

int JsonRowReader::FindSlot(std::string_view key) const {
  char buf[64];
  if (key.size() <= sizeof(buf)) {
    for (size_t i = 0; i < key.size(); ++i) {
      buf[i] = absl::ascii_tolower(static_cast<unsigned char>(key[i]));
    }
    auto it = slot_by_lower_name_.find(absl::string_view(buf, key.size()));
    return it == slot_by_lower_name_.end() ? -1 : it->second;
  }
  auto it = slot_by_lower_name_.find(absl::AsciiStrToLower(AsAbsl(key)));
  return it == slot_by_lower_name_.end() ? -1 : it->second;
}

absl::Status JsonRowReader::Read(std::string_view body, bool strip_outer_array,
                                 const RowCallback& on_row, const RestartCallback& on_restart) {
  size_t pos = 0;
  while (pos < body.size() && IsJsonSpace(body[pos])) ++pos;
  if (pos == body.size()) return absl::OkStatus();
  char first = body[pos];
  if (first != '[' && first != '{') {
    return absl::InvalidArgumentError(
        absl::StrCat("parse error. illegal json started with ", absl::string_view(&first, 1)));
  }
  Row row;
  row.values.resize(slot_names_.size());
  row.present.assign(slot_names_.size(), 0);

  if (strip_outer_array) {
    if (first != '[') {
      return absl::InvalidArgumentError(absl::StrCat(
          "parse error. the value should be array type with strip_outer_array=true, value: ",
          AsAbsl(body.substr(pos, 64))));
    }
    if (flat_fast_path_) {
      FlatRowScanner scanner(*this);
      bool taken = on_restart ? scanner.ScanOnce(body.substr(pos), &row, on_row, on_restart)
                              : scanner.Scan(body.substr(pos), &row, on_row);
      if (taken) return absl::OkStatus();
    }
    RowSax sax(*this, &row, on_row, /*array_mode=*/true);
    if (!nlohmann::json::sax_parse(body.begin() + pos, body.end(), &sax)) {
      return absl::InvalidArgumentError(sax.error());
    }
    return absl::OkStatus();
  }

  if (first == '[') return absl::InvalidArgumentError(std::string(kArrayInStream));
  while (pos < body.size()) {
    char c = body[pos];
    if (c == '[') return absl::InvalidArgumentError(std::string(kArrayInStream));
    if (c != '{') return absl::InvalidArgumentError(std::string(kNotObjectInStream));
    size_t end = FindContainerEnd(body, pos);
    if (end == std::string_view::npos) end = body.size();
    RowSax sax(*this, &row, on_row, /*array_mode=*/false);
    if (!nlohmann::json::sax_parse(body.begin() + pos, body.begin() + end, &sax)) {
      return absl::InvalidArgumentError(sax.error());
    }
    pos = end;
    while (pos < body.size() && IsJsonSpace(body[pos])) ++pos;
  }
  return absl::OkStatus();
}

std::string JsonRowReader::RowToJson(const Row& row) const {
  std::string out = "{";
  bool first = true;
  for (size_t i = 0; i < slot_names_.size(); ++i) {
    if (!row.present[i]) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append(nlohmann::json(slot_names_[i]).dump());
    out.push_back(':');
    out.append(row.values[i].ToJson());
  }
  out.push_back('}');
  return out;
}

}  // namespace dbmazz::starrocks_emulator

// Cells written in place (BeginCell / EndCell) must encode exactly as
// AppendCell encodes them, whatever the length prefix's size.
#include "tests/support/starrocks_emulator/row_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dbmazz::starrocks_emulator {
namespace {

TEST(RowCodecInPlaceTest, MatchesAppendCellAcrossPrefixSizes) {
  for (size_t length : {0, 1, 125, 126, 127, 128, 300, 16382, 16383, 16384, 70000}) {
    std::string value(length, 'v');
    std::string expected = "head";
    AppendCell(&expected, value);
    AppendNullCell(&expected);
    std::string row = "head";
    size_t cell = BeginCell(&row);
    row.append(value);
    EndCell(&row, cell);
    AppendNullCell(&row);
    EXPECT_EQ(row, expected) << length;
    std::vector<CellView> cells;
    ASSERT_TRUE(DecodeRow(std::string_view(row).substr(4), 2, &cells)) << length;
    EXPECT_EQ(cells[0], value);
    EXPECT_EQ(cells[1], std::nullopt);
  }
}

}  // namespace
}  // namespace dbmazz::starrocks_emulator

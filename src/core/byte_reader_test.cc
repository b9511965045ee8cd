#include "core/byte_reader.h"

#include <string>

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(ByteReader, ReadsBigEndianInsideTheInput) {
  const std::string data("\x00\x00\x01\x02\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x05", 16);
  ByteReader r(as_bytes(data), "test input");
  EXPECT_EQ(*r.read_u32_be(0, "a"), 0x102u);
  EXPECT_EQ(*r.read_u32_be(4, "b"), 0xffffffffu);
  EXPECT_EQ(*r.read_u64_be(8, "c"), 5u);
  EXPECT_EQ(r.read_bytes(12, 4, "d")->size(), 4u);
  EXPECT_EQ(r.read_bytes(16, 0, "empty at the end")->size(), 0u);
}

TEST(ByteReader, EveryReadPastTheEndIsANamedError) {
  const std::string data("abcdef", 6);
  ByteReader r(as_bytes(data), "MAR");
  auto a = r.read_u32_be(3, "index offset");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(a.error().message(), "MAR: index offset needs 4 bytes at offset 3 but only 3 remain");
  auto b = r.read_u64_be(100, "file size");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message(), "MAR: file size at offset 100 is past the end (6 bytes)");
  EXPECT_FALSE(r.read_bytes(1, 6, "x"));
  // Offsets near 2^64 do not wrap around into the input.
  EXPECT_FALSE(r.read_bytes(2, UINT64_MAX - 1, "huge"));
  EXPECT_FALSE(r.read_u32_be(UINT64_MAX - 1, "wrap"));
}

TEST(ByteReader, CursorReadsAdvance) {
  const std::string data("\x00\x00\x00\x07xyz", 7);
  ByteReader r(as_bytes(data), "t");
  EXPECT_EQ(*r.next_u32_be("n"), 7u);
  EXPECT_EQ(r.position(), 4u);
  EXPECT_EQ(as_chars(*r.next_bytes(3, "s")), "xyz");
  EXPECT_FALSE(r.next_u32_be("beyond"));
}

TEST(ByteReader, CStringsMustEndBeforeTheLimit) {
  const std::string data("name\0rest", 9);
  ByteReader r(as_bytes(data), "index");
  EXPECT_EQ(*r.read_c_string(0, 9, "entry name"), "name");
  auto cut = r.read_c_string(0, 4, "entry name");
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message().find("not NUL-terminated"), std::string::npos);
  EXPECT_FALSE(r.read_c_string(5, 9, "tail"));
  EXPECT_FALSE(r.read_c_string(20, 30, "past"));
}

}  // namespace
}  // namespace bh

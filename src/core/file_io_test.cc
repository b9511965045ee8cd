#include "core/file_io.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

TEST(FileIo, ReadsWholeFile) {
  testing::TempDir dir;
  testing::write_text(dir / "a.txt", "hello");
  auto r = read_file(dir / "a.txt", 100);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, "hello");
}

TEST(FileIo, ErrorsAreTyped) {
  testing::TempDir dir;
  testing::write_text(dir / "big.txt", std::string(1000, 'x'));
  EXPECT_EQ(read_file(dir / "big.txt", 999).error().code(), Code::kTooLarge);
  EXPECT_TRUE(read_file(dir / "big.txt", 1000));
  EXPECT_EQ(read_file(dir / "missing", 10).error().code(), Code::kNotFound);
  EXPECT_EQ(read_file(dir.path(), 10).error().code(), Code::kInvalidArgument);  // a directory
}

TEST(FileIo, UnreadableFileIsAnIoError) {
  // /proc/self/mem is a regular file that fails with EIO at offset 0, even for root.
  auto r = read_file("/proc/self/mem", 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kIoError) << r.error().to_string();
}

TEST(FileIo, ProcFilesReportingZeroSizeAreRead) {
  auto r = read_file("/proc/self/status", 1 << 20);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NE(r->find("Name:"), std::string::npos);
}

TEST(FileIo, AtomicWriteReplaces) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomically(dir / "f", "one").is_ok());
  ASSERT_TRUE(write_file_atomically(dir / "f", "two").is_ok());
  EXPECT_EQ(testing::read_text(dir / "f"), "two");
  EXPECT_EQ(write_file_atomically(dir / "no-such-dir" / "f", "x").code(), Code::kIoError);
}

}  // namespace
}  // namespace bh

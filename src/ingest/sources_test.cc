#include "ingest/sources.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

std::vector<IngestItem> drain(DocumentSource& source) {
  std::vector<IngestItem> out;
  while (auto item = source.next()) out.push_back(std::move(*item));
  return out;
}

int open_read(const std::filesystem::path& p) { return ::open(p.c_str(), O_RDONLY); }

TEST(NdjsonSource, SplitsLinesAndSkipsBlanks) {
  testing::TempDir dir;
  testing::write_text(dir / "in.ndjson", "{\"a\":1}\n\n  \n{\"b\":2}\r\n{\"c\":3}");
  NdjsonSource src(open_read(dir / "in.ndjson"), "in", 100, true);
  auto items = drain(src);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, "{\"a\":1}");
  EXPECT_EQ(items[0].origin, "in:1");
  EXPECT_EQ(items[1].bytes, "{\"b\":2}");
  EXPECT_EQ(items[1].origin, "in:4");
  EXPECT_EQ(items[2].bytes, "{\"c\":3}");
}

TEST(NdjsonSource, OverlongLineIsReportedAndSkipped) {
  testing::TempDir dir;
  // Longer than both the limit and the 1 MiB read chunk.
  testing::write_text(dir / "in.ndjson", "{\"a\":1}\n" + std::string(3 << 20, 'x') + "\n{\"b\":2}\n");
  NdjsonSource src(open_read(dir / "in.ndjson"), "in", 1000, true);
  auto items = drain(src);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].read_error.is_ok());
  EXPECT_EQ(items[1].read_error.code(), Code::kTooLarge);
  EXPECT_EQ(items[1].origin, "in:2");
  EXPECT_EQ(items[2].bytes, "{\"b\":2}");
  EXPECT_EQ(items[2].origin, "in:3");
}

TEST(PathSource, WalksDirectoriesInSortedOrderMatchingTheSuffix) {
  testing::TempDir dir;
  testing::write_text(dir / "b/2.buildhub.json", "2");
  testing::write_text(dir / "a/1.buildhub.json", "1");
  testing::write_text(dir / "a/deeper/x-buildhub.json", "3");
  testing::write_text(dir / "a/notes.json", "ignored");
  testing::write_text(dir / "a/buildhub.json.bak", "ignored");
  PathSource src({dir.path().string()}, 1 << 20);
  auto items = drain(src);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, "1");
  EXPECT_EQ(items[1].bytes, "3");
  EXPECT_EQ(items[2].bytes, "2");
}

TEST(PathSource, ProblemsBecomeItemsNotFailures) {
  testing::TempDir dir;
  testing::write_text(dir / "ok.json", "{}");
  testing::write_text(dir / "big.json", std::string(2000, ' '));
  PathSource src({(dir / "missing.json").string(), (dir / "big.json").string(), "/proc/self/mem",
                  (dir / "ok.json").string()},
                 1000);
  auto items = drain(src);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].read_error.code(), Code::kNotFound);
  EXPECT_EQ(items[1].read_error.code(), Code::kTooLarge);
  EXPECT_EQ(items[2].read_error.code(), Code::kIoError);
  EXPECT_EQ(items[2].origin, "/proc/self/mem");
  EXPECT_TRUE(items[3].read_error.is_ok());
  EXPECT_EQ(items[3].bytes, "{}");
}

TEST(PathSource, ReadsStdinAndNdjsonFiles) {
  testing::TempDir dir;
  testing::write_text(dir / "feed.jsonl", "{\"x\":1}\n{\"x\":2}\n");
  testing::write_text(dir / "stdin", "{\"s\":1}\n");
  const int fd = open_read(dir / "stdin");
  PathSource src({"-", (dir / "feed.jsonl").string()}, 1 << 20, fd);
  auto items = drain(src);
  ::close(fd);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].origin, "stdin:1");
  EXPECT_EQ(items[2].origin, (dir / "feed.jsonl").string() + ":2");
}

TEST(Sources, FractionDoneFollowsFilesAndBytes) {
  testing::TempDir dir;
  for (int i = 0; i < 4; ++i) testing::write_text(dir / ("d/" + std::to_string(i) + ".buildhub.json"), "{}");
  std::string lines;
  for (int i = 0; i < 100; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  testing::write_text(dir / "f.ndjson", lines);
  PathSource src({(dir / "d").string(), (dir / "f.ndjson").string()}, 1 << 20);
  ASSERT_TRUE(src.next());  // 1 of 4 files of the first of two arguments
  EXPECT_DOUBLE_EQ(*src.fraction_done(), 0.125);
  while (src.next()) {
  }
  EXPECT_DOUBLE_EQ(*src.fraction_done(), 1.0);

  testing::write_text(dir / "stdin", lines);
  const int fd = ::open((dir / "stdin").c_str(), O_RDONLY);
  PathSource piped({"-"}, 1 << 20, fd);
  ASSERT_TRUE(piped.next());
  // A regular file behind stdin has a size; only a real pipe would be unknown.
  EXPECT_TRUE(piped.fraction_done().has_value());
  ::close(fd);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  (void)!::write(fds[1], "{}\n", 3);
  ::close(fds[1]);
  PathSource pipe_source({"-"}, 1 << 20, fds[0]);
  ASSERT_TRUE(pipe_source.next());
  EXPECT_FALSE(pipe_source.fraction_done().has_value());
  ::close(fds[0]);
}

}  // namespace
}  // namespace bh

#include "ingest/v1_inventory.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bh::v1 {
namespace {

// A reader over `text` handing out at most `step` bytes per call.
LineBlockReader::Read reader_of(const std::string& text, std::size_t step) {
  auto at = std::make_shared<std::size_t>(0);
  return [text, step, at](char* buffer, std::size_t capacity) -> Result<std::size_t> {
    const std::size_t n = std::min({capacity, step, text.size() - *at});
    std::copy_n(text.data() + *at, n, buffer);
    *at += n;
    return n;
  };
}

TEST(LineBlockReader, LinesAcrossReadsCrLfAndBlankLines) {
  LineBlockReader reader(reader_of("a,1\r\n\nb,2\nc,3", 2));
  std::vector<std::string> all;
  std::vector<std::string_view> lines;
  std::uint64_t over_long = 0;
  for (bool more = true; more;) {
    auto read = reader.next(lines, over_long);
    ASSERT_TRUE(read);
    more = *read;
    EXPECT_EQ(over_long, 0u);
    for (auto l : lines) all.emplace_back(l);
  }
  EXPECT_EQ(all, (std::vector<std::string>{"a,1", "b,2", "c,3"}));
}

TEST(LineBlockReader, AnOverLongLineIsCountedAndSkipped) {
  const std::string text = "first\n" + std::string((16u << 20) + 10, 'x') + "\nlast\n";
  LineBlockReader reader(reader_of(text, 1u << 20));
  std::vector<std::string> all;
  std::uint64_t skipped = 0;
  std::vector<std::string_view> lines;
  for (bool more = true; more;) {
    std::uint64_t over_long = 0;
    auto read = reader.next(lines, over_long);
    ASSERT_TRUE(read);
    more = *read;
    skipped += over_long;
    for (auto l : lines) all.emplace_back(l);
  }
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(all, (std::vector<std::string>{"first", "last"}));
}

// Reading from memory (a mapped file) gives exactly the lines and counts that reading the same
// bytes through the stream reader gives: CR LF, blank lines, no final newline, lines across the
// 4 MiB block boundary, an over-long line.
TEST(LineBlockReader, FromMemoryReadsWhatTheStreamReaderReads) {
  std::string text = "a,1\r\n\n\r\nb,2\r\r\n";
  while (text.size() < (9u << 20)) text += "row," + std::to_string(text.size()) + (text.size() % 7 == 0 ? "\r\n" : "\n");
  text += std::string((16u << 20) + 3, 'y') + "\nafter\nlast-without-newline";
  auto read_all = [](LineBlockReader& reader, std::uint64_t& skipped, std::size_t& blocks) {
    std::vector<std::string> all;
    LineBlock block;
    for (bool more = true; more;) {
      auto read = reader.next(block);
      EXPECT_TRUE(read);
      if (!read) break;
      more = *read;
      ++blocks;
      skipped += block.over_long;
      for (auto l : block.lines) all.emplace_back(l);
    }
    return all;
  };
  std::uint64_t stream_skipped = 0, memory_skipped = 0;
  std::size_t stream_blocks = 0, memory_blocks = 0;
  std::vector<std::string_view> prepared;
  LineBlockReader stream(reader_of(text, 1u << 20));
  LineBlockReader memory(text, [&](std::string_view block) { prepared.push_back(block); });
  const auto from_stream = read_all(stream, stream_skipped, stream_blocks);
  const auto from_memory = read_all(memory, memory_skipped, memory_blocks);
  EXPECT_EQ(from_memory, from_stream);
  EXPECT_EQ(memory_skipped, 1u);
  EXPECT_EQ(stream_skipped, 1u);
  EXPECT_EQ(from_memory.back(), "last-without-newline");
  EXPECT_GT(memory_blocks, 2u);
  // Every byte was handed to `prepare` once, in order.
  std::size_t covered = 0;
  for (std::string_view block : prepared) {
    EXPECT_EQ(block.data(), text.data() + covered);
    covered += block.size();
  }
  EXPECT_EQ(covered, text.size());
  LineBlockReader empty(std::string_view{});
  LineBlock block;
  auto read = empty.next(block);
  ASSERT_TRUE(read);
  EXPECT_FALSE(*read);
  EXPECT_TRUE(block.lines.empty());
}

TEST(LineBlockReader, AReadErrorIsTheCallersError) {
  LineBlockReader reader([](char*, std::size_t) -> Result<std::size_t> { return fail(io_error("disk gone")); });
  std::vector<std::string_view> lines;
  std::uint64_t over_long = 0;
  auto read = reader.next(lines, over_long);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kIoError);
}

struct Collecting final : InventoryConverterObserver {
  void on_bad_row(std::uint64_t row, const std::string& reason) override { bad.emplace_back(row, reason); }
  std::vector<std::pair<std::uint64_t, std::string>> bad;
};

TEST(InventoryConverter, WithoutMetadataRecordsComeInInputOrderOnEveryThread) {
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("pub/firefox/releases/52." + std::to_string(i) + "/linux-x86_64/fr/firefox-52." + std::to_string(i) + ".tar.bz2");
  std::vector<std::string> text;
  for (const auto& k : keys) text.push_back("\"b\",\"" + k + "\",\"60000\",\"2017-06-02T15:20:10.4Z\",\"e\"");
  text.insert(text.begin() + 3, "\"unterminated");
  std::vector<std::string_view> lines(text.begin(), text.end());
  std::vector<std::string> urls;
  Collecting observer;
  InventoryConverter converter({.row_threads = 4, .fetch_metadata = false}, nullptr,
                               [&urls](std::string& document, const std::string& url) {
                                 const auto doc = nlohmann::json::parse(document);
                                 EXPECT_EQ(doc["download"]["url"], url);
                                 EXPECT_FALSE(doc.contains("id"));
                                 urls.push_back(url);
                               },
                               observer);
  converter.add_lines(lines);
  converter.add_over_long_lines(1);
  converter.finish();
  ASSERT_EQ(urls.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(urls[i], std::string(kArchiveUrl) + keys[i]);
  EXPECT_EQ(converter.counts().rows, 202u);
  EXPECT_EQ(converter.counts().bad_rows, 2u);
  ASSERT_EQ(observer.bad.size(), 2u);
  EXPECT_EQ(observer.bad[0].first, 4u);  // row numbers count from 1, in input order
  EXPECT_EQ(observer.bad[1].first, 202u);
}

}  // namespace
}  // namespace bh::v1

#include "search/index.h"

#include <gtest/gtest.h>

#include "ingest/demo_data.h"

namespace bh::search {
namespace {

TEST(SearchIndex, IndexesEveryColumnAndKeepsTheDocument) {
  SearchIndex index;
  const std::string doc =
      R"({"build":{"id":"20190101010203","date":"2019-01-01T01:02:03Z","target":"x86_64-pc-linux-gnu"},)"
      R"("source":{"product":"firefox","tree":"mozilla-central"},)"
      R"("target":{"platform":"linux-x86_64","os":"linux","locale":"en-US","version":"66.0a1","channel":"nightly"},)"
      R"("download":{"url":"https://e.x/caf\u00e9","mimetype":"application/x-bzip2","size":123,"date":"2019-01-01T02:00:00Z"}})";
  std::vector<IndexInput> in{{7, doc}, {9, "not json"}};
  index.add_batch(in);
  ASSERT_EQ(index.doc_count(), 2u);
  EXPECT_EQ(index.document(0), doc);
  EXPECT_EQ(index.record_id(1), 9);
  EXPECT_EQ(index.docs_unparsable(), 1u);
  const auto& product = index.keyword(Column::kSourceProduct);
  ASSERT_NE(product.term_of(0), kNoTerm);
  EXPECT_EQ(product.term(product.term_of(0)), "firefox");
  EXPECT_EQ(product.term_of(1), kNoTerm);
  // An escaped string is decoded.
  const auto& url = index.keyword(Column::kDownloadUrl);
  EXPECT_EQ(url.term(url.term_of(0)), "https://e.x/caf\xc3\xa9");
  EXPECT_EQ(index.numeric(Column::kDownloadSize).values[0], 123);
  EXPECT_EQ(index.numeric(Column::kBuildDate).values[0], 1546304523000);
  EXPECT_EQ(index.numeric(Column::kBuildNumber).values[0], kMissingNumber);
  EXPECT_EQ(index.doc_of_record(9), 1u);
  EXPECT_FALSE(index.doc_of_record(8));
  // Older ids are ignored: the index only grows.
  index.add_batch(in);
  EXPECT_EQ(index.doc_count(), 2u);
}

TEST(SearchIndex, DictionariesStaySortedAcrossBatches) {
  SearchIndex index;
  DemoDataGenerator gen(3);
  std::vector<std::string> docs;
  for (int i = 0; i < 3000; ++i) docs.push_back(gen.next_document());
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<IndexInput> in;
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) in.push_back({i + 1, docs[static_cast<std::size_t>(i)]});
    index.add_batch(in);
  }
  const auto& version = index.keyword(Column::kTargetVersion);
  const auto& sorted = version.sorted_terms();
  ASSERT_EQ(sorted.size(), version.term_count());
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LT(version.term(sorted[i - 1]), version.term(sorted[i]));
    EXPECT_EQ(version.byte_rank(sorted[i]), i);
  }
  const auto& vs = version.version_sorted_terms();
  for (std::size_t i = 1; i < vs.size(); ++i) EXPECT_LE(version.version_key(vs[i - 1]), version.version_key(vs[i]));
  std::uint64_t postings = 0;
  for (TermId t = 0; t < version.term_count(); ++t) postings += version.doc_freq(t);
  EXPECT_EQ(postings, 3000u);

  // The same records in one batch give the same index.
  SearchIndex again;
  std::vector<IndexInput> all;
  for (int i = 0; i < 3000; ++i) all.push_back({i + 1, docs[static_cast<std::size_t>(i)]});
  again.add_batch(all);
  EXPECT_EQ(again.fingerprint(), index.fingerprint());
  EXPECT_GT(index.memory_bytes(), 0u);
}

}  // namespace
}  // namespace bh::search

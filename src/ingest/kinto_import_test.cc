#include "ingest/kinto_import.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/demo_data.h"
#include "net/pg_connection.h"
#include "store/store_factory.h"
#include "test_support.h"

namespace bh {
namespace {

// Pages of Kinto records made from demo documents, `per_page` at a time; the resume point is the
// index of the next record. `fail_at` makes reading that page fail once.
class FakeReader final : public KintoPageReader {
 public:
  FakeReader(std::vector<std::string> records, std::size_t per_page) : records_(std::move(records)), per_page_(per_page) {}
  Result<KintoPage> read(const std::string& from) override {
    reads.push_back(from);
    const std::size_t start = from.empty() ? 0 : std::stoul(from);
    if (fail_at && *fail_at == start) {
      fail_at.reset();
      return fail(unavailable("the server is down"));
    }
    KintoPage page;
    for (std::size_t i = start; i < records_.size() && i < start + per_page_; ++i) page.records.push_back({.id = "", .data = nlohmann::json::parse(records_[i])});
    const std::size_t next = std::min(records_.size(), start + per_page_);
    page.end = next >= records_.size();
    page.next = page.end ? "" : std::to_string(next);
    return page;
  }
  std::string describe() const override { return "fake"; }
  std::vector<std::string> reads;
  std::optional<std::size_t> fail_at;

 private:
  std::vector<std::string> records_;
  std::size_t per_page_;
};

class KintoImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_record_store({.location = "memory:"});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    auto v = SchemaValidator::create_builtin();
    ASSERT_TRUE(v);
    validator_ = *v;
    DemoDataGenerator gen(7);
    for (int i = 0; i < 10; ++i) {
      nlohmann::json doc = nlohmann::json::parse(gen.next_document());
      doc["id"] = "v1_record_" + std::to_string(i);
      doc["last_modified"] = 1500000000000 + i;
      doc["schema"] = 1497000000000;
      records_.push_back(doc.dump());
    }
    records_.push_back(R"({"id": "no_build", "last_modified": 1, "source": {"product": "firefox"}})");
  }
  Result<KintoImportCounts> import(FakeReader& reader, KintoImportOptions options) {
    options.state_file = dir_ / "state.json";
    KintoImportObserver observer;
    return run_kinto_import({.reader = reader, .store = *store_, .validator = *validator_, .executor = executor_}, options, observer);
  }
  testing::TempDir dir_;
  Executor executor_{{.cpu_budget = 2}};
  std::unique_ptr<RecordStore> store_;
  std::shared_ptr<const SchemaValidator> validator_;
  std::vector<std::string> records_;
};

TEST_F(KintoImportTest, KintoFieldsGoToTheMetadataAndInvalidRecordsAreRejections) {
  FakeReader reader(records_, 4);
  auto counts = import(reader, {});
  ASSERT_TRUE(counts) << counts.error().to_string();
  EXPECT_EQ(counts->pages, 3u);
  EXPECT_EQ(counts->read, 11u);
  EXPECT_EQ(counts->inserted, 10u);
  EXPECT_EQ(counts->rejected, 1u);
  EXPECT_TRUE(counts->finished);
  auto stored = store_->read_after(0, 100);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 10u);
  const auto doc = nlohmann::json::parse((*stored)[0].document);
  EXPECT_FALSE(doc.contains("id"));
  EXPECT_FALSE(doc.contains("last_modified"));
  EXPECT_FALSE(doc.contains("schema"));
  const auto metadata = nlohmann::json::parse((*stored)[0].metadata);
  EXPECT_EQ(metadata["source"], "kinto");
  EXPECT_EQ(metadata["kinto_id"], "v1_record_0");
  EXPECT_EQ(metadata["kinto_last_modified"], 1500000000000);
  auto rejections = store_->list_rejections(0, 10);
  ASSERT_TRUE(rejections);
  ASSERT_EQ(rejections->size(), 1u);
  EXPECT_EQ((*rejections)[0].origin, "kinto:no_build");
}

TEST_F(KintoImportTest, SkipInvalidOnlyCounts) {
  FakeReader reader(records_, 100);
  auto counts = import(reader, {.skip_invalid = true});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->skipped_invalid, 1u);
  EXPECT_EQ(counts->rejected, 0u);
  EXPECT_EQ(store_->count_rejections().value(), 0);
}

TEST_F(KintoImportTest, AFailedPageIsReadAgainByTheResumedRunAndNothingTwice) {
  FakeReader reader(records_, 3);
  reader.fail_at = 6;
  auto first = import(reader, {});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code(), Code::kUnavailable);
  EXPECT_EQ(store_->count().value(), 6);
  reader.reads.clear();
  auto second = import(reader, {.resume = true});
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(reader.reads.front(), "6");
  EXPECT_EQ(second->read, 5u);
  EXPECT_EQ(store_->count().value(), 10);
}

TEST_F(KintoImportTest, MaxRecordsStopsAtAPageEndAndResumeGoesOn) {
  FakeReader reader(records_, 4);
  auto first = import(reader, {.max_records = 5});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->read, 8u);  // two pages: the limit is checked between pages
  EXPECT_FALSE(first->finished);
  auto rest = import(reader, {.resume = true});
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->read, 3u);
  EXPECT_TRUE(rest->finished);
}

TEST_F(KintoImportTest, NextPagesOnlyOnTheServersOrigin) {
  auto reader = kinto_http_reader(
      [](const std::string& url) -> Result<KintoHttpAnswer> {
        EXPECT_TRUE(url.starts_with("http://kinto.example/v1/")) << url;
        return KintoHttpAnswer{.status = 200, .next_page = "http://evil.example/v1/x", .body = R"({"data": []})"};
      },
      "http://kinto.example/v1/", {}, 10);
  auto page = reader->read("");
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->end);
  auto next = reader->read(page->next);
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message().find("not on"), std::string::npos);
  auto bad = kinto_http_reader(
      [](const std::string&) -> Result<KintoHttpAnswer> { return KintoHttpAnswer{.status = 200, .next_page = "", .body = "[1]"}; },
      "http://kinto.example/v1", {}, 10);
  EXPECT_EQ(bad->read("").error().code(), Code::kUnavailable);
}

TEST(PgConnection, PasswordsNeverReachALog) {
  EXPECT_EQ(net::redact_conninfo("postgresql://kinto:s3cret@db:5432/kinto"), "postgresql://kinto:***@db:5432/kinto");
  EXPECT_EQ(net::redact_conninfo("postgresql://kinto@db/kinto"), "postgresql://kinto@db/kinto");
  EXPECT_EQ(net::redact_conninfo("host=db password=s3cret user=k"), "host=db password=*** user=k");
}

}  // namespace
}  // namespace bh

#include "ingest/pipeline.h"

#include <sqlite3.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/demo_data.h"
#include "store/store_factory.h"
#include "test_support.h"

namespace bh {
namespace {

class RecordingObserver final : public IngestObserver {
 public:
  void on_rejected(const std::string& origin, const Status& reason) override {
    rejected.emplace_back(origin, reason);
  }
  void on_stored(const std::string& origin, const InsertOutcome& outcome, const NewRecord&) override {
    stored.emplace_back(origin, outcome);
  }
  std::vector<std::pair<std::string, Status>> rejected;
  std::vector<std::pair<std::string, InsertOutcome>> stored;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A SQLite file, so a test can add a trigger to it from another connection.
    auto s = open_record_store({.location = "sqlite:" + (dir_ / "db").string()});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    auto v = SchemaValidator::create_builtin();
    ASSERT_TRUE(v);
    validator_ = *v;
  }
  IngestItem item(std::string origin, std::string bytes) {
    IngestItem i;
    i.origin = std::move(origin);
    i.bytes = std::move(bytes);
    return i;
  }
  testing::TempDir dir_;
  Executor executor_{{.cpu_budget = 2}};
  std::unique_ptr<RecordStore> store_;
  std::shared_ptr<const SchemaValidator> validator_;
};

TEST_F(PipelineTest, BadDocumentsNeverStopTheBatch) {
  DemoDataGenerator gen(5);
  const std::string a = gen.next_document();
  const std::string b = gen.next_document();
  IngestItem unreadable;
  unreadable.origin = "gone.json";
  unreadable.read_error = not_found("no such file or directory");
  std::vector<IngestItem> items;
  items.push_back(item("a", a));
  items.push_back(item("bad-json", "{"));
  items.push_back(std::move(unreadable));
  items.push_back(item("b", b));
  items.push_back(item("a-again", a));
  items.push_back(item("array", "[]"));
  VectorSource source(std::move(items));
  RecordingObserver observer;
  IngestOptions options;
  options.batch_size = 2;  // several batches, with rejects across batch borders
  IngestPipeline pipeline(*store_, *validator_, executor_, options);
  auto summary = pipeline.run(source, observer);
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->read, 6u);
  EXPECT_EQ(summary->inserted, 2u);
  EXPECT_EQ(summary->already_present, 1u);
  EXPECT_EQ(summary->rejected, 3u);
  ASSERT_EQ(observer.rejected.size(), 3u);
  EXPECT_EQ(observer.rejected[0].first, "bad-json");
  EXPECT_EQ(observer.rejected[1].first, "gone.json");
  EXPECT_EQ(observer.rejected[2].first, "array");
  ASSERT_EQ(observer.stored.size(), 3u);
  EXPECT_EQ(observer.stored[2].second.kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ(observer.stored[2].second.id, observer.stored[0].second.id);
  EXPECT_EQ(*store_->count(), 2);
}

TEST_F(PipelineTest, RecordsRejectionsWithTheirS3KeysInTheBatchTransaction) {
  DemoDataGenerator gen(9);
  std::vector<IngestItem> items;
  IngestItem good = item("s3://b/good.buildhub.json", gen.next_document());
  good.s3_object_key = "good.buildhub.json";
  good.s3_object_etag = "g1";
  IngestItem bad = item("s3://b/bad.buildhub.json", R"({"build": {}})");
  bad.s3_object_key = "bad.buildhub.json";
  bad.s3_object_etag = "b1";
  items.push_back(std::move(good));
  items.push_back(std::move(bad));
  items.push_back(item("no-key", "not json"));
  VectorSource source(std::move(items));
  RecordingObserver observer;
  IngestOptions options;
  options.rejection_source = "backfill";
  IngestPipeline pipeline(*store_, *validator_, executor_, options);
  auto summary = pipeline.run(source, observer);
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->inserted, 1u);
  EXPECT_EQ(summary->rejected, 2u);
  auto listed = store_->list_rejections(0, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].origin, "no-key");
  EXPECT_EQ((*listed)[1].origin, "s3://b/bad.buildhub.json");
  EXPECT_EQ((*listed)[1].source, "backfill");
  EXPECT_EQ((*listed)[1].s3_object_etag, "b1");
  EXPECT_NE((*listed)[1].reason.find("/download: required property is missing"), std::string::npos) << (*listed)[1].reason;
  auto known = store_->known_s3_etags(std::vector<std::string>{"good.buildhub.json", "bad.buildhub.json"});
  ASSERT_TRUE(known);
  EXPECT_EQ((*known)[0], "g1");
  EXPECT_EQ((*known)[1], "b1");
}

TEST_F(PipelineTest, IdsFollowInputOrderWhateverTheWorkers) {
  IngestOptions options;
  options.batch_size = 7;
  options.workers = 4;
  IngestPipeline pipeline(*store_, *validator_, executor_, options);
  DemoDataSource source(11, 500);
  RecordingObserver observer;
  auto summary = pipeline.run(source, observer);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->inserted, 500u);
  ASSERT_EQ(observer.stored.size(), 500u);
  for (std::size_t i = 0; i < observer.stored.size(); ++i) {
    EXPECT_EQ(observer.stored[i].first, "demo:" + std::to_string(i + 1));
    EXPECT_EQ(observer.stored[i].second.id, static_cast<RecordId>(i + 1));
  }
  // The same input again is all "already present", and stores nothing new.
  DemoDataSource again(11, 500);
  auto second = pipeline.run(again, observer);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->already_present, 500u);
  EXPECT_EQ(*store_->count(), 500);
}

// Every worker of the executor is busy (here: waiting for the run to finish): the caller's thread
// prepares the chunks itself, in order, and the run completes.
TEST_F(PipelineTest, CompletesWhenEveryWorkerIsBusy) {
  Executor one({.cpu_budget = 1});
  Mutex mutex;
  CondVar cv;
  bool release = false;
  one.post([&] {
    MutexLock lock(mutex);
    while (!release) cv.wait(lock);
  });
  IngestOptions options;
  options.batch_size = 9;
  IngestPipeline pipeline(*store_, *validator_, one, options);
  DemoDataSource source(12, 100);
  RecordingObserver observer;
  auto summary = pipeline.run(source, observer);
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->inserted, 100u);
  for (std::size_t i = 0; i < observer.stored.size(); ++i) {
    EXPECT_EQ(observer.stored[i].second.id, static_cast<RecordId>(i + 1));
  }
  {
    MutexLock lock(mutex);
    release = true;
    cv.notify_all();
  }
  one.shutdown();  // the blocked task uses mutex and cv: let it end before they go
}

TEST_F(PipelineTest, StoreFailureStopsAndReportsWhatWasCommitted) {
  IngestOptions options;
  options.batch_size = 10;
  IngestPipeline pipeline(*store_, *validator_, executor_, options);
  {
    DemoDataSource source(3, 25);
    RecordingObserver observer;
    ASSERT_TRUE(pipeline.run(source, observer));
  }
  // The store accepts 13 more records, then fails: the next run's first batch of 10 commits,
  // its second batch fails midway and is rolled back whole.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TRIGGER stop BEFORE INSERT ON builds WHEN (SELECT COUNT(*) FROM builds) >= 38 "
                              "BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  DemoDataSource source(4, 100);
  RecordingObserver observer;
  auto summary = pipeline.run(source, observer);
  ASSERT_FALSE(summary);
  EXPECT_NE(summary.error().message().find("disk full"), std::string::npos) << summary.error().to_string();
  EXPECT_EQ(*store_->count(), 35);
  EXPECT_EQ(observer.stored.size(), 10u);  // exactly the committed ones were reported
}

}  // namespace
}  // namespace bh

#include "store/sqlite/sqlite_record_store.h"

#include <sqlite3.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

NewRecord make(const std::string& hash, const std::string& doc = "{}") {
  NewRecord r;
  r.build_hash = hash;
  r.document = doc;
  return r;
}

std::unique_ptr<SqliteRecordStore> open_at(const std::filesystem::path& path) {
  SqliteStoreOptions options;
  options.path = path;
  auto store = SqliteRecordStore::open(options);
  EXPECT_TRUE(store) << store.error().to_string();
  return store ? std::move(*store) : nullptr;
}

TEST(SqliteRecordStore, CreatesAndMigratesAnEmptyFile) {
  testing::TempDir dir;
  auto store = open_at(dir / "sub/dir/db.sqlite3");
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), SqliteRecordStore::current_schema_version());
  EXPECT_EQ(*store->count(), 0);
  EXPECT_TRUE(store->check_health().is_ok());
}

TEST(SqliteRecordStore, MigratesAnExistingZeroByteFile) {
  testing::TempDir dir;
  testing::write_text(dir / "db", "");
  ASSERT_EQ(std::filesystem::file_size(dir / "db"), 0u);
  auto store = open_at(dir / "db");
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), SqliteRecordStore::current_schema_version());
  ASSERT_TRUE(store->insert_batch(std::vector<NewRecord>{make("v1:a")}));
  EXPECT_EQ(*store->count(), 1);
}

TEST(SqliteRecordStore, SameContentIsStoredOnceAndSaysSo) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  std::vector<NewRecord> batch = {make("v1:a", R"({"a":1})"), make("v1:b"), make("v1:a", R"({ "a" : 1 })")};
  auto out = store->insert_batch(batch);
  ASSERT_TRUE(out) << out.error().to_string();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].kind, InsertKind::kInserted);
  EXPECT_EQ((*out)[1].kind, InsertKind::kInserted);
  EXPECT_EQ((*out)[2].kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ((*out)[2].id, (*out)[0].id);
  auto again = store->insert_batch(std::vector<NewRecord>{make("v1:b")});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ((*again)[0].id, (*out)[1].id);
  EXPECT_EQ(*store->count(), 2);
  // The first document is the one kept, byte for byte.
  auto rec = store->find_by_hash("v1:a");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->document, R"({"a":1})");
}

TEST(SqliteRecordStore, KeepsEveryColumn) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  NewRecord r = make("v1:x", R"({"k":"v"})");
  r.metadata = R"({"source":"test"})";
  r.s3_object_key = "pub/firefox/x.buildhub.json";
  r.s3_object_etag = "\"abc\"";
  auto out = store->insert_batch(std::vector<NewRecord>{r});
  ASSERT_TRUE(out);
  auto got = store->get((*out)[0].id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->build_hash, "v1:x");
  EXPECT_EQ((*got)->metadata, R"({"source":"test"})");
  EXPECT_EQ((*got)->s3_object_key, "pub/firefox/x.buildhub.json");
  EXPECT_EQ((*got)->s3_object_etag, "\"abc\"");
  EXPECT_EQ((*got)->created_at.size(), std::string("2026-11-23T10:00:00.000000Z").size());
  EXPECT_EQ(*store->get(999), std::nullopt);
  EXPECT_EQ(*store->find_by_hash("v1:none"), std::nullopt);
}

TEST(SqliteRecordStore, ChangedFileAtTheSameS3KeyIsANewRecord) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  NewRecord first = make("v1:old", R"({"v":1})");
  first.s3_object_key = "pub/firefox/nightly/x.buildhub.json";
  first.s3_object_etag = "etag-1";
  NewRecord changed = make("v1:new", R"({"v":2})");
  changed.s3_object_key = first.s3_object_key;
  changed.s3_object_etag = "etag-2";
  auto out = store->insert_batch(std::vector<NewRecord>{first});
  auto out2 = store->insert_batch(std::vector<NewRecord>{changed});
  ASSERT_TRUE(out && out2);
  EXPECT_EQ((*out2)[0].kind, InsertKind::kInserted);
  EXPECT_NE((*out2)[0].id, (*out)[0].id);
  EXPECT_EQ(*store->count(), 2);
  // Both versions are kept, unchanged.
  EXPECT_EQ((*store->get((*out)[0].id))->document, R"({"v":1})");
  EXPECT_EQ((*store->get((*out2)[0].id))->s3_object_etag, "etag-2");
}

TEST(SqliteRecordStore, ReadAfterFollowsTheSequence) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  std::vector<NewRecord> batch;
  for (int i = 0; i < 25; ++i) batch.push_back(make("v1:" + std::to_string(i)));
  ASSERT_TRUE(store->insert_batch(batch));
  RecordId last = 0;
  std::vector<std::string> seen;
  while (true) {
    auto page = store->read_after(last, 10);
    ASSERT_TRUE(page);
    if (page->empty()) break;
    for (const auto& r : *page) {
      EXPECT_GT(r.id, last);
      last = r.id;
      seen.push_back(r.build_hash);
    }
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "v1:0");
  EXPECT_EQ(seen.back(), "v1:24");
}

TEST(SqliteRecordStore, SurvivesReopen) {
  testing::TempDir dir;
  {
    auto store = open_at(dir / "db");
    ASSERT_TRUE(store->insert_batch(std::vector<NewRecord>{make("v1:a"), make("v1:b")}));
  }
  auto store = open_at(dir / "db");
  EXPECT_EQ(*store->count(), 2);
  auto out = store->insert_batch(std::vector<NewRecord>{make("v1:c")});
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)[0].id, 3);
}

TEST(SqliteRecordStore, FailedBatchStoresNothing) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  ASSERT_TRUE(store->insert_batch(std::vector<NewRecord>{make("v1:a")}));
  store.reset();
  // A trigger refuses the second record of the next batch: the first must be rolled back too.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TRIGGER no_c BEFORE INSERT ON builds WHEN NEW.build_hash = 'v1:c' "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  store = open_at(dir / "db");
  auto out = store->insert_batch(std::vector<NewRecord>{make("v1:b"), make("v1:c")});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("refused"), std::string::npos) << out.error().to_string();
  EXPECT_EQ(*store->count(), 1);  // v1:b was rolled back with v1:c
  EXPECT_EQ(*store->find_by_hash("v1:b"), std::nullopt);
}

TEST(SqliteRecordStore, RefusesAFileFromANewerVersion) {
  testing::TempDir dir;
  { ASSERT_TRUE(open_at(dir / "db")); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE schema_version SET version = 99;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  SqliteStoreOptions options;
  options.path = dir / "db";
  auto store = SqliteRecordStore::open(options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kConflict);
  EXPECT_NE(store.error().message().find("schema version 99"), std::string::npos);
}

TEST(SqliteRecordStore, CountSeesCommitsOfThisAndOtherConnections) {
  testing::TempDir dir;
  auto store = open_at(dir / "db");
  EXPECT_EQ(*store->count(), 0);
  ASSERT_TRUE(store->insert_batch(std::vector<NewRecord>{make("v1:a")}));
  EXPECT_EQ(*store->count(), 1);
  EXPECT_EQ(*store->count(), 1);
  auto other = open_at(dir / "db");  // as another process would
  ASSERT_TRUE(other->insert_batch(std::vector<NewRecord>{make("v1:b"), make("v1:c")}));
  EXPECT_EQ(*store->count(), 3);
}

TEST(SqliteRecordStore, NotADatabaseIsReported) {
  testing::TempDir dir;
  testing::write_text(dir / "db", std::string(4096, 'x'));
  SqliteStoreOptions options;
  options.path = dir / "db";
  auto store = SqliteRecordStore::open(options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kCorrupt) << store.error().to_string();
}

}  // namespace
}  // namespace bh

#include "store/sqlite/sqlite_record_store.h"

#include <sqlite3.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "store/record_store_contract.h"
#include "test_support.h"

namespace bh {
namespace {

using contract::new_record;
NewRecord make(const std::string& hash, const std::string& doc = "{}") { return new_record(hash, doc); }

std::unique_ptr<SqliteRecordStore> open_at(const std::filesystem::path& path, const Clock* clock = nullptr) {
  SqliteStoreOptions options;
  options.path = path;
  options.clock = clock;
  auto store = SqliteRecordStore::open(options);
  EXPECT_TRUE(store) << store.error().to_string();
  return store ? std::move(*store) : nullptr;
}

// ---- the RecordStore contract ----

class SqliteUnderTest final : public contract::StoreUnderTest {
 public:
  explicit SqliteUnderTest(const Clock& clock) : clock_(clock), store_(open_at(dir_ / "db", &clock)) {}
  RecordStore& store() override { return *store_; }
  std::unique_ptr<RecordStore> open_another() override { return open_at(dir_ / "db", &clock_); }
  bool reopen() override {
    store_.reset();
    store_ = open_at(dir_ / "db", &clock_);
    return true;
  }
  void refuse_inserts_of(const std::string& build_hash) override {
    // A trigger on another connection, as an operator or a constraint would refuse it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "db").c_str(), &raw), SQLITE_OK);
    const std::string sql = "CREATE TRIGGER refuse_" + std::to_string(triggers_++) +
                            " BEFORE INSERT ON builds WHEN NEW.build_hash = '" + build_hash +
                            "' BEGIN SELECT RAISE(ABORT, 'refused'); END;";
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }

 private:
  testing::TempDir dir_;
  const Clock& clock_;
  std::unique_ptr<SqliteRecordStore> store_;
  int triggers_ = 0;
};

using contract::RecordStoreContract;
INSTANTIATE_TEST_SUITE_P(Sqlite, RecordStoreContract,
                         ::testing::Values(contract::ContractTarget{
                             "sqlite", [](const Clock& clock) { return std::make_unique<SqliteUnderTest>(clock); }}),
                         contract::contract_target_name);

// ---- SQLite only: files, migrations, connections ----

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

TEST(SqliteRecordStore, MigratesAVersion1FileAndKnowsItsS3Keys) {
  testing::TempDir dir;
  // A store as schema version 1 wrote it: its records' S3 keys (ETags with quotes, as Buildhub2
  // stored them) become known keys, the newest record of a key winning.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "db").c_str(), &raw), SQLITE_OK);
  const char* v1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE builds (id INTEGER PRIMARY KEY AUTOINCREMENT, build_hash TEXT NOT NULL UNIQUE, document TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, s3_object_key TEXT, s3_object_etag TEXT);
INSERT INTO builds (build_hash, document, created_at, s3_object_key, s3_object_etag) VALUES
  ('v1:a', '{}', '2019-01-01T00:00:00.000000Z', 'k/a', '"old"'),
  ('v1:b', '{}', '2019-01-02T00:00:00.000000Z', 'k/a', '"new"'),
  ('v1:c', '{}', '2019-01-03T00:00:00.000000Z', NULL, NULL);
)sql";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto store = open_at(dir / "db");
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), SqliteRecordStore::current_schema_version());
  EXPECT_EQ(*store->count(), 3);
  auto known = store->known_s3_etags(std::vector<std::string>{"k/a", "k/c"});
  ASSERT_TRUE(known);
  EXPECT_EQ((*known)[0], "new");
  EXPECT_EQ((*known)[1], std::nullopt);
  EXPECT_EQ(*store->count_rejections(), 0);
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

TEST(SqliteRecordStore, NotADatabaseIsReported) {
  testing::TempDir dir;
  testing::write_text(dir / "db", std::string(4096, 'x'));
  SqliteStoreOptions options;
  options.path = dir / "db";
  auto store = SqliteRecordStore::open(options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kCorrupt) << store.error().to_string();
}

TEST(SqliteRecordStore, ReadersArePooledAndShared) {
  testing::TempDir dir;
  SqliteStoreOptions options;
  options.path = dir / "db";
  options.max_readers = 2;
  auto store = SqliteRecordStore::open(options);
  ASSERT_TRUE(store);
  std::vector<NewRecord> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(make("v1:" + std::to_string(i)));
  ASSERT_TRUE((*store)->insert_batch(batch));
  // Eight threads share two connections: each read waits for a free one, none fails.
  std::atomic<int> ok{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = (*store)->get(1 + (t * 50 + i) % 100);
        auto page = (*store)->read_after(i, 10);
        if (r && *r && page && page->size() == 10) ok.fetch_add(1);
      }
    });
  }
  threads.clear();
  EXPECT_EQ(ok.load(), 400);
}

}  // namespace
}  // namespace bh

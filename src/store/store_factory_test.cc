#include "store/store_factory.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh {
namespace {

NewRecord one(const std::string& hash) {
  NewRecord r;
  r.build_hash = hash;
  r.document = "{}";
  return r;
}

TEST(StoreFactory, ADataDirectoryHoldsTheSqliteFile) {
  testing::TempDir dir;
  auto store = open_record_store({.location = (dir / "data").string()});
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_EQ((*store)->describe(), "sqlite:" + (dir / "data" / "buildhub.sqlite3").string());
  ASSERT_TRUE((*store)->insert_batch(std::vector<NewRecord>{one("v1:a")}));
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "buildhub.sqlite3"));
}

TEST(StoreFactory, SqliteUrlsNameTheFile) {
  testing::TempDir dir;
  const auto file = dir / "x.sqlite3";
  auto plain = open_record_store({.location = "sqlite:" + file.string()});
  ASSERT_TRUE(plain) << plain.error().to_string();
  ASSERT_TRUE((*plain)->insert_batch(std::vector<NewRecord>{one("v1:a")}));
  plain->reset();
  auto url = open_record_store({.location = "sqlite://" + file.string()});  // sqlite:///abs/path
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_EQ(*(*url)->count(), 1);
  EXPECT_EQ((*url)->describe(), "sqlite:" + file.string());
}

TEST(StoreFactory, MemoryStoresStartEmptyAndUseTheClock) {
  ManualClock clock;
  auto store = open_record_store({.location = "memory:", .clock = &clock});
  ASSERT_TRUE(store);
  EXPECT_EQ((*store)->describe(), "memory:");
  auto out = (*store)->insert_batch(std::vector<NewRecord>{one("v1:a")});
  ASSERT_TRUE(out);
  EXPECT_EQ((*(*store)->get((*out)[0].id))->created_at, "2023-11-14T22:13:20.000000Z");
}

TEST(StoreFactory, UnsupportedAndUnknownSchemesAreClearErrors) {
  for (const std::string location : {"postgresql://buildhub@db/buildhub", "postgres://x", "redis://localhost", "sqlite:"}) {
    auto store = open_record_store({.location = location});
    ASSERT_FALSE(store) << location;
    EXPECT_EQ(store.error().code(), Code::kInvalidArgument) << location;
  }
  auto pg = open_record_store({.location = "postgresql://h/db"});
  EXPECT_NE(pg.error().message().find("PostgreSQL"), std::string::npos);
  auto none = open_record_store({.location = ""});
  EXPECT_FALSE(none);
}

TEST(StoreFactory, APathWithAColonIsADirectoryWhenWrittenWithDotSlash) {
  testing::TempDir dir;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto store = open_record_store({.location = "./x:y"});
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir / "x:y" / "buildhub.sqlite3"));
}

}  // namespace
}  // namespace bh

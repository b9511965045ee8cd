// The RecordStore contract (store/record_store.h), checked on any implementation.
#include "store/record_store_contract.h"

#include <atomic>
#include <thread>

#include "core/calendar.h"

namespace bh::contract {
namespace {

NewRecord make(const std::string& hash, const std::string& doc = "{}") { return new_record(hash, doc); }

TEST_P(RecordStoreContract, AnEmptyStore) {
  EXPECT_EQ(*store().count(), 0);
  EXPECT_EQ(*store().last_id(), 0);
  EXPECT_TRUE(store().read_after(0, 10)->empty());
  EXPECT_EQ(*store().get(1), std::nullopt);
  EXPECT_TRUE(store().check_health().is_ok());
  auto none = store().insert_batch(std::vector<NewRecord>{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(RecordStoreContract, SameContentIsStoredOnceAndSaysSo) {
  std::vector<NewRecord> batch = {make("v1:a", R"({"a":1})"), make("v1:b"), make("v1:a", R"({ "a" : 1 })")};
  auto out = store().insert_batch(batch);
  ASSERT_TRUE(out) << out.error().to_string();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].kind, InsertKind::kInserted);
  EXPECT_EQ((*out)[1].kind, InsertKind::kInserted);
  EXPECT_EQ((*out)[2].kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ((*out)[2].id, (*out)[0].id);
  auto again = store().insert_batch(std::vector<NewRecord>{make("v1:b")});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ((*again)[0].id, (*out)[1].id);
  EXPECT_EQ(*store().count(), 2);
  // The first document is the one kept, byte for byte.
  auto rec = store().find_by_hash("v1:a");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->document, R"({"a":1})");
}

TEST_P(RecordStoreContract, KeepsEveryColumnAndStampsTheClocksTime) {
  NewRecord r = make("v1:x", R"({"k":"v"})");
  r.metadata = R"({"source":"test"})";
  r.s3_object_key = "pub/firefox/x.buildhub.json";
  r.s3_object_etag = "\"abc\"";
  auto out = store().insert_batch(std::vector<NewRecord>{r, make("v1:y")});
  ASSERT_TRUE(out);
  auto got = store().get((*out)[0].id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->id, (*out)[0].id);
  EXPECT_EQ((*got)->build_hash, "v1:x");
  EXPECT_EQ((*got)->document, R"({"k":"v"})");
  EXPECT_EQ((*got)->metadata, R"({"source":"test"})");
  EXPECT_EQ((*got)->s3_object_key, "pub/firefox/x.buildhub.json");
  EXPECT_EQ((*got)->s3_object_etag, "\"abc\"");
  EXPECT_EQ((*got)->created_at, format_utc(clock_.wall_now(), 6));
  auto plain = store().get((*out)[1].id);
  ASSERT_TRUE(plain && *plain);
  EXPECT_EQ((*plain)->metadata, "{}");
  EXPECT_EQ((*plain)->s3_object_key, std::nullopt);
  EXPECT_EQ(*store().get(999), std::nullopt);
  EXPECT_EQ(*store().find_by_hash("v1:none"), std::nullopt);
}

TEST_P(RecordStoreContract, ChangedFileAtTheSameS3KeyIsANewRecord) {
  NewRecord first = make("v1:old", R"({"v":1})");
  first.s3_object_key = "pub/firefox/nightly/x.buildhub.json";
  first.s3_object_etag = "etag-1";
  NewRecord changed = make("v1:new", R"({"v":2})");
  changed.s3_object_key = first.s3_object_key;
  changed.s3_object_etag = "etag-2";
  auto out = store().insert_batch(std::vector<NewRecord>{first});
  auto out2 = store().insert_batch(std::vector<NewRecord>{changed});
  ASSERT_TRUE(out && out2);
  EXPECT_EQ((*out2)[0].kind, InsertKind::kInserted);
  EXPECT_NE((*out2)[0].id, (*out)[0].id);
  EXPECT_EQ(*store().count(), 2);
  EXPECT_EQ((*store().get((*out)[0].id))->document, R"({"v":1})");
  EXPECT_EQ((*store().get((*out2)[0].id))->s3_object_etag, "etag-2");
}

TEST_P(RecordStoreContract, ReadAfterFollowsTheSequenceAndLastIdIsItsEnd) {
  std::vector<NewRecord> batch;
  for (int i = 0; i < 25; ++i) batch.push_back(make("v1:" + std::to_string(i)));
  auto out = store().insert_batch(batch);
  ASSERT_TRUE(out);
  RecordId last = 0;
  std::vector<std::string> seen;
  while (true) {
    auto page = store().read_after(last, 10);
    ASSERT_TRUE(page);
    if (page->empty()) break;
    EXPECT_LE(page->size(), 10u);
    for (const auto& r : *page) {
      EXPECT_GT(r.id, last);
      last = r.id;
      seen.push_back(r.build_hash);
    }
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "v1:0");
  EXPECT_EQ(seen.back(), "v1:24");
  EXPECT_EQ(*store().last_id(), last);
  EXPECT_EQ(*store().last_id(), out->back().id);
  // A batch of content already there moves nothing.
  ASSERT_TRUE(store().insert_batch(std::vector<NewRecord>{make("v1:3")}));
  EXPECT_EQ(*store().last_id(), last);
  EXPECT_EQ(*store().count(), 25);
}

TEST_P(RecordStoreContract, CountAndLastIdFollowEveryInsert) {
  for (int round = 1; round <= 5; ++round) {
    std::vector<NewRecord> batch;
    for (int i = 0; i < round; ++i) batch.push_back(make("v1:" + std::to_string(round) + "-" + std::to_string(i)));
    auto out = store().insert_batch(batch);
    ASSERT_TRUE(out);
    EXPECT_EQ(*store().count(), round * (round + 1) / 2);
    EXPECT_EQ(*store().last_id(), out->back().id);
  }
}

TEST_P(RecordStoreContract, AFailedBatchStoresNothing) {
  ASSERT_TRUE(store().insert_batch(std::vector<NewRecord>{make("v1:a")}));
  const RecordId before = *store().last_id();
  target_->refuse_inserts_of("v1:c");
  auto out = store().insert_batch(std::vector<NewRecord>{make("v1:b"), make("v1:c")});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().code(), Code::kOk);
  EXPECT_EQ(*store().count(), 1);  // v1:b went back with v1:c
  EXPECT_EQ(*store().find_by_hash("v1:b"), std::nullopt);
  EXPECT_EQ(*store().last_id(), before);
  // The store still works after the failure.
  auto later = store().insert_batch(std::vector<NewRecord>{make("v1:d")});
  ASSERT_TRUE(later) << later.error().to_string();
  EXPECT_EQ(*store().count(), 2);
}

TEST_P(RecordStoreContract, AnotherHandleSeesCommitsAndItsCommitsAreSeen) {
  auto other = target_->open_another();
  if (!other) GTEST_SKIP() << GetParam().name << " has no second handle";
  ASSERT_TRUE(store().insert_batch(std::vector<NewRecord>{make("v1:a")}));
  EXPECT_EQ(*store().count(), 1);
  EXPECT_EQ(*other->count(), 1);
  ASSERT_TRUE(other->insert_batch(std::vector<NewRecord>{make("v1:b"), make("v1:c")}));
  EXPECT_EQ(*store().count(), 3);
  EXPECT_EQ(*store().last_id(), *other->last_id());
  EXPECT_EQ(store().read_after(0, 10)->size(), 3u);
  // Content the other handle stored is already present here.
  auto again = store().insert_batch(std::vector<NewRecord>{make("v1:c")});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].kind, InsertKind::kAlreadyPresent);
}

TEST_P(RecordStoreContract, SurvivesReopen) {
  ASSERT_TRUE(store().insert_batch(std::vector<NewRecord>{make("v1:a"), make("v1:b")}));
  if (!target_->reopen()) GTEST_SKIP() << GetParam().name << " is not persistent";
  EXPECT_EQ(*store().count(), 2);
  EXPECT_EQ(*store().last_id(), 2);
  auto out = store().insert_batch(std::vector<NewRecord>{make("v1:c")});
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)[0].id, 3);
}

TEST_P(RecordStoreContract, RemembersWhatEachS3KeyHeldIncludingRejectedOnes) {
  NewRecord a = make("v1:a", R"({"a":1})");
  a.s3_object_key = "pub/a.buildhub.json";
  a.s3_object_etag = "e1";
  Rejection bad;
  bad.source = "backfill";
  bad.origin = "s3://bucket/pub/bad.buildhub.json";
  bad.s3_object_key = "pub/bad.buildhub.json";
  bad.s3_object_etag = "e9";
  bad.reason = "/build: required property is missing";
  const std::vector<NewRecord> records = {a};
  const std::vector<Rejection> rejections = {bad};
  auto out = store().commit_batch({.records = records, .rejections = rejections});
  ASSERT_TRUE(out) << out.error().to_string();
  const std::vector<std::string> keys = {"pub/a.buildhub.json", "pub/none.buildhub.json", "pub/bad.buildhub.json"};
  auto known = store().known_s3_etags(keys);
  ASSERT_TRUE(known) << known.error().to_string();
  ASSERT_EQ(known->size(), 3u);
  EXPECT_EQ((*known)[0], "e1");
  EXPECT_EQ((*known)[1], std::nullopt);
  EXPECT_EQ((*known)[2], "e9");
  // The same content under a new ETag: no new record, the key moves to the new ETag.
  NewRecord touched = a;
  touched.s3_object_etag = "e2";
  auto again = store().insert_batch(std::vector<NewRecord>{touched});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].kind, InsertKind::kAlreadyPresent);
  EXPECT_EQ((*store().known_s3_etags(keys))[0], "e2");
  EXPECT_EQ(*store().count(), 1);
  // The same content at another key: that key is known too.
  NewRecord copy = a;
  copy.s3_object_key = "pub/copy.buildhub.json";
  ASSERT_TRUE(store().insert_batch(std::vector<NewRecord>{copy}));
  EXPECT_EQ((*store().known_s3_etags(std::vector<std::string>{"pub/copy.buildhub.json"}))[0], "e1");
}

TEST_P(RecordStoreContract, RejectionsAreListedNewestFirstInPages) {
  EXPECT_EQ(*store().count_rejections(), 0);
  EXPECT_TRUE(store().list_rejections(0, 10)->empty());
  for (int i = 0; i < 5; ++i) {
    Rejection r;
    r.source = i % 2 == 0 ? "sqs" : "push";
    r.origin = "origin-" + std::to_string(i);
    r.reason = "reason " + std::to_string(i);
    const std::vector<Rejection> one = {r};
    ASSERT_TRUE(store().commit_batch({.records = {}, .rejections = one}));
  }
  EXPECT_EQ(*store().count_rejections(), 5);
  auto first = store().list_rejections(0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].origin, "origin-4");
  EXPECT_EQ((*first)[0].reason, "reason 4");
  EXPECT_EQ((*first)[0].source, "sqs");
  EXPECT_EQ((*first)[0].s3_object_key, std::nullopt);
  EXPECT_EQ((*first)[0].created_at, format_utc(clock_.wall_now(), 6));
  EXPECT_EQ((*first)[1].origin, "origin-3");
  EXPECT_GT((*first)[0].id, (*first)[1].id);
  auto rest = store().list_rejections((*first)[1].id, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].origin, "origin-2");
  EXPECT_EQ((*rest)[2].origin, "origin-0");
}

TEST_P(RecordStoreContract, AFailedBatchRecordsNoRejectionAndNoKey) {
  target_->refuse_inserts_of("v1:c");
  NewRecord c = make("v1:c");
  c.s3_object_key = "k/c";
  c.s3_object_etag = "e";
  Rejection r;
  r.source = "backfill";
  r.origin = "x";
  r.reason = "bad";
  r.s3_object_key = "k/r";
  r.s3_object_etag = "e";
  const std::vector<NewRecord> records = {c};
  const std::vector<Rejection> rejections = {r};
  ASSERT_FALSE(store().commit_batch({.records = records, .rejections = rejections}));
  EXPECT_EQ(*store().count_rejections(), 0);
  auto known = store().known_s3_etags(std::vector<std::string>{"k/c", "k/r"});
  ASSERT_TRUE(known);
  EXPECT_EQ((*known)[0], std::nullopt);
  EXPECT_EQ((*known)[1], std::nullopt);
}

// Writers on several threads while a follower polls the watermark: the follower sees every
// record exactly once, in increasing id order, and never an id below one it has already seen.
TEST_P(RecordStoreContract, AFollowerOfTheWatermarkMissesNothingUnderConcurrentWriters) {
  constexpr int kWriters = 3, kBatches = 30, kPerBatch = 7;
  std::atomic<int> writers_done{0};
  std::vector<std::jthread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<NewRecord> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(make("v1:" + std::to_string(w) + "-" + std::to_string(b) + "-" + std::to_string(i)));
        }
        auto out = store().insert_batch(batch);
        EXPECT_TRUE(out) << out.error().to_string();
      }
      writers_done.fetch_add(1);
    });
  }
  RecordId seen_up_to = 0;
  std::size_t seen = 0;
  while (true) {
    const bool finished = writers_done.load() == kWriters;
    auto watermark = store().last_id();
    ASSERT_TRUE(watermark);
    while (seen_up_to < *watermark) {
      auto page = store().read_after(seen_up_to, 50);
      ASSERT_TRUE(page);
      ASSERT_FALSE(page->empty()) << "records up to the watermark " << *watermark << " must be readable";
      for (const auto& r : *page) {
        ASSERT_GT(r.id, seen_up_to);
        seen_up_to = r.id;
        ++seen;
      }
    }
    if (finished) break;
  }
  writers.clear();
  EXPECT_EQ(seen, static_cast<std::size_t>(kWriters * kBatches * kPerBatch));
  EXPECT_EQ(*store().count(), kWriters * kBatches * kPerBatch);
}

}  // namespace
}  // namespace bh::contract

// A RecordStore in memory: for tests of other modules, `--database memory:` trials and the
// contract suite. Nothing survives the process.
//
// It keeps the whole contract (identity by hash, atomic batches, ids visible in increasing
// order, a cheap watermark), so code tested against it behaves the same on SQLite.
//
// Thread safety: safe for concurrent use (one mutex; batches commit whole under it).
// Failure: only through refuse_inserts_of(), a test hook that makes every batch holding that hash
// fail and store nothing, as a database constraint would.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/sync.h"
#include "store/record_store.h"

namespace bh {

class MemoryRecordStore final : public RecordStore {
 public:
  // `clock` stamps created_at and must outlive the store.
  explicit MemoryRecordStore(const Clock& clock = system_clock()) : clock_(clock) {}

  Result<std::vector<InsertOutcome>> commit_batch(const StoreBatch& batch) override EXCLUDES(mutex_);
  Result<std::vector<std::optional<std::string>>> known_s3_etags(std::span<const std::string> keys) override
      EXCLUDES(mutex_);
  Result<std::vector<Rejection>> list_rejections(std::int64_t before, std::size_t limit) override EXCLUDES(mutex_);
  Result<std::int64_t> count_rejections() override EXCLUDES(mutex_);
  Result<std::optional<StoredRecord>> get(RecordId id) override EXCLUDES(mutex_);
  Result<std::optional<StoredRecord>> find_by_hash(std::string_view build_hash) override EXCLUDES(mutex_);
  Result<std::int64_t> count() override EXCLUDES(mutex_);
  Result<RecordId> last_id() override EXCLUDES(mutex_);
  Result<std::vector<StoredRecord>> read_after(RecordId after, std::size_t limit) override EXCLUDES(mutex_);
  Status check_health() override { return Status::ok(); }
  std::string describe() const override { return "memory:"; }

  // Test hook: batches holding this hash fail with kUnavailable and store nothing.
  void refuse_inserts_of(std::string build_hash) EXCLUDES(mutex_);

 private:
  const Clock& clock_;
  Mutex mutex_;
  std::vector<StoredRecord> records_ GUARDED_BY(mutex_);  // records_[i].id == i + 1
  std::unordered_map<std::string, RecordId> by_hash_ GUARDED_BY(mutex_);
  std::vector<std::string> refused_ GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::string> s3_etags_ GUARDED_BY(mutex_);  // key -> ETag
  std::vector<Rejection> rejections_ GUARDED_BY(mutex_);                     // rejections_[i].id == i + 1
};

}  // namespace bh

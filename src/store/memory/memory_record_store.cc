#include "store/memory/memory_record_store.h"

#include <algorithm>

#include "core/calendar.h"

namespace bh {

Result<std::vector<InsertOutcome>> MemoryRecordStore::commit_batch(const StoreBatch& batch) {
  const std::span<const NewRecord> records = batch.records;
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(records.size());
  const std::string created_at = format_utc(clock_.wall_now(), 6);
  MutexLock lock(mutex_);
  for (const NewRecord& r : records) {
    if (std::find(refused_.begin(), refused_.end(), r.build_hash) != refused_.end()) {
      return fail(unavailable("inserting " + r.build_hash + ": refused by the test hook"));
    }
  }
  // All checks passed: from here the batch cannot fail, so it commits whole.
  for (const NewRecord& r : records) {
    if (r.s3_object_key && r.s3_object_etag) s3_etags_[*r.s3_object_key] = *r.s3_object_etag;
    if (auto it = by_hash_.find(r.build_hash); it != by_hash_.end()) {
      outcomes.push_back({InsertKind::kAlreadyPresent, it->second});
      continue;
    }
    StoredRecord s;
    s.id = static_cast<RecordId>(records_.size()) + 1;
    s.build_hash = r.build_hash;
    s.document = r.document;
    s.metadata = r.metadata;
    s.created_at = created_at;
    s.s3_object_key = r.s3_object_key;
    s.s3_object_etag = r.s3_object_etag;
    by_hash_.emplace(r.build_hash, s.id);
    outcomes.push_back({InsertKind::kInserted, s.id});
    records_.push_back(std::move(s));
  }
  for (const Rejection& r : batch.rejections) {
    Rejection stored = r;
    stored.id = static_cast<std::int64_t>(rejections_.size()) + 1;
    stored.created_at = created_at;
    if (r.s3_object_key && r.s3_object_etag) s3_etags_[*r.s3_object_key] = *r.s3_object_etag;
    rejections_.push_back(std::move(stored));
  }
  return outcomes;
}

Result<std::vector<std::optional<std::string>>> MemoryRecordStore::known_s3_etags(std::span<const std::string> keys) {
  MutexLock lock(mutex_);
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) {
    const auto it = s3_etags_.find(key);
    out.push_back(it == s3_etags_.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  return out;
}

Result<std::vector<Rejection>> MemoryRecordStore::list_rejections(std::int64_t before, std::size_t limit) {
  MutexLock lock(mutex_);
  std::vector<Rejection> out;
  std::int64_t next = static_cast<std::int64_t>(rejections_.size());
  if (before > 0) next = std::min(next, before - 1);
  for (; next >= 1 && out.size() < limit; --next) out.push_back(rejections_[static_cast<std::size_t>(next - 1)]);
  return out;
}

Result<std::int64_t> MemoryRecordStore::count_rejections() {
  MutexLock lock(mutex_);
  return static_cast<std::int64_t>(rejections_.size());
}

Result<std::optional<StoredRecord>> MemoryRecordStore::get(RecordId id) {
  MutexLock lock(mutex_);
  if (id < 1 || id > static_cast<RecordId>(records_.size())) return std::optional<StoredRecord>();
  return std::optional<StoredRecord>(records_[static_cast<std::size_t>(id - 1)]);
}

Result<std::optional<StoredRecord>> MemoryRecordStore::find_by_hash(std::string_view build_hash) {
  MutexLock lock(mutex_);
  const auto it = by_hash_.find(std::string(build_hash));
  if (it == by_hash_.end()) return std::optional<StoredRecord>();
  return std::optional<StoredRecord>(records_[static_cast<std::size_t>(it->second - 1)]);
}

Result<std::int64_t> MemoryRecordStore::count() {
  MutexLock lock(mutex_);
  return static_cast<std::int64_t>(records_.size());
}

Result<RecordId> MemoryRecordStore::last_id() {
  MutexLock lock(mutex_);
  return static_cast<RecordId>(records_.size());
}

Result<std::vector<StoredRecord>> MemoryRecordStore::read_after(RecordId after, std::size_t limit) {
  MutexLock lock(mutex_);
  std::vector<StoredRecord> out;
  const std::size_t begin = static_cast<std::size_t>(std::max<RecordId>(after, 0));
  for (std::size_t i = begin; i < records_.size() && out.size() < limit; ++i) out.push_back(records_[i]);
  return out;
}

void MemoryRecordStore::refuse_inserts_of(std::string build_hash) {
  MutexLock lock(mutex_);
  refused_.push_back(std::move(build_hash));
}

}  // namespace bh

// The embedded JobStore: one SQLite file (WAL), shared by the processes of one data directory.
//
//   jobs(sequence INTEGER PRIMARY KEY, id TEXT UNIQUE, state, request, attempts, max_attempts,
//        last_error, lease_owner, lease_expires_ms, not_before_ms, progress, result,
//        created_ms, started_ms, finished_ms)
//
// claim() is one BEGIN IMMEDIATE transaction (SQLite's single writer makes it atomic across
// processes); the other writes are single statements conditioned on the lease owner.
//
// Thread safety: one connection under a mutex (jobs are few and each call is short).
#pragma once

#include <filesystem>
#include <memory>

#include "core/sync.h"
#include "store/job_store.h"
#include "store/sqlite/sqlite_db.h"

namespace bh {

class SqliteJobStore final : public JobStore {
 public:
  // ":memory:" for a private in-memory database.
  static Result<std::unique_ptr<SqliteJobStore>> open(const std::string& path);

  Result<SubmitOutcome> submit(const JobSubmission& submission) override EXCLUDES(mutex_);
  Result<std::optional<Job>> get(const std::string& id) override EXCLUDES(mutex_);
  Result<std::vector<Job>> list(const JobListQuery& query) override EXCLUDES(mutex_);
  Result<std::map<JobState, std::int64_t>> count_by_state() override EXCLUDES(mutex_);
  Result<std::optional<Job>> claim(const ClaimRequest& request) override EXCLUDES(mutex_);
  Result<bool> heartbeat(const std::string& id, const ClaimRequest& lease, const std::string& progress) override
      EXCLUDES(mutex_);
  Result<bool> finish(const std::string& id, const std::string& worker, const std::string& result,
                      std::int64_t now_ms) override EXCLUDES(mutex_);
  Result<bool> fail(const std::string& id, const std::string& worker, const JobFailure& failure) override
      EXCLUDES(mutex_);
  Result<bool> retry(const std::string& id, std::int64_t now_ms) override EXCLUDES(mutex_);
  Result<bool> remove(const std::string& id) override EXCLUDES(mutex_);
  std::string describe() const override { return "sqlite:" + path_; }

 private:
  SqliteJobStore(sqlite::SqliteDb db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  Result<std::optional<Job>> get_locked(const std::string& id) REQUIRES(mutex_);
  Result<bool> change(std::string_view sql, const std::vector<std::string>& text, const std::vector<std::int64_t>& ints)
      REQUIRES(mutex_);
  Status change_status(std::string_view sql, const std::vector<std::string>& text,
                       const std::vector<std::int64_t>& ints) REQUIRES(mutex_);

  Mutex mutex_;
  sqlite::SqliteDb db_ GUARDED_BY(mutex_);
  const std::string path_;
};

}  // namespace bh

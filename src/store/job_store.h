// JobStore: the durable queue of partial-update jobs, shared by every worker of every process
// that opens it (`serve` with --workers, `buildhub worker`).
//
// A job is identified by what it produces (the partial's identifier), so identical requests
// coalesce: submit() of an identifier already present returns the existing job. States:
//
//   queued --claim--> running --finish--> done
//                        |  --fail(retryable, attempts < max)--> queued (after a pause)
//                        |  --fail(otherwise)--> failed --retry (admin)--> queued
//                        '  lease expired: claimable again, as if queued
//
// A worker holds a running job under a lease (owner + expiry). It renews the lease while it works
// (heartbeat, which also records progress); a worker that dies stops renewing, its lease
// expires, and the next claim takes the job over with one more attempt. A job whose lease expired
// `max_attempts` times fails with that reason. Only the lease's owner may heartbeat, finish or
// fail a job: a worker that lost its lease learns it from heartbeat() (false) and its late
// finish() or fail() changes nothing.
//
// Times are milliseconds since the Unix epoch, given by the caller (tests drive the clock).
//
// Ownership: opened by store/job_store_factory (open_job_store); the caller owns it.
// Thread safety: safe for concurrent use, and across processes sharing the database.
// Failure: every call returns a Status (kIoError/kUnavailable for the database); kNotFound for an
// unknown identifier where one is required.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store_factory.h"

namespace bh {

enum class JobState { kQueued, kRunning, kDone, kFailed };
std::string_view job_state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view name);

struct Job {
  std::string id;            // the partial's identifier
  std::int64_t sequence = 0;  // submission order, for listing
  JobState state = JobState::kQueued;
  std::string request;        // JSON: what to build (service/partial_request.h)
  std::int64_t attempts = 0;  // claims so far
  std::int64_t max_attempts = 0;
  std::string last_error;
  std::string lease_owner;             // the worker holding it while running
  std::int64_t lease_expires_ms = 0;
  std::int64_t not_before_ms = 0;      // a retried job waits until then
  std::string progress = "{}";         // JSON, the latest heartbeat's
  std::string result = "{}";           // JSON, set by finish()
  std::int64_t created_ms = 0;
  std::int64_t started_ms = 0;         // the latest claim
  std::int64_t finished_ms = 0;
};

struct JobSubmission {
  std::string id;
  std::string request;
  std::int64_t max_attempts = 3;
  std::int64_t now_ms = 0;
};

struct SubmitOutcome {
  Job job;
  bool created = false;  // false: an identical job was already there
};

struct ClaimRequest {
  std::string worker;  // unique per worker thread: "host:pid:n"
  std::int64_t lease_ms = 30'000;
  std::int64_t now_ms = 0;
};

struct JobFailure {
  std::string error;
  bool retryable = false;        // a network failure may pass; a hash mismatch will not
  std::int64_t retry_after_ms = 0;  // pause before the next attempt
  std::int64_t now_ms = 0;
};

struct JobListQuery {
  std::optional<JobState> state;
  std::int64_t before_sequence = 0;  // 0: from the newest
  std::size_t limit = 50;
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  virtual Result<SubmitOutcome> submit(const JobSubmission& submission) = 0;
  virtual Result<std::optional<Job>> get(const std::string& id) = 0;
  // Newest first.
  virtual Result<std::vector<Job>> list(const JobListQuery& query) = 0;
  virtual Result<std::map<JobState, std::int64_t>> count_by_state() = 0;
  // The oldest claimable job (queued and due, or running with an expired lease), now running
  // under the caller's lease; nullopt when there is none. Jobs whose lease expired max_attempts
  // times are failed on the way.
  virtual Result<std::optional<Job>> claim(const ClaimRequest& request) = 0;
  // Renews the lease and records progress; false when the caller no longer holds the lease.
  virtual Result<bool> heartbeat(const std::string& id, const ClaimRequest& lease, const std::string& progress) = 0;
  virtual Result<bool> finish(const std::string& id, const std::string& worker, const std::string& result,
                              std::int64_t now_ms) = 0;
  virtual Result<bool> fail(const std::string& id, const std::string& worker, const JobFailure& failure) = 0;
  // Admin: a failed job is queued again with its attempts reset; false when it is not failed.
  virtual Result<bool> retry(const std::string& id, std::int64_t now_ms) = 0;
  // Admin: forgets a job that is not running (its partial is deleted by the caller); false when
  // there is none or it is running.
  virtual Result<bool> remove(const std::string& id) = 0;
  virtual std::string describe() const = 0;
};

// Where the jobs of a store location live (store_directory): DIR/jobs.sqlite3 for a data
// directory, jobs.sqlite3 beside an SQLite file, an in-memory database for memory:.
// postgresql:// is refused until the PostgreSQL store exists. Defined in store_factory.cc.
Result<std::unique_ptr<JobStore>> open_job_store(const StoreRequest& request);

}  // namespace bh

#include "store/sqlite/sqlite_job_store.h"

#include <filesystem>

#include <fmt/format.h>

namespace bh {
namespace {

constexpr std::string_view kColumns =
    "sequence, id, state, request, attempts, max_attempts, last_error, lease_owner, lease_expires_ms, "
    "not_before_ms, progress, result, created_ms, started_ms, finished_ms";

constexpr std::string_view kSchema = R"(
CREATE TABLE IF NOT EXISTS jobs (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  progress TEXT NOT NULL DEFAULT '{}',
  result TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, sequence);
)";

Job read_job(const sqlite::Statement& s) {
  Job j;
  j.sequence = s.column_int64(0);
  j.id = s.column_text(1);
  j.state = parse_job_state(s.column_text(2)).value_or(JobState::kFailed);
  j.request = s.column_text(3);
  j.attempts = s.column_int64(4);
  j.max_attempts = s.column_int64(5);
  j.last_error = s.column_text(6);
  j.lease_owner = s.column_text(7);
  j.lease_expires_ms = s.column_int64(8);
  j.not_before_ms = s.column_int64(9);
  j.progress = s.column_text(10);
  j.result = s.column_text(11);
  j.created_ms = s.column_int64(12);
  j.started_ms = s.column_int64(13);
  j.finished_ms = s.column_int64(14);
  return j;
}

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite::SqliteDb& db) : db_(db) {}
  Status begin() {
    BH_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE;"));
    open_ = true;
    return {};
  }
  Status commit() {
    BH_RETURN_IF_ERROR(db_.exec("COMMIT;"));
    open_ = false;
    return {};
  }
  ~Transaction() {
    if (open_) (void)db_.exec("ROLLBACK;");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  sqlite::SqliteDb& db_;
  bool open_ = false;
};

}  // namespace

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
  }
  return "failed";
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed}) {
    if (job_state_name(s) == name) return s;
  }
  return std::nullopt;
}

Result<std::unique_ptr<SqliteJobStore>> SqliteJobStore::open(const std::string& path) {
  if (path != ":memory:") {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  BH_ASSIGN_OR_RETURN(sqlite::SqliteDb db, sqlite::SqliteDb::open(path));
  BH_RETURN_IF_ERROR(db.exec("PRAGMA busy_timeout = 10000;"));
  if (path != ":memory:") BH_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode = WAL;"));
  BH_RETURN_IF_ERROR(db.exec("PRAGMA synchronous = NORMAL;"));
  BH_RETURN_IF_ERROR(db.exec(kSchema));
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(std::move(db), path));
}

Result<std::optional<Job>> SqliteJobStore::get_locked(const std::string& id) {
  BH_ASSIGN_OR_RETURN(auto s, db_.prepare(fmt::format("SELECT {} FROM jobs WHERE id = ?1", kColumns)));
  BH_RETURN_IF_ERROR(s.bind_text(1, id));
  BH_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<Job>();
  return std::optional<Job>(read_job(s));
}

Result<bool> SqliteJobStore::change(std::string_view sql, const std::vector<std::string>& text,
                                    const std::vector<std::int64_t>& ints) {
  BH_ASSIGN_OR_RETURN(auto s, db_.prepare(sql));
  int index = 1;
  for (const std::string& t : text) BH_RETURN_IF_ERROR(s.bind_text(index++, t));
  for (std::int64_t v : ints) BH_RETURN_IF_ERROR(s.bind_int64(index++, v));
  BH_RETURN_IF_ERROR(s.run());
  return db_.changes() > 0;
}

Status SqliteJobStore::change_status(std::string_view sql, const std::vector<std::string>& text,
                                    const std::vector<std::int64_t>& ints) {
  auto changed = change(sql, text, ints);
  return changed ? Status{} : changed.error();
}

Result<SubmitOutcome> SqliteJobStore::submit(const JobSubmission& submission) {
  MutexLock lock(mutex_);
  BH_ASSIGN_OR_RETURN(bool created,
                      change("INSERT INTO jobs(id, state, request, max_attempts, created_ms) VALUES (?1, 'queued', ?2, ?3, ?4) "
                             "ON CONFLICT(id) DO NOTHING",
                             {submission.id, submission.request}, {submission.max_attempts, submission.now_ms}));
  BH_ASSIGN_OR_RETURN(auto job, get_locked(submission.id));
  if (!job) return bh::fail(internal_error(fmt::format("job {} vanished after its submission", submission.id)));
  return SubmitOutcome{std::move(*job), created};
}

Result<std::optional<Job>> SqliteJobStore::get(const std::string& id) {
  MutexLock lock(mutex_);
  return get_locked(id);
}

Result<std::vector<Job>> SqliteJobStore::list(const JobListQuery& query) {
  MutexLock lock(mutex_);
  BH_ASSIGN_OR_RETURN(auto s, db_.prepare(fmt::format(
                                  "SELECT {} FROM jobs WHERE (?1 = '' OR state = ?1) AND (?2 = 0 OR sequence < ?2) "
                                  "ORDER BY sequence DESC LIMIT ?3",
                                  kColumns)));
  BH_RETURN_IF_ERROR(s.bind_text(1, query.state ? std::string(job_state_name(*query.state)) : std::string()));
  BH_RETURN_IF_ERROR(s.bind_int64(2, query.before_sequence));
  BH_RETURN_IF_ERROR(s.bind_int64(3, static_cast<std::int64_t>(query.limit)));
  std::vector<Job> out;
  while (true) {
    BH_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    out.push_back(read_job(s));
  }
  return out;
}

Result<std::map<JobState, std::int64_t>> SqliteJobStore::count_by_state() {
  MutexLock lock(mutex_);
  std::map<JobState, std::int64_t> out{
      {JobState::kQueued, 0}, {JobState::kRunning, 0}, {JobState::kDone, 0}, {JobState::kFailed, 0}};
  BH_ASSIGN_OR_RETURN(auto s, db_.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  while (true) {
    BH_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    if (auto state = parse_job_state(s.column_text(0))) out[*state] = s.column_int64(1);
  }
  return out;
}

Result<std::optional<Job>> SqliteJobStore::claim(const ClaimRequest& request) {
  MutexLock lock(mutex_);
  Transaction tx(db_);
  BH_RETURN_IF_ERROR(tx.begin());
  // Leases that expired as often as the job may be tried: the job fails rather than loops.
  BH_RETURN_IF_ERROR(change_status("UPDATE jobs SET state = 'failed', finished_ms = ?1, lease_owner = '', "
                            "last_error = 'the worker running it stopped renewing its lease ' || attempts || ' times"
                            "' || CASE WHEN last_error = '' THEN '' ELSE ' (last error: ' || last_error || ')' END "
                            "WHERE state = 'running' AND lease_expires_ms < ?1 AND attempts >= max_attempts",
                            {}, {request.now_ms}));
  BH_ASSIGN_OR_RETURN(auto pick, db_.prepare("SELECT id FROM jobs WHERE (state = 'queued' AND not_before_ms <= ?1) OR "
                                             "(state = 'running' AND lease_expires_ms < ?1) ORDER BY sequence LIMIT 1"));
  BH_RETURN_IF_ERROR(pick.bind_int64(1, request.now_ms));
  BH_ASSIGN_OR_RETURN(bool found, pick.step());
  if (!found) {
    BH_RETURN_IF_ERROR(tx.commit());
    return std::optional<Job>();
  }
  const std::string id = pick.column_text(0);
  pick.reset();
  BH_RETURN_IF_ERROR(change_status("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?2, "
                            "lease_expires_ms = ?3, started_ms = ?4 WHERE id = ?1",
                            {id, request.worker}, {request.now_ms + request.lease_ms, request.now_ms}));
  BH_ASSIGN_OR_RETURN(auto job, get_locked(id));
  BH_RETURN_IF_ERROR(tx.commit());
  return job;
}

Result<bool> SqliteJobStore::heartbeat(const std::string& id, const ClaimRequest& lease, const std::string& progress) {
  MutexLock lock(mutex_);
  return change("UPDATE jobs SET lease_expires_ms = ?4, progress = ?3 WHERE id = ?1 AND state = 'running' AND "
                "lease_owner = ?2",
                {id, lease.worker, progress}, {lease.now_ms + lease.lease_ms});
}

Result<bool> SqliteJobStore::finish(const std::string& id, const std::string& worker, const std::string& result,
                                    std::int64_t now_ms) {
  MutexLock lock(mutex_);
  return change("UPDATE jobs SET state = 'done', result = ?3, finished_ms = ?4, lease_owner = '', last_error = '' "
                "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
                {id, worker, result}, {now_ms});
}

Result<bool> SqliteJobStore::fail(const std::string& id, const std::string& worker, const JobFailure& failure) {
  MutexLock lock(mutex_);
  return change("UPDATE jobs SET state = CASE WHEN ?4 = 1 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END, "
                "not_before_ms = ?5 + ?6, finished_ms = CASE WHEN ?4 = 1 AND attempts < max_attempts THEN 0 ELSE ?5 END, "
                "last_error = ?3, lease_owner = '' WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
                {id, worker, failure.error},
                {failure.retryable ? 1 : 0, failure.now_ms, failure.retry_after_ms});
}

Result<bool> SqliteJobStore::retry(const std::string& id, std::int64_t now_ms) {
  MutexLock lock(mutex_);
  return change("UPDATE jobs SET state = 'queued', attempts = 0, not_before_ms = ?2, finished_ms = 0, "
                "progress = '{}' WHERE id = ?1 AND state = 'failed'",
                {id}, {now_ms});
}

Result<bool> SqliteJobStore::remove(const std::string& id) {
  MutexLock lock(mutex_);
  return change("DELETE FROM jobs WHERE id = ?1 AND state <> 'running'", {id}, {});
}

}  // namespace bh

// The ingestion pipeline: source -> parse -> validate -> hash -> store (-> index, later).
//
// One pipeline serves every source (files, stdin, demo data, and later HTTP push, S3, SQS).
// The source is read on a thread of its own (it blocks on files and pipes); parsing, validation
// and hashing run on the executor, chunk by chunk; the caller's thread stores the chunks in the
// order the source yielded them, in batches of `batch_size` per transaction, so the same input
// always gets the same record ids. When the chunk it needs next has not been started by a
// worker, the caller's thread prepares it itself, so the run makes progress even when every
// worker of the executor is busy elsewhere (or when the caller is itself a worker).
//
// A bad document is reported (with its origin and the reason) and never stops the run; a store
// failure does stop it, after reporting how far it got. Every record counted as inserted is
// committed.
//
// Ownership: borrows the store, validator and executor; all must outlive the pipeline.
// Thread safety: a pipeline runs one `run` at a time. Observer callbacks are made on the
// caller's thread, in input order.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "core/executor.h"
#include "core/status.h"
#include "ingest/sources.h"
#include "record/build_record.h"
#include "record/schema_validator.h"
#include "store/record_store.h"

namespace bh {

struct IngestOptions {
  std::size_t batch_size = 10000;  // documents per store transaction
  unsigned workers = 0;           // chunks prepared at once; 0: the executor's CPU budget
  RecordLimits limits;
  std::string metadata = "{}";    // JSON object stored with every record of this run
  // When set ("backfill", "sqs", "push"), rejected documents are also recorded in the store, in
  // the transaction of their batch, under this source name (GET /api/rejections).
  std::string rejection_source;
};

struct IngestSummary {
  std::uint64_t read = 0;             // documents the source yielded
  std::uint64_t inserted = 0;         // new records
  std::uint64_t already_present = 0;  // content that was stored before
  std::uint64_t rejected = 0;         // unreadable, malformed or invalid

  std::string to_string() const;
};

class IngestObserver {
 public:
  virtual ~IngestObserver() = default;
  virtual void on_rejected(const std::string& /*origin*/, const Status& /*reason*/) {}
  // `record` holds the document as received and its build_hash.
  virtual void on_stored(const std::string& /*origin*/, const InsertOutcome& /*outcome*/,
                         const NewRecord& /*record*/) {}
  // After every committed batch, with the running totals and, when the source knows its size,
  // the share of the input read so far (0..1).
  virtual void on_progress(const IngestSummary& /*so_far*/, std::optional<double> /*fraction_done*/) {}
};

class IngestPipeline {
 public:
  IngestPipeline(RecordStore& store, const SchemaValidator& validator, Executor& executor, IngestOptions options);

  // Drains `source`. Returns the summary, or the store error that stopped the run (the
  // records reported through on_stored before it are committed). Stops early, between
  // batches, when `stop` is requested.
  Result<IngestSummary> run(DocumentSource& source, IngestObserver& observer, std::stop_token stop = {});

 private:
  RecordStore& store_;
  const SchemaValidator& validator_;
  Executor& executor_;
  IngestOptions options_;
};

}  // namespace bh

// Downloads S3 objects with many requests in flight and turns them into ingest items, for the
// backfill and the SQS daemon alike.
//
// Each object becomes one IngestItem with its origin ("s3://bucket/key"), key and ETag (the GET's
// own ETag, else the listing's). An object the store cannot take (larger than the document limit)
// becomes an item with a read error, so the pipeline records it as a rejection. A missing object
// (404: deleted since it was listed or announced) is reported apart, never as a rejection. Any
// other failure (S3 down after the client's retries) is the fetch's failure: the caller keeps the
// work for later (the backfill does not advance its resume point; the daemon keeps the message).
//
// Thread safety: fetch_objects may be called from several threads; it starts up to `jobs` threads
// of its own and joins them before returning.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "ingest/sources.h"
#include "net/s3_client.h"

namespace bh {

struct FetchRequest {
  const net::S3Client* client = nullptr;  // borrowed
  std::string key;
  std::string listed_etag;                // from the listing or the event; "" if unknown
};

struct FetchOutcome {
  enum class Kind { kItem, kMissing, kFailed };
  Kind kind = Kind::kFailed;
  IngestItem item;   // kItem
  Status error;      // kMissing, kFailed
  std::chrono::nanoseconds elapsed{0};  // the GET, retries included
};

// Outcomes in the order of `requests`.
std::vector<FetchOutcome> fetch_objects(const std::vector<FetchRequest>& requests, unsigned jobs,
                                        std::size_t max_document_bytes, std::stop_token stop);

}  // namespace bh

#include "ingest/s3_fetch.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "core/thread.h"

namespace bh {

std::vector<FetchOutcome> fetch_objects(const std::vector<FetchRequest>& requests, unsigned jobs,
                                        std::size_t max_document_bytes, std::stop_token stop) {
  std::vector<FetchOutcome> out(requests.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < requests.size(); i = next.fetch_add(1)) {
      const FetchRequest& r = requests[i];
      FetchOutcome& o = out[i];
      const std::string origin = fmt::format("s3://{}/{}", r.client->location().bucket, r.key);
      const auto started = std::chrono::steady_clock::now();
      auto got = r.client->get_object(r.key, max_document_bytes, stop);
      o.elapsed = std::chrono::steady_clock::now() - started;
      if (got) {
        o.kind = FetchOutcome::Kind::kItem;
        o.item.origin = origin;
        o.item.bytes = std::move(got->body);
        o.item.s3_object_key = r.key;
        o.item.s3_object_etag = got->etag.empty() ? r.listed_etag : got->etag;
        continue;
      }
      const Status& e = got.error();
      if (e.code() == Code::kTooLarge) {
        // Not a document buildhub can take: a rejection, recorded with its key and ETag.
        o.kind = FetchOutcome::Kind::kItem;
        o.item.origin = origin;
        o.item.s3_object_key = r.key;
        o.item.s3_object_etag = r.listed_etag;
        o.item.read_error = too_large(fmt::format("larger than the document limit of {} bytes", max_document_bytes));
      } else if (e.code() == Code::kNotFound) {
        o.kind = FetchOutcome::Kind::kMissing;
        o.error = e;
      } else {
        o.kind = FetchOutcome::Kind::kFailed;
        o.error = e;
      }
    }
  };
  const unsigned threads = static_cast<unsigned>(std::min<std::size_t>(std::max(jobs, 1u), requests.size()));
  if (threads <= 1) {
    work();
    return out;
  }
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.push_back(start_thread("bh-s3-fetch", work));
  pool.clear();  // joins
  return out;
}

}  // namespace bh

#include "ingest/v1_inventory_import.h"

#include <zlib.h>

#include <atomic>
#include <future>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "core/bounded_queue.h"
#include "core/digest.h"
#include "core/file_io.h"
#include "core/thread.h"
#include "v1/inventory_manifest.h"

namespace bh {
namespace {

struct InventoryMetrics {
  explicit InventoryMetrics(MetricsRegistry& m)
      : pieces_cached(m.counter("buildhub_inventory_pieces_total", "Inventory CSV.gz pieces read", {{"source", "cache"}})),
        pieces_downloaded(m.counter("buildhub_inventory_pieces_total", "Inventory CSV.gz pieces read", {{"source", "s3"}})),
        bad_pieces(m.counter("buildhub_inventory_bad_pieces_total", "Pieces not as their manifest says, or damaged")),
        rows(m.counter("buildhub_inventory_rows_total", "Inventory rows read")),
        records(m.counter("buildhub_inventory_records_total", "Records the inventory rows gave (after metadata and v1's checks)")),
        incomplete(m.counter("buildhub_inventory_incomplete_total", "Build files left out: no metadata, or failing v1's checks")),
        unavailable(m.counter("buildhub_inventory_metadata_unavailable_total", "Build files left out: the archive did not answer")),
        inserted(m.counter("buildhub_inventory_inserted_total", "Records an inventory run inserted")),
        seconds(m.timer("buildhub_inventory_seconds", "Whole inventory runs", {}, {10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600})) {}
  Counter& pieces_cached;
  Counter& pieces_downloaded;
  Counter& bad_pieces;
  Counter& rows;
  Counter& records;
  Counter& incomplete;
  Counter& unavailable;
  Counter& inserted;
  Timer& seconds;
};

// The converter's documents, handed from the rows thread to the pipeline.
class QueueSource final : public DocumentSource {
 public:
  explicit QueueSource(BoundedQueue<IngestItem>& queue) : queue_(queue) {}
  std::optional<IngestItem> next() override { return queue_.pop(); }

 private:
  BoundedQueue<IngestItem>& queue_;
};

class PipelineObserver final : public IngestObserver {
 public:
  explicit PipelineObserver(InventoryImportObserver& outer) : outer_(outer) {}
  void on_rejected(const std::string& origin, const Status& reason) override { outer_.on_rejected(origin, reason); }
  void on_progress(const IngestSummary& so_far, std::optional<double>) override { outer_.on_stored(so_far); }

 private:
  InventoryImportObserver& outer_;
};

Result<std::vector<std::string>> list_folders(const net::S3Client& s3, const std::string& prefix, std::stop_token stop) {
  std::vector<std::string> folders;
  net::ListRequest request;
  request.prefix = prefix;
  request.delimiter = "/";
  while (true) {
    BH_ASSIGN_OR_RETURN(net::S3ListPage page, s3.list_page(request, stop));
    for (std::string& folder : page.common_prefixes) folders.push_back(std::move(folder));
    if (!page.truncated) break;
    request.continuation_token = page.next_continuation_token;
  }
  return folders;
}

struct PieceToRead {
  v1::InventoryPiece piece;
  std::string object_key;
};

struct PieceFile {
  std::filesystem::path path;
  bool downloaded = false;
  std::uint64_t bytes = 0;
};

// kUnavailable: S3 failed (the run stops); anything else: this piece is bad (the run goes on).
Result<PieceFile> obtain_piece(const net::S3Client& s3, const PieceToRead& p, const InventoryImportOptions& options,
                               std::stop_token stop) {
  const std::filesystem::path path = options.piece_cache_dir / (p.piece.md5 + ".csv.gz");
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    auto cached = read_file(path, options.max_piece_bytes);
    if (cached && md5_hex(*cached) == p.piece.md5) return PieceFile{.path = path};
    std::filesystem::remove(path, ec);  // damaged: fetched again
  }
  auto object = s3.get_object(p.object_key, options.max_piece_bytes, stop);
  if (!object) {
    if (object.error().code() == Code::kNotFound) return fail(object.error());
    return fail(unavailable(object.error().message()));
  }
  if (object->body.size() != p.piece.size) {
    return fail(invalid_argument(fmt::format("{}: {} bytes, the manifest says {}", p.object_key, object->body.size(), p.piece.size)));
  }
  if (const std::string md5 = md5_hex(object->body); md5 != p.piece.md5) {
    return fail(invalid_argument(fmt::format("{}: MD5 {}, the manifest says {}", p.object_key, md5, p.piece.md5)));
  }
  BH_RETURN_IF_ERROR(write_file_atomically(path, object->body));
  return PieceFile{.path = path, .downloaded = true, .bytes = object->body.size()};
}

// The piece's rows, decompressed as a stream (concatenated gzip members are read as one, as
// zcat does), into the converter. kInvalidArgument when the stream is damaged.
Status read_piece(const std::filesystem::path& path, v1::InventoryConverter& converter, std::stop_token stop) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return io_error(fmt::format("opening {}", path.string()));
  gzbuffer(file, 256 * 1024);
  v1::LineBlockReader reader([file](char* buffer, std::size_t capacity) -> Result<std::size_t> {
    const int n = gzread(file, buffer, static_cast<unsigned>(std::min<std::size_t>(capacity, 1u << 30)));
    int code = Z_OK;
    const char* message = n <= 0 ? gzerror(file, &code) : nullptr;
    // A stream cut short is no error to gzread: it ends, and only gzerror says Z_BUF_ERROR.
    if (n < 0 || code != Z_OK) {
      return fail(invalid_argument(fmt::format("damaged gzip stream: {}", message != nullptr && *message != 0 ? message : "unexpected end of file")));
    }
    return static_cast<std::size_t>(n);
  });
  std::vector<std::string_view> lines;
  Status status;
  for (bool more = true; more && !stop.stop_requested();) {
    std::uint64_t over_long = 0;
    auto read = reader.next(lines, over_long);
    if (!read) {
      status = read.error();
      break;
    }
    more = *read;
    converter.add_over_long_lines(over_long);
    converter.add_lines(lines);
  }
  gzclose(file);
  return status;
}

void prune_piece_cache(const InventoryImportOptions& options, const std::set<std::string>& in_use) {
  std::error_code ec;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (std::filesystem::directory_iterator it(options.piece_cache_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(".csv.gz") || in_use.contains(name)) continue;
    const auto modified = std::filesystem::last_write_time(it->path(), ec);
    if (!ec && now - modified > options.piece_cache_max_age) std::filesystem::remove(it->path(), ec);
  }
}

}  // namespace

std::string inventory_piece_object_key(std::string_view prefix, std::string_view key) {
  const std::string_view first = key.substr(0, key.find('/') + 1);  // "inventories/" (or the whole key)
  for (std::size_t at = prefix.find(first); at != std::string_view::npos; at = prefix.find(first, at + 1)) {
    if (at == 0 || prefix[at - 1] == '/') return std::string(prefix.substr(0, at)) + std::string(key);
  }
  return std::string(key);
}

Result<InventoryImportCounts> run_inventory_import(const InventoryImportDeps& deps, const InventoryImportOptions& options,
                                                   InventoryImportObserver& observer, std::stop_token stop) {
  const auto started = std::chrono::steady_clock::now();
  InventoryMetrics metrics(deps.metrics);
  InventoryImportCounts counts;
  std::vector<PieceToRead> pieces;
  for (const std::string& prefix : options.prefixes) {
    BH_ASSIGN_OR_RETURN(std::vector<std::string> folders, list_folders(deps.s3, prefix, stop));
    const auto newest = v1::newest_inventory_folder(folders);
    if (!newest) {
      return fail(not_found(fmt::format("no dated inventory folder (YYYY-MM-DDTHH-MMZ/) under s3://{}/{}",
                                        deps.s3.location().bucket, prefix)));
    }
    const std::string manifest_key = *newest + "manifest.json";
    auto manifest_bytes = deps.s3.get_object(manifest_key, 64u << 20, stop);
    if (!manifest_bytes) return fail(manifest_bytes.error().with_context("reading the inventory manifest"));
    auto manifest = v1::parse_inventory_manifest(manifest_bytes->body);
    if (!manifest) return fail(unavailable(fmt::format("s3://{}/{}: {}", deps.s3.location().bucket, manifest_key, manifest.error().message())));
    counts.manifests.push_back(manifest_key);
    for (v1::InventoryPiece& piece : manifest->files) {
      std::string object_key = inventory_piece_object_key(prefix, piece.key);
      pieces.push_back({.piece = std::move(piece), .object_key = std::move(object_key)});
    }
  }
  counts.pieces = pieces.size();
  std::error_code ec;
  std::filesystem::create_directories(options.piece_cache_dir, ec);
  if (ec) return fail(io_error(fmt::format("creating {}: {}", options.piece_cache_dir.string(), ec.message())));

  BoundedQueue<IngestItem> queue(4096);
  v1::InventoryConverter converter(options.converter, deps.metadata,
                                   [&queue](std::string& document, const std::string& url) {
                                     IngestItem item;
                                     item.origin = url;
                                     item.bytes = std::move(document);
                                     queue.push(std::move(item));
                                   },
                                   observer);
  Status rows_failure;  // written by the rows thread, read after it is joined
  std::set<std::string> in_use;
  {
    std::stop_source rows_stop;
    std::stop_callback forward(stop, [&rows_stop] { rows_stop.request_stop(); });
    std::jthread rows = start_thread("bh-inv-rows", [&] {
      auto fetch = [&](std::size_t i) {
        return std::async(std::launch::async, [&, i] { return obtain_piece(deps.s3, pieces[i], options, rows_stop.get_token()); });
      };
      std::future<Result<PieceFile>> ahead;
      if (!pieces.empty()) ahead = fetch(0);
      for (std::size_t i = 0; i < pieces.size() && !rows_stop.stop_requested(); ++i) {
        Result<PieceFile> file = ahead.get();
        if (i + 1 < pieces.size()) ahead = fetch(i + 1);
        in_use.insert(pieces[i].piece.md5 + ".csv.gz");
        if (!file) {
          if (file.error().code() == Code::kUnavailable) {
            rows_failure = file.error();
            break;
          }
          ++counts.bad_pieces;
          observer.on_bad_piece(pieces[i].object_key, file.error());
          continue;
        }
        if (file->downloaded) {
          ++counts.pieces_downloaded;
          counts.bytes_downloaded += file->bytes;
        } else {
          ++counts.pieces_cached;
        }
        if (Status read = read_piece(file->path, converter, rows_stop.get_token()); !read) {
          ++counts.bad_pieces;
          observer.on_bad_piece(pieces[i].object_key, read);
        }
        observer.on_piece(i + 1, pieces.size(), converter.counts());
      }
      if (ahead.valid()) ahead.wait();
      if (!rows_stop.stop_requested()) converter.finish();
      queue.close();
    });
    QueueSource source(queue);
    PipelineObserver pipeline_observer(observer);
    IngestPipeline pipeline(deps.store, deps.validator, deps.executor, options.ingest);
    auto ingested = pipeline.run(source, pipeline_observer, stop);
    // The pipeline stops early on a store failure or a stop request: the rows thread must not wait
    // on a queue nobody drains (its pushes return at once once it is closed).
    if (!ingested || stop.stop_requested()) rows_stop.request_stop();
    queue.close();
    rows.join();
    if (!ingested) return fail(ingested.error());
    counts.ingest = *ingested;
  }
  counts.rows = converter.counts();
  prune_piece_cache(options, in_use);
  counts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics.pieces_cached.inc(counts.pieces_cached);
  metrics.pieces_downloaded.inc(counts.pieces_downloaded);
  metrics.bad_pieces.inc(counts.bad_pieces);
  metrics.rows.inc(counts.rows.rows);
  metrics.records.inc(counts.rows.records);
  metrics.incomplete.inc(counts.rows.incomplete);
  metrics.unavailable.inc(counts.rows.unavailable);
  metrics.inserted.inc(counts.ingest.inserted);
  metrics.seconds.observe_seconds(counts.seconds);
  if (!rows_failure.ok()) return fail(rows_failure.with_context("reading the inventory pieces"));
  return counts;
}

}  // namespace bh

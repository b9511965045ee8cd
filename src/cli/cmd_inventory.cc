// Buildhub v1's inventory route (buildhub-reference §2.4, §2.5): `buildhub inventory-to-records`,
// the pipe stage (S3 inventory CSV on stdin, one record per build file on stdout), and
// `buildhub inventory`, the daily job (the newest inventory from S3 into the store).
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_line.h"
#include "cli/signals.h"
#include "core/bounded_queue.h"
#include "core/file_io.h"
#include "core/mapped_file.h"
#include "core/sync.h"
#include "core/thread.h"
#include "core/version.h"
#include "ingest/v1_inventory.h"
#include "ingest/v1_inventory_import.h"
#include "ingest/v1_metadata.h"
#include "net/http_client.h"
#include "net/s3_client.h"
#include "record/schema_validator.h"
#include "v1/inventory_rows.h"

namespace bh::cli {
namespace {

struct InventoryToRecordsFlags {
  std::string archive_url = std::string(v1::kArchiveUrl);
  std::vector<std::string> products = v1::default_products();
  double min_age_hours = 0;
  unsigned jobs = 8;
  std::string metadata_cache;
  bool no_metadata = false;
  bool keep_incomplete = false;
  bool v1_format = false;
  bool quiet = false;
  HttpFlags http;
};

// Messages about rows and the archive, on stderr (unless --quiet).
class StderrConverterObserver final : public v1::InventoryConverterObserver {
 public:
  StderrConverterObserver(const char* command, bool quiet) : command_(command), quiet_(quiet) {}
  void on_bad_row(std::uint64_t row, const std::string& reason) override {
    say(fmt::format("row {}: {}", row, reason));
  }
  void on_unavailable(const std::string& url) override { say(fmt::format("no answer from the archive for {}", url)); }
  void on_scan_failed(const std::string& folder, const Status& reason) override {
    say(fmt::format("scanning {}'s candidates: {}", folder, reason.message()));
  }

 private:
  void say(const std::string& message) {
    if (!quiet_) std::fprintf(stderr, "%s: %s\n", command_, message.c_str());
  }

  const char* command_;
  bool quiet_;
};

Status load_metadata_memo(v1::ArchiveMetadata& metadata, const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return Status();
  auto text = read_file(path, std::size_t{4} << 30);
  if (!text) return text.error();
  const auto memo = nlohmann::json::parse(*text, nullptr, false);
  Status loaded = memo.is_discarded() ? invalid_argument("not JSON") : metadata.load_memo(memo);
  return loaded.ok() ? loaded : loaded.with_context("reading " + path);
}

Status save_metadata_memo(const v1::ArchiveMetadata& metadata, const std::string& path) {
  if (path.empty()) return Status();
  std::error_code ec;
  if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
  Status saved = write_file_atomically(path, metadata.memo_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return saved.ok() ? saved : saved.with_context("writing " + path);
}

std::optional<std::chrono::system_clock::time_point> min_last_modified(double min_age_hours) {
  if (min_age_hours <= 0) return std::nullopt;
  return std::chrono::system_clock::now() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double, std::ratio<3600>>(min_age_hours));
}

// stdin when it is a regular file, mapped whole; `offset` is where the descriptor stood (a
// shell may have read part of it before us).
struct MappedStdin {
  MappedFile file;
  std::size_t offset = 0;
  std::string_view text() const { return as_chars(file.bytes()).substr(offset); }
};

std::optional<MappedStdin> map_stdin_file() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const off_t offset = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
  auto file = MappedFile::map(STDIN_FILENO, "stdin", std::numeric_limits<std::uint64_t>::max());
  if (!file || offset < 0 || static_cast<std::uint64_t>(offset) > file->bytes().size()) return std::nullopt;  // read it instead
  if (!file->bytes().empty()) {
    ::madvise(const_cast<std::uint8_t*>(file->bytes().data()), file->bytes().size(), MADV_SEQUENTIAL);
  }
  return MappedStdin{.file = std::move(*file), .offset = static_cast<std::size_t>(offset)};
}

// Maps a block's pages on the reading thread, ahead of the row threads (which would otherwise
// each take the page faults). Best effort: an older kernel without MADV_POPULATE_READ just
// faults them in later.
void prefault_pages(std::string_view text) {
  if (text.empty()) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(text.data()) & ~(page - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(text.data()) + text.size();
#ifdef MADV_POPULATE_READ
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)begin;
  (void)end;
#endif
}

int run_inventory_to_records(const InventoryToRecordsFlags& flags) {
  const auto started = std::chrono::steady_clock::now();
  net::HttpClient http(http_options(flags.http, "archive"), nullptr, nullptr);
  v1::ArchiveMetadata metadata({.get = v1::archive_get_over_http(http), .archive_url = flags.archive_url});
  if (!flags.no_metadata) {
    if (Status loaded = load_metadata_memo(metadata, flags.metadata_cache); !loaded) return report_failure(loaded);
  }
  StderrConverterObserver observer("inventory-to-records", flags.quiet);
  v1::InventoryConverter converter(
      {.filter = {.products = flags.products, .min_last_modified = min_last_modified(flags.min_age_hours), .archive_url = flags.archive_url},
       .metadata_jobs = flags.jobs,
       .fetch_metadata = !flags.no_metadata,
       .keep_incomplete = flags.keep_incomplete,
       .v1_format = flags.v1_format},
      flags.no_metadata ? nullptr : &metadata,
      [](std::string& document, const std::string&) {
        document += '\n';
        std::fwrite(document.data(), 1, document.size(), stdout);
      },
      observer);
  // A regular file on stdin is read through a mapping: its lines are views into the page cache,
  // nothing is copied (a pipe from zcat is read block by block into buffers).
  const std::optional<MappedStdin> mapped_stdin = map_stdin_file();
  v1::LineBlockReader reader =
      mapped_stdin ? v1::LineBlockReader(mapped_stdin->text(), prefault_pages)
                   : v1::LineBlockReader([](char* buffer, std::size_t capacity) -> Result<std::size_t> {
                       while (true) {
                         const ssize_t n = ::read(STDIN_FILENO, buffer, capacity);
                         if (n >= 0) return static_cast<std::size_t>(n);
                         if (errno != EINTR) return fail(io_error(fmt::format("reading stdin: {}", std::strerror(errno))));
                       }
                     });
  if (flags.no_metadata) {
    converter.use_text_sink([](std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); });
  }
  // The next block is read (on its own thread) while this one is converted; three blocks go
  // round between the two, so no block's memory is allocated twice.
  BoundedQueue<std::unique_ptr<v1::LineBlock>> filled(1);
  BoundedQueue<std::unique_ptr<v1::LineBlock>> spare(3);
  for (int i = 0; i < 3; ++i) spare.push(std::make_unique<v1::LineBlock>());
  Status read_status;
  {
    std::jthread read_thread = start_thread("bh-read", [&] {
      while (auto block = spare.pop()) {
        auto more = reader.next(**block);
        if (!more) {
          read_status = more.error();
          break;
        }
        const bool last = !*more;
        filled.push(std::move(*block));
        if (last) break;
      }
      filled.close();
    });
    while (auto block = filled.pop()) {
      converter.add_over_long_lines((*block)->over_long);
      converter.add_lines((*block)->lines);
      spare.push(std::move(*block));
    }
    spare.close();
  }
  if (!read_status.ok()) return report_failure(read_status);
  converter.finish();
  std::fflush(stdout);
  if (!flags.no_metadata) {
    if (Status saved = save_metadata_memo(metadata, flags.metadata_cache); !saved) return report_failure(saved);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto stats = metadata.stats();
  const v1::InventoryCounts& c = converter.counts();
  if (!flags.quiet) {
    std::fprintf(stderr, "%s\n",
                 nlohmann::json{{"rows", c.rows}, {"records", c.records}, {"not_builds", c.not_builds},
                                {"bad_rows", c.bad_rows}, {"bad_paths", c.bad_paths}, {"incomplete", c.incomplete},
                                {"metadata_unavailable", c.unavailable}, {"archive_requests", stats.requests},
                                {"metadata_memo_hits", stats.memo_hits}, {"seconds", seconds}}
                     .dump()
                     .c_str());
  }
  if (c.unavailable > 0) return exit_code(Code::kUnavailable);
  return c.bad_rows > 0 ? exit_code(Code::kInvalidArgument) : 0;
}

// ---- inventory ----

constexpr const char* kDefaultInventoryBucket = "https://s3.us-east-1.amazonaws.com/net-mozaws-prod-delivery-inventory-us-east-1";
constexpr const char* kDefaultInventoryPrefix = "public/inventories/net-mozaws-prod-delivery-{inventory}/delivery-{inventory}/";

struct InventoryFlags {
  StoreFlags store;
  LogFlags log;
  HttpFlags http;
  std::string bucket = kDefaultInventoryBucket;
  std::string prefix = kDefaultInventoryPrefix;
  std::vector<std::string> inventories = {"firefox", "archive"};
  std::string endpoint_url;
  bool no_sign_request = false;
  std::string archive_url = std::string(v1::kArchiveUrl);
  std::vector<std::string> products = v1::default_products();
  double min_age_hours = 0;
  unsigned jobs = 8;
  std::string metadata_cache;  // default: STATE/v1/metadata.json
  std::string piece_cache;     // default: STATE/v1/inventory-pieces
  std::string metrics_file;
  std::size_t max_document_bytes = 1 << 20;
  bool quiet = false;
};

// The destination prefixes: the template with {inventory} replaced by each inventory's name, or
// the prefix once when it names none. Each ends in '/'.
std::vector<std::string> inventory_prefixes(const InventoryFlags& flags) {
  std::vector<std::string> prefixes;
  auto with_slash = [](std::string p) { return p.empty() || p.ends_with('/') ? p : p + '/'; };
  if (flags.prefix.find("{inventory}") == std::string::npos) return {with_slash(flags.prefix)};
  for (const std::string& name : flags.inventories) {
    std::string prefix = flags.prefix;
    for (std::size_t at; (at = prefix.find("{inventory}")) != std::string::npos;) prefix.replace(at, 11, name);
    prefixes.push_back(with_slash(std::move(prefix)));
  }
  return prefixes;
}

class CliInventoryObserver final : public InventoryImportObserver {
 public:
  CliInventoryObserver(bool quiet, bool progress) : quiet_(quiet), line_(progress && !quiet) {}
  void on_bad_row(std::uint64_t row, const std::string& reason) override { say(fmt::format("row {}: {}", row, reason)); }
  void on_unavailable(const std::string& url) override { say(fmt::format("no answer from the archive for {}", url)); }
  void on_scan_failed(const std::string& folder, const Status& reason) override {
    say(fmt::format("scanning {}'s candidates: {}", folder, reason.message()));
  }
  void on_bad_piece(const std::string& key, const Status& reason) override {
    say(fmt::format("piece {} skipped: {}", key, reason.message()));
  }
  void on_rejected(const std::string& origin, const Status& reason) override {
    say(fmt::format("rejected {}: {}", origin, reason.message()));
  }
  void on_piece(std::uint64_t done, std::uint64_t total, const v1::InventoryCounts& rows) override {
    MutexLock lock(mutex_);
    pieces_done_ = done;
    pieces_total_ = total;
    rows_ = rows.rows;
    records_ = rows.records;
    draw();
  }
  void on_stored(const IngestSummary& so_far) override {
    MutexLock lock(mutex_);
    inserted_ = so_far.inserted;
    present_ = so_far.already_present;
    draw();
  }
  void clear() {
    MutexLock lock(mutex_);
    line_.clear();
  }

 private:
  void say(const std::string& message) {
    if (quiet_) return;
    MutexLock lock(mutex_);
    line_.clear();
    std::fprintf(stderr, "inventory: %s\n", message.c_str());
  }
  void draw() REQUIRES(mutex_) {
    line_.draw(fmt::format("pieces {}/{}, {} rows, {} records, {} inserted, {} already present", pieces_done_, pieces_total_,
                           rows_, records_, inserted_, present_));
  }

  const bool quiet_;
  Mutex mutex_;
  ProgressLine line_ GUARDED_BY(mutex_);
  std::uint64_t pieces_done_ GUARDED_BY(mutex_) = 0, pieces_total_ GUARDED_BY(mutex_) = 0, rows_ GUARDED_BY(mutex_) = 0,
                records_ GUARDED_BY(mutex_) = 0, inserted_ GUARDED_BY(mutex_) = 0, present_ GUARDED_BY(mutex_) = 0;
};

int run_inventory(const InventoryFlags& flags) {
  StopOnSignals signals;
  auto logger = make_logger(flags.log, "inventory");
  auto location = net::parse_bucket_url(flags.bucket, net::s3_defaults_from_environment(flags.endpoint_url));
  if (!location) return report_failure(location.error().with_context("--bucket"));
  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  auto validator = SchemaValidator::create_builtin();
  if (!validator) return report_failure(validator.error());
  const std::filesystem::path state = state_directory(flags.store) / "v1";
  const std::string metadata_cache = flags.metadata_cache.empty() ? (state / "metadata.json").string() : flags.metadata_cache;
  MetricsRegistry metrics;
  net::HttpClient s3_http(http_options(flags.http, "s3"), &metrics, logger);
  net::HttpClient archive_http(http_options(flags.http, "archive"), &metrics, logger);
  const auto credentials = flags.no_sign_request ? std::nullopt : net::credentials_from_environment();
  net::S3Client s3(s3_http, *location, credentials);
  v1::ArchiveMetadata metadata({.get = v1::archive_get_over_http(archive_http), .archive_url = flags.archive_url});
  if (Status loaded = load_metadata_memo(metadata, metadata_cache); !loaded) return report_failure(loaded);
  Executor executor(ExecutorOptions{});
  InventoryImportOptions options;
  options.prefixes = inventory_prefixes(flags);
  for (std::string& prefix : options.prefixes) prefix = location->prefix + prefix;
  options.piece_cache_dir = flags.piece_cache.empty() ? state / "inventory-pieces" : std::filesystem::path(flags.piece_cache);
  options.converter = {.filter = {.products = flags.products,
                                  .min_last_modified = min_last_modified(flags.min_age_hours),
                                  .archive_url = flags.archive_url},
                       .metadata_jobs = flags.jobs};
  options.ingest.limits.max_document_bytes = flags.max_document_bytes;
  options.ingest.rejection_source = "inventory";
  const VersionInfo v = version_info();
  options.ingest.metadata =
      nlohmann::json{{"version", std::string(v.version)}, {"commit", std::string(v.commit)}, {"source", "inventory"}}.dump();
  logger->info("inventory starting", {{"bucket", location->describe()},
                                      {"endpoint", location->endpoint},
                                      {"signed", credentials.has_value()},
                                      {"prefixes", options.prefixes},
                                      {"archive", flags.archive_url},
                                      {"metadata_cache", metadata_cache},
                                      {"piece_cache", options.piece_cache_dir.string()}});
  CliInventoryObserver observer(flags.quiet, ::isatty(STDERR_FILENO) != 0);
  auto counts = run_inventory_import({.s3 = s3,
                                      .metadata = &metadata,
                                      .store = **store,
                                      .validator = **validator,
                                      .executor = executor,
                                      .metrics = metrics},
                                     options, observer, signals.token());
  observer.clear();
  // What the archive answered stays useful whatever happened to the run.
  if (Status saved = save_metadata_memo(metadata, metadata_cache); !saved) {
    logger->error("saving the metadata cache failed", {{"error", saved.to_string()}});
  }
  const auto stats = metadata.stats();
  metrics.counter("buildhub_inventory_archive_requests_total", "Requests sent to the archive for build metadata").inc(stats.requests);
  if (!flags.metrics_file.empty()) {
    if (Status s = write_file_atomically(flags.metrics_file, metrics.render_prometheus()); !s) {
      logger->error("writing the metrics file failed", {{"error", s.to_string()}});
    }
  }
  if (!counts) return report_failure(counts.error());
  const InventoryImportCounts& c = *counts;
  const nlohmann::json summary = {{"bucket", location->describe()},
                                  {"manifests", c.manifests},
                                  {"pieces", c.pieces},
                                  {"pieces_cached", c.pieces_cached},
                                  {"pieces_downloaded", c.pieces_downloaded},
                                  {"bytes_downloaded", c.bytes_downloaded},
                                  {"bad_pieces", c.bad_pieces},
                                  {"rows", c.rows.rows},
                                  {"not_builds", c.rows.not_builds},
                                  {"bad_rows", c.rows.bad_rows},
                                  {"bad_paths", c.rows.bad_paths},
                                  {"records", c.rows.records},
                                  {"incomplete", c.rows.incomplete},
                                  {"metadata_unavailable", c.rows.unavailable},
                                  {"archive_requests", stats.requests},
                                  {"metadata_memo_hits", stats.memo_hits},
                                  {"inserted", c.ingest.inserted},
                                  {"already_present", c.ingest.already_present},
                                  {"rejected", c.ingest.rejected},
                                  {"seconds", c.seconds}};
  std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  if (c.rows.unavailable > 0) return exit_code(Code::kUnavailable);
  return c.bad_pieces > 0 || c.rows.bad_rows > 0 || c.ingest.rejected > 0 ? exit_code(Code::kInvalidArgument) : 0;
}

void add_archive_flags(CLI::App& cmd, std::string& archive_url, std::vector<std::string>& products, double& min_age_hours,
                       unsigned& jobs) {
  cmd.add_option("--archive-url", archive_url, "The archive's base URL (v1's ARCHIVE_URL)")
      ->envname("BUILDHUB_ARCHIVE_URL")
      ->check(check_archive_url)
      ->capture_default_str();
  cmd.add_option("--products", products, "Product folders under pub/ that hold builds (v1's PRODUCTS)")
      ->envname("BUILDHUB_PRODUCTS")
      ->delimiter(',')
      ->capture_default_str();
  cmd.add_option("--min-age-hours", min_age_hours,
                 "Skip rows last modified more than this many hours ago (0: keep all; v1's MIN_AGE_LAST_MODIFIED_HOURS)")
      ->envname("BUILDHUB_MIN_AGE_LAST_MODIFIED_HOURS")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  cmd.add_option("--jobs", jobs, "Metadata requests in flight (v1's NB_PARALLEL_REQUESTS)")
      ->envname("BUILDHUB_ARCHIVE_JOBS")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
}

}  // namespace

CommandRunner register_inventory_to_records(CLI::App& app) {
  auto flags = std::make_shared<InventoryToRecordsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inventory-to-records",
      "Buildhub v1's records from an S3 inventory: CSV rows on stdin (Bucket, Key, Size,\n"
      "LastModifiedDate, ETag; `zcat *.csv.gz`), one record per build file on stdout, completed\n"
      "with the build's metadata from the archive. The output is buildhub.json documents, one per\n"
      "line, for `buildhub ingest -`; --v1-format prints v1's {\"data\": record} lines instead.\n"
      "A regular file on stdin is memory-mapped (do not truncate it meanwhile); a pipe is read.\n"
      "A summary goes to stderr. Exit 0; 3 when rows were unreadable; 6 when the archive did not\n"
      "answer for some builds (they are left out, and asked again by the next run).");
  add_archive_flags(*cmd, flags->archive_url, flags->products, flags->min_age_hours, flags->jobs);
  cmd->add_option("--metadata-cache", flags->metadata_cache,
                  "A file that keeps the metadata already read (v1's .metadata-*.json shape), loaded before the run and "
                  "written atomically after it, so the next run asks the archive only for new builds")
      ->envname("BUILDHUB_METADATA_CACHE");
  add_http_flags(*cmd, flags->http);
  cmd->add_flag("--no-metadata", flags->no_metadata, "Print the records the paths give, without asking the archive");
  cmd->add_flag("--keep-incomplete", flags->keep_incomplete,
                "Print records without metadata or that fail v1's sanity check too (v1 skipped them)");
  cmd->add_flag("--v1-format", flags->v1_format, "Print v1's {\"data\": record} lines (with v1's record id)");
  cmd->add_flag("-q,--quiet", flags->quiet, "No summary and no per-row messages");
  return [flags] { return run_inventory_to_records(*flags); };
}

}  // namespace bh::cli

namespace bh::cli {

CommandRunner register_inventory(CLI::App& app) {
  auto flags = std::make_shared<InventoryFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inventory",
      "Buildhub v1's daily job: the newest S3 inventory of the archive into the store. Per inventory,\n"
      "the newest dated folder's manifest.json names CSV.gz pieces; they are downloaded (cached by\n"
      "MD5, checked), read as a stream, and every build file's record is completed with its metadata\n"
      "from the archive (remembered between runs), checked and ingested. Prints a JSON summary on\n"
      "stdout. Exit 0; 3 when rows, pieces or records were bad; 6 when the archive did not answer for\n"
      "some builds (asked again next run). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;\n"
      "none: unsigned (Mozilla's inventory bucket is public).");
  add_store_flags(*cmd, flags->store);
  add_log_flags(*cmd, flags->log);
  add_http_flags(*cmd, flags->http);
  cmd->add_option("--bucket", flags->bucket,
                  "The inventory bucket: s3://BUCKET, https://s3.REGION.amazonaws.com/BUCKET, or "
                  "http(s)://HOST:PORT/BUCKET for an S3-compatible server")
      ->envname("BUILDHUB_INVENTORY_BUCKET")
      ->capture_default_str();
  cmd->add_option("--prefix", flags->prefix,
                  "The inventories' destination prefix; {inventory} is replaced by each name of --inventory")
      ->envname("BUILDHUB_INVENTORY_PREFIX")
      ->capture_default_str();
  cmd->add_option("--inventory", flags->inventories, "Inventories to read (v1's INVENTORIES)")
      ->envname("BUILDHUB_INVENTORIES")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "Send the S3 requests to this S3-compatible server (path-style), whatever the bucket URL's host")
      ->envname("BUILDHUB_S3_ENDPOINT_URL");
  cmd->add_flag("--no-sign-request", flags->no_sign_request, "Unsigned requests, even with credentials set")
      ->envname("BUILDHUB_S3_NO_SIGN_REQUEST");
  add_archive_flags(*cmd, flags->archive_url, flags->products, flags->min_age_hours, flags->jobs);
  cmd->add_option("--metadata-cache", flags->metadata_cache,
                  "The metadata already read, in v1's .metadata-*.json shape (default: DATA_DIR/v1/metadata.json)")
      ->envname("BUILDHUB_METADATA_CACHE");
  cmd->add_option("--piece-cache", flags->piece_cache,
                  "Where CSV.gz pieces are kept by MD5 (default: DATA_DIR/v1/inventory-pieces; pieces not in the "
                  "newest manifests are deleted after two days)")
      ->envname("BUILDHUB_INVENTORY_PIECE_CACHE");
  cmd->add_option("--metrics-file", flags->metrics_file,
                  "Write the run's metrics here at the end, in Prometheus text format")
      ->envname("BUILDHUB_INVENTORY_METRICS_FILE");
  cmd->add_option("--max-document-bytes", flags->max_document_bytes, "Larger records are rejected")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line and no per-row messages");
  return [flags] { return run_inventory(*flags); };
}

}  // namespace bh::cli

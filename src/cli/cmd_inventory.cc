// `buildhub inventory-to-records`: Buildhub v1's pipe stage. S3 inventory CSV on stdin (the
// decompressed pieces, `zcat *.csv.gz`), one record per build file on stdout, completed with the
// build's metadata from the archive (buildhub-reference §2.4, §2.5).
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/file_io.h"
#include "core/thread.h"
#include "core/version.h"
#include "ingest/v1_metadata.h"
#include "net/http_client.h"
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

// Records whose metadata is fetched together (--jobs at a time) before they are printed in order.
constexpr std::size_t kMetadataBatch = 1000;

struct Counts {
  std::uint64_t rows = 0, records = 0, not_builds = 0, bad_rows = 0, bad_paths = 0, incomplete = 0, unavailable = 0;
};

// What a record becomes on stdout: v1's {"data": record}, or a buildhub.json document (v1's
// record without its "id", which the Buildhub2 schema does not have) for `buildhub ingest -`.
std::string output_line(nlohmann::json record, bool v1_format) {
  if (v1_format) return nlohmann::json{{"data", std::move(record)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  record.erase("id");
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One input line's outcome; `line` is its output when the records need no metadata.
struct LineResult {
  v1::RowOutcome outcome = v1::RowOutcome::kNotABuild;
  std::optional<v1::InventoryRecord> record;
  std::string error;
  std::string line;
};

class InventoryToRecords {
 public:
  explicit InventoryToRecords(const InventoryToRecordsFlags& flags)
      : flags_(flags),
        threads_(std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 16))),
        http_(http_options(flags.http, "archive"), nullptr, nullptr),
        metadata_({.get = [this](const std::string& url) { return get(url); }, .archive_url = flags.archive_url}) {}

  int run() {
    const auto started = std::chrono::steady_clock::now();
    // One set of rules per worker: RE2 objects shared between threads serialise on their cache lock.
    const v1::InventoryRowFilter filter{.products = flags_.products, .min_last_modified = min_last_modified(flags_),
                                        .archive_url = flags_.archive_url};
    for (unsigned t = 0; t < threads_; ++t) rules_.emplace_back(filter);
    if (!flags_.metadata_cache.empty() && std::filesystem::exists(flags_.metadata_cache)) {
      auto text = read_file(flags_.metadata_cache, std::size_t{4} << 30);
      if (!text) return report_failure(text.error());
      const auto memo = nlohmann::json::parse(*text, nullptr, false);
      if (Status loaded = memo.is_discarded() ? invalid_argument("not JSON") : metadata_.load_memo(memo); !loaded) {
        return report_failure(loaded.with_context("reading " + flags_.metadata_cache));
      }
    }
    std::vector<v1::InventoryRecord> batch;
    std::vector<std::string_view> lines;
    std::vector<LineResult> results;
    bool more = true;
    while (more) {
      std::uint64_t too_long = 0;
      auto read = read_lines(lines, too_long);
      if (!read) return report_failure(read.error());
      more = *read;
      // An over-long line is the first of its block: the lines read with it follow it.
      for (std::uint64_t i = 0; i < too_long; ++i) {
        ++counts_.rows;
        ++counts_.bad_rows;
        if (!flags_.quiet) std::fprintf(stderr, "inventory-to-records: row %llu: longer than 16 MiB, skipped\n", static_cast<unsigned long long>(counts_.rows));
      }
      process_lines(lines, results);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        LineResult& r = results[i];
        ++counts_.rows;
        switch (r.outcome) {
          case v1::RowOutcome::kNotABuild:
            ++counts_.not_builds;
            continue;
          case v1::RowOutcome::kBadRow:
            ++counts_.bad_rows;
            if (!flags_.quiet) std::fprintf(stderr, "inventory-to-records: row %llu: %s\n", static_cast<unsigned long long>(counts_.rows), r.error.c_str());
            continue;
          case v1::RowOutcome::kBadPath:
            ++counts_.bad_paths;  // v1 logged these and went on
            continue;
          case v1::RowOutcome::kRecord:
            break;
        }
        if (flags_.no_metadata) {
          ++counts_.records;
          std::fwrite(r.line.data(), 1, r.line.size(), stdout);
          continue;
        }
        const std::string& folder = r.record->product_folder;
        if (Status scanned = metadata_.scan_candidates(folder); !scanned && !scan_failures_.contains(folder)) {
          scan_failures_.insert(folder);
          std::fprintf(stderr, "inventory-to-records: scanning %s's candidates: %s\n", folder.c_str(), scanned.message().c_str());
        }
        batch.push_back(std::move(*r.record));
        if (batch.size() >= kMetadataBatch) flush(batch);
      }
    }
    flush(batch);
    std::fflush(stdout);
    if (!flags_.metadata_cache.empty() && !flags_.no_metadata) {
      if (Status saved = write_file_atomically(flags_.metadata_cache, metadata_.memo_json().dump()); !saved) {
        return report_failure(saved.with_context("writing " + flags_.metadata_cache));
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto stats = metadata_.stats();
    if (!flags_.quiet) {
      std::fprintf(stderr, "%s\n",
                   nlohmann::json{{"rows", counts_.rows}, {"records", counts_.records}, {"not_builds", counts_.not_builds},
                                  {"bad_rows", counts_.bad_rows}, {"bad_paths", counts_.bad_paths},
                                  {"incomplete", counts_.incomplete}, {"metadata_unavailable", counts_.unavailable},
                                  {"archive_requests", stats.requests}, {"metadata_memo_hits", stats.memo_hits},
                                  {"seconds", seconds}}
                       .dump()
                       .c_str());
    }
    if (counts_.unavailable > 0) return exit_code(Code::kUnavailable);
    return counts_.bad_rows > 0 ? exit_code(Code::kInvalidArgument) : 0;
  }

 private:
  static std::optional<std::chrono::system_clock::time_point> min_last_modified(const InventoryToRecordsFlags& flags) {
    if (flags.min_age_hours <= 0) return std::nullopt;
    return std::chrono::system_clock::now() -
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double, std::ratio<3600>>(flags.min_age_hours));
  }

  // The complete lines of the next block of stdin (about 4 MiB), as views into `block_`, valid
  // until the next call; false once the input is exhausted (the last lines are still given). A
  // line longer than 16 MiB is skipped up to its newline and counted in `too_long`, so one bad
  // line costs one row, not the run.
  Result<bool> read_lines(std::vector<std::string_view>& lines, std::uint64_t& too_long) {
    constexpr std::size_t kBlock = std::size_t{4} << 20;
    constexpr std::size_t kMaxLine = std::size_t{16} << 20;
    lines.clear();
    block_.swap(carry_);
    carry_.clear();
    bool at_end = false;
    bool skipping = false;  // inside an over-long line: drop input up to its newline
    std::size_t last_newline = std::string::npos;
    while (true) {
      const std::size_t had = block_.size();
      block_.resize(had + kBlock);
      const ssize_t n = ::read(STDIN_FILENO, block_.data() + had, kBlock);
      if (n < 0 && errno == EINTR) {
        block_.resize(had);
        continue;
      }
      if (n < 0) return fail(io_error(fmt::format("reading stdin: {}", std::strerror(errno))));
      block_.resize(had + static_cast<std::size_t>(n));
      if (n == 0) {
        at_end = true;
        if (skipping) block_.clear();
        break;
      }
      if (skipping) {
        const std::size_t nl = block_.find('\n');
        if (nl == std::string::npos) {
          block_.clear();
          continue;
        }
        block_.erase(0, nl + 1);
        skipping = false;
      }
      last_newline = block_.rfind('\n');
      if (last_newline != std::string::npos) break;
      if (block_.size() > kMaxLine) {
        ++too_long;
        skipping = true;
        block_.clear();
      }
    }
    const std::size_t end = at_end ? block_.size() : last_newline + 1;
    if (!at_end) carry_.assign(block_, end, std::string::npos);
    std::string_view text(block_.data(), end);
    for (std::size_t at = 0; at < text.size();) {
      std::size_t nl = text.find('\n', at);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(at, nl - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) lines.push_back(line);
      at = nl + 1;
    }
    return !at_end;
  }

  // The rows' outcomes, on every core: parsing, the rules and (without metadata) the output
  // line are the whole cost of a run without metadata.
  void process_lines(const std::vector<std::string_view>& lines, std::vector<LineResult>& results) {
    // Reused from chunk to chunk: the strings keep their memory.
    results.resize(lines.size());
    const unsigned threads = threads_;
    const std::size_t per_thread = (lines.size() + threads - 1) / threads;
    auto work = [&](unsigned slot, std::size_t begin, std::size_t end) {
      const v1::InventoryRowRules& rules = rules_[slot];
      v1::InventoryRow row;
      for (std::size_t i = begin; i < end; ++i) {
        LineResult& out = results[i];
        out.outcome = v1::RowOutcome::kNotABuild;
        out.record.reset();
        out.error.clear();
        out.line.clear();
        if (Status parsed = v1::parse_inventory_line(lines[i], row); !parsed) {
          out.outcome = v1::RowOutcome::kBadRow;
          out.error = parsed.message();
          continue;
        }
        v1::RowResult result = rules.process(row);
        out.outcome = result.outcome;
        out.error = std::move(result.error);
        if (result.outcome != v1::RowOutcome::kRecord) continue;
        if (flags_.no_metadata) {
          if (!v1::append_record_line(*result.record, flags_.v1_format, out.line)) {
            out.line = output_line(result.record->to_json(), flags_.v1_format);
          }
          out.line += '\n';
        } else {
          out.record = std::move(result.record);
        }
      }
    };
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads && t * per_thread < lines.size(); ++t) {
      pool.push_back(start_thread("bh-inventory", [&work, t, per_thread, &lines] {
        work(t, t * per_thread, std::min(lines.size(), (t + 1) * per_thread));
      }));
    }
    work(0, 0, std::min(lines.size(), per_thread));
  }

  Result<v1::ArchiveAnswer> get(const std::string& url) {
    net::HttpCall call;
    call.url = url;
    call.headers = {{"Accept", "application/json"}, {"User-Agent", fmt::format("buildhub/{}", version_info().version)}};
    call.max_response_bytes = 16u << 20;  // a listing or a metadata file
    auto reply = http_.send(call);
    if (!reply) return fail(reply.error());
    return v1::ArchiveAnswer{.status = reply->status, .body = std::move(reply->body)};
  }

  // Fetches the batch's metadata with --jobs requests in flight, then prints in input order.
  void flush(std::vector<v1::InventoryRecord>& batch) {
    if (batch.empty()) return;
    std::vector<std::optional<nlohmann::json>> merged(batch.size());
    std::vector<char> unavailable(batch.size(), 0);
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < batch.size();) {
        nlohmann::json record = batch[i].to_json();
        auto metadata = metadata_.fetch(batch[i].record);
        if (!metadata) {
          unavailable[i] = 1;
          continue;
        }
        auto result = v1::merge_metadata(std::move(record), *metadata ? **metadata : nlohmann::json(nullptr));
        if (result) merged[i] = std::move(*result);
      }
    };
    {
      std::vector<std::jthread> threads;
      const unsigned n = std::min<unsigned>(flags_.jobs, static_cast<unsigned>(batch.size())) - 1;
      for (unsigned t = 0; t < n; ++t) threads.push_back(start_thread("bh-inventory", work));
      work();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (unavailable[i]) {
        ++counts_.unavailable;
        if (!flags_.quiet) std::fprintf(stderr, "inventory-to-records: no answer from the archive for %s\n", batch[i].record.url.c_str());
        continue;
      }
      if (!merged[i]) {
        ++counts_.incomplete;
        continue;
      }
      if (!flags_.keep_incomplete && !v1::check_record(*merged[i])) {
        ++counts_.incomplete;  // v1's skip_incomplete: no metadata, or a suspicious record
        continue;
      }
      ++counts_.records;
      const std::string line = output_line(std::move(*merged[i]), flags_.v1_format);
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    }
    batch.clear();
  }

  const InventoryToRecordsFlags& flags_;
  const unsigned threads_;
  std::vector<v1::InventoryRowRules> rules_;  // one per worker (process_lines' slots)
  net::HttpClient http_;
  v1::ArchiveMetadata metadata_;
  Counts counts_;
  std::set<std::string> scan_failures_;
  std::string block_;  // the block of stdin being processed
  std::string carry_;  // the incomplete line at its end
};

}  // namespace

CommandRunner register_inventory_to_records(CLI::App& app) {
  auto flags = std::make_shared<InventoryToRecordsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inventory-to-records",
      "Buildhub v1's records from an S3 inventory: CSV rows on stdin (Bucket, Key, Size,\n"
      "LastModifiedDate, ETag; `zcat *.csv.gz`), one record per build file on stdout, completed\n"
      "with the build's metadata from the archive. The output is buildhub.json documents, one per\n"
      "line, for `buildhub ingest -`; --v1-format prints v1's {\"data\": record} lines instead.\n"
      "A summary goes to stderr. Exit 0; 3 when rows were unreadable; 6 when the archive did not\n"
      "answer for some builds (they are left out, and asked again by the next run).");
  cmd->add_option("--archive-url", flags->archive_url, "The archive's base URL (v1's ARCHIVE_URL)")
      ->envname("BUILDHUB_ARCHIVE_URL")
      ->check([](const std::string& url) -> std::string {
        if (!(url.starts_with("http://") || url.starts_with("https://")) || !url.ends_with("/")) {
          return "must be an http:// or https:// URL ending in /";
        }
        return {};
      })
      ->capture_default_str();
  cmd->add_option("--products", flags->products, "Product folders under pub/ that hold builds (v1's PRODUCTS)")
      ->envname("BUILDHUB_PRODUCTS")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--min-age-hours", flags->min_age_hours,
                  "Skip rows last modified more than this many hours ago (0: keep all; v1's MIN_AGE_LAST_MODIFIED_HOURS)")
      ->envname("BUILDHUB_MIN_AGE_LAST_MODIFIED_HOURS")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  cmd->add_option("--jobs", flags->jobs, "Metadata requests in flight (v1's NB_PARALLEL_REQUESTS)")
      ->envname("BUILDHUB_ARCHIVE_JOBS")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
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
  return [flags] { return InventoryToRecords(*flags).run(); };
}

}  // namespace bh::cli

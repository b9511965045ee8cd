// `buildhub ingest`: files, directories and NDJSON on stdin into the store.
#include <chrono>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/version.h"
#include "ingest/pipeline.h"
#include "ingest/sources.h"
#include "record/schema_validator.h"

namespace bh::cli {
namespace {

struct IngestFlags {
  StoreFlags store;
  std::vector<std::string> paths;
  std::size_t batch_size = 10000;
  unsigned workers = 0;
  std::size_t max_document_bytes = 1 << 20;
  bool verbose = false;
  bool quiet = false;
  bool json_summary = false;
};

// Reports rejections as they happen and draws a progress line on a terminal.
class CliIngestObserver final : public IngestObserver {
 public:
  CliIngestObserver(bool verbose, bool progress) : verbose_(verbose), progress_(progress) {}

  void on_rejected(const std::string& origin, const Status& reason) override {
    clear_progress();
    std::fprintf(stderr, "rejected %s: %s\n", origin.c_str(), reason.message().c_str());
  }

  void on_stored(const std::string& origin, const InsertOutcome& outcome, const NewRecord& record) override {
    if (!verbose_) return;
    clear_progress();
    if (outcome.kind == InsertKind::kInserted) {
      std::fprintf(stderr, "inserted %s: id %lld (%s)\n", origin.c_str(), static_cast<long long>(outcome.id),
                   record.build_hash.c_str());
    } else {
      std::fprintf(stderr, "already present %s: id %lld (%s)\n", origin.c_str(), static_cast<long long>(outcome.id),
                   record.build_hash.c_str());
    }
  }

  void on_progress(const IngestSummary& s, std::optional<double> fraction) override {
    if (!progress_) return;
    const auto now = clock_.monotonic_now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double secs = std::chrono::duration<double>(now - started_).count();
    const double rate = secs > 0 ? static_cast<double>(s.read) / secs : 0;
    std::string bar;
    if (fraction) {
      // A bar with percentage and time left when the input size is known (files, directories)...
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(*fraction * kWidth);
      bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " +
            std::to_string(static_cast<int>(*fraction * 100)) + "%";
      if (*fraction > 0.01) bar += ", " + std::to_string(static_cast<long>(secs / *fraction - secs)) + " s left";
    } else {
      // ...and a spinner for streams of unknown length (stdin).
      bar = std::string("[") + spinner() + "]";
    }
    std::fprintf(stderr, "\r\033[K%s %llu read, %llu inserted, %llu present, %llu rejected, %.0f docs/s",
                 bar.c_str(), static_cast<unsigned long long>(s.read), static_cast<unsigned long long>(s.inserted),
                 static_cast<unsigned long long>(s.already_present), static_cast<unsigned long long>(s.rejected),
                 rate);
    drawn_ = true;
  }

  void clear_progress() {
    if (drawn_) {
      std::fprintf(stderr, "\r\033[K");
      drawn_ = false;
    }
  }

 private:
  const char* spinner() {
    static constexpr const char* kFrames[] = {"=   ", " =  ", "  = ", "   ="};
    return kFrames[frame_++ % 4];
  }
  bool verbose_;
  bool progress_;
  bool drawn_ = false;
  unsigned frame_ = 0;
  const Clock& clock_ = system_clock();
  Clock::Instant started_ = clock_.monotonic_now();
  Clock::Instant last_draw_{};
};

int run_ingest(const IngestFlags& flags) {
  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  auto validator = SchemaValidator::create_builtin();
  if (!validator) return report_failure(validator.error());

  IngestOptions options;
  options.batch_size = flags.batch_size;
  options.limits.max_document_bytes = flags.max_document_bytes;
  const VersionInfo v = version_info();
  options.metadata = nlohmann::json{{"version", std::string(v.version)},
                                    {"commit", std::string(v.commit)},
                                    {"source", "ingest"}}
                         .dump();

  PathSource source(flags.paths, flags.max_document_bytes, STDIN_FILENO);
  CliIngestObserver observer(flags.verbose, !flags.quiet && ::isatty(STDERR_FILENO) != 0);
  Executor executor({.cpu_budget = flags.workers});  // --workers: the process's CPU budget
  IngestPipeline pipeline(**store, **validator, executor, options);
  const Clock& clock = system_clock();
  const auto started = clock.monotonic_now();
  auto summary = pipeline.run(source, observer);
  observer.clear_progress();
  if (!summary) return report_failure(summary.error());
  const double secs = std::chrono::duration<double>(clock.monotonic_now() - started).count();
  if (flags.json_summary) {
    std::printf("%s\n", nlohmann::json{{"read", summary->read},
                                       {"inserted", summary->inserted},
                                       {"already_present", summary->already_present},
                                       {"rejected", summary->rejected},
                                       {"seconds", secs}}
                            .dump()
                            .c_str());
  } else if (!flags.quiet || summary->rejected > 0) {
    std::fprintf(stderr, "ingest: %s in %.2f s\n", summary->to_string().c_str(), secs);
  }
  return summary->rejected > 0 ? exit_code(Code::kInvalidArgument) : 0;
}

}  // namespace

CommandRunner register_ingest(CLI::App& app) {
  auto flags = std::make_shared<IngestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Validate buildhub.json documents and add them to the store.\n"
      "PATH is a file (one JSON document; NDJSON when it ends in .ndjson or .jsonl), a directory\n"
      "(every file whose name ends with buildhub.json, recursively), or - for NDJSON on stdin.\n"
      "Invalid documents are reported and skipped; the exit code is 3 when any were rejected.");
  add_store_flags(*cmd, flags->store);
  cmd->add_option("PATH", flags->paths, "Files, directories, or - for stdin")->required();
  cmd->add_option("--batch-size", flags->batch_size, "Documents per store transaction")
      ->envname("BUILDHUB_INGEST_BATCH_SIZE")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "Threads that parse and validate (0: one per core)")
      ->envname("BUILDHUB_INGEST_WORKERS")
      ->capture_default_str();
  cmd->add_option("--max-document-bytes", flags->max_document_bytes, "Reject documents larger than this")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", flags->verbose, "Print the outcome of every document");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line and no summary unless something was rejected");
  cmd->add_flag("--json", flags->json_summary, "Print the summary as JSON on stdout");
  return [flags] { return run_ingest(*flags); };
}

}  // namespace bh::cli

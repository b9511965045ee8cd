// `buildhub partial FROM.mar TO.mar -o OUT.mar`: a partial update from two complete MARs
// (src/update/partial_builder.h), optionally verified by applying it (src/update/verify.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/file_io.h"
#include "update/partial_builder.h"
#include "update/verify.h"

namespace bh::cli {
namespace {

struct PartialFlags {
  std::string from_path;
  std::string to_path;
  std::string output;
  std::string channel_id;
  std::string product_version;
  std::vector<std::string> forced;
  unsigned jobs = 0;
  // With the complete MARs and xz encoders counted, 768 MiB keeps the Firefox-sized build under
  // 1 GiB of resident memory (docs/benchmarks.md).
  std::uint64_t max_memory = std::uint64_t{768} << 20;
  std::string cache_dir;
  bool no_cache = false;
  std::uint64_t cache_max_bytes = std::uint64_t{8} << 30;
  std::string compression = "auto";
  std::string x86 = "auto";
  bool verify = false;
  bool json = false;
};

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return (std::filesystem::path(xdg) / "buildhub" / "patches").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return (std::filesystem::path(home) / ".cache" / "buildhub" / "patches").string();
  }
  return {};
}

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

// "\r12/30 files, 123.4 MB of 456.7 MB, about 20 s left" on a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void update(const update::PartialProgress& p) {
    if (!enabled_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string left;
    if (p.bytes_done > 0 && p.bytes_done < p.bytes_total) {
      left = fmt::format(", about {:.0f} s left", elapsed * static_cast<double>(p.bytes_total - p.bytes_done) /
                                                      static_cast<double>(p.bytes_done));
    }
    std::fprintf(stderr, "\rpartial: %zu/%zu files, %s of %s%s\033[K", p.files_done, p.files_total,
                 megabytes(p.bytes_done).c_str(), megabytes(p.bytes_total).c_str(), left.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

nlohmann::json summary_json(const PartialFlags& flags, const update::PartialBuild& build, double seconds,
                            const update::PatchCache* cache) {
  nlohmann::json out = {
      {"from", flags.from_path},
      {"to", flags.to_path},
      {"output", flags.output},
      {"bytes", build.mar.size()},
      {"seconds", seconds},
      {"channel_id", build.product_information.channel},
      {"product_version", build.product_information.version},
      {"compression", std::string(compress::compression_name(build.compression))},
      {"x86_bcj", build.x86_bcj},
      {"diffs", build.diffs},
      {"cache", {{"hits", build.cache_hits}, {"misses", build.cache_misses}}},
      {"verified", flags.verify},
      {"files", update::file_reports_json(build.files)},
      {"manifest", update::manifest_json(build.manifest)},
  };
  if (cache != nullptr) out["cache"]["location"] = cache->describe();
  return out;
}

int run_partial(const PartialFlags& flags) {
  const auto start = std::chrono::steady_clock::now();
  auto from = mar::MarArchive::open_file(flags.from_path);
  if (!from) return report_failure(from.error().with_context(flags.from_path));
  auto to = mar::MarArchive::open_file(flags.to_path);
  if (!to) return report_failure(to.error().with_context(flags.to_path));

  std::unique_ptr<update::BlobPatchCache> cache;
  const std::string cache_dir = flags.cache_dir.empty() ? default_cache_dir() : flags.cache_dir;
  if (!flags.no_cache && !cache_dir.empty()) {
    auto opened = update::BlobPatchCache::open_directory(cache_dir, flags.cache_max_bytes);
    if (!opened) return report_failure(opened.error());
    cache = std::move(*opened);
  }

  update::PartialOptions options;
  if (!flags.channel_id.empty()) options.channel_id = flags.channel_id;
  if (!flags.product_version.empty()) options.product_version = flags.product_version;
  options.forced = flags.forced;
  if (flags.compression == "xz") options.compression = compress::Compression::kXz;
  if (flags.compression == "bz2") options.compression = compress::Compression::kBzip2;
  if (flags.x86 != "auto") options.x86_bcj = flags.x86 == "on";
  options.jobs = flags.jobs;
  options.max_memory = flags.max_memory;
  options.cache = cache.get();
  ProgressLine progress(::isatty(STDERR_FILENO) == 1 && !flags.json);
  options.progress = [&progress](const update::PartialProgress& p) { progress.update(p); };

  // The diffs hold their memory against the builder's budget (--max-memory), not the executor's.
  Executor executor({.cpu_budget = flags.jobs});
  auto build = update::build_partial(*from, *to, options, executor);
  progress.finish();
  if (!build) return report_failure(build.error());
  if (Status s = write_file_atomically(flags.output, build->mar, 0644); !s) return report_failure(s);

  if (flags.verify) {
    auto written = mar::MarArchive::open_file(flags.output);
    Status verified = written ? Status{} : written.error();
    if (verified) {
      update::VerifyRequest request;
      request.scratch_parent = std::filesystem::temp_directory_path();
      request.jobs = flags.jobs;
      verified = update::verify_partial(*written, *from, *to, request, executor);
    }
    if (!verified) {
      std::error_code ec;
      std::filesystem::remove(flags.output, ec);
      return report_failure(verified.with_context(fmt::format("{} removed", flags.output)));
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t patches = 0;
  std::size_t whole = 0;
  for (const update::FileReport& f : build->files) {
    if (f.decision == "patch") ++patches;
    if (f.decision == "add" || f.decision == "add-if-not") ++whole;
  }
  std::fprintf(stderr, "partial: %s %s (%zu patches, %zu whole files, %zu instructions; %llu diffs computed, %llu from cache)%s in %.1f s\n",
               flags.output.c_str(), megabytes(build->mar.size()).c_str(), patches, whole,
               build->manifest.actions.size(), static_cast<unsigned long long>(build->diffs),
               static_cast<unsigned long long>(build->cache_hits), flags.verify ? ", verified" : "", seconds);
  if (flags.json) std::printf("%s\n", summary_json(flags, *build, seconds, cache.get()).dump(2).c_str());
  return 0;
}

}  // namespace

CommandRunner register_partial(CLI::App& app) {
  auto flags = std::make_shared<PartialFlags>();
  CLI::App* cmd = app.add_subcommand(
      "partial", "Build a partial update MAR from two complete MARs, as Mozilla's make_incremental_update.sh would");
  cmd->add_option("from", flags->from_path, "The complete MAR of the installed version")->required();
  cmd->add_option("to", flags->to_path, "The complete MAR of the version to update to")->required();
  cmd->add_option("-o,--output", flags->output, "Where to write the partial MAR (replaced atomically)")->required();
  cmd->add_option("--channel-id", flags->channel_id, "MAR channel id of the partial (default: TO's)");
  cmd->add_option("--product-version", flags->product_version, "Product version of the partial (default: TO's)");
  cmd->add_option("-f,--force", flags->forced, "Ship this file whole, changed or not (repeatable), like the script's -f");
  cmd->add_option("--jobs", flags->jobs, "Files diffed at once, and threads (0: one per core); never changes the output")
      ->envname("BUILDHUB_JOBS")
      ->capture_default_str();
  cmd->add_option("--max-memory", flags->max_memory,
                  "Memory budget: the complete MARs, the xz encoders and the diffs by their own estimates (0: no limit); "
                  "a file needing more than the whole budget runs alone")
      ->envname("BUILDHUB_MAX_MEMORY")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--cache-dir", flags->cache_dir,
                  "Per-file patch cache directory, shared safely between processes (default: $XDG_CACHE_HOME/buildhub/patches "
                  "or ~/.cache/buildhub/patches)")
      ->envname("BUILDHUB_CACHE_DIR");
  cmd->add_flag("--no-cache", flags->no_cache, "Neither read nor write the patch cache");
  cmd->add_option("--cache-max-bytes", flags->cache_max_bytes, "Size limit of the cache directory; least recently used entries go")
      ->envname("BUILDHUB_CACHE_MAX_BYTES")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--compression", flags->compression,
                  "Entry compression: xz, bz2 (updaters before Firefox 56) or auto (as TO's entries)")
      ->check(CLI::IsMember({"auto", "xz", "bz2"}))
      ->capture_default_str();
  cmd->add_option("--x86", flags->x86, "x86 BCJ filter on full files and the manifest: on, off or auto (as TO's manifest)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  cmd->add_flag("--verify", flags->verify,
                "Apply the partial to FROM's files in a scratch directory and compare with TO's; remove the output on a mismatch");
  cmd->add_flag("--json", flags->json, "Print a summary on stdout: every file's decision, sizes, time and cache use");
  return [flags] { return run_partial(*flags); };
}

}  // namespace bh::cli

// `buildhub demo-data`: deterministic synthetic records for demos, tests and benchmarks.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/file_io.h"
#include "ingest/demo_data.h"

namespace bh::cli {
namespace {

struct DemoDataFlags {
  std::uint64_t records = 1000;
  std::uint64_t seed = 1;
  std::string out = "-";
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int write_stream(const DemoDataFlags& flags, std::FILE* out, const std::string& name) {
  DemoDataGenerator gen(flags.seed);
  std::string line;
  for (std::uint64_t i = 0; i < flags.records; ++i) {
    line = gen.next_document();
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) {
      return report_failure(io_error(fmt::format("{}: write failed: {}", name, std::strerror(errno))));
    }
  }
  if (std::fflush(out) != 0) return report_failure(io_error(fmt::format("{}: write failed", name)));
  return 0;
}

int run_demo_data(const DemoDataFlags& flags) {
  if (flags.out == "-") return write_stream(flags, stdout, "stdout");
  if (ends_with(flags.out, ".ndjson") || ends_with(flags.out, ".jsonl")) {
    std::FILE* f = std::fopen(flags.out.c_str(), "wb");
    if (f == nullptr) return report_failure(io_error(fmt::format("{}: {}", flags.out, std::strerror(errno))));
    const int rc = write_stream(flags, f, flags.out);
    if (std::fclose(f) != 0 && rc == 0) return report_failure(io_error(flags.out + ": close failed"));
    return rc;
  }
  // A directory tree: 1,000 files per sub-directory keeps directories listable.
  DemoDataGenerator gen(flags.seed);
  for (std::uint64_t i = 0; i < flags.records; ++i) {
    const std::filesystem::path dir = std::filesystem::path(flags.out) / fmt::format("{:04}", i / 1000);
    if (i % 1000 == 0) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return report_failure(io_error(fmt::format("{}: {}", dir.string(), ec.message())));
    }
    const Status s = write_file_atomically(dir / fmt::format("{:07}.buildhub.json", i), gen.next_document() + "\n");
    if (!s.is_ok()) return report_failure(s);
  }
  return 0;
}

}  // namespace

CommandRunner register_demo_data(CLI::App& app) {
  auto flags = std::make_shared<DemoDataFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo-data",
      "Write realistic synthetic buildhub.json records, the same for the same seed.\n"
      "--out - writes NDJSON to stdout; a name ending in .ndjson or .jsonl writes an NDJSON file;\n"
      "anything else is a directory that receives one NNNNNNN.buildhub.json file per record.");
  cmd->add_option("--records", flags->records, "How many records")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Seed of the generator")->capture_default_str();
  cmd->add_option("--out", flags->out, "- (stdout), an .ndjson file, or a directory")->capture_default_str();
  return [flags] { return run_demo_data(*flags); };
}

}  // namespace bh::cli

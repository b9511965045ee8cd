// `buildhub diff` and `buildhub patch`: binary patches between two files (src/diff/).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/file_io.h"
#include "core/mapped_file.h"
#include "diff/mbdiff_diff.h"
#include "diff/mbdiff_patch.h"

namespace bh::cli {
namespace {

constexpr std::uint64_t kMaxInput = std::uint64_t{4} << 30;  // refused later with a clear message past 2 GiB

struct DiffFlags {
  std::string old_path;
  std::string new_path;
  std::string patch_path;
  std::string format = "mbdiff10";
  unsigned threads = 0;
  std::uint64_t max_memory = 0;
};

struct PatchFlags {
  std::string old_path;
  std::string patch_path;
  std::string new_path;
};

int run_diff(const DiffFlags& flags) {
  auto old_file = MappedFile::open(flags.old_path, kMaxInput);
  if (!old_file) return report_failure(old_file.error());
  auto new_file = MappedFile::open(flags.new_path, kMaxInput);
  if (!new_file) return report_failure(new_file.error());
  diff::DiffRequest request{old_file->bytes(), new_file->bytes(), {}, {}};
  request.params.format = flags.format == "bsdiff40" ? diff::PatchFormat::kBsdiff40 : diff::PatchFormat::kMbdiff10;
  request.resources.max_memory = flags.max_memory;
  // --threads is the process's CPU budget; --max-memory its memory budget.
  Executor executor({.cpu_budget = flags.threads, .memory_budget = flags.max_memory});
  auto patch = diff::make_patch(request, executor);
  if (!patch) return report_failure(patch.error());
  if (Status s = write_file_atomically(flags.patch_path, *patch); !s) return report_failure(s);
  return 0;
}

int run_patch(const PatchFlags& flags) {
  auto old_file = MappedFile::open(flags.old_path, kMaxInput);
  if (!old_file) return report_failure(old_file.error());
  auto patch = MappedFile::open(flags.patch_path, kMaxInput);
  if (!patch) return report_failure(patch.error());
  auto result = diff::apply_mbdiff(old_file->bytes(), patch->bytes());
  if (!result) return report_failure(result.error().with_context(flags.patch_path));
  // NEW keeps OLD's permission bits, as the updater's PatchFile does (stat follows a symlink
  // OLD to its target); a symlink at NEW is replaced by the patched file.
  struct stat old_stat {};
  if (::stat(flags.old_path.c_str(), &old_stat) != 0) {
    return report_failure(io_error(fmt::format("{}: {}", flags.old_path, std::strerror(errno))));
  }
  if (Status s = write_file_atomically(flags.new_path, *result, old_stat.st_mode & 07777); !s) return report_failure(s);
  return 0;
}

}  // namespace

CommandRunner register_diff(CLI::App& app) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Write a binary patch that turns OLD into NEW: MBDIFF10 (Mozilla's updater) or BSDIFF40 (bspatch)");
  cmd->add_option("old", flags->old_path, "The old file")->required();
  cmd->add_option("new", flags->new_path, "The new file")->required();
  cmd->add_option("patch", flags->patch_path, "Where to write the patch (replaced atomically)")->required();
  cmd->add_option("--format", flags->format, "mbdiff10 or bsdiff40 (bzip2 blocks, for Debian's bspatch)")
      ->check(CLI::IsMember({"mbdiff10", "bsdiff40"}))
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Threads (0: one per core); the patch does not depend on it")
      ->capture_default_str();
  cmd->add_option("--max-memory", flags->max_memory,
                  "Refuse when the diff would need more than this many bytes beyond its inputs (0: no limit)")
      ->capture_default_str();
  return [flags] { return run_diff(*flags); };
}

CommandRunner register_patch(CLI::App& app) {
  auto flags = std::make_shared<PatchFlags>();
  CLI::App* cmd = app.add_subcommand("patch", "Apply an MBDIFF10 patch to OLD and write NEW, as Mozilla's updater does");
  cmd->add_option("old", flags->old_path, "The old (source) file")->required();
  cmd->add_option("patch", flags->patch_path, "The MBDIFF10 patch")->required();
  cmd->add_option("new", flags->new_path, "Where to write the result (replaced atomically)")->required();
  return [flags] { return run_patch(*flags); };
}

}  // namespace bh::cli

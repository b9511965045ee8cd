// `buildhub apply UPDATE.mar DIR`: apply a partial or complete update as Mozilla's updater does,
// all or nothing (src/update/applier.h).
#include <cstdio>

#include "cli/commands.h"
#include "update/applier.h"

namespace bh::cli {
namespace {

struct ApplyFlags {
  std::string update_path;
  std::string directory;
  std::string channel_id;
  std::string version;
};

int run_apply(const ApplyFlags& flags) {
  auto update = mar::MarArchive::open_file(flags.update_path);
  if (!update) return report_failure(update.error().with_context(flags.update_path));
  update::ApplyRequest request;
  request.directory = flags.directory;
  if (!flags.channel_id.empty()) request.accepted_channels = flags.channel_id;
  if (!flags.version.empty()) request.installed_version = flags.version;
  auto summary = update::apply_update(*update, request);
  if (!summary) return report_failure(summary.error().with_context(flags.update_path));
  const char* type = summary->type == update::ManifestType::kPartial    ? "partial"
                     : summary->type == update::ManifestType::kComplete ? "complete"
                                                                        : "untyped";
  std::printf("applied %s update to %s: %zu added, %zu patched, %zu removed, %zu directories removed, %zu skipped\n",
              type, flags.directory.c_str(), summary->added, summary->patched, summary->removed,
              summary->directories_removed, summary->skipped);
  return 0;
}

}  // namespace

CommandRunner register_apply(CLI::App& app) {
  auto flags = std::make_shared<ApplyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "apply", "Apply a partial or complete update MAR to DIR as Mozilla's updater does; all or nothing");
  cmd->add_option("update", flags->update_path, "The update MAR")->required();
  cmd->add_option("dir", flags->directory, "The installation directory")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--channel-id", flags->channel_id,
                  "Accepted MAR channel ids (comma separated, like ACCEPTED_MAR_CHANNEL_IDS); the MAR's must be one");
  cmd->add_option("--version", flags->version, "The installed version; an older MAR is refused as a downgrade");
  return [flags] { return run_apply(*flags); };
}

}  // namespace bh::cli

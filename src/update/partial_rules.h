// The rules of Mozilla's make_incremental_update.sh, as a pure function: which file of TO goes
// into a partial update and how, which files and directories the update removes, and in what
// order the manifest lists them (mar-reference §3.2). No I/O: the builder supplies the two file
// lists with their digests, the text of TO's removed-files, and the patch-or-full decision of
// each changed file.
//
// Order, exactly as the script produces it:
//   1. FROM's files in reverse byte order (LC_ALL=C `sort -r`), manifests (update.manifest,
//      updatev2.manifest, updatev3.manifest, by base name) left out. For each one also in TO:
//      add-if-not files (base name channel-prefs.js or update-settings.ini, or a path through
//      ChannelPrefs.framework/ or UpdateSettings.framework/) are shipped whole with
//      `add-if-not "f" "f"`, changed or not; forced files (precomplete, removed-files, their
//      Contents/Resources/ forms, Contents/CodeResources, anything whose text after the last '.'
//      is "chk", Contents/MacOS/firefox and every extra forced path) with `add "f"`; other files
//      whose content differs get `patch "f.patch" "f"` or `add "f"` (the builder's decision);
//      identical files produce nothing. Files only in FROM are remembered.
//   2. TO's new files in reverse order: `add-if-not "f" "f"` by the same rule, else `add "f"`.
//   3. `remove "f"` for the remembered files, in the same reverse order.
//   4. TO's removed-files (else Contents/Resources/removed-files), as the script reads it: lines
//      in reverse order with spaces counted as '|', split further at tabs, carriage returns
//      dropped, whitespace runs collapsed, blank and '#' lines skipped; "d/" gives `rmdir "d/"`,
//      "d/*" gives `rmrfdir "d/"`, anything else `remove "f"`.
//   5. `rmdir "d/"` for every directory of FROM that TO lacks, in reverse order.
//   6. Lines ending in "firefox.exe" (with the quote) move to the very end, in their order.
// The archive holds updatev3.manifest, then the shipped files in the order of steps 1 and 2.
//
// Thread safety: pure functions. Failure: kInvalidArgument when TO has no precomplete (the
// script refuses such a tree), when a path cannot be written into a manifest (a '"', a newline,
// "..": the updater would refuse the whole update), or when removed-files names such a path.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "update/manifest.h"

namespace bh::update {

struct TreeFile {
  std::string path;
  std::string digest;  // of the content (the builder uses SHA-512 hex)
  std::uint64_t size = 0;
};

// How a file of TO goes into the partial.
enum class FileRule {
  kAddIfNot,  // in both trees, an add-if-not file: shipped whole
  kForced,    // in both trees, a forced file: shipped whole
  kChanged,   // in both trees, content differs: patch or whole, by the builder's decision
  kNew,       // only in TO: shipped whole (add)
  kNewAddIfNot,  // only in TO, an add-if-not file
};
std::string_view file_rule_name(FileRule rule);  // "add-if-not", "forced", "changed", "new", "new-add-if-not"

struct PlannedFile {
  std::string path;
  FileRule rule = FileRule::kNew;
};

struct PartialRulesRequest {
  std::vector<TreeFile> from;
  std::vector<TreeFile> to;
  // The text of TO's removed-files (see removed_files_path), if it has one.
  std::optional<std::string> removed_files;
  // Paths forced besides the built-in ones (the script's -f).
  std::vector<std::string> forced;
};

struct PartialPlan {
  std::vector<PlannedFile> files;       // shipped, in archive order
  std::vector<std::string> unchanged;   // in both trees, identical, not forced: nothing emitted
  std::vector<std::string> removed;     // only in FROM: `remove`
  std::vector<ManifestAction> removed_files_actions;
  std::vector<std::string> vanished_directories;  // "d/": `rmdir`
};

// The path of TO's removed-files list the script reads: "removed-files", else
// "Contents/Resources/removed-files", else none.
std::optional<std::string> removed_files_path(const std::vector<TreeFile>& to);

bool is_add_if_not_file(std::string_view path);
// update.manifest, updatev2.manifest, updatev3.manifest (by base name): never compared or shipped.
bool is_manifest_file(std::string_view path);
bool is_forced_file(std::string_view path, const std::vector<std::string>& extra_forced);

Result<PartialPlan> plan_partial(const PartialRulesRequest& request);

// The decision for a kChanged file: true ships `patch "f.patch" "f"`, false `add "f"`.
using PatchDecision = std::function<bool(const std::string& path)>;

// The manifest (type "partial") for `plan` with those decisions.
Manifest partial_manifest(const PartialPlan& plan, const PatchDecision& use_patch);

// The archive entry name of a planned file: "f.patch" for a patched file, else "f".
std::string archive_name(const PlannedFile& file, bool patched);

}  // namespace bh::update

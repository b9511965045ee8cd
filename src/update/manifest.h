// Update manifests (updatev3.manifest): the instruction list Mozilla's updater executes, parsed
// into typed actions and written back byte for byte as Mozilla's packaging scripts write them.
//
// Grammar, as the updater reads it (toolkit/mozapps/update/updater/updater.cpp):
//   one instruction per "\n"-separated line; blank lines and lines whose first token starts with
//   '#' are skipped; the first instruction may be `type "partial"` or `type "complete"`;
//   add "f" | add-if "test" "f" | add-if-not "test" "f" | patch "p" "f" | patch-if "test" "p" "f"
//   | remove "f" | rmdir "d/" | rmrfdir "d/". Tokens are separated by spaces or tabs; a "\r" before
//   the newline is whitespace. Anything after the last quoted argument is ignored, as the updater
//   does.
// Paths are checked as the updater's get_valid_path does: relative, no ".." anywhere in them,
// directories (rmdir, rmrfdir) ending in '/', files not; we also refuse empty paths, NUL and
// control characters, and backslashes (a Windows updater would treat them as separators).
//
// Thread safety: pure functions. Failure: kInvalidArgument naming the line and the defect;
// kTooLarge past the limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bh::update {

enum class ManifestType { kNone, kPartial, kComplete };

enum class ActionKind { kAdd, kAddIf, kAddIfNot, kPatch, kPatchIf, kRemove, kRmdir, kRmrfdir };

std::string_view action_name(ActionKind kind);  // "add-if-not", ...

struct ManifestAction {
  ActionKind kind = ActionKind::kAdd;
  std::string test_file;   // add-if, add-if-not, patch-if: the path whose existence decides
  std::string patch_file;  // patch, patch-if: the archive entry holding the patch
  std::string file;        // the installed path (a directory ending in '/' for rmdir, rmrfdir)
  std::size_t line = 0;    // 1-based line in the manifest it came from (0: made here)

  bool operator==(const ManifestAction& other) const {
    return kind == other.kind && test_file == other.test_file && patch_file == other.patch_file && file == other.file;
  }
};

struct Manifest {
  ManifestType type = ManifestType::kNone;
  std::vector<ManifestAction> actions;
};

struct ManifestLimits {
  std::size_t max_bytes = 16u << 20;
  std::size_t max_actions = 1u << 20;
};

Result<Manifest> parse_manifest(std::string_view text, const ManifestLimits& limits = {});

// An installed `precomplete` file, which a complete update executes first: `remove "f"` and
// `rmdir "d/"` lines (`remove-cc` lines are skipped, as the updater skips them); anything else is
// an error, as in the updater.
Result<std::vector<ManifestAction>> parse_precomplete(std::string_view text, const ManifestLimits& limits = {});

// The manifest's text: the type line (if any), then one line per action, each ending in "\n".
std::string write_manifest(const Manifest& manifest);
// One instruction as a line without its newline: add-if-not "f" "f".
std::string format_action(const ManifestAction& action);

// The updater's path check (see above). `directory`: the path must end in '/'.
Status validate_manifest_path(std::string_view path, bool directory);

}  // namespace bh::update

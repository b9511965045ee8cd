// Applying a partial or complete update MAR to an installation directory, with the updater's
// semantics (toolkit/mozapps/update/updater/updater.cpp) and all-or-nothing effect.
//
// Semantics:
//   - Product checks, when asked: the MAR's channel must be one of `accepted_channels` (comma,
//     space or tab separated, like ACCEPTED_MAR_CHANNEL_IDS) and its version must not be older
//     than `installed_version` (Mozilla's version order; a downgrade is refused).
//   - The manifest is the MAR's updatev3.manifest. A complete update first runs the installed
//     precomplete's remove/rmdir lines (precomplete, else Contents/Resources/precomplete).
//   - Conditions are decided on the directory as it was (the updater's Prepare): add-if and
//     patch-if run when the test file exists, add-if-not when it does not; remove of a missing
//     file and rmdir of a missing directory are skipped; remove of a directory is an error.
//     rmrfdir becomes remove of every file and rmdir of every directory below it, deepest first.
//   - Effects run in manifest order, each seeing the ones before it: add writes the entry of the
//     same name (mode = the entry's permission bits); patch checks the source's length and CRC
//     against the patch header, then writes the result with the source's mode; rmdir removes a
//     directory at the end, only if it is empty by then (never an error).
//   - Paths are checked as the updater does (relative, no ".."), and every directory on the way is
//     opened without following symlinks: a path through a symlink is refused, a patch source that
//     is a symlink is refused; a symlink in the way of an add or a remove is replaced or removed,
//     never written through.
//
// All or nothing: every result is first written into a staging directory inside DIR (hidden,
// removed afterwards), so a bad patch, a wrong source, a missing entry or a full disk stops the
// update before DIR is touched. Then originals are moved aside and results renamed into place;
// if one of those renames fails, everything done so far is undone. On any error DIR holds the
// same files, bytes and modes as before (its own timestamps aside).
//
// Thread safety: do not apply two updates to one directory at once. Failure: kInvalidArgument
// for a refused product check, a bad manifest or a bad instruction (the message names it: its
// number, its line and why); kIoError for the file system (a full disk, permissions); kTooLarge
// past the decompression limits.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "compress/compression.h"
#include "core/status.h"
#include "mar/mar_archive.h"
#include "update/manifest.h"

namespace bh::update {

struct ApplyRequest {
  std::filesystem::path directory;
  std::optional<std::string> accepted_channels;
  std::optional<std::string> installed_version;
  compress::DecompressLimits limits;
};

struct ApplySummary {
  ManifestType type = ManifestType::kNone;
  std::size_t added = 0;
  std::size_t patched = 0;
  std::size_t removed = 0;
  std::size_t directories_removed = 0;
  std::size_t skipped = 0;  // conditions not met, files already gone
};

// The updater's product information checks (either may be absent).
Status check_product_information(const mar::MarArchive& update, const std::optional<std::string>& accepted_channels,
                                 const std::optional<std::string>& installed_version);

Result<ApplySummary> apply_update(const mar::MarArchive& update, const ApplyRequest& request);

}  // namespace bh::update

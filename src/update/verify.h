// Checking a partial update the way it will be used: FROM's files are unpacked into a scratch
// directory, the partial is applied there with the updater's semantics (update/applier.h), and
// every resulting file is compared with TO's: the same set of paths (manifests aside) and the
// same bytes. Files an add-if-not instruction leaves as they were installed (FROM had them) are
// not compared: keeping them is the updater's intent.
//
// Thread safety: may run concurrently with itself (each call has its own scratch directory).
// Failure: kInternal naming the first path that differs, is missing or is left over (the partial
// is wrong); the applier's error when the partial does not apply; kIoError for the scratch space.
#pragma once

#include <filesystem>

#include "core/executor.h"
#include "core/status.h"
#include "mar/mar_archive.h"

namespace bh::update {

struct VerifyRequest {
  std::filesystem::path scratch_parent;  // a temporary directory is made (and removed) below it
  unsigned jobs = 0;
};

Status verify_partial(const mar::MarArchive& partial, const mar::MarArchive& from, const mar::MarArchive& to,
                      const VerifyRequest& request, Executor& executor);

}  // namespace bh::update

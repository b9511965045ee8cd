#include "update/verify.h"

#include <stdlib.h>

#include <set>
#include <vector>

#include <fmt/format.h>

#include "core/file_io.h"
#include "mar/mar_files.h"
#include "update/applier.h"
#include "update/manifest.h"
#include "update/partial_rules.h"

namespace bh::update {
namespace {

// `kept`: add-if-not targets that existed before: the updater keeps the installed file on
// purpose (a channel-prefs.js or update-settings.ini of the installation), so its content is not
// TO's to judge.
Status compare_tree(const std::filesystem::path& dir, const mar::MarArchive& to, const std::set<std::string>& kept,
                    const VerifyRequest& request, Executor& executor) {
  std::set<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string path = std::filesystem::relative(it->path(), dir).generic_string();
    if (!is_manifest_file(path)) found.insert(path);
  }
  if (ec) return io_error(fmt::format("listing {}: {}", dir.string(), ec.message()));
  std::vector<const mar::MarEntry*> expected;
  for (const mar::MarEntry& e : to.entries()) {
    if (is_manifest_file(e.name)) continue;
    if (found.erase(e.name) == 0) return internal_error(fmt::format("verification failed: '{}' is missing after applying", e.name));
    if (!kept.contains(e.name)) expected.push_back(&e);
  }
  if (!found.empty()) {
    return internal_error(fmt::format("verification failed: '{}' is left over after applying (TO has no such file)",
                                      *found.begin()));
  }
  return executor.parallel_for(expected.size(), request.jobs, [&](std::size_t i) -> Status {
    const mar::MarEntry& entry = *expected[i];
    BH_ASSIGN_OR_RETURN(std::string want, mar::decompress_entry(to, entry, {}));
    BH_ASSIGN_OR_RETURN(std::string got, read_file(dir / entry.name, std::size_t{4} << 30));
    if (got != want) return internal_error(fmt::format("verification failed: '{}' differs from TO's after applying", entry.name));
    return {};
  });
}

}  // namespace

Status verify_partial(const mar::MarArchive& partial, const mar::MarArchive& from, const mar::MarArchive& to,
                      const VerifyRequest& request, Executor& executor) {
  std::string pattern = (request.scratch_parent / "buildhub-verify-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return io_error(fmt::format("creating a scratch directory in {}", request.scratch_parent.string()));
  const std::filesystem::path dir = pattern;
  mar::ExtractRequest extract;
  extract.directory = dir;
  extract.decompress = true;
  extract.jobs = request.jobs;
  Status status;
  if (auto unpacked = mar::extract_archive(from, extract, executor); !unpacked) {
    status = unpacked.error().with_context("unpacking FROM for verification");
  }
  if (status) {
    ApplyRequest apply;
    apply.directory = dir;
    if (auto applied = apply_update(partial, apply); !applied) {
      status = applied.error().with_context("verification failed: the partial does not apply to FROM");
    }
  }
  std::set<std::string> kept;
  if (status) {
    if (const mar::MarEntry* m = partial.find("updatev3.manifest"); m != nullptr) {
      auto text = mar::decompress_entry(partial, *m, {});
      auto manifest = text ? parse_manifest(*text) : Result<Manifest>(fail(text.error()));
      if (manifest) {
        for (const ManifestAction& a : manifest->actions) {
          if (a.kind == ActionKind::kAddIfNot && from.find(a.test_file) != nullptr) kept.insert(a.file);
        }
      }
    }
    status = compare_tree(dir, to, kept, request, executor);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}

}  // namespace bh::update

#include "update/applier.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "core/file_descriptor.h"
#include "core/file_io.h"
#include "diff/mbdiff_patch.h"
#include "mar/mar_files.h"
#include "record/mozilla_version.h"

namespace bh::update {
namespace {

using mar::MarArchive;
using mar::MarEntry;

Status errno_status(std::string_view what, int err = errno) {
  return io_error(fmt::format("{}: {}", what, std::strerror(err)));
}

enum class Kind { kMissing, kFile, kDirectory, kSymlink, kOther };

struct Found {
  Kind kind = Kind::kMissing;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;
};

std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// One instruction to run, with where it came from (for messages).
struct Step {
  ManifestAction action;
  std::string origin;  // "manifest line 4", "precomplete line 2", ...
};

// The state of a path after the steps so far, where it differs from the directory.
struct Overlay {
  bool removed = false;
  std::string staged;  // name in the staging directory, when written
  std::uint32_t mode = 0644;
};

class Installation {
 public:
  explicit Installation(FileDescriptor root) : root_(std::move(root)) {}

  int root() const { return root_.get(); }

  // The directory holding `path`, opened without following symlinks (core/file_io.h).
  Result<FileDescriptor> open_parent(std::string_view path, bool create, std::vector<std::string>* created) const {
    return open_directory_beneath(root_.get(), split_parent(path).first, {.create = create, .created = created});
  }

  Result<Found> lookup(std::string_view path) const {
    auto parent = open_parent(path, false, nullptr);
    if (!parent) {
      if (parent.error().code() == Code::kNotFound) return Found{};
      return fail(parent.error());
    }
    const std::string leaf(split_parent(path).second);
    struct stat st {};
    if (::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return Found{};
      return fail(errno_status(fmt::format("examining '{}'", path)));
    }
    Found found;
    found.size = static_cast<std::uint64_t>(st.st_size);
    found.mode = st.st_mode & 07777;
    found.kind = S_ISREG(st.st_mode) ? Kind::kFile
                 : S_ISDIR(st.st_mode) ? Kind::kDirectory
                 : S_ISLNK(st.st_mode) ? Kind::kSymlink
                                       : Kind::kOther;
    return found;
  }

  Result<std::string> read_regular(std::string_view path, std::uint64_t max_bytes) const {
    BH_ASSIGN_OR_RETURN(FileDescriptor parent, open_parent(path, false, nullptr));
    const std::string leaf(split_parent(path).second);
    FileDescriptor fd(::openat(parent.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ELOOP) return fail(invalid_argument(fmt::format("'{}' is a symlink", path)));
      return fail(errno_status(fmt::format("reading '{}'", path)));
    }
    return read_fd(fd.get(), path, max_bytes);
  }

  // Every file and directory below `dir` ("d/"), as rmrfdir expands it: files, then the
  // directory itself after its contents.
  Status expand_tree(const std::string& dir, const Step& origin, std::vector<Step>& out) const {
    auto parent = open_directory_beneath(root_.get(), std::string_view(dir).substr(0, dir.size() - 1));
    if (!parent) return parent.error().code() == Code::kNotFound ? Status{} : parent.error();
    DIR* listing = ::fdopendir(::dup(parent->get()));
    if (listing == nullptr) return errno_status(fmt::format("listing '{}'", dir));
    std::vector<std::pair<std::string, bool>> children;
    while (dirent* entry = ::readdir(listing)) {
      const std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      children.emplace_back(name, S_ISDIR(st.st_mode));
    }
    ::closedir(listing);
    std::sort(children.begin(), children.end());
    for (const auto& [name, is_dir] : children) {
      if (is_dir) {
        BH_RETURN_IF_ERROR(expand_tree(dir + name + "/", origin, out));
      } else {
        Step step = origin;
        step.action.kind = ActionKind::kRemove;
        step.action.file = dir + name;
        out.push_back(std::move(step));
      }
    }
    Step step = origin;
    step.action.kind = ActionKind::kRmdir;
    step.action.file = dir;
    out.push_back(std::move(step));
    return {};
  }

 private:
  FileDescriptor root_;
};

std::string random_name() {
  std::random_device device;
  return fmt::format(".buildhub-update-{:08x}{:08x}", device(), device());
}

// Removes a directory tree below `parent` (the staging directory), best effort.
void remove_tree(int parent, const std::string& name) {
  FileDescriptor dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() >= 0) {
    DIR* listing = ::fdopendir(::dup(dir.get()));
    if (listing != nullptr) {
      std::vector<std::string> names;
      while (dirent* entry = ::readdir(listing)) {
        const std::string child = entry->d_name;
        if (child != "." && child != "..") names.push_back(child);
      }
      ::closedir(listing);
      for (const std::string& child : names) {
        if (::unlinkat(dir.get(), child.c_str(), 0) != 0 && (errno == EISDIR || errno == EPERM)) {
          remove_tree(dir.get(), child);
        }
      }
    }
  }
  ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
}

class Update {
 public:
  Update(const MarArchive& mar, const ApplyRequest& request, Installation& install)
      : mar_(mar), request_(request), install_(install) {}

  Result<ApplySummary> run();

 private:
  Result<std::vector<Step>> read_steps();
  Status prepare_and_execute(const std::vector<Step>& steps);
  Status execute(const Step& step);
  Status commit();
  void cleanup() { remove_tree(install_.root(), staging_name_); }

  Result<std::string> entry_content(const std::string& name, std::string_view role);
  Status stage(const std::string& path, std::string_view content, std::uint32_t mode);
  Result<Found> current(const std::string& path) const;
  bool removed_on_the_way(const std::string& path) const;
  Result<std::string> current_content(const std::string& path, std::uint32_t& mode) const;

  const MarArchive& mar_;
  const ApplyRequest& request_;
  Installation& install_;
  std::string staging_name_;
  FileDescriptor staging_;
  std::size_t staged_count_ = 0;
  std::map<std::string, Overlay> overlay_;
  std::vector<std::string> touched_;       // overlay paths, in order of first change
  std::vector<std::string> rmdirs_;        // for the end
  ApplySummary summary_;
};

bool Update::removed_on_the_way(const std::string& path) const {
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const auto it = overlay_.find(path.substr(0, slash));
    if (it != overlay_.end() && it->second.removed) return true;
  }
  return false;
}

Result<Found> Update::current(const std::string& path) const {
  if (auto it = overlay_.find(path); it != overlay_.end()) {
    if (it->second.removed) return Found{};
    return Found{Kind::kFile, 0, it->second.mode};
  }
  if (removed_on_the_way(path)) return Found{};
  return install_.lookup(path);
}

Result<std::string> Update::current_content(const std::string& path, std::uint32_t& mode) const {
  const std::uint64_t limit = request_.limits.max_output_bytes;
  if (auto it = overlay_.find(path); it != overlay_.end()) {
    if (it->second.removed) return fail(invalid_argument(fmt::format("'{}' was removed by an earlier instruction", path)));
    mode = it->second.mode;
    FileDescriptor fd(::openat(staging_.get(), it->second.staged.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(errno_status("reading a staged file"));
    return read_fd(fd.get(), path, limit);
  }
  BH_ASSIGN_OR_RETURN(Found found, install_.lookup(path));
  if (found.kind == Kind::kMissing) return fail(invalid_argument(fmt::format("'{}' does not exist", path)));
  if (found.kind == Kind::kSymlink) return fail(invalid_argument(fmt::format("'{}' is a symlink", path)));
  if (found.kind != Kind::kFile) return fail(invalid_argument(fmt::format("'{}' is not a regular file", path)));
  mode = found.mode;
  return install_.read_regular(path, limit);
}

Result<std::string> Update::entry_content(const std::string& name, std::string_view role) {
  const MarEntry* entry = mar_.find(name);
  if (entry == nullptr) return fail(invalid_argument(fmt::format("the MAR has no entry '{}' ({})", name, role)));
  return mar::decompress_entry(mar_, *entry, request_.limits);
}

Status Update::stage(const std::string& path, std::string_view content, std::uint32_t mode) {
  const std::string name = fmt::format("s{}", staged_count_++);
  FileDescriptor fd(::openat(staging_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return errno_status(fmt::format("staging '{}'", path));
  BH_RETURN_IF_ERROR(write_all(fd.get(), content, path));
  if (::fchmod(fd.get(), mode & 07777) != 0) return errno_status(fmt::format("setting the mode of '{}'", path));
  if (::close(fd.release()) != 0) return errno_status(fmt::format("staging '{}'", path));
  auto [it, inserted] = overlay_.try_emplace(path);
  if (inserted) touched_.push_back(path);
  it->second = Overlay{false, name, mode & 07777};
  return {};
}

Result<std::vector<Step>> Update::read_steps() {
  BH_ASSIGN_OR_RETURN(std::string text, entry_content("updatev3.manifest", "the manifest"));
  BH_ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(text));
  summary_.type = manifest.type;
  std::vector<Step> steps;
  if (manifest.type == ManifestType::kComplete) {
    for (const char* name : {"precomplete", "Contents/Resources/precomplete"}) {
      BH_ASSIGN_OR_RETURN(Found found, install_.lookup(name));
      if (found.kind != Kind::kFile) continue;
      BH_ASSIGN_OR_RETURN(std::string listing, install_.read_regular(name, 16u << 20));
      auto actions = parse_precomplete(listing);
      if (!actions) return fail(actions.error().with_context(fmt::format("the installed {}", name)));
      for (ManifestAction& a : *actions) {
        std::string origin = fmt::format("{} line {}", name, a.line);
        steps.push_back({std::move(a), std::move(origin)});
      }
      break;
    }
  }
  for (ManifestAction& a : manifest.actions) {
    std::string origin = fmt::format("manifest line {}", a.line);
    Step step{std::move(a), std::move(origin)};
    if (step.action.kind == ActionKind::kRmrfdir) {
      BH_RETURN_IF_ERROR(install_.expand_tree(step.action.file, step, steps));
    } else {
      steps.push_back(std::move(step));
    }
  }
  return steps;
}

Status Update::execute(const Step& step) {
  const ManifestAction& a = step.action;
  switch (a.kind) {
    case ActionKind::kAdd:
    case ActionKind::kAddIf:
    case ActionKind::kAddIfNot: {
      BH_ASSIGN_OR_RETURN(Found target, current(a.file));
      if (target.kind == Kind::kDirectory) return invalid_argument(fmt::format("'{}' is a directory", a.file));
      // The directories on the way must not be symlinks (missing ones are created at commit), unless
      // an earlier instruction removes what is in the way (a file that becomes a directory).
      if (auto parent = install_.open_parent(a.file, false, nullptr);
          !parent && parent.error().code() != Code::kNotFound && !removed_on_the_way(a.file)) {
        return parent.error();
      }
      const MarEntry* entry = mar_.find(a.file);
      BH_ASSIGN_OR_RETURN(std::string content, entry_content(a.file, "to add"));
      BH_RETURN_IF_ERROR(stage(a.file, content, entry->flags & 0777));
      ++summary_.added;
      return {};
    }
    case ActionKind::kPatch:
    case ActionKind::kPatchIf: {
      std::uint32_t mode = 0;
      BH_ASSIGN_OR_RETURN(std::string source, current_content(a.file, mode));
      BH_ASSIGN_OR_RETURN(std::string patch, entry_content(a.patch_file, "the patch"));
      diff::ApplyLimits limits;
      limits.max_result_bytes = std::min<std::uint64_t>(limits.max_result_bytes, request_.limits.max_output_bytes);
      auto result = diff::apply_mbdiff(as_bytes(source), as_bytes(patch), limits);
      if (!result) return result.error();
      BH_RETURN_IF_ERROR(stage(a.file, *result, mode));
      ++summary_.patched;
      return {};
    }
    case ActionKind::kRemove: {
      BH_ASSIGN_OR_RETURN(Found target, current(a.file));
      if (target.kind == Kind::kMissing) {
        ++summary_.skipped;  // removed by an earlier instruction (bug 311099)
        return {};
      }
      auto [it, inserted] = overlay_.try_emplace(a.file);
      if (inserted) touched_.push_back(a.file);
      it->second = Overlay{true, {}, 0};
      ++summary_.removed;
      return {};
    }
    case ActionKind::kRmdir:
      rmdirs_.push_back(a.file);
      return {};
    case ActionKind::kRmrfdir: return internal_error("rmrfdir was not expanded");
  }
  return internal_error("unknown action");
}

Status Update::prepare_and_execute(const std::vector<Step>& steps) {
  // Prepare: every condition is decided on the directory as it was.
  std::vector<bool> runs(steps.size(), true);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const ManifestAction& a = steps[i].action;
    auto describe = [&](const Status& s) {
      return Status(s.code(), fmt::format("instruction {} ({}: {}): {}", i + 1, steps[i].origin, format_action(a), s.message()));
    };
    if (a.kind == ActionKind::kAddIf || a.kind == ActionKind::kAddIfNot || a.kind == ActionKind::kPatchIf) {
      auto test = install_.lookup(a.test_file);
      if (!test) return describe(test.error());
      const bool exists = test->kind != Kind::kMissing;
      runs[i] = a.kind == ActionKind::kAddIfNot ? !exists : exists;
    } else if (a.kind == ActionKind::kRemove || a.kind == ActionKind::kRmdir) {
      auto target = install_.lookup(a.file.back() == '/' ? a.file.substr(0, a.file.size() - 1) : a.file);
      if (!target) return describe(target.error());
      if (target->kind == Kind::kMissing) {
        runs[i] = false;
      } else if (a.kind == ActionKind::kRemove && target->kind == Kind::kDirectory) {
        return describe(invalid_argument("path present, but a directory, not a file"));
      } else if (a.kind == ActionKind::kRmdir && target->kind != Kind::kDirectory) {
        return describe(invalid_argument("path present, but not a directory"));
      }
    }
    if (!runs[i]) ++summary_.skipped;
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!runs[i]) continue;
    if (Status s = execute(steps[i]); !s) {
      return Status(s.code(), fmt::format("instruction {} ({}: {}): {}", i + 1, steps[i].origin, format_action(steps[i].action),
                                          s.message()));
    }
  }
  return {};
}

Status Update::commit() {
  struct Done {
    std::string path;
    std::string backup;  // name in staging of the original, if moved aside
    bool placed = false;
    std::string staged;
  };
  std::vector<Done> done;
  std::vector<std::string> created;
  std::size_t backups = 0;
  auto rollback = [&]() {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      auto parent = install_.open_parent(it->path, false, nullptr);
      if (!parent) continue;
      const std::string leaf(split_parent(it->path).second);
      if (it->placed) ::renameat(parent->get(), leaf.c_str(), staging_.get(), it->staged.c_str());
      if (!it->backup.empty()) {
        // A directory made here for a later path may stand where the original was; it is empty
        // by now (its contents went back first), and only an empty one can be removed.
        ::unlinkat(parent->get(), leaf.c_str(), AT_REMOVEDIR);
        ::renameat(staging_.get(), it->backup.c_str(), parent->get(), leaf.c_str());
      }
    }
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::unlinkat(install_.root(), it->c_str(), AT_REMOVEDIR);
  };
  for (const std::string& path : touched_) {
    const Overlay& state = overlay_.at(path);
    Done step{path, {}, false, state.staged};
    auto parent = install_.open_parent(path, !state.removed, &created);
    if (!parent) {
      if (state.removed && parent.error().code() == Code::kNotFound) continue;
      rollback();
      return parent.error().with_context(fmt::format("installing '{}'", path));
    }
    const std::string leaf(split_parent(path).second);
    struct stat st {};
    if (::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      step.backup = fmt::format("b{}", backups++);
      if (::renameat(parent->get(), leaf.c_str(), staging_.get(), step.backup.c_str()) != 0) {
        const Status s = errno_status(fmt::format("moving '{}' aside", path));
        rollback();
        return s;
      }
    }
    if (!state.removed) {
      if (::renameat(staging_.get(), state.staged.c_str(), parent->get(), leaf.c_str()) != 0) {
        const Status s = errno_status(fmt::format("installing '{}'", path));
        done.push_back(step);
        rollback();
        return s;
      }
      step.placed = true;
    }
    done.push_back(std::move(step));
  }
  // Finish: directories go only when empty; a failure here is not an error (as in the updater).
  for (const std::string& dir : rmdirs_) {
    const std::string path = dir.substr(0, dir.size() - 1);
    auto parent = install_.open_parent(path, false, nullptr);
    if (!parent) continue;
    const std::string leaf(split_parent(path).second);
    if (::unlinkat(parent->get(), leaf.c_str(), AT_REMOVEDIR) == 0) ++summary_.directories_removed;
  }
  return {};
}

Result<ApplySummary> Update::run() {
  BH_ASSIGN_OR_RETURN(std::vector<Step> steps, read_steps());
  staging_name_ = random_name();
  if (::mkdirat(install_.root(), staging_name_.c_str(), 0700) != 0) {
    return fail(errno_status("creating the staging directory"));
  }
  staging_ = FileDescriptor(::openat(install_.root(), staging_name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  Status status = staging_.get() < 0 ? errno_status("opening the staging directory") : Status{};
  if (status) status = prepare_and_execute(steps);
  if (status) status = commit();
  staging_.reset();
  cleanup();
  BH_RETURN_IF_ERROR(status);
  return summary_;
}

}  // namespace

Status check_product_information(const MarArchive& update, const std::optional<std::string>& accepted_channels,
                                 const std::optional<std::string>& installed_version) {
  if (!accepted_channels && !installed_version) return {};
  const auto& info = update.product_information();
  if (!info) return invalid_argument("the MAR has no product information block (the updater refuses it)");
  if (accepted_channels) {
    bool accepted = false;
    std::size_t at = 0;
    const std::string& list = *accepted_channels;
    while (at <= list.size()) {
      std::size_t end = list.find_first_of(", \t", at);
      if (end == std::string::npos) end = list.size();
      if (end > at && list.compare(at, end - at, info->channel) == 0 && end - at == info->channel.size()) accepted = true;
      at = end + 1;
    }
    if (!accepted) {
      return invalid_argument(fmt::format("the MAR's channel '{}' is not among the accepted channels '{}'",
                                          info->channel, *accepted_channels));
    }
  }
  if (installed_version && compare_mozilla_versions(*installed_version, info->version) > 0) {
    return invalid_argument(fmt::format("the MAR's version {} is older than the installed {}: a downgrade is refused",
                                        info->version, *installed_version));
  }
  return {};
}

Result<ApplySummary> apply_update(const MarArchive& update, const ApplyRequest& request) {
  if (!update.safe_to_extract()) return fail(invalid_argument("a MAR opened for listing only cannot be applied"));
  BH_RETURN_IF_ERROR(check_product_information(update, request.accepted_channels, request.installed_version));
  FileDescriptor root(::open(request.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return fail(errno_status(fmt::format("opening {}", request.directory.string())));
  Installation install(std::move(root));
  Update run(update, request, install);
  return run.run();
}

}  // namespace bh::update

#include "update/partial_rules.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

namespace bh::update {
namespace {

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The bash test `[[ $f =~ (^|/)Name/ ]]`.
bool passes_through(std::string_view path, std::string_view directory) {
  for (std::size_t at = path.find(directory); at != std::string_view::npos; at = path.find(directory, at + 1)) {
    if (at == 0 || path[at - 1] == '/') return true;
  }
  return false;
}

// Reverse byte order, as `LC_ALL=C sort -r` prints.
void sort_reverse(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end(), std::greater<>());
}

// Every directory that holds a file, as find -type d lists them (no trailing '/').
std::set<std::string> directories_of(const std::vector<TreeFile>& files) {
  std::set<std::string> dirs;
  for (const TreeFile& f : files) {
    for (std::size_t slash = f.path.find('/'); slash != std::string::npos; slash = f.path.find('/', slash + 1)) {
      dirs.insert(f.path.substr(0, slash));
    }
  }
  return dirs;
}

Status check_writable(std::string_view path, std::string_view where) {
  if (path.find('"') != std::string_view::npos || path.find('\n') != std::string_view::npos) {
    return invalid_argument(fmt::format("{} path '{}' cannot be written into a manifest (a quote or a newline)", where, path));
  }
  if (Status s = validate_manifest_path(path, !path.empty() && path.back() == '/'); !s) {
    return invalid_argument(fmt::format("{}: {} (the updater would refuse the whole update)", where, s.message()));
  }
  return {};
}

// `echo $f`: word splitting on blanks, joined by single spaces.
std::string collapse_whitespace(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) {
      if (!out.empty()) out += ' ';
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

Result<std::vector<ManifestAction>> removed_files_actions(std::string_view text) {
  // `cat removed-files | tr " " "|" | sort -r`, then the array assignment splits at tabs and
  // newlines (the spaces are pipes by then).
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    std::replace(line.begin(), line.end(), ' ', '|');
    lines.push_back(std::move(line));
    start = end + 1;
  }
  sort_reverse(lines);
  std::vector<ManifestAction> actions;
  for (const std::string& line : lines) {
    std::size_t at = 0;
    while (at <= line.size()) {
      std::size_t tab = line.find('\t', at);
      if (tab == std::string::npos) tab = line.size();
      std::string word = line.substr(at, tab - at);
      at = tab + 1;
      if (word.empty()) continue;
      std::replace(word.begin(), word.end(), '|', ' ');
      word.erase(std::remove(word.begin(), word.end(), '\r'), word.end());
      const std::string f = collapse_whitespace(word);
      if (f.empty() || f.front() == '#') continue;
      ManifestAction action;
      if (f.back() == '/') {
        action.kind = ActionKind::kRmdir;
        action.file = f;
      } else if (f.size() >= 2 && f.compare(f.size() - 2, 2, "/*") == 0) {
        action.kind = ActionKind::kRmrfdir;
        action.file = f.substr(0, f.size() - 1);
      } else {
        action.kind = ActionKind::kRemove;
        action.file = f;
      }
      BH_RETURN_IF_ERROR(check_writable(action.file, "removed-files names"));
      actions.push_back(std::move(action));
    }
  }
  return actions;
}

ManifestAction make_action(ActionKind kind, std::string file) {
  ManifestAction action;
  action.kind = kind;
  if (kind == ActionKind::kAddIfNot) action.test_file = file;
  action.file = std::move(file);
  return action;
}

}  // namespace

std::string_view file_rule_name(FileRule rule) {
  switch (rule) {
    case FileRule::kAddIfNot: return "add-if-not";
    case FileRule::kForced: return "forced";
    case FileRule::kChanged: return "changed";
    case FileRule::kNew: return "new";
    case FileRule::kNewAddIfNot: return "new-add-if-not";
  }
  return "?";
}

std::optional<std::string> removed_files_path(const std::vector<TreeFile>& to) {
  const TreeFile* alternative = nullptr;
  for (const TreeFile& f : to) {
    if (f.path == "removed-files") return f.path;
    if (f.path == "Contents/Resources/removed-files") alternative = &f;
  }
  if (alternative != nullptr) return alternative->path;
  return std::nullopt;
}

bool is_manifest_file(std::string_view path) {
  const std::string_view base = base_name(path);
  return base == "update.manifest" || base == "updatev2.manifest" || base == "updatev3.manifest";
}

bool is_add_if_not_file(std::string_view path) {
  const std::string_view base = base_name(path);
  return base == "channel-prefs.js" || base == "update-settings.ini" ||
         passes_through(path, "ChannelPrefs.framework/") || passes_through(path, "UpdateSettings.framework/");
}

bool is_forced_file(std::string_view path, const std::vector<std::string>& extra_forced) {
  if (path == "precomplete" || path == "Contents/Resources/precomplete" || path == "removed-files" ||
      path == "Contents/Resources/removed-files" || path == "Contents/CodeResources" || path == "Contents/MacOS/firefox") {
    return true;
  }
  // ${f##*.} = "chk": the text after the last '.', or the whole path when there is none.
  const std::size_t dot = path.rfind('.');
  if ((dot == std::string_view::npos ? path : path.substr(dot + 1)) == "chk") return true;
  return std::find(extra_forced.begin(), extra_forced.end(), path) != extra_forced.end();
}

Result<PartialPlan> plan_partial(const PartialRulesRequest& request) {
  std::unordered_map<std::string, const TreeFile*> to_by_path;
  for (const TreeFile& f : request.to) to_by_path.emplace(f.path, &f);
  if (!to_by_path.contains("precomplete") && !to_by_path.contains("Contents/Resources/precomplete")) {
    return fail(invalid_argument(
        "TO has no precomplete (nor Contents/Resources/precomplete): Mozilla's make_incremental_update.sh refuses such "
        "a tree, and the updater needs it to apply later complete updates"));
  }
  std::unordered_map<std::string, const TreeFile*> from_by_path;
  std::vector<std::string> old_files;
  std::vector<std::string> new_files;
  for (const TreeFile& f : request.from) {
    if (is_manifest_file(f.path)) continue;
    if (from_by_path.emplace(f.path, &f).second) old_files.push_back(f.path);
  }
  for (const TreeFile& f : request.to) {
    if (is_manifest_file(f.path)) continue;
    BH_RETURN_IF_ERROR(check_writable(f.path, "TO's file"));
    if (!from_by_path.contains(f.path)) new_files.push_back(f.path);
  }
  sort_reverse(old_files);
  sort_reverse(new_files);
  new_files.erase(std::unique(new_files.begin(), new_files.end()), new_files.end());

  PartialPlan plan;
  for (const std::string& path : old_files) {
    const auto in_to = to_by_path.find(path);
    if (in_to == to_by_path.end()) {
      BH_RETURN_IF_ERROR(check_writable(path, "FROM's file"));
      plan.removed.push_back(path);
      continue;
    }
    const TreeFile& old_file = *from_by_path.at(path);
    const TreeFile& new_file = *in_to->second;
    if (is_add_if_not_file(path)) {
      plan.files.push_back({path, FileRule::kAddIfNot});
    } else if (is_forced_file(path, request.forced)) {
      plan.files.push_back({path, FileRule::kForced});
    } else if (old_file.size != new_file.size || old_file.digest != new_file.digest) {
      plan.files.push_back({path, FileRule::kChanged});
    } else {
      plan.unchanged.push_back(path);
    }
  }
  for (const std::string& path : new_files) {
    plan.files.push_back({path, is_add_if_not_file(path) ? FileRule::kNewAddIfNot : FileRule::kNew});
  }
  if (request.removed_files) {
    BH_ASSIGN_OR_RETURN(plan.removed_files_actions, removed_files_actions(*request.removed_files));
  }
  const std::set<std::string> old_dirs = directories_of(request.from);
  const std::set<std::string> new_dirs = directories_of(request.to);
  for (auto it = old_dirs.rbegin(); it != old_dirs.rend(); ++it) {
    if (!new_dirs.contains(*it)) plan.vanished_directories.push_back(*it + "/");
  }
  return plan;
}

std::string archive_name(const PlannedFile& file, bool patched) {
  return patched ? file.path + ".patch" : file.path;
}

Manifest partial_manifest(const PartialPlan& plan, const PatchDecision& use_patch) {
  Manifest manifest;
  manifest.type = ManifestType::kPartial;
  auto& out = manifest.actions;
  for (const PlannedFile& f : plan.files) {
    switch (f.rule) {
      case FileRule::kAddIfNot:
      case FileRule::kNewAddIfNot: out.push_back(make_action(ActionKind::kAddIfNot, f.path)); break;
      case FileRule::kForced:
      case FileRule::kNew: out.push_back(make_action(ActionKind::kAdd, f.path)); break;
      case FileRule::kChanged:
        if (use_patch(f.path)) {
          ManifestAction patch = make_action(ActionKind::kPatch, f.path);
          patch.patch_file = f.path + ".patch";
          out.push_back(std::move(patch));
        } else {
          out.push_back(make_action(ActionKind::kAdd, f.path));
        }
        break;
    }
  }
  for (const std::string& path : plan.removed) out.push_back(make_action(ActionKind::kRemove, path));
  out.insert(out.end(), plan.removed_files_actions.begin(), plan.removed_files_actions.end());
  for (const std::string& dir : plan.vanished_directories) out.push_back(make_action(ActionKind::kRmdir, dir));
  // Bug 2058197: the callback binary is patched last, so it cannot be started mid-update.
  std::stable_partition(out.begin(), out.end(), [](const ManifestAction& a) {
    const std::string line = format_action(a);
    constexpr std::string_view kTail = "\"firefox.exe\"";
    return !(line.size() >= kTail.size() && line.compare(line.size() - kTail.size(), kTail.size(), kTail) == 0);
  });
  return manifest;
}

}  // namespace bh::update

#include "update/manifest.h"

#include <fmt/format.h>

namespace bh::update {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Reads one line's tokens: a bare word, then quoted strings.
class LineReader {
 public:
  LineReader(std::string_view line, std::size_t number) : line_(line), number_(number) {}

  void skip_blanks() {
    while (at_ < line_.size() && is_blank(line_[at_])) ++at_;
  }
  bool at_end() {
    skip_blanks();
    return at_ == line_.size();
  }
  std::string_view word() {
    skip_blanks();
    const std::size_t start = at_;
    while (at_ < line_.size() && !is_blank(line_[at_])) ++at_;
    return line_.substr(start, at_ - start);
  }
  Result<std::string> quoted(std::string_view what) {
    skip_blanks();
    if (at_ >= line_.size() || line_[at_] != '"') return fail(error(fmt::format("expected the quoted {}", what)));
    const std::size_t close = line_.find('"', at_ + 1);
    if (close == std::string_view::npos) return fail(error(fmt::format("the quoted {} is not closed", what)));
    std::string value(line_.substr(at_ + 1, close - at_ - 1));
    at_ = close + 1;
    return value;
  }
  Status error(std::string_view why) const { return invalid_argument(fmt::format("manifest line {}: {}", number_, why)); }
  std::size_t number() const { return number_; }

 private:
  std::string_view line_;
  std::size_t number_;
  std::size_t at_ = 0;
};

Result<std::string> path_argument(LineReader& in, std::string_view what, bool directory) {
  BH_ASSIGN_OR_RETURN(std::string path, in.quoted(what));
  if (Status s = validate_manifest_path(path, directory); !s) return fail(in.error(s.message()));
  return path;
}

Result<ManifestAction> parse_action(std::string_view token, LineReader& in) {
  ManifestAction action;
  action.line = in.number();
  if (token == "add") {
    action.kind = ActionKind::kAdd;
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "file", false));
  } else if (token == "add-if" || token == "add-if-not") {
    action.kind = token == "add-if" ? ActionKind::kAddIf : ActionKind::kAddIfNot;
    BH_ASSIGN_OR_RETURN(action.test_file, path_argument(in, "test file", false));
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "file", false));
  } else if (token == "patch") {
    action.kind = ActionKind::kPatch;
    BH_ASSIGN_OR_RETURN(action.patch_file, path_argument(in, "patch file", false));
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "file", false));
  } else if (token == "patch-if") {
    action.kind = ActionKind::kPatchIf;
    BH_ASSIGN_OR_RETURN(action.test_file, path_argument(in, "test file", false));
    BH_ASSIGN_OR_RETURN(action.patch_file, path_argument(in, "patch file", false));
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "file", false));
  } else if (token == "remove") {
    action.kind = ActionKind::kRemove;
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "file", false));
  } else if (token == "rmdir" || token == "rmrfdir") {
    action.kind = token == "rmdir" ? ActionKind::kRmdir : ActionKind::kRmrfdir;
    BH_ASSIGN_OR_RETURN(action.file, path_argument(in, "directory", true));
  } else {
    std::string shown(token.substr(0, 40));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    }
    return fail(in.error(fmt::format("unknown instruction '{}'", shown)));
  }
  return action;
}

// Calls `on_line(reader, first_token)` for every line that holds an instruction.
template <typename OnLine>
Status for_each_instruction(std::string_view text, const ManifestLimits& limits, OnLine on_line) {
  if (text.size() > limits.max_bytes) {
    return too_large(fmt::format("manifest of {} bytes exceeds the limit of {}", text.size(), limits.max_bytes));
  }
  if (text.find('\0') != std::string_view::npos) return invalid_argument("manifest contains a NUL byte");
  std::size_t start = 0;
  std::size_t number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    LineReader in(text.substr(start, end - start), number);
    start = end + 1;
    const std::string_view token = in.word();
    if (token.empty() || token.front() == '#') continue;
    BH_RETURN_IF_ERROR(on_line(in, token));
  }
  return {};
}

}  // namespace

std::string_view action_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kAdd: return "add";
    case ActionKind::kAddIf: return "add-if";
    case ActionKind::kAddIfNot: return "add-if-not";
    case ActionKind::kPatch: return "patch";
    case ActionKind::kPatchIf: return "patch-if";
    case ActionKind::kRemove: return "remove";
    case ActionKind::kRmdir: return "rmdir";
    case ActionKind::kRmrfdir: return "rmrfdir";
  }
  return "?";
}

Status validate_manifest_path(std::string_view path, bool directory) {
  if (path.empty()) return invalid_argument("empty path");
  if (path.front() == '/') return invalid_argument(fmt::format("absolute path '{}'", path));
  // The updater refuses ".." anywhere in a path, not only as a component.
  if (path.find("..") != std::string_view::npos) return invalid_argument(fmt::format("path '{}' contains '..'", path));
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return invalid_argument("path contains a control character");
    if (c == '\\') return invalid_argument(fmt::format("path '{}' contains a backslash", path));
  }
  const bool ends_in_slash = path.back() == '/';
  if (directory && !ends_in_slash) return invalid_argument(fmt::format("directory '{}' does not end in '/'", path));
  if (!directory && ends_in_slash) return invalid_argument(fmt::format("file '{}' ends in '/'", path));
  if (path.find("//") != std::string_view::npos) return invalid_argument(fmt::format("path '{}' has an empty component", path));
  return {};
}

Result<Manifest> parse_manifest(std::string_view text, const ManifestLimits& limits) {
  Manifest manifest;
  bool first = true;
  Status status = for_each_instruction(text, limits, [&](LineReader& in, std::string_view token) -> Status {
    if (first && token == "type") {
      first = false;
      BH_ASSIGN_OR_RETURN(std::string type, in.quoted("update type"));
      if (type == "partial") {
        manifest.type = ManifestType::kPartial;
      } else if (type == "complete") {
        manifest.type = ManifestType::kComplete;
      } else {
        return in.error("the update type must be \"partial\" or \"complete\"");
      }
      return {};
    }
    first = false;
    if (manifest.actions.size() >= limits.max_actions) {
      return too_large(fmt::format("manifest has more than {} instructions", limits.max_actions));
    }
    BH_ASSIGN_OR_RETURN(ManifestAction action, parse_action(token, in));
    manifest.actions.push_back(std::move(action));
    return {};
  });
  BH_RETURN_IF_ERROR(status);
  return manifest;
}

Result<std::vector<ManifestAction>> parse_precomplete(std::string_view text, const ManifestLimits& limits) {
  std::vector<ManifestAction> actions;
  Status status = for_each_instruction(text, limits, [&](LineReader& in, std::string_view token) -> Status {
    if (token == "remove-cc") return {};
    if (token != "remove" && token != "rmdir") {
      return in.error("a precomplete file holds only remove, remove-cc and rmdir instructions");
    }
    if (actions.size() >= limits.max_actions) {
      return too_large(fmt::format("precomplete has more than {} instructions", limits.max_actions));
    }
    BH_ASSIGN_OR_RETURN(ManifestAction action, parse_action(token, in));
    actions.push_back(std::move(action));
    return {};
  });
  BH_RETURN_IF_ERROR(status);
  return actions;
}

std::string format_action(const ManifestAction& action) {
  std::string line(action_name(action.kind));
  auto quote = [&](const std::string& path) {
    line += " \"";
    line += path;
    line += '"';
  };
  if (!action.test_file.empty()) quote(action.test_file);
  if (!action.patch_file.empty()) quote(action.patch_file);
  quote(action.file);
  return line;
}

std::string write_manifest(const Manifest& manifest) {
  std::string out;
  if (manifest.type == ManifestType::kPartial) out += "type \"partial\"\n";
  if (manifest.type == ManifestType::kComplete) out += "type \"complete\"\n";
  for (const ManifestAction& action : manifest.actions) {
    out += format_action(action);
    out += '\n';
  }
  return out;
}

}  // namespace bh::update

#include "search/field_catalog.h"

#include "search/text_analysis.h"

namespace bh::search {
namespace {

constexpr std::array<ColumnInfo, kColumnCount> kColumns{{
    {Column::kBuildId, ColumnKind::kKeyword, "build", "id", "build.id"},
    {Column::kBuildDate, ColumnKind::kDate, "build", "date", "build.date"},
    {Column::kBuildNumber, ColumnKind::kLong, "build", "number", "build.number"},
    {Column::kBuildAs, ColumnKind::kText, "build", "as", "build.as"},
    {Column::kBuildLd, ColumnKind::kText, "build", "ld", "build.ld"},
    {Column::kBuildCc, ColumnKind::kText, "build", "cc", "build.cc"},
    {Column::kBuildCxx, ColumnKind::kText, "build", "cxx", "build.cxx"},
    {Column::kBuildHost, ColumnKind::kText, "build", "host", "build.host"},
    {Column::kBuildTarget, ColumnKind::kText, "build", "target", "build.target"},
    {Column::kSourceProduct, ColumnKind::kKeyword, "source", "product", "source.product"},
    {Column::kSourceRepository, ColumnKind::kKeyword, "source", "repository", "source.repository"},
    {Column::kSourceTree, ColumnKind::kKeyword, "source", "tree", "source.tree"},
    {Column::kSourceRevision, ColumnKind::kKeyword, "source", "revision", "source.revision"},
    {Column::kTargetPlatform, ColumnKind::kKeyword, "target", "platform", "target.platform"},
    {Column::kTargetOs, ColumnKind::kKeyword, "target", "os", "target.os"},
    {Column::kTargetLocale, ColumnKind::kKeyword, "target", "locale", "target.locale"},
    {Column::kTargetVersion, ColumnKind::kKeyword, "target", "version", "target.version"},
    {Column::kTargetChannel, ColumnKind::kKeyword, "target", "channel", "target.channel"},
    {Column::kDownloadUrl, ColumnKind::kKeyword, "download", "url", "download.url"},
    {Column::kDownloadMimetype, ColumnKind::kKeyword, "download", "mimetype", "download.mimetype"},
    {Column::kDownloadSize, ColumnKind::kLong, "download", "size", "download.size"},
    {Column::kDownloadDate, ColumnKind::kDate, "download", "date", "download.date"},
}};

FieldType type_of(ColumnKind k) {
  switch (k) {
    case ColumnKind::kKeyword: return FieldType::kKeyword;
    case ColumnKind::kText: return FieldType::kText;
    case ColumnKind::kDate: return FieldType::kDate;
    case ColumnKind::kLong: return FieldType::kLong;
  }
  return FieldType::kKeyword;
}

}  // namespace

const std::array<ColumnInfo, kColumnCount>& columns() { return kColumns; }
const ColumnInfo& column_info(Column c) { return kColumns[static_cast<std::size_t>(c)]; }

std::optional<Column> column_of(std::string_view object, std::string_view key) {
  for (const auto& c : kColumns) {
    if (c.object == object && c.key == key) return c.column;
  }
  return std::nullopt;
}

std::optional<FieldRef> resolve_field(std::string_view name) {
  if (name == "id" || name == "_id") return FieldRef{std::string(name), FieldType::kRecordId, Column::kBuildId};
  if (name == "target.version_sort") {
    return FieldRef{std::string(name), FieldType::kVersion, Column::kTargetVersion};
  }
  for (const auto& c : kColumns) {
    if (name == c.path) return FieldRef{std::string(name), type_of(c.kind), c.column};
    if (c.kind == ColumnKind::kText && name.size() == c.path.size() + 8 && name.starts_with(c.path) &&
        name.substr(c.path.size()) == ".keyword") {
      return FieldRef{std::string(name), FieldType::kKeyword, c.column};
    }
  }
  return std::nullopt;
}

std::vector<FieldRef> expand_field_pattern(std::string_view pattern) {
  std::vector<FieldRef> out;
  if (pattern.find_first_of("*?") == std::string_view::npos) {
    if (auto f = resolve_field(pattern)) out.push_back(std::move(*f));
    return out;
  }
  if (wildcard_match(pattern, "id")) out.push_back(*resolve_field("id"));
  for (const auto& c : kColumns) {
    if (wildcard_match(pattern, c.path)) out.push_back(*resolve_field(c.path));
    if (c.kind == ColumnKind::kText && pattern != "*") {
      const std::string sub = std::string(c.path) + ".keyword";
      if (wildcard_match(pattern, sub)) out.push_back(*resolve_field(sub));
    }
  }
  if (pattern != "*" && wildcard_match(pattern, "target.version_sort")) out.push_back(*resolve_field("target.version_sort"));
  return out;
}

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kKeyword: return "keyword";
    case FieldType::kText: return "text";
    case FieldType::kDate: return "date";
    case FieldType::kLong: return "long";
    case FieldType::kVersion: return "version";
    case FieldType::kRecordId: return "keyword";
  }
  return "keyword";
}

}  // namespace bh::search

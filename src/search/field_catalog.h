// The search index's fields: Buildhub2's Elasticsearch mapping, plus one field of our own.
//
// Every field of the closed buildhub.json schema is indexed. Types follow Buildhub2's mapping
// (../shared/fixtures/buildhub2/es-mapping-buildhub2-reconstructed.json): keywords, two dates,
// two longs. The compiler fields (build.as/ld/cc/cxx/host/target) were dynamically mapped by
// Elasticsearch as `text` with a `.keyword` sub-field, and clients query them that way, so they
// are text fields here too (tokenised by a standard-analyzer approximation) with `.keyword`.
//
// `target.version_sort` is ours: the same values as target.version, but range and sort follow
// Mozilla version order (99.0 < 100.0, 68.0a1 < 68.0b7 < 68.0). `id` and `_id` are the record id.
//
// Thread safety: the catalog is immutable and shared freely.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bh::search {

// One stored column of the index. The order is the column order of SearchIndex.
enum class Column : std::uint8_t {
  kBuildId, kBuildDate, kBuildNumber, kBuildAs, kBuildLd, kBuildCc, kBuildCxx, kBuildHost, kBuildTarget,
  kSourceProduct, kSourceRepository, kSourceTree, kSourceRevision,
  kTargetPlatform, kTargetOs, kTargetLocale, kTargetVersion, kTargetChannel,
  kDownloadUrl, kDownloadMimetype, kDownloadSize, kDownloadDate,
};
inline constexpr std::size_t kColumnCount = 22;

enum class ColumnKind : std::uint8_t { kKeyword, kText, kDate, kLong };

// How a query sees a field. One column can be seen several ways (build.cc as text, build.cc.keyword
// as keyword; target.version as keyword, target.version_sort as version).
enum class FieldType : std::uint8_t { kKeyword, kText, kDate, kLong, kVersion, kRecordId };

struct ColumnInfo {
  Column column;
  ColumnKind kind;
  std::string_view object;  // "build"
  std::string_view key;     // "id"
  std::string_view path;    // "build.id"
};

struct FieldRef {
  std::string name;  // as the query names it: "build.cc.keyword"
  FieldType type;
  Column column;     // unused for kRecordId

  bool is_string_column() const { return type == FieldType::kKeyword || type == FieldType::kText || type == FieldType::kVersion; }
  bool is_numeric() const { return type == FieldType::kDate || type == FieldType::kLong; }
};

const std::array<ColumnInfo, kColumnCount>& columns();
const ColumnInfo& column_info(Column c);
// The column of "object.key" in a document, if it is one of ours.
std::optional<Column> column_of(std::string_view object, std::string_view key);

// Resolves a field name as a query names it. nullopt for unknown fields (which match nothing, as
// in Elasticsearch).
std::optional<FieldRef> resolve_field(std::string_view name);

// Every field name matching an Elasticsearch field pattern ("*", "target.*", "build.i?"),
// each field once, in catalog order. Sub-fields (".keyword") and target.version_sort are
// included only when the pattern names them explicitly, as Elasticsearch's `*` skips
// multi-fields.
std::vector<FieldRef> expand_field_pattern(std::string_view pattern);

// "keyword", "text", "date", "long", "version": for error messages.
std::string_view field_type_name(FieldType t);

}  // namespace bh::search

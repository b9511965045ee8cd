// Rows of an S3 inventory CSV (buildhub-reference §2.5) and v1's first steps on each: the cheap
// filters (extension, age, product folder), then the path rules, then the download size and
// date from the row. What is left for a record is the build's metadata (§2.4).
//
// Pure: no I/O. InventoryRowRules is immutable after construction and safe to share between
// threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "v1/path_rules.h"

namespace bh::v1 {

// One CSV line: Bucket, Key, Size, LastModifiedDate, ETag (no header), quoted as Python's csv
// module reads them ("" inside quotes is a quote).
struct InventoryRow {
  std::string bucket;
  std::string key;
  std::string size;
  std::string last_modified;
  std::string etag;
};

// kInvalidArgument for a line that is not five CSV fields (an unterminated quote, too few or
// too many fields).
Result<InventoryRow> parse_inventory_line(std::string_view line);
// The same into `row`, reusing its strings' memory (for loops over millions of lines).
Status parse_inventory_line(std::string_view line, InventoryRow& row);

// The same fields as views, for the hot loop: into the line itself when its fields are plainly
// quoted (as S3 writes them), else into `scratch` (parsed as above). Same errors.
struct InventoryRowView {
  std::string_view bucket;
  std::string_view key;
  std::string_view size;
  std::string_view last_modified;
  std::string_view etag;
};
Status parse_inventory_line(std::string_view line, InventoryRowView& row, InventoryRow& scratch);

// ciso8601's reading of S3's "2017-06-02T12:20:10.2Z": a date (YYYY-MM-DD or YYYYMMDD), then
// optionally 'T' or ' ' and hh[:mm[:ss[.fraction]]], then optionally Z or +hh[:mm]/-hh[:mm].
struct InventoryTimestamp {
  std::chrono::system_clock::time_point utc;  // for the age filter (no offset: read as UTC)
  std::string text;  // v1's strftime('%Y-%m-%dT%H:%M:%SZ') of it: the time as written, no fraction
};
// kInvalidArgument for anything else.
Result<InventoryTimestamp> parse_iso8601(std::string_view text);

// Python's int(float(text)): "60000", "2E+10", " 7.9 " -> 7. kInvalidArgument for text that is
// not a finite number.
Result<std::int64_t> parse_inventory_size(std::string_view text);

struct InventoryRowFilter {
  std::vector<std::string> products = default_products();
  // Rows last modified before this are skipped (v1's MIN_AGE_LAST_MODIFIED_HOURS); none: all.
  std::optional<std::chrono::system_clock::time_point> min_last_modified;
  std::string archive_url = std::string(kArchiveUrl);
};

// A build file's record from the row, without metadata yet.
struct InventoryRecord {
  PathRecord record;
  std::int64_t size = 0;
  std::string date;            // "YYYY-MM-DDTHH:MM:SSZ"
  std::string product_folder;  // the key's folder under pub/ ("mobile" for fennec)

  // The record with its size and date, in v1's shape (PathRecord::to_json plus download.size and
  // download.date).
  nlohmann::json to_json() const;
};

// Appends the record as one line of JSON, without a DOM: v1's {"data": record} when `v1_format`,
// else the buildhub.json document (no "id"). Keys in sorted order, as nlohmann's dump writes them,
// so both paths give the same bytes. Returns false, appending nothing, when a field holds a byte
// that would need escaping (a quote, a backslash, a control or non-ASCII byte): the caller then
// writes to_json() instead.
bool append_record_line(const InventoryRecord& record, bool v1_format, std::string& out);

enum class RowOutcome {
  kRecord,      // a build file: `record` is set
  kNotABuild,   // filtered out (extension, age, product, not a build URL)
  kBadPath,     // a build URL v1's rules cannot read (v1 logged and skipped these)
  kBadRow,      // a row whose size or date does not parse
};

struct RowResult {
  RowOutcome outcome = RowOutcome::kNotABuild;
  std::optional<InventoryRecord> record;
  std::string error;  // for kBadPath and kBadRow
};

class InventoryRowRules {
 public:
  explicit InventoryRowRules(InventoryRowFilter filter = {});

  RowResult process(const InventoryRow& row) const;
  RowResult process(const InventoryRowView& row) const;

 private:
  InventoryRowFilter filter_;
  PathRules rules_;
};

}  // namespace bh::v1

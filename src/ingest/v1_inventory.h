// Buildhub v1's inventory route as an engine (buildhub-reference §2.3-2.5): S3 inventory CSV
// lines in, one buildhub.json document per build file out, completed with the build's metadata
// from the archive. Shared by `buildhub inventory-to-records` (stdin to stdout) and
// `buildhub inventory` (S3 to the store).
//
// Lines are taken a block at a time; each block's rows go through the path rules on every core;
// the records are then completed (metadata of `metadata_batch` records at once, `metadata_jobs`
// requests in flight) and handed to the sink in input order. A row that cannot be read, a build
// without metadata, or an archive that does not answer is counted and reported to the observer,
// never the end of the run.
//
// Ownership: borrows the ArchiveMetadata (when metadata is fetched), the sink and the observer,
// which must outlive the converter. Thread safety: one thread feeds a converter; the sink and the
// observer are called on that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/v1_metadata.h"
#include "v1/inventory_rows.h"

namespace bh::v1 {

struct InventoryConverterOptions {
  InventoryRowFilter filter = {};
  unsigned row_threads = 0;       // threads for the path rules; 0: the machine's cores (at most 16)
  unsigned metadata_jobs = 8;     // metadata requests in flight (v1's NB_PARALLEL_REQUESTS)
  std::size_t metadata_batch = 1000;  // records completed together before they go to the sink
  bool fetch_metadata = true;     // false: the records the paths give, as they are
  bool keep_incomplete = false;   // also give records without metadata or failing check_record
  bool v1_format = false;         // v1's {"data": record} (with its id) instead of buildhub.json
};

struct InventoryCounts {
  std::uint64_t rows = 0;
  std::uint64_t records = 0;      // documents given to the sink
  std::uint64_t not_builds = 0;
  std::uint64_t bad_rows = 0;
  std::uint64_t bad_paths = 0;
  std::uint64_t incomplete = 0;   // no metadata, or failing v1's check_record
  std::uint64_t unavailable = 0;  // the archive did not answer for their metadata
};

class InventoryConverterObserver {
 public:
  virtual ~InventoryConverterObserver() = default;
  virtual void on_bad_row(std::uint64_t /*row*/, const std::string& /*reason*/) {}
  virtual void on_unavailable(const std::string& /*url*/) {}
  virtual void on_scan_failed(const std::string& /*product_folder*/, const Status& /*reason*/) {}
};

// Receives one document (without a newline) at a time, in input order, with the build file's URL
// (for messages about it). The document may be moved from.
using InventoryRecordSink = std::function<void(std::string& document, const std::string& url)>;
// Receives many documents at once, each followed by '\n', in input order.
using InventoryTextSink = std::function<void(std::string_view documents)>;

class InventoryConverter {
 public:
  // `metadata` may be null when options.fetch_metadata is false.
  InventoryConverter(InventoryConverterOptions options, ArchiveMetadata* metadata, InventoryRecordSink sink,
                     InventoryConverterObserver& observer);

  // The next lines of the input, in order (views only needed during the call).
  void add_lines(const std::vector<std::string_view>& lines);
  // Lines too long to read: each is one bad row, at this point of the input.
  void add_over_long_lines(std::uint64_t count);
  // Completes and hands over the records still waiting for metadata.
  void finish();
  // Without metadata: hand the documents over a block at a time instead of one by one. The row
  // threads then write them straight into per-thread buffers (no per-record objects), which is
  // what makes `inventory-to-records --no-metadata` fast. Call before the first add_lines.
  void use_text_sink(InventoryTextSink sink) { text_sink_ = std::move(sink); }

  const InventoryCounts& counts() const { return counts_; }

 private:
  struct LineResult {
    RowOutcome outcome = RowOutcome::kNotABuild;
    std::optional<InventoryRecord> record;
    std::string error;
    std::string document;  // without metadata: the record's document, made on the row's thread
    std::string url;       // ... and its URL
  };
  // One run of lines' output on the text-sink path.
  struct ThreadOutput {
    std::string text;
    InventoryCounts counts;
    std::vector<std::pair<std::size_t, std::string>> bad_rows;  // line index in the block, reason
  };
  void process_lines(const std::vector<std::string_view>& lines);
  void process_lines_to_text(const std::vector<std::string_view>& lines);
  void complete_batch();

  InventoryConverterOptions options_;
  ArchiveMetadata* metadata_;
  InventoryRecordSink sink_;
  InventoryTextSink text_sink_;
  InventoryConverterObserver& observer_;
  unsigned threads_;
  std::vector<InventoryRowRules> rules_;  // one per thread: RE2 objects shared between threads serialise
  std::vector<LineResult> results_;       // reused from block to block
  std::vector<ThreadOutput> outputs_;     // per run of lines, reused, on the text-sink path
  std::vector<InventoryRecord> batch_;
  std::vector<std::string> scanned_failed_;
  InventoryCounts counts_;
};

// A block of complete lines: the text and views of its lines into it. Reused from block to
// block (its memory stays), so a reader and a converter can pass a few of them back and forth.
struct LineBlock {
  std::string text;  // a buffer: the lines point into its first bytes; what follows is unused
  std::vector<std::string_view> lines;
  std::uint64_t over_long = 0;  // lines skipped before these for being too long
};

// Splits a byte stream into blocks of complete lines (about 4 MiB each). A trailing "\r" is
// dropped and empty lines are skipped. A line longer than 16 MiB is skipped up to its newline and
// counted, so one bad line costs one row, not the run.
class LineBlockReader {
 public:
  // Reads up to `capacity` bytes into `buffer`; 0 at the end of the input.
  using Read = std::function<Result<std::size_t>(char* buffer, std::size_t capacity)>;
  explicit LineBlockReader(Read read) : read_(std::move(read)) {}
  // Lines straight out of `whole_input` (a mapped file, say): blocks are views into it, nothing
  // is copied. `whole_input` must outlive the blocks. `prepare(text)`, when given, is called
  // with each block's text before it is split (to prefault a mapping on the reading thread).
  explicit LineBlockReader(std::string_view whole_input, std::function<void(std::string_view)> prepare = {})
      : whole_input_(whole_input), prepare_(std::move(prepare)), from_memory_(true) {}

  // The next block into `block` (its views valid while it is not refilled); false once the
  // input is exhausted (the last lines are still given).
  Result<bool> next(LineBlock& block);
  // The same into the reader's own block: views valid until the next call.
  Result<bool> next(std::vector<std::string_view>& lines, std::uint64_t& over_long);

 private:
  Result<bool> next_from_memory(LineBlock& block);

  Read read_;
  std::string_view whole_input_;
  std::function<void(std::string_view)> prepare_;
  bool from_memory_ = false;
  LineBlock own_;
  std::string carry_;
};

}  // namespace bh::v1

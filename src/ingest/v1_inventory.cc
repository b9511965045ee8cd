#include "ingest/v1_inventory.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/thread.h"

namespace bh::v1 {
namespace {

// v1's record without its "id" (the Buildhub2 schema has none), or v1's {"data": record}.
std::string document_of(nlohmann::json record, bool v1_format) {
  if (v1_format) return nlohmann::json{{"data", std::move(record)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  record.erase("id");
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

InventoryConverter::InventoryConverter(InventoryConverterOptions options, ArchiveMetadata* metadata,
                                       InventoryRecordSink sink, InventoryConverterObserver& observer)
    : options_(std::move(options)),
      metadata_(metadata),
      sink_(std::move(sink)),
      observer_(observer),
      threads_(options_.row_threads != 0 ? options_.row_threads
                                         : std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 16))) {
  if (metadata_ == nullptr) options_.fetch_metadata = false;
  for (unsigned t = 0; t < threads_; ++t) rules_.emplace_back(options_.filter);
}

void InventoryConverter::add_over_long_lines(std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) {
    ++counts_.rows;
    ++counts_.bad_rows;
    observer_.on_bad_row(counts_.rows, "longer than 16 MiB, skipped");
  }
}

void InventoryConverter::add_lines(const std::vector<std::string_view>& lines) {
  if (text_sink_ && !options_.fetch_metadata) {
    process_lines_to_text(lines);
    return;
  }
  process_lines(lines);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    LineResult& r = results_[i];
    ++counts_.rows;
    switch (r.outcome) {
      case RowOutcome::kNotABuild:
        ++counts_.not_builds;
        continue;
      case RowOutcome::kBadRow:
        ++counts_.bad_rows;
        observer_.on_bad_row(counts_.rows, r.error);
        continue;
      case RowOutcome::kBadPath:
        ++counts_.bad_paths;  // v1 logged these and went on
        continue;
      case RowOutcome::kRecord:
        break;
    }
    if (!options_.fetch_metadata) {
      ++counts_.records;
      sink_(r.document, r.url);
      continue;
    }
    const std::string& folder = r.record->product_folder;
    if (Status scanned = metadata_->scan_candidates(folder); !scanned) {
      if (std::find(scanned_failed_.begin(), scanned_failed_.end(), folder) == scanned_failed_.end()) {
        scanned_failed_.push_back(folder);
        observer_.on_scan_failed(folder, scanned);
      }
    }
    batch_.push_back(std::move(*r.record));
    if (batch_.size() >= options_.metadata_batch) complete_batch();
  }
}

void InventoryConverter::finish() { complete_batch(); }

// Parsing, the rules and (without metadata) the document are the whole cost of a run without
// metadata, so they run on every core.
void InventoryConverter::process_lines(const std::vector<std::string_view>& lines) {
  results_.resize(lines.size());  // reused: the strings keep their memory
  const unsigned threads = threads_;
  const std::size_t per_thread = (lines.size() + threads - 1) / threads;
  auto work = [&](unsigned slot, std::size_t begin, std::size_t end) {
    const InventoryRowRules& rules = rules_[slot];
    InventoryRowView row;
    InventoryRow scratch;
    for (std::size_t i = begin; i < end; ++i) {
      LineResult& out = results_[i];
      out.outcome = RowOutcome::kNotABuild;
      out.record.reset();
      out.error.clear();
      out.document.clear();
      if (Status parsed = parse_inventory_line(lines[i], row, scratch); !parsed) {
        out.outcome = RowOutcome::kBadRow;
        out.error = parsed.message();
        continue;
      }
      RowResult result = rules.process(row);
      out.outcome = result.outcome;
      out.error = std::move(result.error);
      if (result.outcome != RowOutcome::kRecord) continue;
      if (options_.fetch_metadata) {
        out.record = std::move(result.record);
      } else {
        if (!append_record_line(*result.record, options_.v1_format, out.document)) {
          out.document = document_of(result.record->to_json(), options_.v1_format);
        }
        out.url = std::move(result.record->record.url);  // the record is done with
      }
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads && t * per_thread < lines.size(); ++t) {
    pool.push_back(start_thread("bh-inventory", [&work, t, per_thread, &lines] {
      work(t, t * per_thread, std::min(lines.size(), (t + 1) * per_thread));
    }));
  }
  work(0, 0, std::min(lines.size(), per_thread));
}

// The text-sink path: each row thread parses its share of the lines (views, no copies), runs the
// rules and writes the documents into its own buffer; the buffers are then handed over in order.
void InventoryConverter::process_lines_to_text(const std::vector<std::string_view>& lines) {
  // Rows differ in cost (a build costs the rules, most other files almost nothing), so the
  // threads take small runs of lines in turn rather than a fixed half each: none waits long
  // for another at the end of a block. Each run's output has its own buffer, kept in order.
  constexpr std::size_t kRun = 256;
  const std::size_t runs = (lines.size() + kRun - 1) / kRun;
  if (outputs_.size() < runs) outputs_.resize(runs);
  std::atomic<std::size_t> next_run{0};
  auto work = [&](unsigned slot) {
    const InventoryRowRules& rules = rules_[slot];
    InventoryRowView row;
    InventoryRow scratch;
    for (std::size_t run; (run = next_run.fetch_add(1)) < runs;) {
      ThreadOutput& out = outputs_[run];
      out.text.clear();
      out.counts = {};
      out.bad_rows.clear();
      const std::size_t end = std::min(lines.size(), (run + 1) * kRun);
      for (std::size_t i = run * kRun; i < end; ++i) {
        if (Status parsed = parse_inventory_line(lines[i], row, scratch); !parsed) {
          ++out.counts.bad_rows;
          out.bad_rows.emplace_back(i, parsed.message());
          continue;
        }
        RowResult result = rules.process(row);
        switch (result.outcome) {
          case RowOutcome::kNotABuild: ++out.counts.not_builds; continue;
          case RowOutcome::kBadPath: ++out.counts.bad_paths; continue;
          case RowOutcome::kBadRow:
            ++out.counts.bad_rows;
            out.bad_rows.emplace_back(i, std::move(result.error));
            continue;
          case RowOutcome::kRecord: break;
        }
        if (!append_record_line(*result.record, options_.v1_format, out.text)) {
          out.text += document_of(result.record->to_json(), options_.v1_format);
        }
        out.text += '\n';
        ++out.counts.records;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads_ && t < runs; ++t) pool.push_back(start_thread("bh-inventory", [&work, t] { work(t); }));
    work(0);
  }
  const std::uint64_t first_row = counts_.rows;
  counts_.rows += lines.size();
  for (std::size_t run = 0; run < runs; ++run) {
    ThreadOutput& out = outputs_[run];
    for (const auto& [index, reason] : out.bad_rows) observer_.on_bad_row(first_row + index + 1, reason);
    counts_.records += out.counts.records;
    counts_.not_builds += out.counts.not_builds;
    counts_.bad_rows += out.counts.bad_rows;
    counts_.bad_paths += out.counts.bad_paths;
    if (!out.text.empty()) text_sink_(out.text);
  }
}

// The batch's metadata with metadata_jobs requests in flight, then the documents in input order.
void InventoryConverter::complete_batch() {
  if (batch_.empty()) return;
  std::vector<std::optional<nlohmann::json>> merged(batch_.size());
  std::vector<char> unavailable(batch_.size(), 0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < batch_.size();) {
      auto metadata = metadata_->fetch(batch_[i].record);
      if (!metadata) {
        unavailable[i] = 1;
        continue;
      }
      auto result = merge_metadata(batch_[i].to_json(), *metadata ? **metadata : nlohmann::json(nullptr));
      if (result) merged[i] = std::move(*result);
    }
  };
  {
    std::vector<std::jthread> threads;
    const unsigned extra = std::min<unsigned>(std::max(1u, options_.metadata_jobs), static_cast<unsigned>(batch_.size())) - 1;
    for (unsigned t = 0; t < extra; ++t) threads.push_back(start_thread("bh-inventory", work));
    work();
  }
  std::string document;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (unavailable[i]) {
      ++counts_.unavailable;
      observer_.on_unavailable(batch_[i].record.url);
      continue;
    }
    if (!merged[i] && !options_.keep_incomplete) {
      ++counts_.incomplete;
      continue;
    }
    nlohmann::json record = merged[i] ? std::move(*merged[i]) : batch_[i].to_json();
    if (!options_.keep_incomplete && !check_record(record)) {
      ++counts_.incomplete;  // v1's skip_incomplete: a suspicious record
      continue;
    }
    ++counts_.records;
    document = document_of(std::move(record), options_.v1_format);
    sink_(document, batch_[i].record.url);
  }
  batch_.clear();
}

Result<bool> LineBlockReader::next(std::vector<std::string_view>& lines, std::uint64_t& over_long) {
  auto more = next(own_);
  lines.swap(own_.lines);
  over_long = own_.over_long;
  return more;
}

namespace {

constexpr std::size_t kBlock = std::size_t{4} << 20;
constexpr std::size_t kMaxLine = std::size_t{16} << 20;

// The lines of `text` (complete lines; the last may lack its newline) into `out`.
void split_lines(std::string_view text, LineBlock& out) {
  for (std::size_t at = 0; at < text.size();) {
    const void* hit = std::memchr(text.data() + at, '\n', text.size() - at);
    const std::size_t nl = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - text.data()) : text.size();
    std::string_view line = text.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLine) {
      ++out.over_long;  // it arrived whole in one block, but is just as long
    } else if (!line.empty()) {
      out.lines.push_back(line);
    }
    at = nl + 1;
  }
}

}  // namespace

Result<bool> LineBlockReader::next_from_memory(LineBlock& out) {
  out.lines.clear();
  out.over_long = 0;
  if (whole_input_.empty()) return false;
  // About kBlock bytes, up to and including a newline; a line longer than the block is taken
  // whole (split_lines counts it when it is over kMaxLine).
  std::size_t end = std::min(kBlock, whole_input_.size());
  if (end < whole_input_.size()) {
    const void* nl = std::memchr(whole_input_.data() + end, '\n', whole_input_.size() - end);
    end = nl == nullptr ? whole_input_.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - whole_input_.data()) + 1;
  }
  const std::string_view text = whole_input_.substr(0, end);
  whole_input_.remove_prefix(end);
  if (prepare_) prepare_(text);
  split_lines(text, out);
  return !whole_input_.empty();
}

Result<bool> LineBlockReader::next(LineBlock& out) {
  if (from_memory_) return next_from_memory(out);
  out.lines.clear();
  out.over_long = 0;
  // out.text is a buffer that only grows (growing a string zero-fills; doing it once per block
  // cost more than splitting the lines): its first `used` bytes are the block.
  std::string& buffer = out.text;
  std::size_t used = carry_.size();
  if (buffer.size() < used + kBlock) buffer.resize(used + kBlock);
  if (used > 0) std::memcpy(buffer.data(), carry_.data(), used);
  carry_.clear();
  bool at_end = false;
  bool skipping = false;  // inside an over-long line: drop input up to its newline
  std::size_t last_newline = std::string::npos;
  while (true) {
    if (buffer.size() < used + kBlock) buffer.resize(used + kBlock);
    auto n = read_(buffer.data() + used, kBlock);
    if (!n) return fail(n.error());
    if (*n == 0) {
      at_end = true;
      if (skipping) used = 0;
      break;
    }
    const std::size_t before = used;
    used += *n;
    if (skipping) {
      const void* nl = std::memchr(buffer.data() + before, '\n', used - before);
      if (nl == nullptr) {
        used = 0;
        continue;
      }
      const std::size_t rest = static_cast<std::size_t>(buffer.data() + used - static_cast<const char*>(nl)) - 1;
      std::memmove(buffer.data(), static_cast<const char*>(nl) + 1, rest);
      used = rest;
      skipping = false;
    }
    const void* nl = used == 0 ? nullptr : memrchr(buffer.data(), '\n', used);
    if (nl != nullptr) {
      last_newline = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.data());
      break;
    }
    if (used > kMaxLine) {
      ++out.over_long;
      skipping = true;
      used = 0;
    }
  }
  const std::size_t end = at_end ? used : last_newline + 1;
  if (!at_end) carry_.assign(buffer.data() + end, used - end);
  split_lines(std::string_view(buffer.data(), end), out);
  return !at_end;
}

}  // namespace bh::v1

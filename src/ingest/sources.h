// Where documents to ingest come from: files, directory trees, NDJSON streams.
//
// A source yields IngestItems one at a time. A document it could not read (unreadable file,
// over-long NDJSON line) is still yielded, with `read_error` set, so the pipeline can report
// it in order and carry on: one bad input never stops a batch.
//
// Thread safety: a source is used by one thread at a time.
#pragma once

#include <cstddef>
#include <atomic>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace bh {

struct IngestItem {
  std::string origin;  // "dir/a.buildhub.json", "stdin:17" (line 17), "feed.ndjson:3"
  std::string bytes;   // the document as received
  Status read_error;   // non-OK when the source could not deliver this document
  std::optional<std::string> s3_object_key;
  std::optional<std::string> s3_object_etag;
  // The record's metadata (a JSON object) when it is not the run's (IngestOptions::metadata).
  std::optional<std::string> metadata;
};

class DocumentSource {
 public:
  virtual ~DocumentSource() = default;
  // The next document, or nullopt at the end.
  virtual std::optional<IngestItem> next() = 0;
  // How much of the input has been yielded, 0..1, when the source knows its size. Safe to call
  // from another thread while next() runs (for progress display).
  virtual std::optional<double> fraction_done() const { return std::nullopt; }
};

// Newline-delimited JSON from a file descriptor: one document per line; blank lines are
// skipped; a trailing "\r" is dropped. A line longer than `max_line_bytes` is yielded as a
// kTooLarge read error without being held in memory. Does not own `fd` unless `owns_fd`.
class NdjsonSource final : public DocumentSource {
 public:
  NdjsonSource(int fd, std::string name, std::size_t max_line_bytes, bool owns_fd = false);
  ~NdjsonSource() override;
  NdjsonSource(const NdjsonSource&) = delete;
  NdjsonSource& operator=(const NdjsonSource&) = delete;

  std::optional<IngestItem> next() override;
  // Known when the descriptor is a regular file.
  std::optional<double> fraction_done() const override;

 private:
  bool fill();  // reads more input; false at end of input or on error
  std::uint64_t total_bytes_ = 0;  // 0: unknown (a pipe)
  std::atomic<std::uint64_t> consumed_bytes_{0};

  int fd_;
  bool owns_fd_;
  std::string name_;
  std::size_t max_line_bytes_;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
  bool eof_ = false;
  Status read_error_;
};

// The arguments of `buildhub ingest`: files (one JSON document each, or NDJSON when the name
// ends in .ndjson or .jsonl), directories (recursively, in sorted order, every regular file whose
// name ends with "buildhub.json"), and "-" for NDJSON on `stdin_fd`.
class PathSource final : public DocumentSource {
 public:
  PathSource(std::vector<std::string> paths, std::size_t max_document_bytes, int stdin_fd = 0);
  std::optional<IngestItem> next() override;
  // Arguments done plus the share of the current one (files of a directory, bytes of an NDJSON
  // file); unknown while reading stdin.
  std::optional<double> fraction_done() const override;

 private:
  void expand(const std::string& arg);
  void walk_directory(const std::filesystem::path& dir);

  std::vector<std::string> args_;
  std::size_t next_arg_ = 0;
  std::size_t max_document_bytes_;
  int stdin_fd_;
  // Pending work from the current argument: files to read, or errors to report.
  std::deque<IngestItem> pending_errors_;
  std::deque<std::filesystem::path> pending_files_;
  std::unique_ptr<NdjsonSource> stream_;
  std::size_t files_in_arg_ = 0;
  std::size_t files_done_in_arg_ = 0;
  std::optional<IngestItem> next_item();
  void publish_fraction();
  std::atomic<double> fraction_{0.0};
  std::atomic<bool> fraction_known_{true};
};

// Yields pre-made items (tests, demo data, HTTP push).
class VectorSource final : public DocumentSource {
 public:
  explicit VectorSource(std::vector<IngestItem> items) : items_(std::move(items)) {}
  std::optional<IngestItem> next() override {
    if (pos_ >= items_.size()) return std::nullopt;
    return std::move(items_[pos_++]);
  }

 private:
  std::vector<IngestItem> items_;
  std::size_t pos_ = 0;
};

}  // namespace bh

#include "ingest/sources.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

#include "core/file_io.h"

namespace bh {
namespace {

// Reads are at most 1 MiB, and not much more than one line: a small line limit (tests, fuzzing)
// then does not pay for zero-filling a large buffer on every refill.
std::size_t read_chunk_for(std::size_t max_line_bytes) {
  return std::clamp<std::size_t>(max_line_bytes + 1, 4096, std::size_t{1} << 20);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_ndjson_name(std::string_view name) { return ends_with(name, ".ndjson") || ends_with(name, ".jsonl"); }

}  // namespace

NdjsonSource::NdjsonSource(int fd, std::string name, std::size_t max_line_bytes, bool owns_fd)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), max_line_bytes_(max_line_bytes) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) total_bytes_ = static_cast<std::uint64_t>(st.st_size);
}

std::optional<double> NdjsonSource::fraction_done() const {
  if (total_bytes_ == 0) return std::nullopt;
  return std::min(1.0, static_cast<double>(consumed_bytes_.load(std::memory_order_relaxed)) /
                           static_cast<double>(total_bytes_));
}

NdjsonSource::~NdjsonSource() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

bool NdjsonSource::fill() {
  if (eof_) return false;
  // Drop what has been consumed so the buffer does not grow with the input.
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  const std::size_t old = buffer_.size();
  const std::size_t chunk = read_chunk_for(max_line_bytes_);
  buffer_.resize(old + chunk);
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + old, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) read_error_ = io_error(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
      buffer_.resize(old);
      eof_ = true;
      return false;
    }
    buffer_.resize(old + static_cast<std::size_t>(n));
    consumed_bytes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    return true;
  }
}

std::optional<IngestItem> NdjsonSource::next() {
  while (true) {
    const std::size_t nl = buffer_.find('\n', pos_);
    if (nl == std::string::npos) {
      const std::size_t pending = buffer_.size() - pos_;
      if (pending > max_line_bytes_) {
        // An over-long line: report it, then discard input up to its newline.
        ++line_;
        IngestItem item;
        item.origin = fmt::format("{}:{}", name_, line_);
        item.read_error = too_large(fmt::format("line is longer than the limit of {} bytes", max_line_bytes_));
        buffer_.clear();
        pos_ = 0;
        while (true) {
          if (!fill()) break;
          const std::size_t end = buffer_.find('\n');
          if (end != std::string::npos) {
            pos_ = end + 1;
            break;
          }
          buffer_.clear();
        }
        return item;
      }
      if (fill()) continue;
      if (!read_error_.is_ok()) {
        IngestItem item;
        item.origin = name_;
        item.read_error = std::exchange(read_error_, Status::ok());
        return item;
      }
      if (pending == 0) return std::nullopt;
      // Last line without a newline.
      buffer_ += '\n';
      continue;
    }
    ++line_;
    std::string_view line(buffer_.data() + pos_, nl - pos_);
    pos_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    IngestItem item;
    item.origin = fmt::format("{}:{}", name_, line_);
    if (line.size() > max_line_bytes_) {
      item.read_error = too_large(fmt::format("line is longer than the limit of {} bytes", max_line_bytes_));
    } else {
      item.bytes.assign(line);
    }
    return item;
  }
}

PathSource::PathSource(std::vector<std::string> paths, std::size_t max_document_bytes, int stdin_fd)
    : args_(std::move(paths)), max_document_bytes_(max_document_bytes), stdin_fd_(stdin_fd) {}

void PathSource::walk_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    IngestItem item;
    item.origin = dir.string();
    item.read_error = io_error(fmt::format("cannot read directory: {}", ec.message()));
    pending_errors_.push_back(std::move(item));
    return;
  }
  std::vector<std::filesystem::directory_entry> entries;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& entry : entries) {
    std::error_code type_ec;
    // Symlinked directories are not followed: a link cycle must not hang a walk.
    if (entry.is_directory(type_ec) && !entry.is_symlink(type_ec)) {
      walk_directory(entry.path());
    } else if (ends_with(entry.path().filename().string(), "buildhub.json")) {
      pending_files_.push_back(entry.path());
    }
  }
}

void PathSource::expand(const std::string& arg) {
  if (arg == "-") {
    stream_ = std::make_unique<NdjsonSource>(stdin_fd_, "stdin", max_document_bytes_);
    return;
  }
  std::error_code ec;
  const std::filesystem::path path(arg);
  const auto status = std::filesystem::status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) {
    IngestItem item;
    item.origin = arg;
    item.read_error = not_found("no such file or directory");
    pending_errors_.push_back(std::move(item));
    return;
  }
  if (std::filesystem::is_directory(status)) {
    walk_directory(path);
    files_in_arg_ = pending_files_.size();
    return;
  }
  if (is_ndjson_name(arg)) {
    const int fd = ::open(arg.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      IngestItem item;
      item.origin = arg;
      item.read_error = io_error(fmt::format("cannot open: {}", std::strerror(errno)));
      pending_errors_.push_back(std::move(item));
      return;
    }
    stream_ = std::make_unique<NdjsonSource>(fd, arg, max_document_bytes_, /*owns_fd=*/true);
    return;
  }
  pending_files_.push_back(path);
}

void PathSource::publish_fraction() {
  const double per_arg = args_.empty() ? 1.0 : 1.0 / static_cast<double>(args_.size());
  double current = 0;
  bool known = true;
  if (stream_) {
    const auto f = stream_->fraction_done();
    known = f.has_value();
    current = f.value_or(0);
  } else if (files_in_arg_ > 0) {
    current = static_cast<double>(files_done_in_arg_) / static_cast<double>(files_in_arg_);
  }
  const double done_args = next_arg_ == 0 ? 0 : static_cast<double>(next_arg_ - 1);
  fraction_.store(std::min(1.0, (done_args + current) * per_arg), std::memory_order_relaxed);
  fraction_known_.store(known, std::memory_order_relaxed);
}

std::optional<double> PathSource::fraction_done() const {
  if (!fraction_known_.load(std::memory_order_relaxed)) return std::nullopt;
  return fraction_.load(std::memory_order_relaxed);
}

std::optional<IngestItem> PathSource::next() {
  auto item = next_item();
  if (item) {
    publish_fraction();
  } else {
    fraction_.store(1.0, std::memory_order_relaxed);
    fraction_known_.store(true, std::memory_order_relaxed);
  }
  return item;
}

std::optional<IngestItem> PathSource::next_item() {
  while (true) {
    if (!pending_errors_.empty()) {
      IngestItem item = std::move(pending_errors_.front());
      pending_errors_.pop_front();
      return item;
    }
    if (stream_) {
      auto item = stream_->next();
      if (item) return item;
      stream_.reset();
    }
    if (!pending_files_.empty()) {
      const std::filesystem::path path = std::move(pending_files_.front());
      pending_files_.pop_front();
      ++files_done_in_arg_;
      IngestItem item;
      item.origin = path.string();
      auto bytes = read_file(path, max_document_bytes_);
      if (bytes) {
        item.bytes = std::move(*bytes);
      } else {
        // read_file's messages start with the path; the origin already names it.
        Status e = bytes.error();
        std::string msg = e.message();
        const std::string prefix = path.string() + ": ";
        if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
        item.read_error = Status(e.code(), std::move(msg));
      }
      return item;
    }
    if (next_arg_ >= args_.size()) return std::nullopt;
    files_in_arg_ = 0;
    files_done_in_arg_ = 0;
    expand(args_[next_arg_++]);
  }
}

}  // namespace bh

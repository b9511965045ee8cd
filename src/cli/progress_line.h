// The progress line of long commands (backfill, inventory, import-kinto): one line on stderr,
// redrawn in place when stderr is a terminal, erased before any other message so messages
// never land in the middle of it.
//
// Thread safety: none; a caller drawing from several threads holds its own lock.
#pragma once

#include <cstdio>
#include <string>

namespace bh::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}

  void draw(const std::string& text) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace bh::cli

#include "diff/mbdiff_diff.h"

#include <divsufsort.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "compress/compression.h"
#include "core/byte_order.h"
#include "core/byte_view.h"
#include "core/page_array.h"
#include "diff/crc32_bzip2.h"
#include "diff/mbdiff_patch.h"

namespace bh::diff {
namespace {

constexpr std::uint32_t kChunkSize = 4u << 20;  // the scan's unit of work; fixed, so output never depends on threads
constexpr std::size_t kAnchorBytes = 16;     // the window the anchor bits record
constexpr std::size_t kAnchorStride = 8;     // windows checked for longer matches start this far apart
constexpr std::size_t kAlignedRunMinimum = 8;
constexpr std::uint32_t kMinCoverLength = 32;
constexpr std::int64_t kRescanMinimum = 4096;       // an unmatched chunk start worth a second look
constexpr std::int64_t kRescanReach = 64 * 1024;    // how far back the previous match may end
constexpr std::size_t kPrefetchDistance = 8;

// An approximate match: new[new_pos, +length) is old[old_pos, +length) plus the diff bytes.
struct Cover {
  std::uint32_t new_pos = 0;
  std::uint32_t old_pos = 0;
  std::uint32_t length = 0;
};

struct Match {
  std::int64_t pos = 0;
  std::int64_t length = 0;
};

inline std::uint64_t load_u64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Bytes in common at the start of a and b, up to limit.
inline std::size_t common_prefix(const std::uint8_t* a, const std::uint8_t* b, std::size_t limit) {
  std::size_t i = 0;
  while (i + 8 <= limit) {
    const std::uint64_t x = load_u64(a + i) ^ load_u64(b + i);
    if (x != 0) return i + static_cast<std::size_t>(__builtin_ctzll(x) >> 3);  // little-endian: lowest byte first
    i += 8;
  }
  while (i < limit && a[i] == b[i]) ++i;
  return i;
}

// Orders two suffixes of text[0, n) by at most their first kTieLength bytes: negative, zero (they
// share that many bytes) or positive. A suffix that is a prefix of the other sorts first.
constexpr std::size_t kTieLength = 1024;

inline int suffix_order(const std::uint8_t* text, std::size_t n, std::uint32_t a, std::uint32_t b) {
  const std::size_t limit = std::min({n - a, n - b, kTieLength});
  const std::size_t l = common_prefix(text + a, text + b, limit);
  if (l == kTieLength || a == b) return 0;
  if (l == limit) return n - a < n - b ? -1 : 1;
  return text[a + l] < text[b + l] ? -1 : 1;
}

// A sparse suffix array of the old file: the suffixes starting at every `step`-th position,
// sorted by their first kTieLength bytes (beyond that, in no particular order), with the ranges
// of entries that share their first two bytes. Suffixes shorter than two bytes are left out.
//
// Why sparse: a full 32-bit suffix array is 4n bytes, more than everything else together; one
// entry in four is n bytes. A match starting anywhere in the old file is found a few bytes later,
// where it reaches a sampled position, and the scan's backward extension recovers those bytes.
//
// How it is built: libdivsufsort sorts `parts` slices of the old file, each extended by
// kTieLength bytes into the next so its order agrees with the whole file's; one slice per thread at
// a time, each cut down to its sampled positions as soon as it is sorted (so at most one full
// slice array per thread exists at once); then the sorted lists are merged. Steps and parts depend only on
// the old file's size, so the result never depends on the number of threads.
//
// Read-only after construction; searched from several threads.
class SuffixIndex {
 public:
  struct Layout {
    std::size_t step = 1;   // 1, 2, 4 or 8: must divide kAnchorStride, so checked windows stay sampled
    std::size_t parts = 1;
  };

  static Layout layout_for(std::size_t old_size, unsigned sample_step) {
    Layout layout;
    layout.step = sample_step != 0 ? sample_step : (old_size >= kSparseMinimum ? 4 : 1);
    layout.parts = old_size >= kSplitMinimum ? 8 : 1;
    return layout;
  }

  static Result<SuffixIndex> build(ByteView old_data, Layout layout, Executor& executor, unsigned threads) {
    SuffixIndex index;
    index.old_ = old_data;
    index.step_ = layout.step;
    BH_RETURN_IF_ERROR(index.prepare_anchors());
    std::vector<PageArray<std::uint32_t>> sorted(layout.parts);
    const std::size_t anchor_tasks = index.anchor_task_count();
    // The slices and the anchor bits are independent: build them side by side.
    BH_RETURN_IF_ERROR(executor.parallel_for(layout.parts + anchor_tasks, threads, [&](std::size_t task) -> Status {
      if (task < layout.parts) return index.sort_slice(task, layout.parts, sorted[task]);
      index.add_anchors(task - layout.parts);
      return {};
    }));
    BH_RETURN_IF_ERROR(index.merge(sorted, executor, threads));
    index.fill_buckets();
    return index;
  }

  // The longest match of needle[0, limit) starting at a sampled old position. Length 0 when a
  // match of `wanted` bytes (the shortest that matters to the caller; at least kAnchorBytes here)
  // cannot be there: the Bloom filter shows that one of its 16-byte windows occurs at no sampled
  // position.
  Match search(const std::uint8_t* needle, std::size_t limit, std::size_t wanted) const {
    if (limit < 2 || sa_.empty()) return {};
    // Unmatched stretches are walked one byte at a time: fetch the bit for a later position now.
    if (limit >= kAnchorBytes + kPrefetchDistance) prefetch_anchor(needle + kPrefetchDistance);
    // A match of `wanted` bytes contains windows at 0, 8, 16...: each must be recorded.
    const std::size_t windows =
        std::clamp<std::size_t>((std::max(wanted, kAnchorBytes) - kAnchorBytes) / kAnchorStride + 1, 1, kMaxAnchorChecks);
    for (std::size_t w = 0; w < windows && w * kAnchorStride + kAnchorBytes <= limit; ++w) {
      if (!has_anchor(needle + w * kAnchorStride)) return {};
    }
    return search_sorted(needle, limit);
  }

 private:
  static constexpr std::size_t kSparseMinimum = 1u << 20;
  static constexpr std::size_t kSplitMinimum = 8u << 20;
  static constexpr std::size_t kAnchorTaskSize = 1u << 24;
  // A match under 16 bytes rarely starts a cover that survives kMinCoverLength: requiring 16
  // instead of bsdiff's 11 cut omni.ja's searches by 30 % for patches at most 0.06 % larger. Longer
  // wanted matches check more windows, up to 32 bytes.
  static constexpr std::size_t kMaxAnchorChecks = 3;

  Status sort_slice(std::size_t part, std::size_t parts, PageArray<std::uint32_t>& out) const {
    const std::size_t n = old_.size();
    // Slice boundaries on multiples of the step keep the sampled positions evenly spaced.
    auto boundary = [&](std::size_t i) { return std::min(n, (n * i / parts) / step_ * step_); };
    const std::size_t begin = boundary(part);
    const std::size_t end = part + 1 == parts ? n : boundary(part + 1);
    const std::size_t text_end = std::min(n, end + kTieLength);
    if (begin >= end) return {};
    BH_ASSIGN_OR_RETURN(out, PageArray<std::uint32_t>::allocate(text_end - begin));
    // saidx_t is int32_t: the same storage, read back as unsigned positions.
    if (divsufsort(old_.data() + begin, reinterpret_cast<saidx_t*>(out.data()), static_cast<saidx_t>(out.size())) != 0) {
      return internal_error("libdivsufsort failed");
    }
    // Keep the sampled positions of this slice, in order, in place; the rest of the pages go back.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::size_t p = begin + out[i];
      if (p < end && p % step_ == 0 && n - p >= 2) out[kept++] = static_cast<std::uint32_t>(p);
    }
    out.shrink(kept);
    return {};
  }

  // Merges the sorted slices; entries that tie come from the lower-numbered slice first. The
  // output is cut into one range per thread at splitters taken from the largest slice, each range
  // merged on its own; the result is the same for any number of threads.
  Status merge(std::vector<PageArray<std::uint32_t>>& sorted, Executor& executor, unsigned threads) {
    if (sorted.size() == 1) {
      sa_ = std::move(sorted.front());
      return {};
    }
    std::size_t total = 0;
    std::size_t largest = 0;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      total += sorted[i].size();
      if (sorted[i].size() > sorted[largest].size()) largest = i;
    }
    BH_ASSIGN_OR_RETURN(sa_, PageArray<std::uint32_t>::allocate(total));
    const std::size_t ranges = std::min<std::size_t>(executor.jobs_for(threads), 16);
    // bounds[r][i]: where range r starts in slice i.
    std::vector<std::vector<std::size_t>> bounds(ranges + 1, std::vector<std::size_t>(sorted.size(), 0));
    for (std::size_t i = 0; i < sorted.size(); ++i) bounds[ranges][i] = sorted[i].size();
    const std::uint8_t* text = old_.data();
    const std::size_t n = old_.size();
    for (std::size_t r = 1; r < ranges; ++r) {
      const std::size_t split = sorted[largest].size() * r / ranges;
      const std::uint32_t splitter = sorted[largest][split];
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        const auto& list = sorted[i];
        if (i == largest) {
          bounds[r][i] = split;
        } else if (i < largest) {  // its ties go before the splitter
          bounds[r][i] = static_cast<std::size_t>(
              std::upper_bound(list.begin(), list.end(), splitter,
                               [&](std::uint32_t v, std::uint32_t e) { return suffix_order(text, n, v, e) < 0; }) -
              list.begin());
        } else {
          bounds[r][i] = static_cast<std::size_t>(
              std::lower_bound(list.begin(), list.end(), splitter,
                               [&](std::uint32_t e, std::uint32_t v) { return suffix_order(text, n, e, v) < 0; }) -
              list.begin());
        }
      }
    }
    BH_RETURN_IF_ERROR(executor.parallel_for(ranges, threads, [&](std::size_t r) {
      std::size_t out = 0;
      for (std::size_t i = 0; i < sorted.size(); ++i) out += bounds[r][i];
      merge_range(sorted, bounds[r], bounds[r + 1], sa_.data() + out);
      return Status{};
    }));
    for (auto& list : sorted) list.reset();
    return {};
  }

  // A tournament over the lists' heads: log2(lists) comparisons per entry.
  void merge_range(const std::vector<PageArray<std::uint32_t>>& lists, std::vector<std::size_t> at,
                   const std::vector<std::size_t>& end, std::uint32_t* out) const {
    const std::size_t k = lists.size();
    const std::uint8_t* text = old_.data();
    const std::size_t n = old_.size();
    std::size_t leaves = 1;
    while (leaves < k) leaves <<= 1;
    auto less = [&](std::size_t a, std::size_t b) {  // list indexes; k and exhausted lists lose
      if (a >= k || at[a] == end[a]) return false;
      if (b >= k || at[b] == end[b]) return true;
      const int order = suffix_order(text, n, lists[a][at[a]], lists[b][at[b]]);
      return order < 0 || (order == 0 && a < b);
    };
    std::vector<std::size_t> winner(2 * leaves, k);
    for (std::size_t i = 0; i < k; ++i) winner[leaves + i] = i;
    auto play = [&](std::size_t node) {
      winner[node] = less(winner[2 * node + 1], winner[2 * node]) ? winner[2 * node + 1] : winner[2 * node];
    };
    for (std::size_t node = leaves - 1; node >= 1; --node) play(node);
    for (;;) {
      const std::size_t w = winner[1];
      if (w >= k || at[w] == end[w]) break;
      *out++ = lists[w][at[w]++];
      if (at[w] + kPrefetchDistance < end[w]) __builtin_prefetch(text + lists[w][at[w] + kPrefetchDistance]);
      for (std::size_t node = (leaves + w) / 2; node >= 1; node /= 2) play(node);
    }
  }

  void fill_buckets() {
    bucket_begin_.assign(65536, 0);
    bucket_end_.assign(65536, 0);
    const std::uint8_t* text = old_.data();
    for (std::size_t i = 0; i < sa_.size();) {
      const std::size_t key = (std::size_t{text[sa_[i]]} << 8) | text[sa_[i] + 1];
      bucket_begin_[key] = static_cast<std::uint32_t>(i);
      while (i < sa_.size() && ((std::size_t{text[sa_[i]]} << 8) | text[sa_[i] + 1]) == key) ++i;
      bucket_end_[key] = static_cast<std::uint32_t>(i);
    }
  }

  Match search_sorted(const std::uint8_t* needle, std::size_t limit) const {
    const std::uint8_t* text = old_.data();
    const std::size_t n = old_.size();
    const std::size_t key = (std::size_t{needle[0]} << 8) | needle[1];
    std::size_t left = bucket_begin_[key];
    std::size_t right = bucket_end_[key];
    if (left == right) return {};
    const std::size_t lo = left;
    const std::size_t hi = right;
    std::size_t left_lcp = 2;
    std::size_t right_lcp = 2;
    while (left < right) {
      const std::size_t mid = left + (right - left) / 2;
      const std::size_t p = sa_[mid];
      // Entries are ordered by their first kTieLength bytes only: what is known to match at both
      // ends of the range holds in between up to there.
      const std::size_t known = std::min({left_lcp, right_lcp, kTieLength});
      const std::size_t max_len = std::min(limit, n - p);
      const std::size_t l = known + common_prefix(needle + known, text + p + known, max_len - known);
      if (l == limit) return {static_cast<std::int64_t>(p), static_cast<std::int64_t>(l)};
      if (l == n - p || text[p + l] < needle[l]) {
        left = mid + 1;
        left_lcp = l;
      } else {
        right = mid;
        right_lcp = l;
      }
    }
    Match best;
    for (const std::size_t i : {left, left - 1}) {
      if (i < lo || i >= hi) continue;
      const std::size_t p = sa_[i];
      const std::size_t l = common_prefix(needle, text + p, std::min(limit, n - p));
      if (static_cast<std::int64_t>(l) > best.length) best = {static_cast<std::int64_t>(p), static_cast<std::int64_t>(l)};
    }
    return best;
  }

  // A Bloom filter with two bits per window, both in one 64-bit word (one cache miss per check).
  std::uint64_t anchor_hash(const std::uint8_t* p) const {
    const std::uint64_t mixed = (load_u64(p) * 0x9E3779B97F4A7C15ull) ^ load_u64(p + 8);
    return mixed * 0xD6E8FEB86659FD93ull;
  }
  std::size_t anchor_word(std::uint64_t h) const { return static_cast<std::size_t>(h >> anchor_shift_); }
  static std::uint64_t anchor_mask(std::uint64_t h) { return (std::uint64_t{1} << (h & 63)) | (std::uint64_t{1} << ((h >> 6) & 63)); }
  void prefetch_anchor(const std::uint8_t* p) const {
    if (!anchors_.empty()) __builtin_prefetch(&anchors_[anchor_word(anchor_hash(p))]);
  }
  // Read only after construction (parallel_for's join orders the writes before any read).
  bool has_anchor(const std::uint8_t* p) const {
    if (anchors_.empty()) return true;
    const std::uint64_t h = anchor_hash(p);
    const std::uint64_t mask = anchor_mask(h);
    return (anchors_[anchor_word(h)] & mask) == mask;
  }
  Status prepare_anchors() {
    const std::size_t n = old_.size();
    if (n < 1024) return {};  // not worth it; every position is searched
    // At least 8 bits per sampled window (a false positive in about 3 % of checks): each false
    // positive costs a whole suffix-array search.
    const std::uint64_t target_words = std::uint64_t{n} / step_ * 8 / 64;
    unsigned word_bits = 4;
    while (word_bits < 34 && (std::uint64_t{1} << word_bits) < target_words) ++word_bits;
    anchor_shift_ = 64 - word_bits;
    // Mapped zero pages: nothing to clear before the parallel phase, pages appear as bits are set.
    BH_ASSIGN_OR_RETURN(anchors_, PageArray<std::uint64_t>::allocate(std::size_t{1} << word_bits));
    return {};
  }
  std::size_t anchor_windows() const { return anchors_.empty() ? 0 : old_.size() - kAnchorBytes + 1; }
  std::size_t anchor_task_count() const { return (anchor_windows() + kAnchorTaskSize - 1) / kAnchorTaskSize; }
  void add_anchors(std::size_t task) {
    const std::size_t end = std::min(anchor_windows(), (task + 1) * kAnchorTaskSize);
    for (std::size_t p = task * kAnchorTaskSize; p < end; p += step_) {
      const std::uint64_t h = anchor_hash(old_.data() + p);
      std::atomic_ref<std::uint64_t>(anchors_[anchor_word(h)]).fetch_or(anchor_mask(h), std::memory_order_relaxed);
    }
  }

  ByteView old_;
  std::size_t step_ = 1;
  PageArray<std::uint32_t> sa_;
  std::vector<std::uint32_t> bucket_begin_;  // 65536 entries each
  std::vector<std::uint32_t> bucket_end_;
  PageArray<std::uint64_t> anchors_;  // written by several threads through atomic_ref while built
  unsigned anchor_shift_ = 64;
};

// bsdiff's scan over new[begin, end), with Mozilla's 2018 scoring (bug 1434513), producing
// covers instead of triples. See the header for what differs from bsdiff.
void scan_chunk(const SuffixIndex& index, ByteView old_data, ByteView new_data, std::int64_t begin, std::int64_t end,
                std::int64_t start_offset, std::vector<Cover>& covers) {
  const std::uint8_t* old = old_data.data();
  const std::uint8_t* nw = new_data.data();
  const auto n = static_cast<std::int64_t>(old_data.size());
  auto aligned_equal = [&](std::int64_t s, std::int64_t offset) {
    const std::int64_t o = s + offset;
    return o >= 0 && o < n && old[o] == nw[s];
  };
  std::int64_t scan = begin;
  std::int64_t len = 0;
  std::int64_t pos = 0;
  std::int64_t last_scan = begin;
  // bsdiff starts at (0, 0) with offset 0; a chunk starts at its own start with the offset given.
  std::int64_t last_pos = std::clamp<std::int64_t>(begin + start_offset, 0, n);
  std::int64_t last_offset = last_pos - begin;
  while (scan < end) {
    std::int64_t old_score = 0;
    std::int64_t scsc = scan += len;
    while (scan < end) {
      // Where the current alignment goes on matching for a while, that is what bsdiff's search
      // would find too (almost always): take it without searching the suffix array.
      const std::int64_t aligned = scan + last_offset;
      std::size_t run = 0;
      if (aligned >= 0 && aligned < n) {
        run = common_prefix(nw + scan, old + aligned,
                            static_cast<std::size_t>(std::min(end - scan, n - aligned)));
      }
      if (run >= kAlignedRunMinimum) {
        len = static_cast<std::int64_t>(run);
        pos = aligned;
      } else {
        const Match m = index.search(nw + scan, static_cast<std::size_t>(end - scan),
                                     static_cast<std::size_t>(old_score + 11));
        len = m.length;
        pos = m.pos;
      }
      for (; scsc < scan + len; ++scsc) {
        if (aligned_equal(scsc, last_offset)) ++old_score;
      }
      if ((len == old_score && len != 0) || len > old_score + 10) break;
      // The match found is the current alignment itself: the positions inside it would find
      // the same alignment again, one byte shorter each time; step over them.
      const std::int64_t step = (len > 0 && pos - scan == last_offset) ? len : 1;
      for (std::int64_t k = 0; k < step && scan < end; ++k, ++scan) {
        if (aligned_equal(scan, last_offset)) --old_score;
      }
    }
    if (len == old_score && scan != end) continue;

    // Extend the previous alignment forward from last_scan...
    std::int64_t len_forward = 0;
    {
      std::int64_t s = 0;
      std::int64_t best = 0;
      for (std::int64_t i = 0; last_scan + i < scan && last_pos + i < n;) {
        if (old[last_pos + i] == nw[last_scan + i]) ++s;
        ++i;
        if (s * 3 - i * 2 > best * 3 - len_forward * 2) {
          best = s;
          len_forward = i;
        }
      }
    }
    // ...and the new one backward from scan.
    std::int64_t len_back = 0;
    if (scan < end) {
      std::int64_t s = 0;
      std::int64_t best = 0;
      for (std::int64_t i = 1; scan >= last_scan + i && pos >= i; ++i) {
        if (old[pos - i] == nw[scan - i]) ++s;
        if (s * 3 - i * 2 > best * 3 - len_back * 2) {
          best = s;
          len_back = i;
        }
      }
    }
    // Where the two overlap, split at the point that keeps the most matching bytes.
    if (last_scan + len_forward > scan - len_back) {
      const std::int64_t overlap = (last_scan + len_forward) - (scan - len_back);
      std::int64_t s = 0;
      std::int64_t best = 0;
      std::int64_t split = 0;
      for (std::int64_t i = 0; i < overlap; ++i) {
        if (nw[last_scan + len_forward - overlap + i] == old[last_pos + len_forward - overlap + i]) ++s;
        if (nw[scan - len_back + i] == old[pos - len_back + i]) --s;
        if (s > best) {
          best = s;
          split = i + 1;
        }
      }
      len_forward += split - overlap;
      len_back -= split;
    }
    if (len_forward > 0) {
      covers.push_back({static_cast<std::uint32_t>(last_scan), static_cast<std::uint32_t>(last_pos),
                        static_cast<std::uint32_t>(len_forward)});
    }
    last_scan = scan - len_back;
    last_pos = pos - len_back;
    last_offset = pos - scan;
  }
}

struct Triple {
  std::uint32_t add = 0;    // x: bytes of old + diff
  std::uint32_t copy = 0;   // y: literal bytes from extra
  std::int64_t seek = 0;    // z: move in old
};

// Cover i becomes (its length, the literal bytes up to the next cover, the seek to the next
// cover's old position); a leading triple reaches the first cover when it is not at (0, 0).
std::vector<Triple> triples_from(const std::vector<Cover>& covers, std::uint32_t new_size) {
  std::vector<Triple> triples;
  if (new_size == 0) return triples;
  if (covers.empty() || covers.front().new_pos != 0 || covers.front().old_pos != 0) {
    triples.push_back({0, covers.empty() ? new_size : covers.front().new_pos,
                       covers.empty() ? 0 : std::int64_t{covers.front().old_pos}});
  }
  for (std::size_t i = 0; i < covers.size(); ++i) {
    const Cover& c = covers[i];
    const std::int64_t old_end = std::int64_t{c.old_pos} + c.length;
    const bool last = i + 1 == covers.size();
    const std::uint32_t next_new = last ? new_size : covers[i + 1].new_pos;
    const std::int64_t next_old = last ? old_end : covers[i + 1].old_pos;
    triples.push_back({c.length, next_new - (c.new_pos + c.length), next_old - old_end});
  }
  return triples;
}

// Writes the diff block (new - old over every cover) and the extra block (the bytes between
// covers) to the two destinations.
void write_blocks(const std::vector<Cover>& covers, ByteView old_data, ByteView new_data, std::uint8_t* diff,
                  std::uint8_t* extra) {
  std::uint32_t new_at = 0;
  for (const Cover& c : covers) {
    std::memcpy(extra, new_data.data() + new_at, c.new_pos - new_at);
    extra += c.new_pos - new_at;
    const std::uint8_t* from_new = new_data.data() + c.new_pos;
    const std::uint8_t* from_old = old_data.data() + c.old_pos;
    for (std::uint32_t i = 0; i < c.length; ++i) diff[i] = static_cast<std::uint8_t>(from_new[i] - from_old[i]);
    diff += c.length;
    new_at = c.new_pos + c.length;
  }
  std::memcpy(extra, new_data.data() + new_at, new_data.size() - new_at);
}

std::uint64_t covered_bytes(const std::vector<Cover>& covers) {
  std::uint64_t total = 0;
  for (const Cover& c : covers) total += c.length;
  return total;
}

// The whole MBDIFF10 patch, written once into its final buffer.
std::string mbdiff10(const std::vector<Triple>& triples, const std::vector<Cover>& covers, std::uint32_t old_crc,
                     ByteView old_data, ByteView new_data) {
  const std::uint64_t diff_length = covered_bytes(covers);
  const std::uint64_t extra_length = new_data.size() - diff_length;
  const std::uint64_t control_length = triples.size() * 12;
  std::string out(kMbdiffHeaderSize + control_length + diff_length + extra_length, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  std::memcpy(p, "MBDIFF10", 8);
  store_u32_be(p + 8, static_cast<std::uint32_t>(old_data.size()));
  store_u32_be(p + 12, old_crc);
  store_u32_be(p + 16, static_cast<std::uint32_t>(new_data.size()));
  store_u32_be(p + 20, static_cast<std::uint32_t>(control_length));
  store_u32_be(p + 24, static_cast<std::uint32_t>(diff_length));
  store_u32_be(p + 28, static_cast<std::uint32_t>(extra_length));
  p += kMbdiffHeaderSize;
  for (const Triple& t : triples) {
    store_u32_be(p, t.add);
    store_u32_be(p + 4, t.copy);
    store_u32_be(p + 8, static_cast<std::uint32_t>(static_cast<std::int32_t>(t.seek)));
    p += 12;
  }
  write_blocks(covers, old_data, new_data, p, p + diff_length);
  return out;
}

// bsdiff's "offtin": 8 bytes little-endian magnitude, sign in the top bit.
void append_offtin(std::string& out, std::int64_t v) {
  std::uint64_t magnitude = v < 0 ? static_cast<std::uint64_t>(-v) : static_cast<std::uint64_t>(v);
  if (v < 0) magnitude |= std::uint64_t{1} << 63;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((magnitude >> (8 * i)) & 0xFF));
}

Result<std::string> bsdiff40(const std::vector<Triple>& triples, const std::vector<Cover>& covers, ByteView old_data,
                             ByteView new_data) {
  std::string diff(covered_bytes(covers), '\0');
  std::string extra(new_data.size() - diff.size(), '\0');
  write_blocks(covers, old_data, new_data, reinterpret_cast<std::uint8_t*>(diff.data()),
               reinterpret_cast<std::uint8_t*>(extra.data()));
  std::string control;
  for (const Triple& t : triples) {
    append_offtin(control, t.add);
    append_offtin(control, t.copy);
    append_offtin(control, t.seek);
  }
  BH_ASSIGN_OR_RETURN(std::string control_bz, compress::compress_bzip2(as_bytes(control)));
  BH_ASSIGN_OR_RETURN(std::string diff_bz, compress::compress_bzip2(as_bytes(diff)));
  BH_ASSIGN_OR_RETURN(std::string extra_bz, compress::compress_bzip2(as_bytes(extra)));
  std::string out = "BSDIFF40";
  append_offtin(out, static_cast<std::int64_t>(control_bz.size()));
  append_offtin(out, static_cast<std::int64_t>(diff_bz.size()));
  append_offtin(out, static_cast<std::int64_t>(new_data.size()));
  return out + control_bz + diff_bz + extra_bz;
}

}  // namespace

std::string output_identity(const DiffParams& params) {
  const std::string step = params.sample_step == 0 ? std::string("auto") : std::to_string(params.sample_step);
  return fmt::format("mbdiff-engine-{};format={};step={}", kEngineVersion,
                     params.format == PatchFormat::kMbdiff10 ? "mbdiff10" : "bsdiff40", step);
}

std::uint64_t estimate_diff_memory(std::uint64_t old_size, std::uint64_t new_size, const DiffParams& params,
                                   unsigned threads) {
  const SuffixIndex::Layout layout = SuffixIndex::layout_for(old_size, params.sample_step);
  const std::uint64_t sparse = old_size / layout.step * 4;
  const std::uint64_t anchors = old_size / layout.step * 2;  // at most 16 bits per sampled window
  const std::uint64_t sorting = std::min<std::uint64_t>(layout.parts, std::max(threads, 1u)) * 4 * (old_size / layout.parts + 1024);
  // 12 bytes per cover; each starts with a match of 16 bytes or more, so at most one per 16 new bytes.
  const std::uint64_t covers = new_size / 16 * 12;
  // Sorting (slices being sorted, the sorted lists, the anchor bits), merging (lists and array),
  // scanning (array, anchor bits, covers) or writing (the patch, about m, and the covers).
  return std::max({sorting + sparse + anchors, 2 * sparse + anchors, sparse + anchors + covers, new_size + covers}) +
         (1u << 20);
}

Result<std::string> make_patch(const DiffRequest& request, Executor& executor) {
  const ByteView old_data = request.old_data;
  const ByteView new_data = request.new_data;
  const DiffParams& params = request.params;
  const unsigned threads = request.resources.threads;
  if (old_data.size() >= kMbdiffMaxFileSize || new_data.size() >= kMbdiffMaxFileSize) {
    return fail(too_large(fmt::format("inputs of 2 GiB and more cannot be diffed (old {} bytes, new {}): the suffix "
                                      "array's indexes and MBDIFF10's lengths are 32-bit",
                                      old_data.size(), new_data.size())));
  }
  if (params.sample_step != 0 && params.sample_step != 1 && params.sample_step != 2 && params.sample_step != 4 &&
      params.sample_step != 8) {
    return fail(invalid_argument(fmt::format("sample step {} must be 1, 2, 4 or 8", params.sample_step)));
  }
  // The sorting phase holds one slice per thread that actually runs.
  const unsigned running = std::min(executor.jobs_for(threads), executor.cpu_budget());
  const std::uint64_t need = estimate_diff_memory(old_data.size(), new_data.size(), params, running);
  if (request.resources.max_memory != 0 && need > request.resources.max_memory) {
    return fail(too_large(fmt::format("the diff needs about {} MiB beyond its inputs, over the limit of {} MiB",
                                      need >> 20, request.resources.max_memory >> 20)));
  }
  // Held until the patch is returned: other diffs and builds on this executor wait for room.
  BH_ASSIGN_OR_RETURN(MemoryReservation memory, executor.memory().reserve(need, "the diff"));
  std::vector<Cover> covers;
  std::uint32_t old_crc = 0;
  {
    // The index is the largest thing alive; it is gone before the patch is assembled.
    BH_ASSIGN_OR_RETURN(const SuffixIndex index,
                        SuffixIndex::build(old_data, SuffixIndex::layout_for(old_data.size(), params.sample_step),
                                           executor, threads));
    const std::size_t chunks = (new_data.size() + kChunkSize - 1) / kChunkSize;
    std::vector<std::vector<Cover>> per_chunk(chunks);
    BH_RETURN_IF_ERROR(executor.parallel_for(chunks + 1, threads, [&](std::size_t c) {
      if (c == chunks) {
        old_crc = crc32_bzip2(old_data);  // needed by MBDIFF10's header; overlaps the scan
        return Status{};
      }
      const auto begin = static_cast<std::int64_t>(c * kChunkSize);
      const auto end = static_cast<std::int64_t>(std::min<std::size_t>(new_data.size(), (c + 1) * kChunkSize));
      scan_chunk(index, old_data, new_data, begin, end, 0, per_chunk[c]);
      return Status{};
    }));
    // A chunk scanned from offset 0 cannot know the alignment the chunk before it ended with;
    // bsdiff, scanning in one piece, would carry it over. Where a chunk starts with a stretch
    // nothing matched and the chunk before ended in a match, that stretch is scanned again from
    // the earlier alignment. Decided from the first pass alone, so these run in parallel too.
    std::vector<std::vector<Cover>> prefixes(chunks);
    BH_RETURN_IF_ERROR(executor.parallel_for(chunks, threads, [&](std::size_t c) {
      if (c == 0 || per_chunk[c - 1].empty()) return Status{};
      const auto begin = static_cast<std::int64_t>(c * kChunkSize);
      const auto chunk_end = static_cast<std::int64_t>(std::min<std::size_t>(new_data.size(), (c + 1) * kChunkSize));
      const std::int64_t end = per_chunk[c].empty() ? chunk_end : std::int64_t{per_chunk[c].front().new_pos};
      const Cover& last = per_chunk[c - 1].back();
      const std::int64_t gap_before = begin - (std::int64_t{last.new_pos} + last.length);
      if (end - begin < kRescanMinimum || gap_before > kRescanReach) return Status{};
      scan_chunk(index, old_data, new_data, begin, end, std::int64_t{last.old_pos} - std::int64_t{last.new_pos},
                 prefixes[c]);
      return Status{};
    }));
    for (std::size_t c = 1; c < chunks; ++c) {
      if (!prefixes[c].empty()) per_chunk[c].insert(per_chunk[c].begin(), prefixes[c].begin(), prefixes[c].end());
    }
    std::size_t total = 0;
    for (const auto& chunk : per_chunk) total += chunk.size();
    covers.reserve(total);
    for (const auto& chunk : per_chunk) covers.insert(covers.end(), chunk.begin(), chunk.end());
  }
  // A short cover costs a 12-byte triple whose seek compresses badly and saves little over
  // literal bytes: on two cores' worth of Debian pairs, dropping covers under 32 bytes made the
  // xz'd libxul patch 11 % smaller (50.9 -> 45.4 MB) and the omni.ja one 12 % smaller, and left
  // the dot-release pair unchanged. Their bytes go to the extra block.
  std::erase_if(covers, [](const Cover& c) { return c.length < kMinCoverLength; });
  const std::vector<Triple> triples = triples_from(covers, static_cast<std::uint32_t>(new_data.size()));
  if (params.format == PatchFormat::kBsdiff40) return bsdiff40(triples, covers, old_data, new_data);
  return mbdiff10(triples, covers, old_crc, old_data, new_data);
}

}  // namespace bh::diff

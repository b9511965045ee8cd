#include "diff/mbdiff_diff.h"

#include <divsufsort.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.h"
#include "core/parallel.h"
#include "diff/crc32_bzip2.h"
#include "diff/mbdiff_patch.h"
#include "mar/compression.h"

namespace bh::diff {
namespace {

constexpr std::uint32_t kChunkSize = 4u << 20;  // the scan's unit of work; fixed, so output never depends on threads
constexpr std::size_t kAnchorBytes = 8;
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

// One suffix array over old[base, base + size), with the ranges of suffixes that share their first
// two bytes. The one-byte suffix at the end sorts before every longer suffix with the same first
// byte.
struct SuffixPart {
  std::size_t base = 0;
  std::size_t size = 0;
  std::vector<saidx_t> sa;
  std::vector<std::uint32_t> bucket_begin;  // 65536 entries
  std::vector<std::uint32_t> bucket_end;

  Status build(const std::uint8_t* text) {
    sa.resize(size);
    if (size > 0 && divsufsort(text, sa.data(), static_cast<saidx_t>(size)) != 0) {
      return internal_error("libdivsufsort failed");
    }
    std::vector<std::uint32_t> count(65536, 0);
    for (std::size_t p = 0; p + 1 < size; ++p) ++count[(std::size_t{text[p]} << 8) | text[p + 1]];
    bucket_begin.resize(65536);
    bucket_end.resize(65536);
    std::uint32_t at = 0;
    for (std::size_t key = 0; key < 65536; ++key) {
      if ((key & 0xFF) == 0 && size > 0 && text[size - 1] == (key >> 8)) ++at;  // the lone last suffix
      bucket_begin[key] = at;
      at += count[key];
      bucket_end[key] = at;
    }
    return {};
  }

  // The longest match of needle[0, limit) among this part's suffixes (ending at the part's end).
  Match search(const std::uint8_t* text, const std::uint8_t* needle, std::size_t limit) const {
    const std::size_t key = (std::size_t{needle[0]} << 8) | needle[1];
    std::size_t left = bucket_begin[key];
    std::size_t right = bucket_end[key];
    if (left == right) return {};
    const std::size_t lo = left;
    const std::size_t hi = right;
    std::size_t left_lcp = 2;
    std::size_t right_lcp = 2;
    while (left < right) {
      const std::size_t mid = left + (right - left) / 2;
      const std::size_t p = static_cast<std::size_t>(sa[mid]);
      const std::size_t known = std::min(left_lcp, right_lcp);
      const std::size_t max_len = std::min(limit, size - p);
      const std::size_t l = known + common_prefix(needle + known, text + p + known, max_len - known);
      if (l == limit) return {static_cast<std::int64_t>(base + p), static_cast<std::int64_t>(l)};
      if (l == size - p || text[p + l] < needle[l]) {
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
      const std::size_t p = static_cast<std::size_t>(sa[i]);
      const std::size_t l = common_prefix(needle, text + p, std::min(limit, size - p));
      if (static_cast<std::int64_t>(l) > best.length) {
        best = {static_cast<std::int64_t>(base + p), static_cast<std::int64_t>(l)};
      }
    }
    return best;
  }
};

// The old file's suffix arrays and a bit set of hashed 8-byte windows. Files of 16 to 128 MiB
// are split in two halves sorted on two threads (libdivsufsort is single-threaded); a search asks
// both. The split depends only on the size, so the output never depends on the number of threads.
// Read-only after construction; searched from several threads.
class SuffixIndex {
 public:
  static Result<SuffixIndex> build(ByteView old_data, unsigned threads) {
    SuffixIndex index;
    index.old_ = old_data;
    const std::size_t n = old_data.size();
    const std::size_t parts = n >= kSplitMinimum && n < kSplitMaximum ? 2 : 1;
    index.parts_.resize(parts);
    for (std::size_t i = 0; i < parts; ++i) {
      index.parts_[i].base = n * i / parts;
      index.parts_[i].size = n * (i + 1) / parts - index.parts_[i].base;
    }
    index.prepare_anchors();
    // The suffix arrays and the anchor bits are independent: build them side by side.
    const std::size_t anchor_tasks = index.anchor_task_count();
    BH_RETURN_IF_ERROR(parallel_for(parts + anchor_tasks, threads, [&](std::size_t task) -> Status {
      if (task < parts) return index.parts_[task].build(old_data.data() + index.parts_[task].base);
      index.add_anchors(task - parts);
      return {};
    }));
    return index;
  }

  // The longest match of needle[0, limit) in the old file (length 0 when shorter than 2, or
  // when the needle's first 8 bytes occur nowhere in the old file).
  Match search(const std::uint8_t* needle, std::size_t limit) const {
    if (limit < 2) return {};
    // Unmatched stretches are walked one byte at a time: fetch the bit for a later position now.
    if (limit >= kAnchorBytes + kPrefetchDistance) prefetch_anchor(needle + kPrefetchDistance);
    if (limit >= kAnchorBytes && !has_anchor(needle)) return {};
    Match best;
    for (const SuffixPart& part : parts_) {
      const Match m = part.search(old_.data() + part.base, needle, limit);
      if (m.length > best.length) best = m;
    }
    return best;
  }

 private:
  // Splitting halves the sort's wall time but doubles every search. Measured on two cores: a
  // 69 MB dot-release pair (few searches) gains 20 %; a 177 MB year-apart pair (searches
  // dominate) loses 50 %. Between these sizes the sort is the larger cost.
  static constexpr std::size_t kSplitMinimum = 16u << 20;
  static constexpr std::size_t kSplitMaximum = 128u << 20;
  static constexpr std::size_t kAnchorTaskSize = 1u << 24;

  std::uint64_t anchor_hash(const std::uint8_t* p) const {
    return (load_u64(p) * 0x9E3779B97F4A7C15ull) >> anchor_shift_;
  }
  void prefetch_anchor(const std::uint8_t* p) const {
    if (!anchors_.empty()) __builtin_prefetch(&anchors_[anchor_hash(p) >> 6]);
  }
  bool has_anchor(const std::uint8_t* p) const {
    if (anchors_.empty()) return true;
    const std::uint64_t h = anchor_hash(p);
    return (anchors_[h >> 6].load(std::memory_order_relaxed) >> (h & 63)) & 1;
  }
  void prepare_anchors() {
    const std::size_t n = old_.size();
    if (n < 1024) return;  // not worth it; every position is searched
    // About one bit per old byte rounded down to a power of two (≤ n/8 bytes of memory).
    unsigned bits = 16;
    while (bits < 40 && (std::uint64_t{1} << (bits + 1)) <= std::uint64_t{n} * 8) ++bits;
    anchor_shift_ = 64 - bits;
    anchors_ = std::vector<std::atomic<std::uint64_t>>(std::size_t{1} << (bits - 6));
  }
  std::size_t anchor_windows() const { return anchors_.empty() ? 0 : old_.size() - kAnchorBytes + 1; }
  std::size_t anchor_task_count() const { return (anchor_windows() + kAnchorTaskSize - 1) / kAnchorTaskSize; }
  void add_anchors(std::size_t task) {
    const std::size_t end = std::min(anchor_windows(), (task + 1) * kAnchorTaskSize);
    for (std::size_t p = task * kAnchorTaskSize; p < end; ++p) {
      const std::uint64_t h = anchor_hash(old_.data() + p);
      anchors_[h >> 6].fetch_or(std::uint64_t{1} << (h & 63), std::memory_order_relaxed);
    }
  }

  ByteView old_;
  std::vector<SuffixPart> parts_;
  std::vector<std::atomic<std::uint64_t>> anchors_;
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
      if (run >= kAnchorBytes) {
        len = static_cast<std::int64_t>(run);
        pos = aligned;
      } else {
        const Match m = index.search(nw + scan, static_cast<std::size_t>(end - scan));
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
  BH_ASSIGN_OR_RETURN(std::string control_bz, mar::compress_bzip2(as_bytes(control)));
  BH_ASSIGN_OR_RETURN(std::string diff_bz, mar::compress_bzip2(as_bytes(diff)));
  BH_ASSIGN_OR_RETURN(std::string extra_bz, mar::compress_bzip2(as_bytes(extra)));
  std::string out = "BSDIFF40";
  append_offtin(out, static_cast<std::int64_t>(control_bz.size()));
  append_offtin(out, static_cast<std::int64_t>(diff_bz.size()));
  append_offtin(out, static_cast<std::int64_t>(new_data.size()));
  return out + control_bz + diff_bz + extra_bz;
}

}  // namespace

std::uint64_t estimate_diff_memory(std::uint64_t old_size, std::uint64_t new_size) {
  // The suffix array (4n) and anchor bits (≤ n/8) while scanning, or the patch (about m) once
  // they are freed, plus the covers (12 bytes each; at most about one per 6 new bytes seen).
  return std::max(old_size * 4 + old_size / 8, new_size) + new_size / 4 + (1u << 20);
}

Result<std::string> make_patch(ByteView old_data, ByteView new_data, const DiffOptions& options) {
  if (old_data.size() >= kMbdiffMaxFileSize || new_data.size() >= kMbdiffMaxFileSize) {
    return fail(too_large(fmt::format("inputs of 2 GiB and more cannot be diffed (old {} bytes, new {}): the suffix "
                                      "array's indexes and MBDIFF10's lengths are 32-bit",
                                      old_data.size(), new_data.size())));
  }
  const std::uint64_t need = estimate_diff_memory(old_data.size(), new_data.size());
  if (options.max_memory != 0 && need > options.max_memory) {
    return fail(too_large(fmt::format("the diff needs about {} MiB beyond its inputs, over the limit of {} MiB",
                                      need >> 20, options.max_memory >> 20)));
  }
  std::vector<Cover> covers;
  std::uint32_t old_crc = 0;
  {
    // The index is the largest thing alive; it is gone before the patch is assembled.
    BH_ASSIGN_OR_RETURN(const SuffixIndex index, SuffixIndex::build(old_data, options.threads));
    const std::size_t chunks = (new_data.size() + kChunkSize - 1) / kChunkSize;
    std::vector<std::vector<Cover>> per_chunk(chunks);
    BH_RETURN_IF_ERROR(parallel_for(chunks + 1, options.threads, [&](std::size_t c) {
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
    BH_RETURN_IF_ERROR(parallel_for(chunks, options.threads, [&](std::size_t c) {
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
  if (options.format == PatchFormat::kBsdiff40) return bsdiff40(triples, covers, old_data, new_data);
  return mbdiff10(triples, covers, old_crc, old_data, new_data);
}

}  // namespace bh::diff

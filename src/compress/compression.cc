#include "compress/compression.h"

#include <bzlib.h>
#include <lzma.h>

#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace bh::compress {
namespace {

constexpr std::size_t kChunk = 1 << 20;

Status bad_stream(std::string_view what, std::string_view why) {
  return invalid_argument(fmt::format("{} stream is damaged: {}", what, why));
}

std::string_view lzma_error_text(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "needs more memory than the decoder limit";
    case LZMA_FORMAT_ERROR: return "not an xz stream (or trailing garbage)";
    case LZMA_OPTIONS_ERROR: return "unsupported options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "liblzma error";
  }
}

Status lzma2_options(const XzSettings& settings, lzma_options_lzma& lzma2) {
  if (settings.preset > 9) return invalid_argument(fmt::format("xz preset {} is not 0-9", settings.preset));
  if (lzma_lzma_preset(&lzma2, settings.preset | (settings.extreme ? LZMA_PRESET_EXTREME : 0)) != 0) {
    return internal_error("lzma_lzma_preset failed");
  }
  return {};
}

// The encoder's filter chain for `settings`: [x86 BCJ,] LZMA2. Built in place (the filters point
// at the options), so it is filled, never copied.
struct FilterChain {
  lzma_options_lzma lzma2{};
  lzma_filter filters[3]{};
  Status init(const XzSettings& settings) {
    BH_RETURN_IF_ERROR(lzma2_options(settings, lzma2));
    std::size_t n = 0;
    if (settings.x86_bcj) filters[n++] = {LZMA_FILTER_X86, nullptr};
    filters[n++] = {LZMA_FILTER_LZMA2, &lzma2};
    filters[n] = {LZMA_VLI_UNKNOWN, nullptr};
    return {};
  }
};

// Room for the worst case, left uninitialised so that the pages the encoder never writes are
// never touched (a 180 MB bound for a 45 MB result costs no memory), then the exact result.
class OutputBuffer {
 public:
  explicit OutputBuffer(std::size_t capacity)
      : capacity_(capacity), bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(capacity == 0 ? 1 : capacity)) {}
  std::uint8_t* data() { return bytes_.get(); }
  std::size_t capacity() const { return capacity_; }
  std::string take(std::size_t written) {
    std::string out(reinterpret_cast<const char*>(bytes_.get()), written);
    bytes_.reset();
    return out;
  }

 private:
  std::size_t capacity_;
  std::unique_ptr<std::uint8_t[]> bytes_;
};

class OutputGuard {
 public:
  OutputGuard(const DecompressLimits& limits, const ByteSink& sink) : limits_(limits), sink_(sink) {}
  Status emit(const std::uint8_t* data, std::size_t n) {
    if (n == 0) return {};
    total_ += n;
    if (total_ > limits_.max_output_bytes) {
      return too_large(fmt::format("decompressed data exceeds the limit of {} bytes", limits_.max_output_bytes));
    }
    return sink_(ByteView(data, n));
  }
  std::uint64_t total() const { return total_; }

 private:
  const DecompressLimits& limits_;
  const ByteSink& sink_;
  std::uint64_t total_ = 0;
};

Result<std::uint64_t> decompress_xz(ByteView input, const DecompressLimits& limits, const ByteSink& sink) {
  lzma_stream strm = LZMA_STREAM_INIT;
  lzma_ret ret = lzma_stream_decoder(&strm, limits.xz_memory_limit, LZMA_CONCATENATED);
  if (ret != LZMA_OK) return fail(internal_error("lzma_stream_decoder failed"));
  std::vector<std::uint8_t> out(kChunk);
  OutputGuard guard(limits, sink);
  strm.next_in = input.data();
  strm.avail_in = input.size();
  Status status;
  for (;;) {
    strm.next_out = out.data();
    strm.avail_out = out.size();
    ret = lzma_code(&strm, LZMA_FINISH);
    status = guard.emit(out.data(), out.size() - strm.avail_out);
    if (!status || ret != LZMA_OK) break;
  }
  lzma_end(&strm);
  BH_RETURN_IF_ERROR(status);
  if (ret != LZMA_STREAM_END) return fail(bad_stream("xz", lzma_error_text(ret)));
  return guard.total();
}

Result<std::uint64_t> decompress_bzip2(ByteView input, const DecompressLimits& limits, const ByteSink& sink) {
  std::vector<std::uint8_t> out(kChunk);
  OutputGuard guard(limits, sink);
  std::size_t consumed = 0;
  do {
    // Each concatenated stream gets a fresh decoder, as bzip2 -d does.
    if (input.size() - consumed < 4 || detect_compression(input.subspan(consumed)) != Compression::kBzip2) {
      return fail(bad_stream("bzip2", consumed == 0 ? "not a bzip2 stream" : "trailing garbage after the stream"));
    }
    bz_stream strm;
    std::memset(&strm, 0, sizeof strm);
    if (BZ2_bzDecompressInit(&strm, 0, 0) != BZ_OK) return fail(internal_error("BZ2_bzDecompressInit failed"));
    int ret = BZ_OK;
    Status status;
    std::size_t left = input.size() - consumed;
    const char* next = reinterpret_cast<const char*>(input.data() + consumed);
    while (ret == BZ_OK) {
      // bz_stream counts in unsigned int: feed at most 1 GiB at a time.
      const unsigned feed = static_cast<unsigned>(std::min<std::size_t>(left, 1u << 30));
      strm.next_in = const_cast<char*>(next);
      strm.avail_in = feed;
      strm.next_out = reinterpret_cast<char*>(out.data());
      strm.avail_out = static_cast<unsigned>(out.size());
      ret = BZ2_bzDecompress(&strm);
      const std::size_t used = feed - strm.avail_in;
      next += used;
      left -= used;
      status = guard.emit(out.data(), out.size() - strm.avail_out);
      if (!status) break;
      if (ret == BZ_OK && used == 0 && strm.avail_out == out.size() && left == 0) {
        ret = BZ_UNEXPECTED_EOF;  // input ended before the stream did
      }
    }
    BZ2_bzDecompressEnd(&strm);
    BH_RETURN_IF_ERROR(status);
    if (ret != BZ_STREAM_END) {
      return fail(bad_stream("bzip2", ret == BZ_UNEXPECTED_EOF ? "truncated"
                                      : ret == BZ_DATA_ERROR_MAGIC ? "bad magic"
                                      : ret == BZ_MEM_ERROR ? "out of memory" : "corrupt data"));
    }
    consumed = input.size() - left;
  } while (consumed < input.size());
  return guard.total();
}

}  // namespace

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kXz: return "xz";
    case Compression::kBzip2: return "bz2";
    case Compression::kNone: break;
  }
  return "none";
}

Compression detect_compression(ByteView data) {
  static constexpr std::uint8_t kXzMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
  if (data.size() >= 6 && std::memcmp(data.data(), kXzMagic, 6) == 0) return Compression::kXz;
  if (data.size() >= 4 && data[0] == 'B' && data[1] == 'Z' && data[2] == 'h' && data[3] >= '1' && data[3] <= '9') {
    return Compression::kBzip2;
  }
  return Compression::kNone;
}

Result<std::uint64_t> decompress(ByteView input, Compression compression, const DecompressLimits& limits,
                                 const ByteSink& sink) {
  switch (compression) {
    case Compression::kXz: return decompress_xz(input, limits, sink);
    case Compression::kBzip2: return decompress_bzip2(input, limits, sink);
    case Compression::kNone: break;
  }
  OutputGuard guard(limits, sink);
  for (std::size_t at = 0; at < input.size(); at += kChunk) {
    BH_RETURN_IF_ERROR(guard.emit(input.data() + at, std::min(kChunk, input.size() - at)));
  }
  return guard.total();
}

Result<std::string> decompress_to_string(ByteView input, Compression compression, const DecompressLimits& limits) {
  std::string out;
  // Sized once from the xz index when it says, so a 200 MB library is not copied as it grows.
  if (compression == Compression::kXz) {
    if (auto declared = xz_declared_size(input); declared && *declared <= limits.max_output_bytes) out.reserve(*declared);
  }
  auto n = decompress(input, compression, limits, [&](ByteView piece) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return Status{};
  });
  if (!n) return fail(n.error());
  return out;
}

std::uint64_t xz_encoder_memory(const XzSettings& settings) {
  FilterChain chain;
  if (!chain.init(settings)) return 0;
  const std::uint64_t bytes = lzma_raw_encoder_memusage(chain.filters);
  return bytes == UINT64_MAX ? 0 : bytes;
}

Result<std::string> compress_xz(ByteView input, const XzSettings& settings) {
  FilterChain chain;
  BH_RETURN_IF_ERROR(chain.init(settings));
  // The streaming encoder, as the xz tool uses single-threaded: its block headers carry no
  // sizes, unlike lzma_stream_buffer_encode, so the bytes match the tool's.
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_encoder(&strm, chain.filters, LZMA_CHECK_CRC64) != LZMA_OK) {
    return fail(internal_error("lzma_stream_encoder failed"));
  }
  OutputBuffer out(lzma_stream_buffer_bound(input.size()));
  strm.next_in = input.data();
  strm.avail_in = input.size();
  strm.next_out = out.data();
  strm.avail_out = out.capacity();
  lzma_ret ret = LZMA_OK;
  while (ret == LZMA_OK) ret = lzma_code(&strm, LZMA_FINISH);
  const std::size_t written = out.capacity() - strm.avail_out;
  lzma_end(&strm);
  if (ret != LZMA_STREAM_END) return fail(internal_error(fmt::format("xz compression failed: {}", lzma_error_text(ret))));
  return out.take(written);
}

namespace {

struct EncodedBlock {
  std::string bytes;
  lzma_vli unpadded_size = 0;
  lzma_vli uncompressed_size = 0;
};

Result<EncodedBlock> encode_block(ByteView input, const XzSettings& settings) {
  FilterChain chain;
  BH_RETURN_IF_ERROR(chain.init(settings));
  lzma_block block{};
  block.version = 0;
  block.check = LZMA_CHECK_CRC64;
  block.filters = chain.filters;
  EncodedBlock out;
  OutputBuffer buffer(lzma_block_buffer_bound(input.size()));
  std::size_t written = 0;
  const lzma_ret ret = lzma_block_buffer_encode(&block, nullptr, input.data(), input.size(), buffer.data(), &written,
                                                buffer.capacity());
  if (ret != LZMA_OK) return fail(internal_error(fmt::format("xz block compression failed: {}", lzma_error_text(ret))));
  out.bytes = buffer.take(written);
  out.unpadded_size = lzma_block_unpadded_size(&block);
  out.uncompressed_size = block.uncompressed_size;
  return out;
}

}  // namespace

Result<std::string> compress_xz_parallel(ByteView input, const XzSettings& settings, const XzBlocks& blocks,
                                         Executor& executor) {
  if (blocks.block_size == 0) return fail(invalid_argument("xz block size must be positive"));
  if (input.size() <= blocks.block_size) return compress_xz(input, settings);
  const std::size_t count = (input.size() + blocks.block_size - 1) / blocks.block_size;
  std::vector<EncodedBlock> encoded(count);
  BH_RETURN_IF_ERROR(executor.parallel_for(count, blocks.jobs, [&](std::size_t i) -> Status {
    const std::uint64_t start = i * blocks.block_size;
    const std::uint64_t length = std::min<std::uint64_t>(blocks.block_size, input.size() - start);
    BH_ASSIGN_OR_RETURN(encoded[i], encode_block(input.subspan(start, length), settings));
    return {};
  }));

  lzma_stream_flags flags{};
  flags.version = 0;
  flags.check = LZMA_CHECK_CRC64;
  std::uint8_t header[LZMA_STREAM_HEADER_SIZE];
  if (lzma_stream_header_encode(&flags, header) != LZMA_OK) return fail(internal_error("lzma_stream_header_encode failed"));
  lzma_index* index = lzma_index_init(nullptr);
  if (index == nullptr) return fail(internal_error("lzma_index_init failed"));
  std::string out(reinterpret_cast<const char*>(header), sizeof header);
  Status status;
  for (EncodedBlock& block : encoded) {
    out += block.bytes;
    block.bytes = std::string();
    if (lzma_index_append(index, nullptr, block.unpadded_size, block.uncompressed_size) != LZMA_OK) {
      status = internal_error("lzma_index_append failed");
      break;
    }
  }
  if (status) {
    const std::size_t index_size = lzma_index_size(index);
    std::string index_bytes(index_size, '\0');
    std::size_t pos = 0;
    if (lzma_index_buffer_encode(index, reinterpret_cast<std::uint8_t*>(index_bytes.data()), &pos, index_size) != LZMA_OK) {
      status = internal_error("lzma_index_buffer_encode failed");
    } else {
      out += index_bytes;
      flags.backward_size = index_size;
      std::uint8_t footer[LZMA_STREAM_HEADER_SIZE];
      if (lzma_stream_footer_encode(&flags, footer) != LZMA_OK) {
        status = internal_error("lzma_stream_footer_encode failed");
      } else {
        out.append(reinterpret_cast<const char*>(footer), sizeof footer);
      }
    }
  }
  lzma_index_end(index, nullptr);
  BH_RETURN_IF_ERROR(status);
  return out;
}

Result<bool> xz_uses_x86_filter(ByteView data) {
  if (data.size() < LZMA_STREAM_HEADER_SIZE + 1) return fail(bad_stream("xz", "too short for a stream header"));
  lzma_stream_flags flags{};
  if (lzma_stream_header_decode(&flags, data.data()) != LZMA_OK) return fail(bad_stream("xz", "bad stream header"));
  const std::uint8_t first = data[LZMA_STREAM_HEADER_SIZE];
  if (first == 0) return false;  // the index follows at once: no blocks
  const std::size_t header_size = lzma_block_header_size_decode(first);
  if (data.size() < LZMA_STREAM_HEADER_SIZE + header_size) return fail(bad_stream("xz", "truncated block header"));
  lzma_filter filters[LZMA_FILTERS_MAX + 1];
  lzma_block block{};
  block.version = 1;
  block.check = flags.check;
  block.header_size = static_cast<std::uint32_t>(header_size);
  block.filters = filters;
  if (lzma_block_header_decode(&block, nullptr, data.data() + LZMA_STREAM_HEADER_SIZE) != LZMA_OK) {
    return fail(bad_stream("xz", "bad block header"));
  }
  bool x86 = false;
  for (std::size_t i = 0; filters[i].id != LZMA_VLI_UNKNOWN; ++i) {
    if (filters[i].id == LZMA_FILTER_X86) x86 = true;
    free(filters[i].options);  // NOLINT: allocated by liblzma with malloc
  }
  return x86;
}

Result<std::uint64_t> xz_declared_size(ByteView data) {
  if (data.size() < 2 * LZMA_STREAM_HEADER_SIZE) return fail(bad_stream("xz", "too short for a stream"));
  // The footer is read from the end, so the start must be this stream's header too (found by
  // fuzz_mar_reader: bytes that are not xz but end like an xz stream).
  lzma_stream_flags header{};
  if (lzma_stream_header_decode(&header, data.data()) != LZMA_OK) return fail(bad_stream("xz", "bad stream header"));
  lzma_stream_flags footer{};
  if (lzma_stream_footer_decode(&footer, data.data() + data.size() - LZMA_STREAM_HEADER_SIZE) != LZMA_OK) {
    return fail(bad_stream("xz", "bad stream footer"));
  }
  if (lzma_stream_flags_compare(&header, &footer) != LZMA_OK) {
    return fail(bad_stream("xz", "stream header and footer disagree"));
  }
  if (footer.backward_size > data.size() - 2 * LZMA_STREAM_HEADER_SIZE) return fail(bad_stream("xz", "index out of bounds"));
  const std::size_t index_start = data.size() - LZMA_STREAM_HEADER_SIZE - footer.backward_size;
  lzma_index* index = nullptr;
  std::uint64_t memlimit = 64u << 20;
  std::size_t pos = index_start;
  if (lzma_index_buffer_decode(&index, &memlimit, nullptr, data.data(), &pos, index_start + footer.backward_size) !=
      LZMA_OK) {
    return fail(bad_stream("xz", "bad index"));
  }
  const std::uint64_t total = lzma_index_total_size(index);
  const std::uint64_t size = lzma_index_uncompressed_size(index);
  lzma_index_end(index, nullptr);
  // One stream: the blocks the index describes fill everything between header and index.
  if (total != index_start - LZMA_STREAM_HEADER_SIZE) return fail(bad_stream("xz", "more than one stream"));
  return size;
}

Result<std::string> compress_bzip2(ByteView input) {
  if (input.size() > (1u << 31)) return fail(too_large("bzip2 input over 2 GiB"));
  unsigned out_len = static_cast<unsigned>(input.size() + input.size() / 100 + 600);
  OutputBuffer out(out_len);
  // libbz2 refuses a null source even for zero bytes (an empty mapping has no address).
  char nothing = 0;
  char* source = input.empty() ? &nothing : const_cast<char*>(reinterpret_cast<const char*>(input.data()));
  const int ret = BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &out_len, source,
                                           static_cast<unsigned>(input.size()), 9, 0, 0);
  if (ret != BZ_OK) return fail(internal_error(fmt::format("bzip2 compression failed ({})", ret)));
  return out.take(out_len);
}

}  // namespace bh::compress

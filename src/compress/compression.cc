#include "compress/compression.h"

#include <bzlib.h>
#include <lzma.h>

#include <cstring>
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
  auto n = decompress(input, compression, limits, [&](ByteView piece) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return Status{};
  });
  if (!n) return fail(n.error());
  return out;
}

Result<std::string> compress_xz(ByteView input, const XzSettings& settings) {
  if (settings.preset > 9) return fail(invalid_argument(fmt::format("xz preset {} is not 0-9", settings.preset)));
  lzma_options_lzma lzma2{};
  if (lzma_lzma_preset(&lzma2, settings.preset | (settings.extreme ? LZMA_PRESET_EXTREME : 0)) != 0) {
    return fail(internal_error("lzma_lzma_preset failed"));
  }
  lzma_filter filters[3];
  std::size_t n = 0;
  if (settings.x86_bcj) filters[n++] = {LZMA_FILTER_X86, nullptr};
  filters[n++] = {LZMA_FILTER_LZMA2, &lzma2};
  filters[n] = {LZMA_VLI_UNKNOWN, nullptr};
  // The streaming encoder, as the xz tool uses single-threaded: its block headers carry no
  // sizes, unlike lzma_stream_buffer_encode, so the bytes match the tool's.
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_encoder(&strm, filters, LZMA_CHECK_CRC64) != LZMA_OK) {
    return fail(internal_error("lzma_stream_encoder failed"));
  }
  std::string out;
  out.resize(lzma_stream_buffer_bound(input.size()));
  strm.next_in = input.data();
  strm.avail_in = input.size();
  strm.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  strm.avail_out = out.size();
  lzma_ret ret = LZMA_OK;
  while (ret == LZMA_OK) ret = lzma_code(&strm, LZMA_FINISH);
  const std::size_t written = out.size() - strm.avail_out;
  lzma_end(&strm);
  if (ret != LZMA_STREAM_END) return fail(internal_error(fmt::format("xz compression failed: {}", lzma_error_text(ret))));
  out.resize(written);
  return out;
}

Result<std::string> compress_bzip2(ByteView input) {
  if (input.size() > (1u << 31)) return fail(too_large("bzip2 input over 2 GiB"));
  std::string out;
  unsigned out_len = static_cast<unsigned>(input.size() + input.size() / 100 + 600);
  out.resize(out_len);
  // libbz2 refuses a null source even for zero bytes (an empty mapping has no address).
  char nothing = 0;
  char* source = input.empty() ? &nothing : const_cast<char*>(reinterpret_cast<const char*>(input.data()));
  const int ret = BZ2_bzBuffToBuffCompress(out.data(), &out_len, source,
                                           static_cast<unsigned>(input.size()), 9, 0, 0);
  if (ret != BZ_OK) return fail(internal_error(fmt::format("bzip2 compression failed ({})", ret)));
  out.resize(out_len);
  return out;
}

}  // namespace bh::compress

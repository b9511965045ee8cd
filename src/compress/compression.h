// Entry compression as Mozilla's packaging does it: xz (LZMA2, CRC64, optionally with the x86
// BCJ filter) and bzip2, detected by magic; streaming decompression with an output limit. Shared
// by MAR files (mar/), patches (diff/'s BSDIFF40 blocks) and, next, partial updates.
//
// Thread safety: every function is reentrant (no shared state); run as many in parallel as
// there are cores. Failure: corrupt or truncated streams are kInvalidArgument with the reason,
// output beyond the limit is kTooLarge; nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/mapped_file.h"
#include "core/status.h"

namespace bh::compress {

// The one compression vocabulary: how an entry is stored, and how to store one.
enum class Compression { kNone, kXz, kBzip2 };

std::string_view compression_name(Compression c);  // "none", "xz", "bz2"
// By magic: "\xFD" "7zXZ\0" is xz, "BZh" followed by a level digit is bzip2, anything else none.
Compression detect_compression(ByteView data);

// Receives decompressed bytes in order; a non-OK Status stops decompression and is returned.
using ByteSink = std::function<Status(ByteView)>;

struct DecompressLimits {
  std::uint64_t max_output_bytes = std::uint64_t{2} << 30;  // MBDIFF10 and the updater stop at 2 GiB
  std::uint64_t xz_memory_limit = 256ull << 20;              // decoder memory (the updater allows 64 MiB dictionaries)
};

// Decodes `input` (kNone copies it) into `sink`, in pieces of at most 1 MiB, and returns the
// number of bytes produced. Concatenated streams are accepted, as the xz and bzip2 tools do;
// anything else after the last stream is an error.
Result<std::uint64_t> decompress(ByteView input, Compression compression, const DecompressLimits& limits,
                                 const ByteSink& sink);
// The same into a string.
Result<std::string> decompress_to_string(ByteView input, Compression compression, const DecompressLimits& limits);

// How Mozilla's packaging compresses entries. Its command, `XZ_OPT="-T1 -7e" xz --compress
// [--x86] --lzma2 --format=xz --check=crc64`, names a custom filter chain, and xz then forgets
// the -7e preset: the chain really is LZMA2 at the default preset 6 (xz -vv prints
// dict=8MiB,nice=64). The defaults reproduce its output byte for byte; `preset`/`extreme`
// exist for callers that want what the command was meant to do.
struct XzSettings {
  std::uint32_t preset = 6;
  bool extreme = false;
  bool x86_bcj = false;  // Mozilla: x86/x86_64 full files and manifests, never patches
};
// Single-threaded and deterministic: the same input and settings give the same bytes.
Result<std::string> compress_xz(ByteView input, const XzSettings& settings);
// bzip2 -9 (updaters older than Firefox 56), deterministic.
Result<std::string> compress_bzip2(ByteView input);

}  // namespace bh::compress

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

#include "core/executor.h"
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
// The same into a string (sized from the xz index when the stream declares its size).
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
// What one xz encoder with these settings holds while it runs (preset 6: about 94 MiB).
std::uint64_t xz_encoder_memory(const XzSettings& settings);
// Single-threaded and deterministic: the same input and settings give the same bytes.
Result<std::string> compress_xz(ByteView input, const XzSettings& settings);
// The same stream cut into independent blocks of `block_size` input bytes (the last one shorter),
// compressed in parallel on `executor` (up to `jobs` at once, 0: its CPU budget) and joined into
// one .xz stream with an index, as `xz -T N --block-size=B` writes it. The bytes depend only on
// the input, the settings and the block size, never on the number of threads. Each block starts
// with an empty dictionary, so the output is slightly larger than compress_xz's (a few tenths of a
// percent at 32 MiB blocks); any xz decoder reads it, the updater's xz-embedded included. Input no
// longer than one block gives exactly compress_xz's bytes.
struct XzBlocks {
  std::uint64_t block_size = std::uint64_t{32} << 20;
  unsigned jobs = 0;
};
Result<std::string> compress_xz_parallel(ByteView input, const XzSettings& settings, const XzBlocks& blocks,
                                         Executor& executor);

// Whether the first block of an xz stream runs the x86 BCJ filter: how Mozilla's packaging
// marks an x86/x86_64 build's entries. False for a stream without blocks (an empty file);
// kInvalidArgument when `data` is not an xz stream or its first block header is damaged.
Result<bool> xz_uses_x86_filter(ByteView data);

// The decompressed size an xz stream declares in its index (read from the end, nothing is
// decompressed). Only for a single stream; kInvalidArgument otherwise or when the footer or the
// index is damaged (the decompressor then tells the truth).
Result<std::uint64_t> xz_declared_size(ByteView data);

// bzip2 -9 (updaters older than Firefox 56), deterministic.
Result<std::string> compress_bzip2(ByteView input);

}  // namespace bh::compress

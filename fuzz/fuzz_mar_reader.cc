// libFuzzer target: the MAR reader and everything that consumes a MAR's bytes (entry
// decompression with a limit, the xz stream and block header readers, the signed-bytes walk,
// signature-block rewrites, product information rewrites, base64 signature files). Oracles: anything accepted is internally
// consistent, and rewriting an accepted archive gives one the reader accepts again with the same
// entries.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compress/compression.h"
#include "mar/mar_archive.h"
#include "mar/mar_signing.h"
#include "mar/mar_writer.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void same_entries(const bh::mar::MarArchive& a, const bh::mar::MarArchive& b) {
  check(a.entries().size() == b.entries().size());
  for (std::size_t i = 0; i < a.entries().size(); ++i) {
    check(a.entries()[i].name == b.entries()[i].name);
    const bh::ByteView x = a.entry_bytes(a.entries()[i]);
    const bh::ByteView y = b.entry_bytes(b.entries()[i]);
    check(x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)bh::mar::decode_signature_base64(bytes);

  auto archive = bh::mar::MarArchive::from_bytes(bytes, bh::mar::MarOpenOptions{1 << 20});
  if (!archive) return 0;
  bh::compress::DecompressLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.xz_memory_limit = 32 << 20;
  for (const bh::mar::MarEntry& e : archive->entries()) {
    check(bh::mar::validate_entry_name(e.name).is_ok());
    const bh::ByteView stored = archive->entry_bytes(e);
    check(stored.data() >= archive->bytes().data() &&
          stored.data() + stored.size() <= archive->bytes().data() + archive->index_offset());
    auto produced = bh::compress::decompress(stored, bh::compress::detect_compression(stored), limits,
                                             [](bh::ByteView) { return bh::Status{}; });
    // The xz header readers the partial builder uses: never crash, and a size the index declares
    // is the size the decoder produces.
    (void)bh::compress::xz_uses_x86_filter(stored);
    auto declared = bh::compress::xz_declared_size(stored);
    if (produced && declared) check(*produced == *declared);
  }
  if (!archive->has_signature_block()) return 0;
  std::uint64_t signed_total = 0;
  archive->for_each_signed_chunk([&](bh::ByteView chunk) { signed_total += chunk.size(); });
  std::uint64_t signature_bytes = 0;
  for (const auto& s : archive->signatures()) signature_bytes += s.size;
  check(signed_total + signature_bytes == archive->file_size());

  auto stripped = bh::mar::rebuild_with_signatures(*archive, {});
  check(stripped.has_value());
  auto reopened = bh::mar::MarArchive::from_bytes(*stripped, bh::mar::MarOpenOptions{1 << 21});
  check(reopened.has_value());
  same_entries(*archive, *reopened);
  auto rewrite = bh::mar::rewrite_product_information(*reopened, {"fuzz-channel", "1.0"});
  check(rewrite.has_value());
  std::string refreshed = rewrite->bytes;
  if (!rewrite->whole_file) {
    refreshed = *stripped;
    refreshed.replace(rewrite->offset, rewrite->bytes.size(), rewrite->bytes);
  }
  auto reopened2 = bh::mar::MarArchive::from_bytes(refreshed, bh::mar::MarOpenOptions{1 << 21});
  check(reopened2.has_value());
  check(reopened2->product_information()->channel == "fuzz-channel");
  same_entries(*archive, *reopened2);
  return 0;
}

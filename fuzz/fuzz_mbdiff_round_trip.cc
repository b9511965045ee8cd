// libFuzzer target: the diff itself. The input is split into an old and a new file; the first
// byte picks the sampling step (1, 2, 4 or 8), so the sparse index is exercised on small inputs.
// Oracle: applying the patch to the old file gives the new file exactly, and BSDIFF40 output is
// produced without error (when bit 6 of the first byte is set); never a crash or an out-of-range access (ASan).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "diff/mbdiff_diff.h"
#include "diff/mbdiff_patch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  // One pool for the whole run: fuzzing starts no threads per input.
  static bh::Executor executor({.cpu_budget = 2});
  const std::size_t old_size = std::min<std::size_t>((std::size_t{data[1]} << 8 | data[2]), size - 3);
  const std::string old_file(reinterpret_cast<const char*>(data + 3), old_size);
  const std::string new_file(reinterpret_cast<const char*>(data + 3 + old_size), size - 3 - old_size);
  bh::diff::DiffRequest request{bh::as_bytes(old_file), bh::as_bytes(new_file), {}, {}};
  request.params.sample_step = 1u << (data[0] & 3);
  request.resources.threads = 1 + (data[0] >> 7);
  auto patch = bh::diff::make_patch(request, executor);
  if (!patch) std::abort();
  auto result = bh::diff::apply_mbdiff(bh::as_bytes(old_file), bh::as_bytes(*patch));
  if (!result || *result != new_file) std::abort();
  if ((data[0] & 0x40) != 0) {  // bzip2's large blocks make this slow: one run in four
    request.params.format = bh::diff::PatchFormat::kBsdiff40;
    if (!bh::diff::make_patch(request, executor)) std::abort();
  }
  return 0;
}

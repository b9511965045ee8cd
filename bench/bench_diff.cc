// One diff, timed: bench_diff OLD NEW [THREADS] [OUT]. Prints the wall time, the patch's block
// sizes and triple count, and checks that applying the patch gives NEW.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/byte_order.h"
#include "core/file_io.h"
#include "core/mapped_file.h"
#include "diff/mbdiff_diff.h"
#include "diff/mbdiff_patch.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_diff OLD NEW [THREADS] [OUT]\n");
    return 2;
  }
  auto old_file = bh::MappedFile::open(argv[1], std::uint64_t{4} << 30);
  auto new_file = bh::MappedFile::open(argv[2], std::uint64_t{4} << 30);
  if (!old_file || !new_file) return 1;
  bh::diff::DiffOptions options;
  options.threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 0;
  const auto start = std::chrono::steady_clock::now();
  auto patch = bh::diff::make_patch(old_file->bytes(), new_file->bytes(), options);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!patch) {
    std::fprintf(stderr, "%s\n", patch.error().to_string().c_str());
    return 1;
  }
  const bh::ByteView view = bh::as_bytes(*patch);
  auto header = bh::diff::read_mbdiff_header(view);
  auto applied = bh::diff::apply_mbdiff(old_file->bytes(), view);
  const bool ok = applied && applied->size() == new_file->bytes().size() &&
                  std::equal(applied->begin(), applied->end(), reinterpret_cast<const char*>(new_file->bytes().data()));
  std::printf("diff %.2f s, triples %u, diff block %u, extra block %u, round trip %s\n", secs,
              header->control_length / 12, header->diff_length, header->extra_length, ok ? "ok" : "FAILED");
  if (argc > 4) {
    if (auto s = bh::write_file_atomically(argv[4], *patch); !s) return 1;
  }
  return ok ? 0 : 1;
}

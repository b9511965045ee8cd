// In-process cost of listing a MAR: open (map + validate the whole index) and walk the entries,
// without process start-up. Usage: bench_mar_list FILE.mar [REPETITIONS]
// Prints the median and the 90th percentile in microseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mar/mar_archive.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_mar_list FILE.mar [REPETITIONS]\n");
    return 2;
  }
  const int reps = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::vector<double> micros;
  std::uint64_t checksum = 0;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto archive = bh::mar::MarArchive::open_file(argv[1]);
    if (!archive) {
      std::fprintf(stderr, "%s\n", archive.error().to_string().c_str());
      return 1;
    }
    for (const bh::mar::MarEntry& e : archive->entries()) checksum += e.size + e.name.size();
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  std::printf("%.1f %.1f %llu\n", micros[micros.size() / 2], micros[micros.size() * 9 / 10],
              static_cast<unsigned long long>(checksum % 10));
  return 0;
}

// Demo records ready to store, for tests of the store's readers (search, Kinto's API): `n`
// documents of DemoDataGenerator(seed), with build hashes "v1:<tag><i>" (unique per tag).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingest/demo_data.h"
#include "store/record_store.h"

namespace bh::testing {

inline std::vector<NewRecord> demo_new_records(std::uint64_t seed, int n, const std::string& tag) {
  DemoDataGenerator gen(seed);
  std::vector<NewRecord> out;
  for (int i = 0; i < n; ++i) {
    NewRecord r;
    r.build_hash = "v1:" + tag + std::to_string(i);
    r.document = gen.next_document();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace bh::testing

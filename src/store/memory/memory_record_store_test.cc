#include "store/memory/memory_record_store.h"

#include <gtest/gtest.h>

#include "store/record_store_contract.h"

namespace bh {
namespace {

class MemoryUnderTest final : public contract::StoreUnderTest {
 public:
  explicit MemoryUnderTest(const Clock& clock) : store_(clock) {}
  RecordStore& store() override { return store_; }
  std::unique_ptr<RecordStore> open_another() override { return nullptr; }
  bool reopen() override { return false; }
  void refuse_inserts_of(const std::string& build_hash) override { store_.refuse_inserts_of(build_hash); }

 private:
  MemoryRecordStore store_;
};

using contract::RecordStoreContract;
INSTANTIATE_TEST_SUITE_P(Memory, RecordStoreContract,
                         ::testing::Values(contract::ContractTarget{
                             "memory", [](const Clock& clock) { return std::make_unique<MemoryUnderTest>(clock); }}),
                         contract::contract_target_name);

}  // namespace
}  // namespace bh

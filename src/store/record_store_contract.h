// The RecordStore contract as one test suite that every implementation runs (SQLite, memory,
// and PostgreSQL next), instead of a copy of the same tests per implementation.
//
// An implementation's test file provides a StoreUnderTest factory and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, RecordStoreContract, ::testing::Values(ContractTarget{"sqlite", make}),
//                            contract_target_name);
//
// and adds store/record_store_contract.cc to its test binary's sources (its TEST_Ps live there).
// Implementation-specific behaviour (migrations, files) stays in the implementation's own tests.
#pragma once

#include <functional>
#include <ostream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "store/record_store.h"

namespace bh::contract {

// A record with this hash and document (metadata "{}", no S3 key), for the suite and its users.
inline NewRecord new_record(const std::string& build_hash, const std::string& document = "{}") {
  NewRecord r;
  r.build_hash = build_hash;
  r.document = document;
  return r;
}

// One fresh, empty store and what the suite needs to probe it.
class StoreUnderTest {
 public:
  virtual ~StoreUnderTest() = default;
  virtual RecordStore& store() = 0;
  // A second handle on the same data, as another process would open it; null when the
  // implementation has no such thing (memory:).
  virtual std::unique_ptr<RecordStore> open_another() = 0;
  // Closes the store and opens it again; false when nothing survives that (memory:).
  virtual bool reopen() = 0;
  // From now on every batch holding this hash fails inside the database (a constraint, a
  // trigger, a hook), so the suite can check that a failed batch stores nothing.
  virtual void refuse_inserts_of(const std::string& build_hash) = 0;
};

struct ContractTarget {
  std::string name;
  // Makes a fresh store whose created_at stamps come from `clock`.
  std::function<std::unique_ptr<StoreUnderTest>(const Clock& clock)> make;
};

// gtest prints a parameter in test names and failures: the target's name, not its bytes.
inline void PrintTo(const ContractTarget& target, std::ostream* os) { *os << target.name; }

inline std::string contract_target_name(const ::testing::TestParamInfo<ContractTarget>& info) {
  return info.param.name;
}

class RecordStoreContract : public ::testing::TestWithParam<ContractTarget> {
 protected:
  void SetUp() override {
    target_ = GetParam().make(clock_);
    ASSERT_TRUE(target_);
  }
  RecordStore& store() { return target_->store(); }

  ManualClock clock_;
  std::unique_ptr<StoreUnderTest> target_;
};

}  // namespace bh::contract

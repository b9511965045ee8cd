#include "core/admission.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(Admission, RefusesBeyondCapacityAndGivesPlacesBack) {
  Admission gate(2);
  auto a = gate.try_enter();
  auto b = gate.try_enter();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gate.try_enter());
  EXPECT_EQ(gate.in_progress(), 2u);
  {
    Admission::Ticket copy = *a;  // copies hold one place between them
    a.reset();
    EXPECT_EQ(gate.in_progress(), 2u);
  }
  EXPECT_EQ(gate.in_progress(), 1u);
  EXPECT_TRUE(gate.try_enter());  // the temporary ticket is given back at once
  EXPECT_EQ(gate.in_progress(), 1u);
}

}  // namespace
}  // namespace bh

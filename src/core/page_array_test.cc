#include "core/page_array.h"

#include <cstdint>
#include <utility>

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(PageArray, StartsZeroedAndHoldsWrites) {
  auto array = PageArray<std::uint32_t>::allocate(3000);
  ASSERT_TRUE(array);
  ASSERT_EQ(array->size(), 3000u);
  for (std::uint32_t v : *array) ASSERT_EQ(v, 0u);
  for (std::size_t i = 0; i < array->size(); ++i) (*array)[i] = static_cast<std::uint32_t>(i * 7);
  EXPECT_EQ((*array)[2999], 2999u * 7);
}

TEST(PageArray, ShrinkKeepsThePrefix) {
  auto array = PageArray<std::uint64_t>::allocate(10000);
  ASSERT_TRUE(array);
  for (std::size_t i = 0; i < array->size(); ++i) (*array)[i] = i;
  array->shrink(513);  // not a page boundary
  ASSERT_EQ(array->size(), 513u);
  for (std::size_t i = 0; i < 513; ++i) ASSERT_EQ((*array)[i], i);
  array->shrink(600);  // growing is not shrinking: unchanged
  EXPECT_EQ(array->size(), 513u);
  array->shrink(0);
  EXPECT_TRUE(array->empty());
  EXPECT_EQ(array->data(), nullptr);
}

TEST(PageArray, MovesOwnership) {
  auto array = PageArray<std::uint8_t>::allocate(100);
  ASSERT_TRUE(array);
  (*array)[5] = 42;
  PageArray<std::uint8_t> moved = std::move(*array);
  EXPECT_TRUE(array->empty());
  ASSERT_EQ(moved.size(), 100u);
  EXPECT_EQ(moved[5], 42);
  PageArray<std::uint8_t> other;
  other = std::move(moved);
  EXPECT_EQ(other[5], 42);
  other.reset();
  EXPECT_TRUE(other.empty());
}

TEST(PageArray, EmptyAndImpossibleSizes) {
  auto empty = PageArray<std::uint32_t>::allocate(0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto huge = PageArray<std::uint64_t>::allocate(SIZE_MAX / 4);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code(), Code::kTooLarge);
}

}  // namespace
}  // namespace bh

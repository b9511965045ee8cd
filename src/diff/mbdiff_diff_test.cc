#include "diff/mbdiff_diff.h"

#include <array>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "core/byte_view.h"
#include "core/byte_order.h"
#include "diff/mbdiff_patch.h"
#include "test_support.h"

namespace bh::diff {
namespace {

ByteView view(const std::string& s) { return as_bytes(s); }

std::string random_bytes(std::mt19937_64& rng, std::size_t n, bool text) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(text ? 'a' + rng() % 8 : rng());
  return s;
}

// A "new" version of old by one kind of edit, the kinds a release makes.
std::string mutate(std::mt19937_64& rng, const std::string& old, int kind) {
  std::string s = old;
  auto at = [&](std::size_t limit) { return limit == 0 ? 0 : static_cast<std::size_t>(rng() % (limit + 1)); };
  switch (kind) {
    case 0:  // identical
      break;
    case 1:  // insertions
      for (int i = 0; i < 3; ++i) s.insert(at(s.size()), random_bytes(rng, 1 + rng() % 300, false));
      break;
    case 2:  // deletions
      for (int i = 0; i < 3 && !s.empty(); ++i) {
        const std::size_t p = at(s.size() - 1);
        s.erase(p, std::min<std::size_t>(1 + rng() % 300, s.size() - p));
      }
      break;
    case 3: {  // two blocks swapped
      const std::size_t half = s.size() / 2;
      s = s.substr(half) + s.substr(0, half);
      break;
    }
    case 4: {  // relocation: every little-endian 4-byte field after a point shifted by a constant
      const std::size_t from = at(s.size()) & ~std::size_t{3};
      const std::uint32_t delta = 16 + static_cast<std::uint32_t>(rng() % 4096);
      for (std::size_t p = from; p + 4 <= s.size(); p += 4) {
        std::uint32_t v;
        std::memcpy(&v, s.data() + p, 4);
        v += delta;
        std::memcpy(s.data() + p, &v, 4);
      }
      break;
    }
    case 5:  // scattered noise
      for (std::size_t i = 0; i < s.size() / 50 + 1 && !s.empty(); ++i) s[at(s.size() - 1)] = static_cast<char>(rng());
      break;
    case 6:  // entirely different
      s = random_bytes(rng, s.size(), false);
      break;
    case 7:  // empty new
      s.clear();
      break;
    default:  // a mix
      s = mutate(rng, mutate(rng, mutate(rng, s, 1), 4), 5);
      break;
  }
  return s;
}

// make_patch on a pool of three workers (so three threads really run where a test asks for them).
Result<std::string> diff(const std::string& old_file, const std::string& new_file, const DiffParams& params = {},
                         const DiffResources& resources = {}) {
  Executor executor({.cpu_budget = 3});
  return make_patch({view(old_file), view(new_file), params, resources}, executor);
}

void expect_round_trip(const std::string& old_file, const std::string& new_file, const std::string& what,
                       const DiffParams& params = {}) {
  auto patch = diff(old_file, new_file, params);
  ASSERT_TRUE(patch) << what << ": " << patch.error().to_string();
  auto result = apply_mbdiff(view(old_file), view(*patch));
  ASSERT_TRUE(result) << what << ": " << result.error().to_string();
  ASSERT_EQ(*result, new_file) << what;
}

TEST(MbdiffDiff, EdgeCases) {
  expect_round_trip("", "", "both empty");
  expect_round_trip("", "x", "empty old");
  expect_round_trip("x", "", "empty new");
  expect_round_trip("a", "a", "one byte");
  expect_round_trip("a", "b", "one byte changed");
  expect_round_trip("ab", "ab", "two bytes");
  expect_round_trip(std::string(100000, 'z'), std::string(100001, 'z'), "runs");
  expect_round_trip(std::string(5000, '\0'), std::string(3000, '\0') + "x" + std::string(3000, '\0'), "zeros");
}

TEST(MbdiffDiff, SeededRandomPairsRoundTrip) {
  // Thousands of pairs; the seed is printed on failure so a case can be replayed.
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    std::mt19937_64 rng(seed);
    const std::size_t size = seed % 10 == 0 ? rng() % 200000 : rng() % 3000;
    const std::string old_file = random_bytes(rng, size, seed % 3 == 0);
    const int kind = static_cast<int>(seed % 9);
    const std::string new_file = mutate(rng, old_file, kind);
    // Small files get the full suffix array by default; every sparse step is exercised too.
    DiffParams options;
    options.sample_step = std::array<unsigned, 5>{0, 1, 2, 4, 8}[(seed / 9) % 5];
    expect_round_trip(old_file, new_file,
                      "seed " + std::to_string(seed) + " kind " + std::to_string(kind) + " step " +
                          std::to_string(options.sample_step),
                      options);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(MbdiffDiff, MozillaVectorPairsRoundTripAndAreCompact) {
  for (const std::string name : {"01-text", "02-identical", "05-random-edits", "06-swap", "07-reloc-table"}) {
    const auto dir = bh::testing::shared_dir() / "fixtures/mar/mbdiff10-vectors";
    const std::string old_file = bh::testing::read_text(dir / (name + ".old"));
    const std::string new_file = bh::testing::read_text(dir / (name + ".new"));
    expect_round_trip(old_file, new_file, name);
    auto ours = diff(old_file, new_file);
    auto header = read_mbdiff_header(view(*ours));
    ASSERT_TRUE(header);
    // Mostly matched: the extra block (literal bytes) stays small where Mozilla's is small.
    const std::string theirs = bh::testing::read_text(dir / (name + ".mbdiff10.patch"));
    auto their_header = read_mbdiff_header(view(theirs));
    EXPECT_LE(header->extra_length, their_header->extra_length + 64) << name;
  }
}

TEST(MbdiffDiff, ManyChunksAndThreadsGiveTheSameBytes) {
  std::mt19937_64 rng(99);
  const std::string old_file = random_bytes(rng, 9 << 20, false);  // more than two 4 MiB scan chunks
  // Insertions shift the alignment in every chunk after them; scattered noise breaks exact runs.
  const std::string new_file = mutate(rng, mutate(rng, old_file, 1), 5);
  auto a = diff(old_file, new_file, {}, {.threads = 1});
  auto b = diff(old_file, new_file, {}, {.threads = 2});
  auto c = diff(old_file, new_file, {}, {.threads = 3});  // an uneven cut of the suffix-array merge
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  auto result = apply_mbdiff(view(old_file), view(*a));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, new_file);
  // MBDIFF10 is uncompressed, so its size is about the new file's; what must be small is the
  // extra block (bytes that matched nothing).
  auto header = read_mbdiff_header(view(*a));
  ASSERT_TRUE(header);
  EXPECT_LT(header->extra_length, new_file.size() / 20) << "a lightly edited file must mostly match";
}

// The old file is sorted in slices that are merged: blocks that straddle slice boundaries, moved
// to odd offsets, must still be found (a missed block would land in the extra block).
TEST(MbdiffDiff, BlocksAcrossSliceBoundariesAreFound) {
  std::mt19937_64 rng(7);
  const std::size_t n = 10 << 20;
  const std::string old_file = random_bytes(rng, n, false);
  std::string new_file;
  for (std::size_t slice = 7; slice >= 1; --slice) {  // in reverse order, each at a new alignment
    const std::size_t boundary = n * slice / 8;
    new_file += old_file.substr(boundary - 40001 - slice, 80003);
    new_file += random_bytes(rng, 13, false);
  }
  auto patch = diff(old_file, new_file);
  ASSERT_TRUE(patch);
  auto header = read_mbdiff_header(view(*patch));
  ASSERT_TRUE(header);
  EXPECT_LT(header->extra_length, 7 * 13 + 7 * 64) << "every moved block must be matched";
  auto result = apply_mbdiff(view(old_file), view(*patch));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, new_file);
}

// Long runs make suffixes that share more than the merge compares; they must still sort and match.
TEST(MbdiffDiff, LongRunsAcrossSlices) {
  std::mt19937_64 rng(8);
  std::string old_file(9 << 20, '\0');
  for (std::size_t p = 0; p < old_file.size(); p += 1 << 20) old_file.replace(p, 100, random_bytes(rng, 100, false));
  std::string new_file = old_file;
  new_file.insert(5 << 20, "inserted in the middle of a run");
  new_file[(1 << 20) + 50] ^= 1;
  auto patch = diff(old_file, new_file);
  ASSERT_TRUE(patch);
  auto header = read_mbdiff_header(view(*patch));
  ASSERT_TRUE(header);
  EXPECT_LT(header->extra_length, 4096u);
  auto result = apply_mbdiff(view(old_file), view(*patch));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, new_file);
}

// Every sampling step finds code that moved to another alignment (insertions, then the halves
// swapped) through scattered changes.
TEST(MbdiffDiff, EverySampleStepFindsMovedCode) {
  std::mt19937_64 rng(9);
  const std::string old_file = random_bytes(rng, 2 << 20, true);
  const std::string new_file = mutate(rng, mutate(rng, mutate(rng, old_file, 1), 3), 5);
  for (const unsigned step : {1u, 2u, 4u, 8u}) {
    auto patch = diff(old_file, new_file, {.sample_step = step});
    ASSERT_TRUE(patch) << step;
    auto header = read_mbdiff_header(view(*patch));
    ASSERT_TRUE(header);
    EXPECT_LT(header->extra_length, new_file.size() / 100) << "step " << step;
    auto result = apply_mbdiff(view(old_file), view(*patch));
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, new_file) << step;
  }
}

TEST(MbdiffDiff, UnsupportedSampleStepIsAClearError) {
  auto r = diff("old", "new", {.sample_step = 3});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST(MbdiffDiff, MemoryLimitIsAClearError) {
  auto r = diff(std::string(100000, 'a'), std::string(100000, 'b'), {}, {.max_memory = 1000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kTooLarge);
}

TEST(MbdiffDiff, ReservesItsEstimateOnTheExecutorsMemoryBudget) {
  const std::string old_file(100000, 'a'), new_file(100000, 'b');
  const std::uint64_t need = estimate_diff_memory(old_file.size(), new_file.size(), {}, 1);
  {
    Executor tight({.cpu_budget = 1, .memory_budget = need - 1});
    auto r = make_patch({view(old_file), view(new_file), {}, {}}, tight);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::kTooLarge);
    EXPECT_NE(r.error().message().find("the diff needs"), std::string::npos) << r.error().message();
  }
  Executor enough({.cpu_budget = 1, .memory_budget = need});
  auto held = enough.memory().reserve(1, "someone else");
  ASSERT_TRUE(held);
  // One byte is held elsewhere: the diff waits for it, so release it from another thread.
  std::jthread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    held->release();
  });
  auto r = make_patch({view(old_file), view(new_file), {}, {}}, enough);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(enough.memory().in_use(), 0u);  // given back when the patch is done
}

TEST(MbdiffDiff, OutputIdentityNamesTheEngineAndEveryOutputParameter) {
  EXPECT_EQ(output_identity({}), "mbdiff-engine-" + std::to_string(kEngineVersion) + ";format=mbdiff10;step=auto");
  EXPECT_NE(output_identity({.format = PatchFormat::kBsdiff40}), output_identity({}));
  EXPECT_NE(output_identity({.sample_step = 4}), output_identity({}));
  EXPECT_EQ(output_identity({.sample_step = 4}), output_identity({.sample_step = 4}));
}

TEST(MbdiffDiff, Bsdiff40HasTheClassicHeader) {
  auto patch = diff("hello old world", "hello new world!", {.format = PatchFormat::kBsdiff40});
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->substr(0, 8), "BSDIFF40");
  EXPECT_EQ(patch->substr(24, 8), std::string("\x10\0\0\0\0\0\0\0", 8));  // new size, little-endian
}

}  // namespace
}  // namespace bh::diff

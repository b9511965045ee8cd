// Kinto's listing parameters: the grammar, Kinto's error messages, the page token.
#include "v1/kinto_query.h"

#include <gtest/gtest.h>

namespace bh::v1 {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(KintoQuery, DefaultsToNewestFirstWithoutLimit) {
  auto q = parse_kinto_query({});
  ASSERT_TRUE(q);
  ASSERT_EQ(q->sort.size(), 1u);
  EXPECT_EQ(q->sort[0].field, "last_modified");
  EXPECT_TRUE(q->sort[0].descending);
  EXPECT_FALSE(q->limit);
  EXPECT_TRUE(q->filters.empty());
}

TEST(KintoQuery, ReadsEveryFilterPrefix) {
  auto q = parse_kinto_query({{"target.version", "57.0"},
                              {"not_target.locale", "en-US"},
                              {"in_target.platform", "win64,linux-x86_64"},
                              {"exclude_source.product", "fennec"},
                              {"min_build.id", "2017"},
                              {"max_build.id", "2018"},
                              {"lt_download.size", "10"},
                              {"gt_download.size", "1"},
                              {"has_build.date", "false"},
                              {"like_download.url", "linux"},
                              {"eq_source.tree", "mozilla-central"}});
  ASSERT_TRUE(q) << q.error().to_string();
  ASSERT_EQ(q->filters.size(), 11u);
  EXPECT_EQ(q->filters[0].op, KintoOp::kEq);
  EXPECT_EQ(q->filters[0].field, "target.version");
  EXPECT_EQ(q->filters[0].values, std::vector<std::string>{"57.0"});
  EXPECT_EQ(q->filters[1].op, KintoOp::kNot);
  EXPECT_EQ(q->filters[2].op, KintoOp::kIn);
  EXPECT_EQ(q->filters[2].values, (std::vector<std::string>{"win64", "linux-x86_64"}));
  EXPECT_EQ(q->filters[3].op, KintoOp::kExclude);
  EXPECT_EQ(q->filters[4].op, KintoOp::kMin);
  EXPECT_EQ(q->filters[5].op, KintoOp::kMax);
  EXPECT_EQ(q->filters[6].op, KintoOp::kLt);
  EXPECT_EQ(q->filters[7].op, KintoOp::kGt);
  EXPECT_EQ(q->filters[8].op, KintoOp::kHas);
  EXPECT_FALSE(q->filters[8].present);
  EXPECT_EQ(q->filters[9].op, KintoOp::kLike);
  EXPECT_EQ(q->filters[10].op, KintoOp::kEq);
  EXPECT_EQ(q->filters[10].field, "source.tree");
}

TEST(KintoQuery, QuotedValuesAreTheirJsonStrings) {
  auto q = parse_kinto_query({{"target.version", "\"57.0\""}, {"in_target.locale", "\"fr\",de"}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->filters[0].values, std::vector<std::string>{"57.0"});
  EXPECT_EQ(q->filters[1].values, (std::vector<std::string>{"fr", "de"}));
}

TEST(KintoQuery, SinceAndBeforeAreTimestampFilters) {
  auto q = parse_kinto_query({{"_since", "\"1500000000000\""}, {"_before", "1600000000000"}, {"_to", "7"}});
  ASSERT_TRUE(q);
  ASSERT_EQ(q->filters.size(), 3u);
  EXPECT_EQ(q->filters[0].field, "last_modified");
  EXPECT_EQ(q->filters[0].op, KintoOp::kGt);
  EXPECT_EQ(q->filters[0].values, std::vector<std::string>{"1500000000000"});
  EXPECT_EQ(q->filters[1].op, KintoOp::kLt);
  EXPECT_EQ(q->filters[2].op, KintoOp::kLt);
}

TEST(KintoQuery, SortLimitAndFields) {
  auto q = parse_kinto_query({{"_sort", "-build.id,target.locale,+id"}, {"_limit", "25"}, {"_fields", "target.version,build"}});
  ASSERT_TRUE(q);
  ASSERT_EQ(q->sort.size(), 3u);
  EXPECT_EQ(q->sort[0].field, "build.id");
  EXPECT_TRUE(q->sort[0].descending);
  EXPECT_EQ(q->sort[1].field, "target.locale");
  EXPECT_FALSE(q->sort[1].descending);
  EXPECT_EQ(q->sort[2].field, "id");
  EXPECT_EQ(q->limit, 25u);
  EXPECT_EQ(q->fields, (std::vector<std::string>{"target.version", "build"}));
}

TEST(KintoQuery, UnknownUnderscoreParametersAreIgnoredAsKintoDoes) {
  auto q = parse_kinto_query({{"_", "1512345678"}, {"_expected", "1"}, {"", "no name"}});
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->filters.empty());
}

TEST(KintoQuery, BadParametersAreNamedInKintosWords) {
  const std::vector<std::pair<Params, std::string>> cases = {
      {{{"_since", "yesterday"}}, "_since in querystring: The value should be integer."},
      {{{"_limit", "-1"}}, "_limit in querystring: The value should be a positive integer."},
      {{{"_limit", "ten"}}, "_limit in querystring: The value should be a positive integer."},
      {{{"has_build.id", "maybe"}}, "has_build.id in querystring: The value should be true or false."},
      {{{"min_last_modified", "abc"}}, "min_last_modified in querystring: The value should be integer."},
      {{{"_token", "!!!"}}, "_token in querystring: Invalid pagination token."},
      {{{"target..version", "1"}}, "target..version in querystring: Unknown or invalid field name."},
      {{{"in_target version", "a"}}, "in_target version in querystring: Unknown or invalid field name."},
      {{{"_sort", "-"}}, "_sort in querystring: Unknown or invalid sort field []."},
  };
  for (const auto& [params, message] : cases) {
    auto q = parse_kinto_query(params);
    ASSERT_FALSE(q) << params[0].first;
    EXPECT_EQ(q.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(q.error().message(), message);
    EXPECT_EQ(kinto_error_parameter(q.error().message()), params[0].first);
  }
}

TEST(KintoQuery, TokensRoundTripAndRefuseWhatIsNotACursor) {
  for (const auto& cursor : {nlohmann::json::array({1500000000123LL, 42}), nlohmann::json::array({"57.0", nullptr, "x", 7}),
                             nlohmann::json::array({"é", 1})}) {
    const std::string token = encode_kinto_token(cursor);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    auto back = decode_kinto_token(token);
    ASSERT_TRUE(back) << token;
    EXPECT_EQ(*back, cursor);
    auto q = parse_kinto_query({{"_token", token}});
    ASSERT_TRUE(q);
    EXPECT_EQ(q->after, cursor);
  }
  for (const std::string& bad : std::vector<std::string>{"", "A", "e30", encode_kinto_token(nlohmann::json::object()),
                                encode_kinto_token(nlohmann::json::array()),
                                encode_kinto_token(nlohmann::json::array({nlohmann::json::array({1})})),
                                encode_kinto_token(nlohmann::json::array({true})), std::string(100000, 'A')}) {
    EXPECT_FALSE(decode_kinto_token(bad)) << bad;
  }
}

}  // namespace
}  // namespace bh::v1

#include "net/sqs_json.h"

#include <gtest/gtest.h>

namespace bh::net {
namespace {

TEST(SqsJson, ReceiveMessageAnswers) {
  auto none = parse_receive_message("{}");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto some = parse_receive_message(R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","MD5OfBody":"x",
    "Body":"{\"Records\":[]}","Attributes":{"ApproximateReceiveCount":"3","SentTimestamp":"1"}},
    {"MessageId":"m2","ReceiptHandle":"r2","Body":""}]})");
  ASSERT_TRUE(some) << some.error().to_string();
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].message_id, "m1");
  EXPECT_EQ((*some)[0].receipt_handle, "r1");
  EXPECT_EQ((*some)[0].body, R"({"Records":[]})");
  EXPECT_EQ((*some)[0].receive_count, 3u);
  EXPECT_EQ((*some)[1].receive_count, 0u);
}

TEST(SqsJson, BadAnswersAreRefused) {
  for (const char* bad : {"", "[]", "null", "{\"Messages\": {}}", "{\"Messages\": [1]}",
                          "{\"Messages\": [{\"MessageId\": \"m\"}]}",
                          "{\"Messages\": [{\"MessageId\": 1, \"ReceiptHandle\": \"r\", \"Body\": \"\"}]}",
                          "{\"Messages\": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}", "{\"a\": \"\xff\"}"}) {
    auto r = parse_receive_message(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    }
  }
}

TEST(SqsJson, BatchOutcomesAndErrors) {
  auto o = parse_batch_outcome(
      R"({"Successful":[{"Id":"0"},{"Id":"2"}],"Failed":[{"Id":"1","Code":"ReceiptHandleIsInvalid","Message":"gone","SenderFault":true}]})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->successful, (std::vector<std::string>{"0", "2"}));
  ASSERT_EQ(o->failed.size(), 1u);
  EXPECT_EQ(o->failed[0].first, "1");
  EXPECT_EQ(o->failed[0].second, "ReceiptHandleIsInvalid: gone");
  EXPECT_FALSE(parse_batch_outcome(R"({"Successful":[{}]})"));

  auto e = parse_sqs_error(R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The queue does not exist."})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "QueueDoesNotExist");
  EXPECT_EQ(e->message, "The queue does not exist.");
  auto upper = parse_sqs_error(R"({"__type":"AccessDenied","Message":"no"})");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->message, "no");
  EXPECT_FALSE(parse_sqs_error("<xml/>"));
  EXPECT_FALSE(parse_sqs_error("{}"));
}

}  // namespace
}  // namespace bh::net

#include "server/ingest_routes.h"

#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/memory/memory_record_store.h"
#include "test_support.h"

namespace bh {
namespace {

const std::string kToken = "s3cr3t-token-0123456789";

class IngestRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = SchemaValidator::create_builtin();
    ASSERT_TRUE(v);
    validator_ = *v;
    module_ = make_ingest_routes({.store = store_,
                                  .validator = *validator_,
                                  .executor = executor_,
                                  .metrics = metrics_,
                                  .push_tokens = {"another-token-abcdefgh", kToken},
                                  .limits = {.max_document_bytes = 4096},
                                  .metadata = R"({"source":"push"})"});
    module_->register_routes(router_);
    valid_ = testing::read_text(testing::shared_dir() / "fixtures/buildhub2/valid-buildhub.json");
  }

  HttpResponse call(std::string method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.remote_address = "10.1.2.3";
    std::promise<HttpResponse> answer;
    auto future = answer.get_future();
    router_.dispatch(std::move(r), Responder([&answer](HttpResponse resp) { answer.set_value(std::move(resp)); }));
    return future.get();
  }
  HttpResponse push(const std::string& body, const std::string& auth = "Bearer " + kToken) {
    return call("POST", "/api/builds", body, {{"authorization", auth}});
  }

  MemoryRecordStore store_;
  Executor executor_{{.cpu_budget = 2}};
  MetricsRegistry metrics_;
  Router router_{metrics_, system_clock()};
  std::shared_ptr<const SchemaValidator> validator_;
  std::unique_ptr<RouteModule> module_;
  std::string valid_;
};

TEST_F(IngestRoutesTest, NewThenAlreadyPresent) {
  const HttpResponse first = push(valid_);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto body = nlohmann::json::parse(first.body);
  EXPECT_EQ(body["id"], 1);
  EXPECT_TRUE(body["build_hash"].get<std::string>().starts_with("v1:"));
  EXPECT_EQ(body["inserted"], true);
  const HttpResponse again = push(valid_, "bearer " + kToken);  // the scheme is case-insensitive
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(nlohmann::json::parse(again.body)["id"], 1);
  EXPECT_EQ(*store_.count(), 1);
  EXPECT_EQ((*store_.get(1))->metadata, R"({"source":"push"})");
}

TEST_F(IngestRoutesTest, WithoutAValidTokenNothingIsStored) {
  for (const std::string& auth : {std::string(), std::string("Bearer"), std::string("Bearer wrong-token-xxxxxxxx"),
                                  "Basic " + kToken, "Bearer " + kToken + "x", "Bearer " + kToken.substr(1)}) {
    const HttpResponse r = auth.empty() ? call("POST", "/api/builds", valid_) : push(valid_, auth);
    EXPECT_EQ(r.status, 401) << auth;
    bool challenged = false;
    for (const auto& [k, v] : r.headers) challenged |= k == "WWW-Authenticate";
    EXPECT_TRUE(challenged);
  }
  EXPECT_EQ(*store_.count(), 0);
  EXPECT_EQ(*store_.count_rejections(), 0);
}

TEST_F(IngestRoutesTest, InvalidDocumentsListEveryProblemAndAreRecorded) {
  auto doc = nlohmann::json::parse(valid_);
  doc["target"]["os"] = "beos";
  doc["download"]["size"] = "big";
  const HttpResponse r = push(doc.dump());
  ASSERT_EQ(r.status, 400) << r.body;
  const auto body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["errors"].size(), 2u) << r.body;
  EXPECT_EQ(body["errors"][0]["pointer"], "/download/size");
  EXPECT_EQ(body["errors"][1]["pointer"], "/target/os");
  EXPECT_FALSE(body["errors"][1]["rule"].get<std::string>().empty());
  const HttpResponse not_json = push("{\"build\":");
  ASSERT_EQ(not_json.status, 400);
  EXPECT_EQ(nlohmann::json::parse(not_json.body)["errors"][0]["pointer"], "");
  EXPECT_EQ(*store_.count(), 0);
  auto rejections = store_.list_rejections(0, 10);
  ASSERT_EQ(rejections->size(), 2u);
  EXPECT_EQ((*rejections)[1].source, "push");
  EXPECT_EQ((*rejections)[1].origin, "push:10.1.2.3");
  EXPECT_NE((*rejections)[1].reason.find("/target/os"), std::string::npos);
}

TEST_F(IngestRoutesTest, TooLargeIs413) {
  const HttpResponse r = push(std::string(5000, ' ') + valid_);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(*store_.count(), 0);
}

TEST_F(IngestRoutesTest, RejectionsArePagedNewestFirst) {
  for (int i = 0; i < 5; ++i) push("[" + std::to_string(i) + "]");
  HttpResponse r = call("GET", "/api/rejections?limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["total"], 5);
  ASSERT_EQ(body["rejections"].size(), 2u);
  EXPECT_EQ(body["rejections"][0]["id"], 5);
  EXPECT_EQ(body["rejections"][0]["source"], "push");
  EXPECT_TRUE(body["rejections"][0]["key"].is_null());
  std::vector<int> ids;
  while (true) {
    for (const auto& x : body["rejections"]) ids.push_back(x["id"].get<int>());
    if (body["next"].is_null()) break;
    r = call("GET", body["next"].get<std::string>());
    ASSERT_EQ(r.status, 200);
    body = nlohmann::json::parse(r.body);
  }
  EXPECT_EQ(ids, (std::vector<int>{5, 4, 3, 2, 1}));
  for (const char* bad : {"/api/rejections?limit=0", "/api/rejections?limit=abc", "/api/rejections?before=-1",
                          "/api/rejections?limit=1001", "/api/rejections?page=2", "/api/rejections?limit=%zz"}) {
    EXPECT_EQ(call("GET", bad).status, 400) << bad;
  }
}

TEST(TokenMatches, ComparesWholeTokens) {
  const std::vector<std::string> tokens = {"alpha-token-0000", "beta-token-11111"};
  EXPECT_TRUE(token_matches("alpha-token-0000", tokens));
  EXPECT_TRUE(token_matches("beta-token-11111", tokens));
  EXPECT_FALSE(token_matches("alpha-token-000", tokens));
  EXPECT_FALSE(token_matches("alpha-token-00000", tokens));
  EXPECT_FALSE(token_matches("", tokens));
  EXPECT_FALSE(token_matches("alpha-token-0000", {}));
}

}  // namespace
}  // namespace bh

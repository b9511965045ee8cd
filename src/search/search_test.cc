// End-to-end tests of the search engine: data-driven conformance cases
// (tests/search_cases/*.json over tests/search_cases/corpus.ndjson) and a differential test
// against a brute-force scan of the documents.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/demo_data.h"
#include "record/date_time.h"
#include "search/executor.h"
#include "search/request_parser.h"
#include "test_support.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const fs::path kCases = fs::path(BH_SOURCE_DIR) / "tests" / "search_cases";

struct Corpus {
  std::vector<std::string> docs;
  SearchIndex index;
  explicit Corpus(std::vector<std::string> d) : docs(std::move(d)) {
    std::vector<IndexInput> in;
    for (std::size_t i = 0; i < docs.size(); ++i) in.push_back({static_cast<RecordId>(i + 1), docs[i]});
    index.add_batch(in);
  }
};

// `n` demo documents from the generator seeded with `seed`.
std::vector<std::string> demo_texts(std::uint64_t seed, std::size_t n) {
  DemoDataGenerator gen(seed);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < n; ++i) texts.push_back(gen.next_document());
  return texts;
}

Result<json> search(const SearchIndex& index, std::string_view body) {
  SearchLimits limits;
  BH_ASSIGN_OR_RETURN(SearchRequest r, parse_search_body(body, limits, 1700000000000));
  SearchExecutor exec(index, limits);
  BH_ASSIGN_OR_RETURN(std::string out, exec.run(r));
  return json::parse(out);
}

// expected ⊆ actual: objects by key, arrays element-wise with equal length, numbers by value.
bool subset(const json& expected, const json& actual, std::string& where) {
  if (expected.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [k, v] : expected.items()) {
      if (!actual.contains(k)) { where = "missing key " + k; return false; }
      if (!subset(v, actual[k], where)) { where = k + "." + where; return false; }
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) { where = "array length"; return false; }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!subset(expected[i], actual[i], where)) { where = "[" + std::to_string(i) + "]" + where; return false; }
    }
    return true;
  }
  if (expected.is_number() && actual.is_number()) {
    const double e = expected.get<double>(), a = actual.get<double>();
    if (std::fabs(e - a) <= 1e-6 * std::max(1.0, std::fabs(e))) return true;
    where = "value " + actual.dump();
    return false;
  }
  if (expected != actual) { where = "value " + actual.dump(); return false; }
  return true;
}

std::vector<std::string> corpus_docs() {
  std::vector<std::string> docs;
  std::ifstream in(kCases / "corpus.ndjson");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) docs.push_back(line);
  }
  return docs;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kCases)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, Case) {
  static Corpus corpus(corpus_docs());
  ASSERT_EQ(corpus.index.doc_count(), 10u);
  const json c = json::parse(bh::testing::read_text(kCases / (GetParam() + ".json")));
  const std::string body = c.contains("raw_body") ? c["raw_body"].get<std::string>() : c["request"].dump();
  auto result = search(corpus.index, body);
  if (c.contains("expect_error")) {
    ASSERT_FALSE(result) << "expected an error, got " << result->dump();
    EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
    EXPECT_NE(result.error().message().find(c["expect_error"].get<std::string>()), std::string::npos)
        << result.error().message();
    if (c.contains("expect_error_type")) {
      EXPECT_EQ(result.error().kind(), c["expect_error_type"].get<std::string>());
    }
    return;
  }
  ASSERT_TRUE(result) << result.error().message();
  // A case must say what it expects: an empty expectation passes whatever the engine answers.
  ASSERT_TRUE(c.contains("expect") && c["expect"].is_object() && !c["expect"].empty()) << "the case expects nothing";
  std::string where;
  EXPECT_TRUE(subset(c["expect"], *result, where)) << "at " << where << "\n got: " << result->dump().substr(0, 3000);
  EXPECT_EQ((*result)["_shards"]["total"], 1);
  EXPECT_EQ((*result)["timed_out"], false);
}

INSTANTIATE_TEST_SUITE_P(SearchCases, Conformance, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- differential: the index against a brute-force scan of the JSON ----

const json* at(const json& doc, std::string_view path) {
  const auto dot = path.find('.');
  const std::string obj(path.substr(0, dot)), key(path.substr(dot + 1));
  if (!doc.contains(obj) || !doc[obj].contains(key)) return nullptr;
  return &doc[obj][key];
}

bool wild(std::string_view p, std::string_view t) {  // independent, recursive wildcard matcher
  if (p.empty()) return t.empty();
  if (p[0] == '*') return wild(p.substr(1), t) || (!t.empty() && wild(p, t.substr(1)));
  if (t.empty()) return false;
  return (p[0] == '?' || p[0] == t[0]) && wild(p.substr(1), t.substr(1));
}

bool brute(const json& q, const json& doc) {
  const auto first = q.begin();  // (structured bindings on items() would dangle)
  const std::string type = first.key();
  const json& body = first.value();
  if (type == "match_all") return true;
  if (type == "bool") {
    for (const auto& c : body.value("must", json::array())) if (!brute(c, doc)) return false;
    for (const auto& c : body.value("must_not", json::array())) if (brute(c, doc)) return false;
    // In a query context, should clauses are optional once a must clause is there.
    const auto should = body.value("should", json::array());
    if (!should.empty() && !body.contains("must") && std::none_of(should.begin(), should.end(), [&](const json& c) { return brute(c, doc); })) return false;
    return true;
  }
  if (type == "exists") return at(doc, body["field"].get<std::string>()) != nullptr;
  const auto clause = body.begin();
  const std::string field = clause.key();
  const json& arg = clause.value();
  const json* v = at(doc, field);
  if (!v) return false;
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (arg.is_object() && arg.value("case_insensitive", false)) {
    const std::string value = lower(v->get<std::string>()), wanted = lower(arg["value"].get<std::string>());
    return type == "term" ? value == wanted : value.starts_with(wanted);
  }
  if (type == "term") return *v == arg;
  if (type == "terms") return std::find(arg.begin(), arg.end(), *v) != arg.end();
  if (type == "prefix") return v->get<std::string>().starts_with(arg.get<std::string>());
  if (type == "wildcard") return wild(arg.get<std::string>(), v->get<std::string>());
  if (type == "range") {
    std::int64_t x = v->is_number() ? v->get<std::int64_t>() : *rfc3339_to_epoch_millis(v->get<std::string>());
    if (arg.contains("gte") && x < arg["gte"].get<std::int64_t>()) return false;
    if (arg.contains("lt") && x >= arg["lt"].get<std::int64_t>()) return false;
    return true;
  }
  ADD_FAILURE() << "brute force does not know " << type;
  return false;
}

TEST(Differential, IndexAnswersEqualABruteForceScan) {
  DemoDataGenerator gen(11);
  std::vector<std::string> texts;
  std::vector<json> docs;
  for (int i = 0; i < 3000; ++i) {
    texts.push_back(gen.next_document());
    docs.push_back(json::parse(texts.back()));
  }
  Corpus corpus(texts);
  std::mt19937_64 rng(5);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> keywords = {"target.platform", "target.channel", "target.locale", "target.version",
                                             "source.product", "download.mimetype", "build.id", "target.os"};
  auto leaf = [&]() -> json {
    const json& d = docs[pick(docs.size())];
    const std::string f = keywords[pick(keywords.size())];
    const std::string value = (*at(d, f)).get<std::string>();
    // The same value in a random mixture of cases, for case-insensitive clauses.
    const auto mixed = [&](std::string s) {
      for (char& c : s) {
        if (std::isalpha(static_cast<unsigned char>(c)) && pick(2)) c = static_cast<char>(c ^ 0x20);
      }
      return s;
    };
    switch (pick(9)) {
      case 0: return {{"term", {{f, value}}}};
      case 1: return {{"terms", {{f, {value, (*at(docs[pick(docs.size())], f)).get<std::string>()}}}}};
      case 2: return {{"prefix", {{f, value.substr(0, 1 + pick(value.size()))}}}};
      case 3: {
        std::string p = value;
        p[pick(p.size())] = '?';
        if (p.size() > 2) p = p.substr(0, p.size() / 2) + "*";
        return {{"wildcard", {{f, p}}}};
      }
      case 4: {
        const std::int64_t a = 40'000'000 + static_cast<std::int64_t>(pick(50'000'000));
        return {{"range", {{"download.size", {{"gte", a}, {"lt", a + static_cast<std::int64_t>(pick(30'000'000))}}}}}};
      }
      case 5: {
        const std::int64_t a = 1485000000000 + static_cast<std::int64_t>(pick(250'000'000)) * 1000;
        return {{"range", {{pick(2) ? "build.date" : "download.date", {{"gte", a}, {"lt", a + static_cast<std::int64_t>(pick(90)) * 86400000}}}}}};
      }
      case 6: case 7: {
        json options = json::object();
        options["value"] = mixed(pick(2) ? value : value.substr(0, 1 + pick(value.size())));
        options["case_insensitive"] = true;
        json clause = json::object();
        clause[f] = options;
        json q = json::object();
        q[pick(2) ? "term" : "prefix"] = clause;
        return q;
      }
      default: return {{"exists", {{"field", "build.number"}}}};
    }
  };
  for (int round = 0; round < 150; ++round) {
    json q;
    if (round % 3 == 0) {
      q = leaf();
    } else {
      json b = json::object();
      b["must"] = json::array({leaf()});
      if (pick(2)) b["must_not"] = json::array({leaf()});
      if (pick(2)) b["should"] = json::array({leaf(), leaf()});
      if (round % 3 == 2) b["must"] = json::array({json{{"bool", b}}});
      q = {{"bool", b}};
    }
    json request = {{"query", q}, {"size", 1000}, {"sort", {"_doc"}},
                    {"_source", false}, {"aggs", {{"c", {{"terms", {{"field", "target.channel"}}}}}}}};
    auto result = search(corpus.index, request.dump());
    ASSERT_TRUE(result) << request.dump() << ": " << result.error().message();
    std::vector<std::string> expected;
    std::map<std::string, int> channels;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      if (!brute(q, docs[i])) continue;
      expected.push_back(std::to_string(i + 1));
      ++channels[docs[i]["target"]["channel"].get<std::string>()];
    }
    ASSERT_EQ((*result)["hits"]["total"].get<std::size_t>(), expected.size()) << request.dump();
    std::vector<std::string> got;
    for (const auto& h : (*result)["hits"]["hits"]) got.push_back(h["_id"].get<std::string>());
    expected.resize(std::min<std::size_t>(expected.size(), 1000));
    ASSERT_EQ(got, expected) << request.dump();
    std::map<std::string, int> buckets;
    for (const auto& b : (*result)["aggregations"]["c"]["buckets"]) buckets[b["key"].get<std::string>()] = b["doc_count"].get<int>();
    ASSERT_EQ(buckets, channels) << request.dump();
  }
}

// One number as the sort key (the page's sort) has its own path: ties, missing values first or
// last, from/size and a query that leaves gaps in the document ids, against a brute-force sort;
// and a facet's terms and cardinality on one field (which share a pass) against a count.
TEST(Differential, SortByOneNumberAndFacetCountsEqualABruteForceScan) {
  DemoDataGenerator gen(23);
  std::vector<std::string> texts;
  std::vector<json> docs;
  for (int i = 0; i < 2000; ++i) {
    texts.push_back(gen.next_document());
    docs.push_back(json::parse(texts.back()));
  }
  Corpus corpus(texts);
  std::mt19937_64 rng(9);
  const std::vector<std::string> channels = {"nightly", "release", "beta", "esr", "aurora"};
  for (int round = 0; round < 120; ++round) {
    const bool descending = rng() % 2;
    const bool missing_first = rng() % 2;
    const std::string field = rng() % 2 ? "build.number" : "download.date";
    const std::size_t from = rng() % 50, size = 1 + rng() % 60;
    const std::string channel = channels[rng() % channels.size()];
    const bool filtered = round % 2 == 1;
    json request = {{"from", from}, {"size", size}, {"_source", false},
                    {"sort", {{{field, {{"order", descending ? "desc" : "asc"}, {"missing", missing_first ? "_first" : "_last"}}}}}},
                    {"aggs", {{"f", {{"filter", {{"match_all", json::object()}}},
                                     {"aggs", {{"t", {{"terms", {{"field", "target.locale"}, {"size", 1000}}}}},
                                               {"n", {{"cardinality", {{"field", "target.locale"}}}}}}}}}}}};
    if (filtered) request["query"] = {{"term", {{"target.channel", channel}}}};
    auto result = search(corpus.index, request.dump());
    ASSERT_TRUE(result) << request.dump() << ": " << result.error().message();

    struct Row { bool has; double key; std::size_t id; };
    std::vector<Row> rows;
    std::map<std::string, int> locales;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      if (filtered && docs[i]["target"]["channel"] != channel) continue;
      ++locales[docs[i]["target"]["locale"].get<std::string>()];
      const json* v = at(docs[i], field);
      Row r{v != nullptr && !v->is_null(), 0.0, i + 1};
      if (r.has) r.key = field == "download.date" ? static_cast<double>(*rfc3339_to_epoch_millis(v->get<std::string>())) : v->get<double>();
      rows.push_back(r);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      if (a.has != b.has) return missing_first ? !a.has : a.has;
      if (a.has && a.key != b.key) return descending ? a.key > b.key : a.key < b.key;
      return a.id < b.id;
    });
    std::vector<std::string> expected;
    for (std::size_t i = from; i < std::min(rows.size(), from + size); ++i) expected.push_back(std::to_string(rows[i].id));
    std::vector<std::string> got;
    for (const auto& h : (*result)["hits"]["hits"]) got.push_back(h["_id"].get<std::string>());
    ASSERT_EQ(got, expected) << request.dump();

    const json& f = (*result)["aggregations"]["f"];
    std::map<std::string, int> buckets;
    for (const auto& b : f["t"]["buckets"]) buckets[b["key"].get<std::string>()] = b["doc_count"].get<int>();
    ASSERT_EQ(buckets, locales) << request.dump();
    ASSERT_EQ(f["n"]["value"].get<std::size_t>(), locales.size()) << request.dump();
  }
}

TEST(SearchService, FollowsTheStoreAndKeepsTheSameIndexAfterRestart) {
  // Covered end to end by tests/integration/test_search.py (real store, real restart); here the
  // index built in one batch equals the index built incrementally.
  const std::vector<std::string> texts = demo_texts(2, 500);
  Corpus whole(texts);
  SearchIndex incremental;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::vector<IndexInput> one{{static_cast<RecordId>(i + 1), texts[i]}};
    incremental.add_batch(one);
  }
  EXPECT_EQ(whole.index.fingerprint(), incremental.fingerprint());
  // As the follower builds it: slices prepared without changing the index, then applied.
  SearchIndex followed;
  for (std::size_t at = 0; at < texts.size(); at += 7) {
    std::vector<IndexInput> slice;
    for (std::size_t i = at; i < std::min(texts.size(), at + 7); ++i) slice.push_back({static_cast<RecordId>(i + 1), texts[i]});
    const std::uint64_t before = followed.fingerprint();
    PreparedBatch batch = followed.prepare(slice);
    ASSERT_EQ(followed.fingerprint(), before) << "prepare must not change the index";
    followed.apply(std::move(batch));
  }
  EXPECT_EQ(whole.index.fingerprint(), followed.fingerprint());
  const std::string q = R"({"size":5,"sort":[{"target.version_sort":"desc"},"_doc"],"aggs":{"m":{"date_histogram":{"field":"build.date","interval":"month"}}}})";
  auto a = search(whole.index, q);
  auto b = search(incremental, q);
  auto c = search(followed, q);
  ASSERT_TRUE(a && b && c);
  // `took` is wall time (it differs under ASan); everything else must be identical.
  a->erase("took");
  b->erase("took");
  c->erase("took");
  EXPECT_EQ(a->dump(), b->dump());
  EXPECT_EQ(a->dump(), c->dump());
  // Range and prefix queries read the merged dictionary orders.
  for (const char* ranged : {R"({"size":50,"query":{"range":{"target.version_sort":{"gte":"60.0"}}},"sort":["_doc"]})",
                             R"({"size":50,"query":{"prefix":{"download.url":"https://archive"}},"sort":[{"target.version":"asc"},"_doc"]})"}) {
    auto x = search(whole.index, ranged);
    auto y = search(followed, ranged);
    ASSERT_TRUE(x && y);
    x->erase("took");
    y->erase("took");
    EXPECT_EQ(x->dump(), y->dump()) << ranged;
  }
}

// A deadline that passes while hits are collected: the answer says timed_out, keeps the exact
// total (the query was fully evaluated), holds only documents that match, in order, and the
// aggregations that had no time left count nothing.
TEST(SearchExecutor, ADeadlineDuringCollectionKeepsOnlyTrueMatches) {
  const std::vector<std::string> texts = demo_texts(4, 20000);
  Corpus corpus(texts);
  SearchLimits limits;
  const std::string body = R"({"size":20,"query":{"term":{"target.channel":"release"}},"sort":[{"build.date":"desc"}],
                               "aggs":{"p":{"terms":{"field":"target.platform","size":100}}}})";
  auto request = parse_search_body(body, limits, 1700000000000);
  ASSERT_TRUE(request);
  const auto sum_of_buckets = [](const json& r) {
    std::int64_t n = 0;
    for (const auto& b : r["aggregations"]["p"]["buckets"]) n += b["doc_count"].get<std::int64_t>();
    return n;
  };
  SearchExecutor untimed(corpus.index, limits);
  const json full = json::parse(*untimed.run(*request));
  ASSERT_EQ(full["timed_out"], false);
  const std::int64_t matching = full["hits"]["total"].get<std::int64_t>();
  ASSERT_GT(matching, 4096) << "the corpus must outlast one clock reading of the collection";
  EXPECT_EQ(sum_of_buckets(full), matching);

  // Every reading of the clock moves it 1 ms on: the 3 ms budget runs out at the first reading
  // during collection, after 4,096 documents.
  ManualClock clock;
  clock.set_step(std::chrono::milliseconds(1));
  const Deadline deadline = Deadline::after(clock, std::chrono::milliseconds(3));
  SearchExecutor timed(corpus.index, limits, clock, deadline);
  const json partial = json::parse(*timed.run(*request));
  EXPECT_TRUE(timed.timed_out());
  EXPECT_EQ(partial["timed_out"], true);
  EXPECT_EQ(partial["hits"]["total"], matching);
  ASSERT_EQ(partial["hits"]["hits"].size(), 20u);
  std::string previous = "9999";
  for (const auto& hit : partial["hits"]["hits"]) {
    EXPECT_EQ(hit["_source"]["target"]["channel"], "release");
    const std::string date = hit["_source"]["build"]["date"].get<std::string>();
    EXPECT_LE(date, previous);
    previous = date;
  }
  EXPECT_EQ(sum_of_buckets(partial), 0);
}

// A deadline that passes while the query is evaluated: nothing counts as matched (a half-applied
// must_not could otherwise let documents through).
TEST(SearchExecutor, ADeadlineDuringEvaluationMatchesNothing) {
  const std::vector<std::string> texts = demo_texts(5, 3000);
  Corpus corpus(texts);
  SearchLimits limits;
  // Wildcards over every download URL read the clock while the dictionary is scanned.
  auto request = parse_search_body(
      R"({"query":{"bool":{"must":{"wildcard":{"download.url":"*a*"}},"must_not":{"wildcard":{"download.url":"*b*"}}}}})",
      limits, 1700000000000);
  ASSERT_TRUE(request);
  ManualClock clock;
  clock.set_step(std::chrono::milliseconds(1));
  SearchExecutor timed(corpus.index, limits, clock, Deadline::after(clock, std::chrono::milliseconds(3)));
  const json r = json::parse(*timed.run(*request));
  EXPECT_EQ(r["timed_out"], true);
  EXPECT_EQ(r["hits"]["total"], 0);
  EXPECT_TRUE(r["hits"]["hits"].empty());
}

// Suggestion scores are floats written as Elasticsearch writes them (shortest form).
TEST(Suggest, ScoresAreWrittenAsFloats) {
  static Corpus corpus(corpus_docs());
  SearchLimits limits;
  auto request = parse_search_body(R"({"size":0,"suggest":{"t":{"text":"firefix","term":{"field":"source.product"}}}})",
                                   limits, 1700000000000);
  ASSERT_TRUE(request) << request.error().message();
  auto out = SearchExecutor(corpus.index, limits).run(*request);
  ASSERT_TRUE(out);
  EXPECT_NE(out->find(R"("score":0.85714287,"freq":7)"), std::string::npos) << *out;
}

// Elasticsearch 6 returns every bucket a terms aggregation asks for, with or without
// sub-aggregations; the only limit is max_buckets on the answer, and beyond it an error, never a
// shortened answer.
TEST(TermsAggregation, AnswersEveryBucketUpToMaxBuckets) {
  const std::vector<std::string> texts = demo_texts(6, 12000);
  Corpus corpus(texts);
  std::set<std::string> urls;
  for (const auto& t : texts) urls.insert(json::parse(t)["download"]["url"].get<std::string>());
  ASSERT_GT(urls.size(), 10000u);
  const std::string body = R"({"size":0,"aggs":{"u":{"terms":{"field":"download.url","size":50000,
                               "order":{"biggest":"desc"}},"aggs":{"biggest":{"max":{"field":"download.size"}}}}}})";
  SearchLimits limits;
  auto request = parse_search_body(body, limits, 1700000000000);
  ASSERT_TRUE(request) << request.error().message();
  const json r = json::parse(*SearchExecutor(corpus.index, limits).run(*request));
  const json& buckets = r["aggregations"]["u"]["buckets"];
  EXPECT_EQ(buckets.size(), urls.size());
  EXPECT_EQ(r["aggregations"]["u"]["sum_other_doc_count"], 0);
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    ASSERT_GE(buckets[i - 1]["biggest"]["value"].get<double>(), buckets[i]["biggest"]["value"].get<double>());
  }

  // Only the buckets of the answer count: 100 kept of 12,000 ordered by a sub-aggregation.
  SearchLimits small;
  small.max_buckets = 150;
  auto top = parse_search_body(R"({"size":0,"aggs":{"u":{"terms":{"field":"download.url","size":100,
                                  "order":{"biggest":"desc"}},"aggs":{"biggest":{"max":{"field":"download.size"}}}}}})",
                               small, 1700000000000);
  ASSERT_TRUE(top);
  auto kept = SearchExecutor(corpus.index, small).run(*top);
  ASSERT_TRUE(kept) << kept.error().message();
  EXPECT_EQ(json::parse(*kept)["aggregations"]["u"]["buckets"].size(), 100u);

  small.max_buckets = 10000;
  auto refused = SearchExecutor(corpus.index, small).run(*request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("Trying to create too many buckets. Must be less than or equal to: [10000]"),
            std::string::npos) << refused.error().message();
}

}  // namespace
}  // namespace bh::search

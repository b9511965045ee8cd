#include "v1/inventory_rows.h"

#include <fstream>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bh::v1 {
namespace {

std::vector<std::string> fixture_lines() {
  std::ifstream in(testing::shared_dir() / "fixtures/buildhub1/inventory-simple.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(V1InventoryRows, TheSimpleInventoryGivesTheRecordsV1GaveBeforeMetadata) {
  // v1's functional test on this file: the records it produced (metadata merged in afterwards).
  std::ifstream in(testing::shared_dir() / "fixtures/buildhub1/fixtures-inventory-to-records.json");
  const auto expected = nlohmann::json::parse(in)["test_inventory_to_records_functional.py"]
                                                 ["CsvToRecordsTest.test_load_simple_file"]["asserted_equal_values"][0];
  ASSERT_GE(expected.size(), 2u);
  const InventoryRowRules rules;
  std::map<std::string, nlohmann::json> got;
  const auto lines = fixture_lines();
  ASSERT_GE(lines.size(), 10u);
  for (const auto& line : lines) {
    auto row = parse_inventory_line(line);
    ASSERT_TRUE(row) << line << ": " << row.error().to_string();
    const RowResult result = rules.process(*row);
    ASSERT_NE(result.outcome, RowOutcome::kBadRow) << line << ": " << result.error;
    if (result.outcome != RowOutcome::kRecord) continue;
    nlohmann::json record = result.record->record.to_json();
    record["download"]["size"] = result.record->size;
    record["download"]["date"] = result.record->date;
    got[result.record->record.id] = record;
  }
  for (const auto& item : expected) {
    const auto& want = item["data"];
    ASSERT_TRUE(got.contains(want["id"])) << want["id"];
    const auto& mine = got[want["id"]];
    EXPECT_EQ(mine["download"], want["download"]) << want["id"];
    EXPECT_EQ(mine["source"]["product"], want["source"]["product"]);
    for (const char* field : {"platform", "os", "locale", "version"}) {
      EXPECT_EQ(mine["target"][field], want["target"][field]) << want["id"] << " " << field;
    }
  }
}

TEST(V1InventoryRows, CsvLinesAsPythonsCsvReadsThem) {
  auto row = parse_inventory_line(R"("b","pub/firefox/a ""quoted"" name.exe","2E+10","2017-07-13T23:37:23.000Z","ff39-3")");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->key, R"(pub/firefox/a "quoted" name.exe)");
  EXPECT_EQ(row->etag, "ff39-3");
  auto unquoted = parse_inventory_line("b,k,1,2017-01-01,e\r");
  ASSERT_TRUE(unquoted);
  EXPECT_EQ(unquoted->etag, "e");
  EXPECT_FALSE(parse_inventory_line(R"("b","k","1","d")")) << "four fields";
  EXPECT_FALSE(parse_inventory_line(R"("b","k","1","d","e","f")")) << "six fields";
  EXPECT_FALSE(parse_inventory_line(R"("b","k,1,d,e)")) << "an unterminated quote";
  EXPECT_FALSE(parse_inventory_line(""));
}

TEST(V1InventoryRows, SizesAsIntOfFloat) {
  EXPECT_EQ(*parse_inventory_size("60000"), 60000);
  EXPECT_EQ(*parse_inventory_size("2E+10"), 20000000000);
  EXPECT_EQ(*parse_inventory_size(" 7.9 "), 7);
  for (const char* bad : {"", "abc", "nan", "inf", "1e400", "0x10", "12abc"}) {
    EXPECT_FALSE(parse_inventory_size(bad)) << bad;
  }
}

TEST(V1InventoryRows, TimesAsCiso8601ReadsThem) {
  EXPECT_EQ(parse_iso8601("2017-06-02T12:20:10.2Z")->text, "2017-06-02T12:20:10Z");
  EXPECT_EQ(parse_iso8601("20170602")->text, "2017-06-02T00:00:00Z");
  EXPECT_EQ(parse_iso8601("2017-06-02 12:20")->text, "2017-06-02T12:20:00Z");
  const auto offset = parse_iso8601("2017-06-02T12:20:10+02:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(offset->text, "2017-06-02T12:20:10Z") << "the time as written, as v1's strftime wrote it";
  EXPECT_EQ(offset->utc, parse_iso8601("2017-06-02T10:20:10Z")->utc);
  for (const char* bad : {"", "2017", "2017-13-01", "2017-02-30", "2017-06-02T25:00", "2017-06-02T12:20:10.Z", "2017-06-02Tx",
                          "2017-06-02T12:20:10Zjunk"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(V1InventoryRows, FiltersComeFirstAndBadRowsAreReported) {
  InventoryRowFilter filter;
  filter.min_last_modified = parse_iso8601("2017-06-01T00:00:00Z")->utc;
  const InventoryRowRules rules(filter);
  auto process = [&](const char* line) { return rules.process(*parse_inventory_line(line)); };
  EXPECT_EQ(process(R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","6","2017-06-02T15:20:10.4Z","m")").outcome,
            RowOutcome::kRecord);
  EXPECT_EQ(process(R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","6","2017-05-02T15:20:10.4Z","m")").outcome,
            RowOutcome::kNotABuild)
      << "older than the age filter";
  EXPECT_EQ(process(R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2.asc","6","bad date","m")").outcome,
            RowOutcome::kNotABuild)
      << "the extension is checked before the date";
  EXPECT_EQ(process(R"("b","pub/seamonkey/releases/2.0/linux/fr/seamonkey-2.0.tar.bz2","6","2017-06-02T15:20:10Z","m")").outcome,
            RowOutcome::kNotABuild);
  EXPECT_EQ(process(R"("b","favicon.zip","6","2017-06-02T15:20:10Z","m")").outcome, RowOutcome::kNotABuild);
  const RowResult bad_date = process(R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","6","yesterday","m")");
  EXPECT_EQ(bad_date.outcome, RowOutcome::kBadRow);
  EXPECT_NE(bad_date.error.find("yesterday"), std::string::npos);
  EXPECT_EQ(process(R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","many","2017-06-02T15:20:10Z","m")").outcome,
            RowOutcome::kBadRow);
  EXPECT_EQ(process(R"("b","pub/firefox/releases/52.0/solaris/fr/firefox-52.0.tar.bz2","6","2017-06-02T15:20:10Z","m")").outcome,
            RowOutcome::kBadPath);
}

TEST(V1InventoryRows, TheViewParserReadsWhatTheFullReaderReads) {
  const std::vector<std::string> lines = {
      R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","6","2017-06-02T15:20:10Z","m")",
      "b,pub/x.exe,6,2017-06-02T15:20:10Z,m\r",
      R"("b","pub/a ""quoted"" name.exe","6","2017","m")",  // doubled quotes: the full reader's
      R"("b","pub/x,y.exe","6","2017","")",
      R"(b,pu"b/x.exe,6,2017,m)",                           // a quote inside an unquoted field
      R"("b","pub/x.exe","6","2017")",                      // four fields
      R"("b","pub/x.exe","6","2017","m","extra")",
      R"("b","pub/x.exe)",                                  // ends inside quotes
      "\"b\"\"\",\"pub/x.exe\",6,2017,m\r\r",                  // found by fuzz_v1_paths: one "\r" dropped, not two
      ""};
  for (const auto& line : lines) {
    InventoryRowView view;
    InventoryRow scratch;
    const Status viewed = parse_inventory_line(line, view, scratch);
    const auto full = parse_inventory_line(line);
    ASSERT_EQ(viewed.is_ok(), full.has_value()) << line;
    if (!full) {
      EXPECT_EQ(viewed.message(), full.error().message()) << line;
      continue;
    }
    EXPECT_EQ(view.bucket, full->bucket) << line;
    EXPECT_EQ(view.key, full->key) << line;
    EXPECT_EQ(view.size, full->size) << line;
    EXPECT_EQ(view.last_modified, full->last_modified) << line;
    EXPECT_EQ(view.etag, full->etag) << line;
  }
}

TEST(V1InventoryRows, TheFastLineIsTheSameBytesAsTheDom) {
  const InventoryRowRules rules;
  int checked = 0;
  for (const auto& line : fixture_lines()) {
    const RowResult result = rules.process(*parse_inventory_line(line));
    if (result.outcome != RowOutcome::kRecord) continue;
    for (bool v1_format : {true, false}) {
      std::string fast;
      ASSERT_TRUE(append_record_line(*result.record, v1_format, fast));
      nlohmann::json dom = result.record->to_json();
      if (v1_format) {
        dom = {{"data", dom}};
      } else {
        dom.erase("id");
      }
      EXPECT_EQ(fast, dom.dump());
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
  // A field that would need escaping is left to the DOM.
  auto quoted = rules.process(*parse_inventory_line(
      R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0""x.tar.bz2","6","2017-06-02T15:20:10Z","m")"));
  ASSERT_EQ(quoted.outcome, RowOutcome::kRecord);
  std::string out = "kept";
  EXPECT_FALSE(append_record_line(*quoted.record, true, out));
  EXPECT_EQ(out, "kept");
  // Every byte that needs escaping, at every position of the URL (the check reads eight bytes at
  // a time): left to the DOM; every byte that does not: written.
  auto base = rules.process(*parse_inventory_line(
      R"("b","pub/firefox/releases/52.0/linux-x86_64/fr/firefox-52.0.tar.bz2","6","2017-06-02T15:20:10Z","m")"));
  ASSERT_EQ(base.outcome, RowOutcome::kRecord);
  for (int byte = 1; byte < 256; ++byte) {
    const auto b = static_cast<unsigned char>(byte);
    const bool needs_escape = b < 0x20 || b >= 0x7f || b == '"' || b == '\\';
    for (std::size_t at = 0; at < 24; ++at) {
      InventoryRecord r = *base.record;
      r.record.url[at] = static_cast<char>(b);
      std::string line;
      EXPECT_EQ(append_record_line(r, false, line), !needs_escape) << "byte " << byte << " at " << at;
    }
  }
}

}  // namespace
}  // namespace bh::v1

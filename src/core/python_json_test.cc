#include "core/python_json.h"

#include <gtest/gtest.h>

namespace bh {
namespace {

// Expected strings are what CPython 3.11 prints for json.dumps(json.loads(input), sort_keys=True).
std::string dumps(const std::string& json) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  EXPECT_FALSE(doc.error()) << json;
  std::string out;
  const Status s = append_python_json(doc.value(), out);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return out;
}

TEST(PythonJson, SortsKeysAndUsesPythonSeparators) {
  EXPECT_EQ(dumps(R"({"b":1,"a":{"d":[1,2],"c":null}})"), R"({"a": {"c": null, "d": [1, 2]}, "b": 1})");
  EXPECT_EQ(dumps("{}"), "{}");
  EXPECT_EQ(dumps("[]"), "[]");
  EXPECT_EQ(dumps("[true,false,null]"), "[true, false, null]");
}

TEST(PythonJson, KeyOrderIsCodePointOrder) {
  // "Z" < "a" < "é" (U+00E9) < "€" (U+20AC) < "😀" (U+1F600)
  EXPECT_EQ(dumps(R"({"😀":1,"€":2,"é":3,"a":4,"Z":5})"),
            R"({"Z": 5, "a": 4, "\u00e9": 3, "\u20ac": 2, "\ud83d\ude00": 1})");
}

TEST(PythonJson, EscapesLikeEnsureAscii) {
  EXPECT_EQ(dumps(R"(["a\"b\\c/d"])"), R"(["a\"b\\c/d"])");
  EXPECT_EQ(dumps(R"(["\n\r\t\b\f"])"), R"(["\n\r\t\b\f"])");
  EXPECT_EQ(dumps(R"(["\u0001\u001f"])"), R"(["\u0001\u001f"])");
  EXPECT_EQ(dumps("[\"\x7f\"]"), R"(["\u007f"])");  // DEL is escaped: not in ' '..'~'
  EXPECT_EQ(dumps(R"(["Zürich"])"), R"(["Z\u00fcrich"])");
  EXPECT_EQ(dumps(R"(["\ud83d\ude00"])"), R"(["\ud83d\ude00"])");
}

TEST(PythonJson, NumbersLikePython) {
  EXPECT_EQ(dumps("[0, -0, 12345678901234, -7]"), "[0, 0, 12345678901234, -7]");
  EXPECT_EQ(dumps("[18446744073709551615]"), "[18446744073709551615]");
  EXPECT_EQ(dumps("[1.0, 1.5, -0.0, 0.1]"), "[1.0, 1.5, -0.0, 0.1]");
  EXPECT_EQ(dumps("[1e16, 1e15, 1.5e-5, 0.0001, 123456789012345678.0]"),
            "[1e+16, 1000000000000000.0, 1.5e-05, 0.0001, 1.2345678901234568e+17]");
  EXPECT_EQ(dumps("[1e300, 5e-324]"), "[1e+300, 5e-324]");
}

TEST(PythonJson, FloatReprMatchesPython) {
  EXPECT_EQ(python_float_repr(100.0), "100.0");
  EXPECT_EQ(python_float_repr(1e22), "1e+22");
  EXPECT_EQ(python_float_repr(0.001), "0.001");
  EXPECT_EQ(python_float_repr(1.25e-7), "1.25e-07");
  EXPECT_EQ(python_float_repr(9999999999999998.0), "9999999999999998.0");
}

TEST(PythonJson, RefusesDuplicateKeys) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(std::string(R"({"a":1,"b":{"x":1,"x":2}})"));
  ASSERT_FALSE(doc.error());
  std::string out;
  const Status s = append_python_json(doc.value(), out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate key \"x\""), std::string::npos) << s.message();
}

}  // namespace
}  // namespace bh

#include "search/query_string.h"

#include <fmt/format.h>

#include "search/es_errors.h"
#include "search/query_builders.h"

namespace bh::search {
namespace {

tl::unexpected<Status> syntax(std::string_view query, std::size_t pos, std::string_view what) {
  return fail(es_error(Code::kInvalidArgument, fmt::format("Failed to parse query [{}]: {} at character {}", query, what, pos),
                       es_type::kQueryShard));
}

void apply_boost(Query& q, float boost) {
  if (boost == 1.0f) return;
  std::visit([&](auto& n) {
    if constexpr (requires { n.boost; }) n.boost *= boost;
  }, q.node);
}

enum class Occur { kMust, kShould, kMustNot };
enum class Conj { kNone, kAnd, kOr };
enum class Mod { kNone, kRequired, kNot };

struct ClauseList {
  std::vector<std::pair<QueryPtr, Occur>> clauses;

  // Lucene's classic QueryParser.addClause.
  void add(QueryPtr q, Conj conj, Mod mod, bool default_and) {
    if (!clauses.empty() && conj == Conj::kAnd && clauses.back().second != Occur::kMustNot) {
      clauses.back().second = Occur::kMust;
    }
    if (!clauses.empty() && default_and && conj == Conj::kOr && clauses.back().second != Occur::kMustNot) {
      clauses.back().second = Occur::kShould;
    }
    bool required, prohibited;
    if (!default_and) {
      required = mod == Mod::kRequired;
      prohibited = mod == Mod::kNot;
      if (conj == Conj::kAnd && !prohibited) required = true;
    } else {
      prohibited = mod == Mod::kNot;
      required = !prohibited && conj != Conj::kOr;
    }
    clauses.emplace_back(std::move(q), required ? Occur::kMust : prohibited ? Occur::kMustNot : Occur::kShould);
  }

  QueryPtr build(const std::optional<MinimumShouldMatch>& msm) {
    if (clauses.empty()) return make_query(MatchNoneQuery{});
    if (clauses.size() == 1 && clauses[0].second != Occur::kMustNot && !msm) return std::move(clauses[0].first);
    BoolQuery b;
    for (auto& [q, occur] : clauses) {
      (occur == Occur::kMust ? b.must : occur == Occur::kShould ? b.should : b.must_not).push_back(std::move(q));
    }
    if (msm && !b.should.empty()) b.minimum_should_match = msm;
    return make_query(std::move(b));
  }
};

// One parsed value, before it meets its fields.
struct Value {
  enum class Kind { kTerm, kPhrase, kRegexp, kRange, kCompare } kind = Kind::kTerm;
  std::string text;  // term (escapes kept, for wildcard detection), phrase, regexp
  RangeBounds range;
};

class Builder {
 public:
  explicit Builder(const QueryStringOptions& o) : o_(o) {}

  // The fields a clause searches: explicit (maybe a pattern) or the defaults.
  std::vector<std::pair<FieldRef, float>> fields_for(const std::optional<std::string>& field, bool& lenient) const {
    std::vector<std::pair<FieldRef, float>> out;
    lenient = o_.lenient;
    auto add_pattern = [&](const std::string& pattern, float boost) {
      const auto expanded = expand_field_pattern(pattern);
      if (pattern.find_first_of("*?") != std::string::npos) lenient = true;
      for (const auto& f : expanded) out.emplace_back(f, boost);
    };
    if (field) {
      add_pattern(*field, 1.0f);
    } else if (!o_.fields.empty()) {
      for (const auto& wf : o_.fields) add_pattern(wf.pattern, wf.boost);
    } else {
      add_pattern(o_.default_field, 1.0f);
    }
    return out;
  }

  Result<QueryPtr> field_value(const FieldRef& f, const Value& v, float boost, bool lenient) const {
    ValueOptions vo;
    vo.boost = boost;
    vo.lenient = lenient;
    vo.now_millis = o_.now_millis;
    vo.time_zone = o_.time_zone;
    vo.case_insensitive = o_.lowercase_keywords && f.type != FieldType::kText;
    switch (v.kind) {
      case Value::Kind::kPhrase: return phrase_query(f, v.text, vo);
      case Value::Kind::kRegexp: return regexp_query(f, v.text, "", vo);
      case Value::Kind::kRange: case Value::Kind::kCompare: return range_query(f, v.range, vo);
      case Value::Kind::kTerm: break;
    }
    if (v.text == "*") return exists_query(f, boost);
    if (has_wildcard(v.text)) {
      // Text fields hold lower-cased tokens; their search analyzer lower-cases patterns too.
      const std::string pattern = f.type == FieldType::kText ? ascii_lowercase(v.text) : v.text;
      const std::string prefix = wildcard_literal_prefix(pattern);
      const bool only_trailing_star = pattern.size() >= 1 && pattern.back() == '*' &&
                                      !has_wildcard(pattern.substr(0, pattern.size() - 1));
      if (only_trailing_star) return prefix_query(f, prefix, vo);
      return wildcard_query(f, pattern, vo);
    }
    const std::string text = unescape_wildcard(v.text);
    if (f.type == FieldType::kText) {
      const auto tokens = standard_tokens(text);
      if (tokens.size() > 1 && o_.auto_generate_phrase_queries) return phrase_query(f, text, vo);
      return match_query(f, text, o_.default_and, std::nullopt, vo);
    }
    return term_query(f, text, vo);
  }

  Result<QueryPtr> clause(const std::optional<std::string>& field, const Value& v, float boost) const {
    if (field && *field == "_exists_") return exists_any_query(unescape_wildcard(v.text), boost);
    if ((!field || *field == "*") && v.kind == Value::Kind::kTerm && v.text == "*" &&
        (field || (o_.fields.empty() && o_.default_field == "*"))) {
      return make_query(MatchAllQuery{boost});
    }
    bool lenient = false;
    const auto fields = fields_for(field, lenient);
    std::vector<QueryPtr> per_field;
    for (const auto& [f, field_boost] : fields) {
      auto q = field_value(f, v, field_boost, lenient);
      if (!q) return q;
      if (std::holds_alternative<MatchNoneQuery>((*q)->node)) continue;
      per_field.push_back(std::move(*q));
    }
    if (per_field.empty()) return make_query(MatchNoneQuery{});
    QueryPtr out;
    if (per_field.size() == 1) {
      out = std::move(per_field[0]);
    } else {
      DisMaxQuery d;
      d.queries = std::move(per_field);
      d.tie_breaker = o_.tie_breaker;
      out = make_query(std::move(d));
    }
    apply_boost(*out, boost);
    return out;
  }

  const QueryStringOptions& options() const { return o_; }

 private:
  const QueryStringOptions& o_;
};

// ---- query_string: Lucene classic syntax ----

class ClassicParser {
 public:
  ClassicParser(const QueryStringOptions& o) : o_(o), b_(o), s_(o.query) {}

  Result<QueryPtr> parse() {
    BH_ASSIGN_OR_RETURN(QueryPtr q, query(std::nullopt, 0, o_.minimum_should_match));
    skip_space();
    if (pos_ < s_.size()) return syntax(s_, pos_, fmt::format("unexpected '{}'", s_[pos_]));
    apply_boost(*q, o_.boost);
    return q;
  }

 private:
  static bool is_special(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '[' || c == ']' ||
           c == '{' || c == '}' || c == '^' || c == '"' || c == '~' || c == ':';
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool word_at(std::string_view w) const {
    if (s_.substr(pos_, w.size()) != w) return false;
    const std::size_t end = pos_ + w.size();
    return end >= s_.size() || is_special(s_[end]);
  }

  // A bare term, escapes kept.
  std::string term_text() {
    std::string out;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        out += c;
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (is_special(c)) break;
      out += c;
      ++pos_;
    }
    return out;
  }

  Result<float> boost_suffix() {
    float boost = 1.0f;
    while (pos_ < s_.size() && (s_[pos_] == '^' || s_[pos_] == '~')) {
      const char op = s_[pos_++];
      const std::size_t start = pos_;
      while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.')) ++pos_;
      if (op == '^') {
        if (start == pos_) return syntax(s_, start, "'^' needs a number");
        try {
          boost *= std::stof(std::string(s_.substr(start, pos_ - start)));
        } catch (...) {
          return syntax(s_, start, "invalid boost");
        }
      }
      // '~N' (fuzziness or slop) is accepted; terms still match exactly.
    }
    return boost;
  }

  Result<QueryPtr> query(const std::optional<std::string>& field, std::size_t depth,
                         const std::optional<MinimumShouldMatch>& msm) {
    if (depth > 32) return syntax(s_, pos_, "too many nested parentheses");
    ClauseList list;
    bool first = true;
    while (true) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] == ')') break;
      Conj conj = Conj::kNone;
      if (!first) {
        if (word_at("AND")) { conj = Conj::kAnd; pos_ += 3; }
        else if (s_.substr(pos_, 2) == "&&") { conj = Conj::kAnd; pos_ += 2; }
        else if (word_at("OR")) { conj = Conj::kOr; pos_ += 2; }
        else if (s_.substr(pos_, 2) == "||") { conj = Conj::kOr; pos_ += 2; }
        skip_space();
      }
      Mod mod = Mod::kNone;
      if (pos_ < s_.size() && s_[pos_] == '+') { mod = Mod::kRequired; ++pos_; }
      else if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '!')) { mod = Mod::kNot; ++pos_; }
      else if (word_at("NOT")) { mod = Mod::kNot; pos_ += 3; }
      skip_space();
      if (pos_ >= s_.size()) return syntax(s_, pos_, "the query ends where a term was expected");
      BH_ASSIGN_OR_RETURN(QueryPtr q, clause(field, depth));
      if (++clauses_ > o_.max_clauses) return syntax(s_, pos_, fmt::format("more than {} clauses", o_.max_clauses));
      list.add(std::move(q), conj, mod, o_.default_and);
      first = false;
    }
    return list.build(msm);
  }

  Result<QueryPtr> clause(std::optional<std::string> field, std::size_t depth) {
    // field:  (a field name is a term followed by ':')
    {
      const std::size_t save = pos_;
      if (pos_ < s_.size() && !is_special(s_[pos_]) && s_[pos_] != '/') {
        std::string name = term_text();
        if (pos_ < s_.size() && s_[pos_] == ':' && !name.empty()) {
          ++pos_;
          field = unescape_wildcard(name);
          // field:>=value
          skip_space();
        } else {
          pos_ = save;
        }
      }
    }
    if (pos_ >= s_.size()) return syntax(s_, pos_, "a field needs a value");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      BH_ASSIGN_OR_RETURN(QueryPtr inner, query(field, depth + 1, std::nullopt));
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ')') return syntax(s_, pos_, "missing ')'");
      ++pos_;
      BH_ASSIGN_OR_RETURN(float boost, boost_suffix());
      apply_boost(*inner, boost);
      return inner;
    }
    Value v;
    if (c == '"') {
      const std::size_t start = pos_++;
      std::string text;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        text += s_[pos_++];
      }
      if (pos_ >= s_.size()) return syntax(s_, start, "unterminated quoted phrase");
      ++pos_;
      v.kind = Value::Kind::kPhrase;
      v.text = std::move(text);
    } else if (c == '/') {
      const std::size_t start = pos_++;
      std::string text;
      while (pos_ < s_.size() && s_[pos_] != '/') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) text += s_[pos_++];
        text += s_[pos_++];
      }
      if (pos_ >= s_.size()) return syntax(s_, start, "unterminated /regexp/");
      ++pos_;
      v.kind = Value::Kind::kRegexp;
      v.text = std::move(text);
    } else if (c == '[' || c == '{') {
      BH_RETURN_IF_ERROR(range(v));
    } else if (c == '>' || c == '<') {
      const bool greater = c == '>';
      ++pos_;
      const bool inclusive = pos_ < s_.size() && s_[pos_] == '=';
      if (inclusive) ++pos_;
      std::string bound = unescape_wildcard(term_text());
      if (bound.empty()) return syntax(s_, pos_, "a comparison needs a value");
      v.kind = Value::Kind::kCompare;
      if (greater) { v.range.lower = bound; v.range.include_lower = inclusive; }
      else { v.range.upper = bound; v.range.include_upper = inclusive; }
    } else if (is_special(c)) {
      return syntax(s_, pos_, fmt::format("unexpected '{}'", c));
    } else {
      v.text = term_text();
      if (v.text.empty()) return syntax(s_, pos_, "empty term");
    }
    BH_ASSIGN_OR_RETURN(float boost, boost_suffix());
    return b_.clause(field, v, boost);
  }

  Status range(Value& v) {
    const std::size_t start = pos_;
    v.kind = Value::Kind::kRange;
    v.range.include_lower = s_[pos_++] == '[';
    auto bound = [&]() -> std::string {
      skip_space();
      std::string out;
      if (pos_ < s_.size() && s_[pos_] == '"') {
        ++pos_;
        while (pos_ < s_.size() && s_[pos_] != '"') out += s_[pos_++];
        if (pos_ < s_.size()) ++pos_;
        return out;
      }
      while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != ']' && s_[pos_] != '}') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out += s_[pos_++];
      }
      return out;
    };
    const std::string lower = bound();
    skip_space();
    if (!word_at("TO") && s_.substr(pos_, 3) != "TO ") return syntax(s_, pos_, "a range needs 'TO'").value();
    pos_ += 2;
    const std::string upper = bound();
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != ']' && s_[pos_] != '}')) return syntax(s_, start, "unterminated range").value();
    v.range.include_upper = s_[pos_++] == ']';
    if (lower != "*") v.range.lower = lower;
    if (upper != "*") v.range.upper = upper;
    return Status::ok();
  }

  const QueryStringOptions& o_;
  Builder b_;
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t clauses_ = 0;
};

// ---- simple_query_string ----

class SimpleParser {
 public:
  SimpleParser(const QueryStringOptions& o) : o_(o), b_(o), s_(o.query) {}

  Result<QueryPtr> parse() {
    BH_ASSIGN_OR_RETURN(QueryPtr q, sequence(0, o_.minimum_should_match));
    apply_boost(*q, o_.boost);
    return q;
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  Result<QueryPtr> sequence(std::size_t depth, const std::optional<MinimumShouldMatch>& msm) {
    ClauseList list;
    Conj pending = Conj::kNone;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (is_space(c)) { ++pos_; continue; }
      if (c == ')') {
        if (depth > 0) break;
        ++pos_;  // a stray ')' is ignored
        continue;
      }
      if (c == '|') { pending = Conj::kOr; ++pos_; continue; }
      if (c == '+') { pending = Conj::kAnd; ++pos_; continue; }
      Mod mod = Mod::kNone;
      while (pos_ < s_.size() && s_[pos_] == '-') { mod = Mod::kNot; ++pos_; }
      if (pos_ >= s_.size()) break;
      QueryPtr q;
      if (s_[pos_] == '(' && depth < 32) {
        ++pos_;
        BH_ASSIGN_OR_RETURN(q, sequence(depth + 1, std::nullopt));
        if (pos_ < s_.size() && s_[pos_] == ')') ++pos_;
      } else {
        Value v;
        const std::size_t start = pos_;
        if (s_[pos_] == '"') {
          ++pos_;
          while (pos_ < s_.size() && s_[pos_] != '"') v.text += s_[pos_++];
          if (pos_ < s_.size()) ++pos_;
          v.kind = Value::Kind::kPhrase;
        } else {
          while (pos_ < s_.size() && !is_space(s_[pos_]) && s_[pos_] != '|' && s_[pos_] != '+' && s_[pos_] != '(' &&
                 s_[pos_] != ')' && s_[pos_] != '"') {
            const char ch = s_[pos_++];
            if (ch == '\\' && pos_ < s_.size()) { v.text += '\\'; v.text += s_[pos_++]; continue; }
            if (ch == '?') { v.text += "\\?"; continue; }  // only '*' (as a suffix) is an operator here
            v.text += ch;
          }
          // '~N' fuzziness/slop is accepted and ignored.
          if (const auto tilde = v.text.rfind('~'); tilde != std::string::npos && tilde > 0) v.text.resize(tilde);
          // '*' is a prefix operator only at the end.
          std::string cleaned;
          for (std::size_t i = 0; i < v.text.size(); ++i) {
            if (v.text[i] == '*' && i + 1 != v.text.size()) cleaned += "\\*";
            else cleaned += v.text[i];
          }
          v.text = std::move(cleaned);
        }
        // Nothing consumed (a '(' beyond the nesting limit): skip the character, never spin.
        if (pos_ == start) ++pos_;
        if (v.text.empty()) continue;
        auto built = b_.clause(std::nullopt, v, 1.0f);
        if (!built) {
          // simple_query_string never fails on its input: a value no field can hold matches nothing.
          built = make_query(MatchNoneQuery{});
        }
        q = std::move(*built);
      }
      if (++clauses_ > o_.max_clauses) return fail(Code::kInvalidArgument, fmt::format("more than {} clauses", o_.max_clauses));
      list.add(std::move(q), pending, mod, o_.default_and);
      pending = Conj::kNone;
    }
    return list.build(msm);
  }

  const QueryStringOptions& o_;
  Builder b_;
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t clauses_ = 0;
};

}  // namespace

Result<bool> analyzer_lowercases(std::string_view analyzer) {
  static constexpr std::string_view kLowercasing[] = {
      "standard", "simple", "stop", "pattern", "fingerprint", "classic", "arabic", "armenian", "basque", "bengali",
      "brazilian", "bulgarian", "catalan", "cjk", "czech", "danish", "dutch", "english", "finnish", "french",
      "galician", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "latvian",
      "lithuanian", "norwegian", "persian", "portuguese", "romanian", "russian", "sorani", "spanish", "swedish",
      "turkish", "thai"};
  static constexpr std::string_view kCaseKeeping[] = {"keyword", "whitespace"};
  for (std::string_view a : kLowercasing) {
    if (a == analyzer) return true;
  }
  for (std::string_view a : kCaseKeeping) {
    if (a == analyzer) return false;
  }
  return fail(es_error(Code::kInvalidArgument, fmt::format("[query_string] analyzer [{}] not found", analyzer),
                       es_type::kQueryShard));
}

Result<QueryPtr> parse_query_string(const QueryStringOptions& options) {
  ClassicParser p(options);
  return p.parse();
}

Result<QueryPtr> parse_simple_query_string(const QueryStringOptions& options) {
  SimpleParser p(options);
  return p.parse();
}

}  // namespace bh::search

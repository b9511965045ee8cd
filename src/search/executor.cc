#include "search/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <queue>

#include <fmt/format.h>

#include "record/mozilla_version.h"
#include "search/query_builders.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

float idf(std::uint64_t doc_freq, std::uint64_t doc_count) {
  const double n = static_cast<double>(doc_freq), total = static_cast<double>(doc_count);
  return static_cast<float>(std::log(1.0 + (total - n + 0.5) / (n + 0.5)));
}

// Documents in `docs` as a Roaring bitmap, from a sorted or unsorted list.
Roaring bitmap_of(std::vector<DocId>& docs) {
  std::sort(docs.begin(), docs.end());
  return Roaring(docs.size(), docs.data());
}

// How often `query` occurs in `tokens`: as consecutive tokens for a phrase, else the first token.
std::uint32_t occurrences(const std::vector<std::string>& tokens, const std::vector<std::string>& query, bool phrase) {
  std::uint32_t n = 0;
  if (!phrase || query.size() == 1) return static_cast<std::uint32_t>(std::count(tokens.begin(), tokens.end(), query[0]));
  for (std::size_t i = 0; i + query.size() <= tokens.size(); ++i) {
    if (std::equal(query.begin(), query.end(), tokens.begin() + static_cast<std::ptrdiff_t>(i))) ++n;
  }
  return n;
}

// Elasticsearch 6's BM25 (Lucene 7, k1 1.2, b 0.75) for the values of a text column that matched,
// by value: a token scores idf(df of the token) * tfNorm(its frequency, the value's length); a
// phrase scores the sum of its tokens' idf * tfNorm(the phrase's frequency); several tokens
// without a phrase add up, as the boolean query Elasticsearch builds for them does.
std::shared_ptr<std::unordered_map<TermId, float>> text_term_scores(const StringPredicate& p, const KeywordColumn& col,
                                                                     const std::vector<TermId>& terms, float boost,
                                                                     std::uint64_t field_docs) {
  const std::vector<std::string>& query = p.values;
  std::vector<double> token_idf;
  for (const std::string& token : query) {
    std::uint64_t df = 0;
    for (TermId t = 0; t < col.term_count(); ++t) {
      const auto& tokens = col.tokens(t);
      if (std::find(tokens.begin(), tokens.end(), token) != tokens.end()) df += col.doc_freq(t);
    }
    token_idf.push_back(idf(df, field_docs));
  }
  const double avgdl = static_cast<float>(std::max(1.0, col.average_tokens()));
  const bool phrase = p.op == StringPredicate::Op::kTokens && p.phrase;
  auto scores = std::make_shared<std::unordered_map<TermId, float>>();
  for (const TermId t : terms) {
    const auto& tokens = col.tokens(t);
    const double norm = 1.2 * (0.25 + 0.75 * static_cast<double>(tokens.size()) / avgdl);
    const auto tf_norm = [&](double freq) { return freq * 2.2 / (freq + norm); };
    double score = 0;
    if (phrase) {
      double weight = 0;
      for (const double w : token_idf) weight += w;
      score = weight * tf_norm(occurrences(tokens, query, true));
    } else {
      for (std::size_t i = 0; i < query.size(); ++i) {
        const std::uint32_t freq = occurrences(tokens, {query[i]}, false);
        if (freq > 0) score += token_idf[i] * tf_norm(freq);
      }
    }
    (*scores)[t] = static_cast<float>(boost * score);
  }
  return scores;
}

}  // namespace

// ---- JSON writing helpers ----

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += ch;
    }
  }
  out += '"';
}

void append_json_score(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  std::string s = fmt::format("{}", v);  // shortest float text: 1.9924302, not 1.9924302101135254
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  out += s;
}

void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  out += s;
}

// ---- Evaluated ----

float Evaluated::score(DocId d) const {
  switch (kind) {
    case Kind::kConstant: return constant;
    case Kind::kPerTerm: {
      const auto it = term_scores->find(column->term_of(d));
      return it == term_scores->end() ? 0.0f : it->second;
    }
    case Kind::kSum: {
      float s = 0;
      for (const auto& r : required) s += r.score(d);
      for (const auto& o : optional) {
        if (o.docs.contains(d)) s += o.score(d);
      }
      return s * boost;
    }
    case Kind::kDisMax: {
      float best = 0, sum = 0;
      for (const auto& o : optional) {
        if (!o.docs.contains(d)) continue;
        const float s = o.score(d);
        best = std::max(best, s);
        sum += s;
      }
      return (best + tie_breaker * (sum - best)) * boost;
    }
  }
  return 0;
}

bool Evaluated::constant_score() const {
  if (kind == Kind::kConstant) return true;
  if (kind == Kind::kSum) {
    if (!optional.empty()) return false;
    for (const auto& r : required) {
      if (!r.constant_score()) return false;
    }
    return true;
  }
  if (kind == Kind::kDisMax) return optional.size() == 1 && optional[0].constant_score();
  return false;
}

// ---- evaluation ----

Roaring SearchExecutor::all_docs() const {
  Roaring r;
  if (index_.doc_count() > 0) r.addRange(0, index_.doc_count());
  return r;
}

namespace {

// Does one value (a keyword, or one token of a text value) satisfy a non-range predicate?
bool value_matches(const StringPredicate& p, std::string_view v) {
  switch (p.op) {
    case StringPredicate::Op::kEquals:
      for (const auto& x : p.values) {
        if (p.case_insensitive ? ascii_lowercase(v) == ascii_lowercase(x) : v == x) return true;
      }
      return false;
    case StringPredicate::Op::kPrefix:
      return p.case_insensitive ? ascii_lowercase(v).starts_with(ascii_lowercase(p.values[0])) : v.starts_with(p.values[0]);
    case StringPredicate::Op::kWildcard:
      return p.case_insensitive ? wildcard_match(ascii_lowercase(p.values[0]), ascii_lowercase(v)) : wildcard_match(p.values[0], v);
    case StringPredicate::Op::kRegexp:
      return p.regexp->full_match(v);
    case StringPredicate::Op::kRange:
      if (p.lower && (p.include_lower ? v < *p.lower : v <= *p.lower)) return false;
      if (p.upper && (p.include_upper ? v > *p.upper : v >= *p.upper)) return false;
      return true;
    case StringPredicate::Op::kTokens: return false;  // matched token lists, not single values
  }
  return false;
}

// Does a text value's token list match a kTokens predicate (all tokens; in order for a phrase)?
bool tokens_match(const StringPredicate& p, const std::vector<std::string>& tokens) {
  if (p.phrase && p.values.size() > 1) {
    for (std::size_t i = 0; i + p.values.size() <= tokens.size(); ++i) {
      if (std::equal(p.values.begin(), p.values.end(), tokens.begin() + static_cast<std::ptrdiff_t>(i))) return true;
    }
    return false;
  }
  return std::all_of(p.values.begin(), p.values.end(), [&](const std::string& want) {
    return std::find(tokens.begin(), tokens.end(), want) != tokens.end();
  });
}

// [begin, end) of `order` (term ids sorted by `key_of`) between the predicate's range bounds.
template <typename Order, typename KeyOf, typename Key>
std::vector<TermId> terms_in_range(const Order& order, KeyOf key_of, const std::optional<Key>& lower, bool include_lower,
                                   const std::optional<Key>& upper, bool include_upper) {
  auto begin = order.begin(), end = order.end();
  const auto below = [&](TermId t, const Key& k) { return key_of(t) < k; };
  const auto above = [&](const Key& k, TermId t) { return k < key_of(t); };
  if (lower) begin = include_lower ? std::lower_bound(order.begin(), order.end(), *lower, below)
                                   : std::upper_bound(order.begin(), order.end(), *lower, above);
  if (upper) end = include_upper ? std::upper_bound(order.begin(), order.end(), *upper, above)
                                 : std::lower_bound(order.begin(), order.end(), *upper, below);
  return begin < end ? std::vector<TermId>(begin, end) : std::vector<TermId>{};
}

}  // namespace

std::vector<TermId> SearchExecutor::matching_terms(const FieldRef& field, const StringPredicate& p,
                                                   const KeywordColumn& col) {
  if (field.type == FieldType::kText) return matching_text_terms(p, col);
  switch (p.op) {
    case StringPredicate::Op::kEquals:
      if (!p.case_insensitive) {
        std::vector<TermId> out;
        for (const auto& v : p.values) {
          if (auto t = col.find(v)) out.push_back(*t);
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
      }
      break;
    case StringPredicate::Op::kTokens: {
      // A phrase on a keyword field is the exact value.
      std::string joined;
      for (const auto& v : p.values) joined += (joined.empty() ? "" : " ") + v;
      if (auto t = col.find(joined)) return {*t};
      return {};
    }
    case StringPredicate::Op::kRange:
      if (field.type == FieldType::kVersion) {
        const std::optional<std::string> lo = p.lower ? std::optional(mozilla_version_sort_key(*p.lower)) : std::nullopt;
        const std::optional<std::string> hi = p.upper ? std::optional(mozilla_version_sort_key(*p.upper)) : std::nullopt;
        return terms_in_range(col.version_sorted_terms(), [&](TermId t) -> const std::string& { return col.version_key(t); },
                              lo, p.include_lower, hi, p.include_upper);
      }
      return terms_in_range(col.sorted_terms(), [&](TermId t) { return std::string(col.term(t)); }, p.lower,
                            p.include_lower, p.upper, p.include_upper);
    default:
      break;
  }
  return matching_scanned_terms(p, col);
}

// Text columns hold few distinct values (compiler command lines): every value's tokens are tested.
std::vector<TermId> SearchExecutor::matching_text_terms(const StringPredicate& p, const KeywordColumn& col) {
  std::vector<TermId> out;
  for (TermId t = 0; t < col.term_count() && !out_of_time(); ++t) {
    const auto& tokens = col.tokens(t);
    const bool hit = p.op == StringPredicate::Op::kTokens
                         ? tokens_match(p, tokens)
                         : std::any_of(tokens.begin(), tokens.end(), [&](const std::string& tok) { return value_matches(p, tok); });
    if (hit) out.push_back(t);
  }
  return out;
}

// Prefix, wildcard, regexp and case-insensitive terms: narrowed to the terms that share the
// pattern's literal prefix (in byte order), then each tested. Without regard to case, the
// prefix is tried in every spelling of its first letters ("fi": fi, fI, Fi, FI), so the web
// page's searches (case-insensitive through its analyzer) never scan a whole dictionary.
std::vector<TermId> SearchExecutor::matching_scanned_terms(const StringPredicate& p, const KeywordColumn& col) {
  std::vector<std::string> prefixes;
  if (p.op == StringPredicate::Op::kPrefix) prefixes = {p.values[0]};
  else if (p.op == StringPredicate::Op::kWildcard) prefixes = {wildcard_literal_prefix(p.values[0])};
  else if (p.op == StringPredicate::Op::kRegexp) prefixes = {p.regexp->literal_prefix()};
  else if (p.op == StringPredicate::Op::kEquals) prefixes = p.values;
  if (p.case_insensitive) {
    constexpr std::size_t kSpelledLetters = 8;  // at most 2^8 spellings
    std::vector<std::string> spelled;
    for (const std::string& prefix : prefixes) {
      std::vector<std::string> variants{prefix.substr(0, kSpelledLetters)};
      for (std::size_t i = 0; i < variants.front().size(); ++i) {
        const char c = variants.front()[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) continue;
        const std::size_t n = variants.size();
        for (std::size_t k = 0; k < n; ++k) {
          std::string other = variants[k];
          other[i] = static_cast<char>(c ^ 0x20);
          variants.push_back(std::move(other));
        }
      }
      spelled.insert(spelled.end(), variants.begin(), variants.end());
    }
    prefixes = std::move(spelled);
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  const auto& sorted = col.sorted_terms();
  std::vector<TermId> out;
  const auto scan_from = [&](std::vector<TermId>::const_iterator it, std::string_view prefix) {
    for (; it != sorted.end() && !out_of_time(); ++it) {
      const std::string_view v = col.term(*it);
      if (!v.starts_with(prefix)) break;
      if (value_matches(p, v)) out.push_back(*it);
    }
  };
  if (prefixes.empty() || prefixes.front().empty()) {
    scan_from(sorted.begin(), "");
    return out;
  }
  // Sorted, distinct prefixes: one may extend another ("a", "ab"); skip ranges already covered.
  std::string_view covering;
  for (const std::string& prefix : prefixes) {
    if (!covering.empty() && std::string_view(prefix).starts_with(covering)) continue;
    covering = prefix;
    scan_from(std::lower_bound(sorted.begin(), sorted.end(), std::string_view(prefix),
                               [&](TermId t, std::string_view k) { return col.term(t) < k; }),
              prefix);
  }
  return out;
}

Roaring SearchExecutor::record_id_docs(const StringPredicate& p) {
  std::vector<DocId> docs;
  if (p.op == StringPredicate::Op::kEquals && !p.case_insensitive) {
    for (const auto& v : p.values) {
      if (const auto id = parse_long(v); id && std::to_string(*id) == v) {
        if (const auto d = index_.doc_of_record(*id)) docs.push_back(*d);
      }
    }
    return bitmap_of(docs);
  }
  // Other conditions on the id keyword: test each id's decimal text.
  for (DocId d = 0; d < index_.doc_count() && !out_of_time(); ++d) {
    const std::string v = std::to_string(index_.record_id(d));
    bool hit = false;
    switch (p.op) {
      case StringPredicate::Op::kEquals: for (const auto& x : p.values) hit = hit || ascii_lowercase(x) == v; break;
      case StringPredicate::Op::kPrefix: hit = v.starts_with(p.values[0]); break;
      case StringPredicate::Op::kWildcard: hit = wildcard_match(p.values[0], v); break;
      case StringPredicate::Op::kRegexp: hit = p.regexp->full_match(v); break;
      case StringPredicate::Op::kRange:
        hit = !(p.lower && (p.include_lower ? v < *p.lower : v <= *p.lower)) &&
              !(p.upper && (p.include_upper ? v > *p.upper : v >= *p.upper));
        break;
      case StringPredicate::Op::kTokens: hit = p.values.size() == 1 && p.values[0] == v; break;
    }
    if (hit) docs.push_back(d);
  }
  return bitmap_of(docs);
}

Result<Evaluated> SearchExecutor::evaluate_field(const FieldQuery& q, MatchedTerms* highlight) {
  Evaluated e;
  e.kind = Evaluated::Kind::kConstant;
  e.constant = q.boost;
  const FieldRef& f = q.field;
  const std::size_t n = index_.doc_count();

  if (std::holds_alternative<ExistsPredicate>(q.predicate)) {
    if (f.type == FieldType::kRecordId) {
      e.docs = all_docs();
      return e;
    }
    std::vector<DocId> docs;
    if (f.is_numeric()) {
      const auto& values = index_.numeric(f.column).values;
      for (DocId d = 0; d < n && !((d & 0xFFFF) == 0 && out_of_time(0x10000)); ++d) {
        if (values[d] != kMissingNumber) docs.push_back(d);
      }
    } else {
      const auto& col = index_.keyword(f.column);
      for (DocId d = 0; d < n && !((d & 0xFFFF) == 0 && out_of_time(0x10000)); ++d) {
        if (col.term_of(d) != kNoTerm) docs.push_back(d);
      }
    }
    e.docs = Roaring(docs.size(), docs.data());
    return e;
  }

  if (const auto* np = std::get_if<NumericPredicate>(&q.predicate)) {
    if (!f.is_numeric()) return e;  // the builders never make this; nothing matches
    const auto& values = index_.numeric(f.column).values;
    std::vector<DocId> docs;
    if (np->is_range) {
      const std::int64_t lo = np->lower, hi = np->upper;
      for (DocId d = 0; d < n && !((d & 0xFFFF) == 0 && out_of_time(0x10000)); ++d) {
        const std::int64_t v = values[d];
        if (v != kMissingNumber && v >= lo && v <= hi) docs.push_back(d);
      }
    } else {
      for (DocId d = 0; d < n && !((d & 0xFFFF) == 0 && out_of_time(0x10000)); ++d) {
        const std::int64_t v = values[d];
        if (v == kMissingNumber) continue;
        for (const auto x : np->values) {
          if (v == x) { docs.push_back(d); break; }
        }
      }
    }
    e.docs = Roaring(docs.size(), docs.data());
    return e;
  }

  const auto& p = std::get<StringPredicate>(q.predicate);
  if (f.type == FieldType::kRecordId) {
    e.docs = record_id_docs(p);
    if (q.score == ScoreMode::kTermIdf) e.constant = q.boost * idf(1, std::max<std::uint64_t>(n, 1));
    return e;
  }
  const KeywordColumn& col = index_.keyword(f.column);
  const std::vector<TermId> terms = matching_terms(f, p, col);
  if (terms.size() == 1) {
    const TermId t = terms[0];
    col.add_postings(t, e.docs);
  } else if (!terms.empty()) {
    std::vector<DocId> docs;  // single-document terms, gathered into one bitmap at the end
    for (const TermId t : terms) {
      if (out_of_time(16)) break;
      if (col.doc_freq(t) == 1) col.append_postings(t, docs);
      else col.add_postings(t, e.docs);
    }
    if (!docs.empty()) e.docs |= bitmap_of(docs);
  }
  if (highlight) {
    auto& h = highlight->by_column[static_cast<int>(f.column)];
    h.insert(h.end(), terms.begin(), terms.end());
  }
  if (q.score == ScoreMode::kTermIdf && !terms.empty()) {
    const std::uint64_t field_docs = std::max<std::uint64_t>(col.docs_with_value(), 1);
    if (f.type == FieldType::kText) {
      e.kind = Evaluated::Kind::kPerTerm;
      e.column = &col;
      e.term_scores = text_term_scores(p, col, terms, q.boost, field_docs);
    } else if (terms.size() == 1) {
      e.constant = q.boost * idf(col.doc_freq(terms[0]), field_docs);
    } else {
      e.kind = Evaluated::Kind::kPerTerm;
      e.column = &col;
      e.term_scores = std::make_shared<std::unordered_map<TermId, float>>();
      for (const TermId t : terms) (*e.term_scores)[t] = q.boost * idf(col.doc_freq(t), field_docs);
    }
  }
  return e;
}

Result<Evaluated> SearchExecutor::evaluate_bool(const BoolQuery& q, MatchedTerms* highlight) {
  Evaluated e;
  e.kind = Evaluated::Kind::kSum;
  e.boost = q.boost;
  bool started = false;
  auto narrow = [&](const Roaring& r) {
    if (!started) { e.docs = r; started = true; }
    else e.docs &= r;
  };
  for (const auto& c : q.must) {
    BH_ASSIGN_OR_RETURN(Evaluated child, evaluate(*c, highlight));
    narrow(child.docs);
    e.required.push_back(std::move(child));
  }
  for (const auto& c : q.filter) {
    BH_ASSIGN_OR_RETURN(Evaluated child, evaluate(*c, highlight));
    narrow(child.docs);
  }
  if (!q.should.empty()) {
    std::vector<Evaluated> should;
    for (const auto& c : q.should) {
      BH_ASSIGN_OR_RETURN(Evaluated child, evaluate(*c, highlight));
      should.push_back(std::move(child));
    }
    std::size_t need = (q.must.empty() && q.filter.empty()) ? 1 : 0;
    if (q.minimum_should_match) need = q.minimum_should_match->required_of(should.size());
    if (need == 1) {
      std::vector<const Roaring*> parts;
      for (const auto& s : should) parts.push_back(&s.docs);
      narrow(Roaring::fastunion(parts.size(), parts.data()));
    } else if (need > 1) {
      // Count, per candidate document, how many should clauses it matches.
      std::vector<std::uint16_t> counts(index_.doc_count(), 0);
      for (const auto& s : should) collect(s.docs, [&](DocId d) { ++counts[d]; });
      std::vector<DocId> docs;
      for (DocId d = 0; d < counts.size(); ++d) {
        if (counts[d] >= need) docs.push_back(d);
      }
      narrow(Roaring(docs.size(), docs.data()));
    }
    e.optional = std::move(should);
  }
  if (!started) e.docs = all_docs();  // only must_not (or nothing): everything, then subtract
  for (const auto& c : q.must_not) {
    BH_ASSIGN_OR_RETURN(Evaluated child, evaluate(*c, nullptr));
    e.docs -= child.docs;
  }
  if (q.must.empty() && q.should.empty()) {
    // Filters and must_not do not score: a pure-filter bool scores 0 (1 for a pure must_not, which
    // Elasticsearch rewrites with match_all).
    const bool pure_negative = q.filter.empty() && !q.must_not.empty();
    Evaluated c;
    c.kind = Evaluated::Kind::kConstant;
    c.constant = (pure_negative ? 1.0f : 0.0f) * q.boost;
    c.docs = std::move(e.docs);
    return c;
  }
  return e;
}

Result<Evaluated> SearchExecutor::evaluate(const Query& q, MatchedTerms* highlight) {
  return std::visit(
      [&](const auto& n) -> Result<Evaluated> {
        using T = std::decay_t<decltype(n)>;
        Evaluated e;
        if constexpr (std::is_same_v<T, MatchAllQuery>) {
          e.docs = all_docs();
          e.constant = n.boost;
          return e;
        } else if constexpr (std::is_same_v<T, MatchNoneQuery>) {
          return e;
        } else if constexpr (std::is_same_v<T, FieldQuery>) {
          return evaluate_field(n, highlight);
        } else if constexpr (std::is_same_v<T, IdsQuery>) {
          std::vector<DocId> docs;
          for (const auto id : n.ids) {
            if (const auto d = index_.doc_of_record(id)) docs.push_back(*d);
          }
          e.docs = bitmap_of(docs);
          e.constant = n.boost;
          return e;
        } else if constexpr (std::is_same_v<T, BoolQuery>) {
          return evaluate_bool(n, highlight);
        } else if constexpr (std::is_same_v<T, ConstantScoreQuery>) {
          BH_ASSIGN_OR_RETURN(Evaluated inner, evaluate(*n.filter, highlight));
          e.docs = std::move(inner.docs);
          e.constant = n.boost;
          return e;
        } else {
          static_assert(std::is_same_v<T, DisMaxQuery>);
          e.kind = Evaluated::Kind::kDisMax;
          e.boost = n.boost;
          e.tie_breaker = n.tie_breaker;
          std::vector<const Roaring*> parts;
          for (const auto& c : n.queries) {
            BH_ASSIGN_OR_RETURN(Evaluated child, evaluate(*c, highlight));
            e.optional.push_back(std::move(child));
          }
          for (const auto& c : e.optional) parts.push_back(&c.docs);
          if (!parts.empty()) e.docs = Roaring::fastunion(parts.size(), parts.data());
          return e;
        }
      },
      q.node);
}

// ---- sorting ----

double SearchExecutor::sort_key_of(DocId d, const SortKey& key, float score) const {
  switch (key.kind) {
    case SortKey::Kind::kScore: return score;
    case SortKey::Kind::kDoc: return static_cast<double>(d);
    case SortKey::Kind::kUnmapped: return 0.0;  // missing everywhere: a tie
    case SortKey::Kind::kField: break;
  }
  const FieldRef& f = *key.field;
  const double missing = (key.missing == SortKey::Missing::kFirst) == key.descending ? kInf : -kInf;
  switch (f.type) {
    case FieldType::kDate: case FieldType::kLong: {
      const std::int64_t v = index_.numeric(f.column).values[d];
      if (v == kMissingNumber) {
        if (key.missing == SortKey::Missing::kValue) {
          if (const auto m = parse_long(key.missing_value)) return static_cast<double>(*m);
        }
        return missing;
      }
      return static_cast<double>(v);
    }
    case FieldType::kRecordId: return static_cast<double>(index_.record_id(d));
    case FieldType::kVersion: {
      const auto& col = index_.keyword(f.column);
      const TermId t = col.term_of(d);
      return t == kNoTerm ? missing : static_cast<double>(col.version_rank(t));
    }
    default: {
      const auto& col = index_.keyword(f.column);
      const TermId t = col.term_of(d);
      return t == kNoTerm ? missing : static_cast<double>(col.byte_rank(t));
    }
  }
}

Result<double> SearchExecutor::search_after_key(const json& value, const SortKey& key) const {
  auto as_number = [&]() -> Result<double> {
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
      if (const auto v = parse_long(value.get<std::string>())) return static_cast<double>(*v);
    }
    return fail(Code::kInvalidArgument, fmt::format("search_after value {} does not fit the sort", value.dump()));
  };
  if (key.kind == SortKey::Kind::kUnmapped) return 0.0;  // whatever was shown for the missing value
  if (key.kind != SortKey::Kind::kField) return as_number();
  const FieldRef& f = *key.field;
  if (value.is_null()) return (key.missing == SortKey::Missing::kFirst) == key.descending ? kInf : -kInf;
  if (f.type == FieldType::kDate || f.type == FieldType::kLong || f.type == FieldType::kRecordId) {
    if (f.type == FieldType::kDate && value.is_string() && !parse_long(value.get<std::string>())) {
      BH_ASSIGN_OR_RETURN(std::int64_t ms, DateFormat::default_format().parse_millis(value.get<std::string>(), {}, false));
      return static_cast<double>(ms);
    }
    return as_number();
  }
  if (!value.is_string()) return fail(Code::kInvalidArgument, fmt::format("search_after value for [{}] must be a string", f.name));
  const std::string v = value.get<std::string>();
  const auto& col = index_.keyword(f.column);
  // Position of v among the dictionary's terms: exact rank, or halfway between neighbours.
  if (f.type == FieldType::kVersion) {
    const std::string k = mozilla_version_sort_key(v);
    const auto& vs = col.version_sorted_terms();
    const auto it = std::lower_bound(vs.begin(), vs.end(), k, [&](TermId t, const std::string& x) { return col.version_key(t) < x; });
    const double pos = static_cast<double>(it - vs.begin());
    return (it != vs.end() && col.version_key(*it) == k) ? pos : pos - 0.5;
  }
  const auto& sorted = col.sorted_terms();
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), std::string_view(v),
                                   [&](TermId t, std::string_view x) { return col.term(t) < x; });
  const double pos = static_cast<double>(it - sorted.begin());
  return (it != sorted.end() && col.term(*it) == v) ? pos : pos - 0.5;
}

Result<std::vector<SearchExecutor::Hit>> SearchExecutor::top_hits(const Roaring& docs, const Evaluated& matched,
                                                                  const std::vector<SortKey>& sort_in,
                                                                  std::size_t from, std::size_t size,
                                                                  const std::optional<json>& search_after, bool need_scores) {
  std::vector<SortKey> sort = sort_in;
  if (sort.empty()) sort.push_back(SortKey{});  // _score desc
  const std::size_t k = from + size;
  const bool by_score = std::any_of(sort.begin(), sort.end(), [](const SortKey& s) { return s.kind == SortKey::Kind::kScore; });
  const bool constant = matched.constant_score();
  const bool compute_scores = (need_scores || by_score) && !constant;

  std::vector<double> after;
  if (search_after) {
    for (std::size_t i = 0; i < sort.size(); ++i) {
      BH_ASSIGN_OR_RETURN(double v, search_after_key((*search_after)[i], sort[i]));
      after.push_back(v);
    }
  }
  // a comes before b in the result order?
  auto before = [&](const Hit& a, const Hit& b) {
    for (std::size_t i = 0; i < sort.size(); ++i) {
      if (a.keys[i] != b.keys[i]) return sort[i].descending ? a.keys[i] > b.keys[i] : a.keys[i] < b.keys[i];
    }
    return a.doc < b.doc;
  };
  auto is_after = [&](const Hit& h) {
    for (std::size_t i = 0; i < sort.size(); ++i) {
      if (h.keys[i] != after[i]) return sort[i].descending ? h.keys[i] < after[i] : h.keys[i] > after[i];
    }
    return false;
  };

  std::vector<Hit> hits;
  if (k == 0) return hits;
  // Fast path: plain document order with equal scores is the bitmap's own order.
  const bool doc_order = search_after == std::nullopt &&
                         std::all_of(sort.begin(), sort.end(), [&](const SortKey& s) {
                           return (s.kind == SortKey::Kind::kScore && constant) ||
                                  (s.kind == SortKey::Kind::kDoc && !s.descending);
                         });
  const bool one_number = search_after == std::nullopt && sort.size() == 1 && sort[0].kind == SortKey::Kind::kField &&
                          (sort[0].field->type == FieldType::kDate || sort[0].field->type == FieldType::kLong) &&
                          sort[0].missing != SortKey::Missing::kValue;
  if (one_number) {
    hits = top_by_number(docs, sort[0], k);
    for (auto& h : hits) h.score = compute_scores ? matched.score(h.doc) : (constant ? matched.constant : 0.0f);
  } else if (doc_order) {
    std::vector<DocId> first(std::min<std::uint64_t>(k, docs.cardinality()));
    if (!first.empty()) docs.rangeUint32Array(first.data(), 0, first.size());
    for (const DocId d : first) {
      const float score = compute_scores ? matched.score(d) : (constant ? matched.constant : 0.0f);
      Hit h{d, score, {}};
      for (const auto& s : sort) h.keys.push_back(sort_key_of(d, s, score));
      hits.push_back(std::move(h));
    }
  } else {
    auto worse_on_top = [&](const Hit& a, const Hit& b) { return before(a, b); };
    std::priority_queue<Hit, std::vector<Hit>, decltype(worse_on_top)> heap(worse_on_top);
    Hit probe{0, 0.0f, std::vector<double>(sort.size())};
    collect(docs, [&](DocId d) {
      probe.doc = d;
      probe.score = compute_scores ? matched.score(d) : (constant ? matched.constant : 0.0f);
      for (std::size_t i = 0; i < sort.size(); ++i) probe.keys[i] = sort_key_of(d, sort[i], probe.score);
      if (!after.empty() && !is_after(probe)) return;
      if (heap.size() < k) heap.push(probe);
      else if (before(probe, heap.top())) {
        heap.pop();
        heap.push(probe);
      }
    });
    hits.reserve(heap.size());
    while (!heap.empty()) {
      hits.push_back(heap.top());
      heap.pop();
    }
    std::reverse(hits.begin(), hits.end());
  }
  if (from >= hits.size()) return std::vector<Hit>{};
  hits.erase(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(from));
  return hits;
}

// The common sort of the page and of most clients (one date or number, no search_after): the
// values are read straight from the column and most documents are turned away by one comparison
// with the worst of the best k so far, instead of building a Hit per document.
std::vector<SearchExecutor::Hit> SearchExecutor::top_by_number(const Roaring& docs, const SortKey& key, std::size_t k) {
  const std::vector<std::int64_t>& values = index_.numeric(key.field->column).values;
  const bool descending = key.descending;
  const double missing = (key.missing == SortKey::Missing::kFirst) == descending ? kInf : -kInf;
  struct Entry {
    double key;
    DocId doc;
  };
  auto before = [descending](const Entry& a, const Entry& b) {
    if (a.key != b.key) return descending ? a.key > b.key : a.key < b.key;
    return a.doc < b.doc;
  };
  std::vector<Entry> heap;  // the best k so far, the worst on top
  heap.reserve(k);
  collect(docs, [&](DocId d) {
    const std::int64_t v = values[d];
    const Entry e{v == kMissingNumber ? missing : static_cast<double>(v), d};
    if (heap.size() < k) {
      heap.push_back(e);
      std::push_heap(heap.begin(), heap.end(), before);
    } else if (before(e, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), before);
      heap.back() = e;
      std::push_heap(heap.begin(), heap.end(), before);
    }
  });
  std::sort_heap(heap.begin(), heap.end(), before);
  std::vector<Hit> hits;
  hits.reserve(heap.size());
  for (const Entry& e : heap) hits.push_back(Hit{e.doc, 0.0f, {e.key}});
  return hits;
}

}  // namespace bh::search

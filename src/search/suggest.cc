#include "search/suggest.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "search/es_errors.h"
#include "search/index.h"
#include "search/lucene_regexp.h"
#include "search/request_detail.h"
#include "search/text_analysis.h"

namespace bh::search {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

tl::unexpected<Status> bad(std::string message) {
  return fail(es_error(Code::kInvalidArgument, std::move(message), es_type::kIllegalArgument));
}

// Counts (size, prefix_length, ...) are the request parser's whole numbers, bounded here.
Result<std::size_t> count(const json& v, std::string_view what) {
  BH_ASSIGN_OR_RETURN(const std::int64_t n, request_detail::count_of(v, what));
  if (n < 0 || n > 1'000'000) return bad(fmt::format("[{}] must be a whole number from 0 to 1000000, not {}", what, v.dump()));
  return static_cast<std::size_t>(n);
}

Result<std::string> text_of(const json& v, std::string_view what) {
  if (!v.is_string()) return bad(fmt::format("[{}] must be a string, not {}", what, v.dump()));
  return v.get<std::string>();
}

// A field a suggester reads: its own dictionary, or `_all` (every keyword field, lower-cased).
Result<CandidateSource> source_of(const std::string& field) {
  CandidateSource s;
  if (field == "_all") {
    // Every keyword field of words; the unique identifiers (build ids, revisions, URLs) are left
    // out: nobody means one of them in a did-you-mean, and their million-term dictionaries
    // would cost every keystroke of the web page a scan.
    for (const ColumnInfo& c : columns()) {
      const bool identifier = c.column == Column::kBuildId || c.column == Column::kSourceRevision ||
                              c.column == Column::kDownloadUrl;
      if (c.kind == ColumnKind::kKeyword && !identifier) s.columns.push_back(c.column);
    }
    s.lowercase = true;
    return s;
  }
  const auto f = resolve_field(field);
  if (!f || !f->is_string_column()) return bad(fmt::format("no mapping found for field [{}]", field));
  s.columns.push_back(f->column);
  return s;
}

// Options shared by the term suggester and a phrase suggester's direct generators.
Result<bool> candidate_option(CandidateSource& s, const std::string& key, const json& v) {
  if (key == "suggest_mode") {
    BH_ASSIGN_OR_RETURN(const std::string mode, text_of(v, key));
    if (mode == "missing") s.mode = CandidateSource::Mode::kMissing;
    else if (mode == "popular") s.mode = CandidateSource::Mode::kPopular;
    else if (mode == "always") s.mode = CandidateSource::Mode::kAlways;
    else return bad(fmt::format("Illegal suggest mode {}", mode));
  } else if (key == "max_edits") {
    BH_ASSIGN_OR_RETURN(const std::size_t n, count(v, key));
    if (n < 1 || n > 2) return bad(fmt::format("Illegal max_edits value {}", n));
    s.max_edits = static_cast<int>(n);
  } else if (key == "prefix_length" || key == "prefix_len") {
    BH_ASSIGN_OR_RETURN(s.prefix_length, count(v, key));
  } else if (key == "min_word_length" || key == "min_word_len") {
    BH_ASSIGN_OR_RETURN(s.min_word_length, count(v, key));
  } else if (key == "size") {
    BH_ASSIGN_OR_RETURN(s.size, count(v, key));
  } else if (key == "min_doc_freq") {
    BH_ASSIGN_OR_RETURN(s.min_doc_freq, request_detail::number_of(v, key));
  } else if (key == "sort") {
    BH_ASSIGN_OR_RETURN(const std::string order, text_of(v, key));
    if (order != "score" && order != "frequency") return bad(fmt::format("Illegal suggest sort {}", order));
    s.sort_by_frequency = order == "frequency";
  } else if (key == "max_term_freq" || key == "max_inspections" || key == "shard_size" || key == "accuracy" ||
             key == "string_distance" || key == "lowercase_terms" || key == "analyzer" || key == "pre_filter" ||
             key == "post_filter" || key == "max_query_frequency") {
    // They tune Lucene's search for candidates; the dictionary here is searched exhaustively.
  } else {
    return false;
  }
  return true;
}

Result<CandidateSource> parse_term(const json& body, SuggestSpec& spec) {
  if (!body.is_object() || !body.contains("field")) return bad("[term] suggester requires a [field]");
  BH_ASSIGN_OR_RETURN(const std::string field, text_of(body["field"], "field"));
  BH_ASSIGN_OR_RETURN(CandidateSource s, source_of(field));
  spec.field = field == "_all" ? FieldRef{"_all", FieldType::kKeyword, Column::kSourceProduct} : *resolve_field(field);
  for (const auto& [k, v] : body.items()) {
    if (k == "field") continue;
    BH_ASSIGN_OR_RETURN(const bool known, candidate_option(s, k, v));
    if (!known) return bad(fmt::format("suggester[term] doesn't support field [{}]", k));
  }
  return s;
}

Status parse_phrase(const json& body, SuggestSpec& spec) {
  if (!body.is_object() || !body.contains("field")) return bad("[phrase] suggester requires a [field]").value();
  BH_ASSIGN_OR_RETURN(const std::string field, text_of(body["field"], "field"));
  BH_ASSIGN_OR_RETURN(CandidateSource own, source_of(field));
  spec.field = field == "_all" ? FieldRef{"_all", FieldType::kKeyword, Column::kSourceProduct} : *resolve_field(field);
  for (const auto& [k, v] : body.items()) {
    if (k == "field") continue;
    if (k == "size") { BH_ASSIGN_OR_RETURN(spec.size, count(v, k)); }
    else if (k == "max_errors") { BH_ASSIGN_OR_RETURN(spec.max_errors, request_detail::number_of(v, k)); }
    else if (k == "confidence") { BH_ASSIGN_OR_RETURN(spec.confidence, request_detail::number_of(v, k)); }
    else if (k == "real_word_error_likelihood") { BH_ASSIGN_OR_RETURN(spec.real_word_error_likelihood, request_detail::number_of(v, k)); }
    else if (k == "highlight") {
      if (!v.is_object()) return bad("[highlight] must be an object").value();
      std::string pre, post;
      for (const auto& [hk, hv] : v.items()) {
        if (hk == "pre_tag") { BH_ASSIGN_OR_RETURN(pre, text_of(hv, hk)); }
        else if (hk == "post_tag") { BH_ASSIGN_OR_RETURN(post, text_of(hv, hk)); }
        else return bad(fmt::format("suggester[phrase][highlight] doesn't support field [{}]", hk)).value();
      }
      spec.highlight = std::make_pair(pre, post);
    } else if (k == "direct_generator") {
      if (!v.is_array()) return bad("[direct_generator] must be an array").value();
      for (const auto& g : v) {
        if (!g.is_object() || !g.contains("field")) return bad("[direct_generator] requires a [field]").value();
        BH_ASSIGN_OR_RETURN(const std::string gfield, text_of(g["field"], "field"));
        BH_ASSIGN_OR_RETURN(CandidateSource s, source_of(gfield));
        for (const auto& [gk, gv] : g.items()) {
          if (gk == "field") continue;
          BH_ASSIGN_OR_RETURN(const bool known, candidate_option(s, gk, gv));
          if (!known) return bad(fmt::format("[direct_generator] unknown field [{}]", gk)).value();
        }
        spec.generators.push_back(std::move(s));
      }
    } else if (k == "gram_size" || k == "separator" || k == "analyzer" || k == "shard_size" || k == "smoothing" ||
               k == "force_unigrams" || k == "token_limit" || k == "collate") {
      // Parameters of Elasticsearch's n-gram language model, which this suggester does not use.
    } else {
      return bad(fmt::format("suggester[phrase] doesn't support field [{}]", k)).value();
    }
  }
  if (spec.generators.empty()) {
    own.mode = CandidateSource::Mode::kAlways;
    spec.generators.push_back(std::move(own));
  }
  return Status::ok();
}

// ---- running ----

struct Token {
  std::string text;
  std::size_t offset = 0, length = 0;  // in the suggest text, as Elasticsearch counts (UTF-16 units ~ bytes here)
};

std::vector<Token> tokens_of(const SuggestSpec& spec) {
  std::vector<Token> out;
  if (spec.field.type != FieldType::kText) {
    if (!spec.text.empty()) out.push_back({spec.text, 0, spec.text.size()});
    return out;
  }
  // Text fields: the standard analyzer's tokens, with where each starts in the text.
  const std::string lowered = ascii_lowercase(spec.text);
  std::size_t from = 0;
  for (const std::string& t : standard_tokens(spec.text)) {
    const std::size_t at = lowered.find(t, from);
    const std::size_t offset = at == std::string::npos ? from : at;
    out.push_back({t, offset, t.size()});
    from = offset + t.size();
  }
  return out;
}

struct Candidate {
  std::string text;
  double score = 0;
  std::uint64_t freq = 0;
};

struct Lookup {
  std::vector<Candidate> candidates;  // best first, at most the source's size
  std::uint64_t own_freq = 0;         // documents holding the token as written
};

std::size_t code_point_count(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Visits the source's dictionary entries that may start with `first` (a code point; 0 for
// any): (term as the source sees it, a callable giving the documents holding it; counting
// them costs more than most terms deserve, so only kept ones ask).
template <typename Visit>
void scan(const SearchIndex& index, const CandidateSource& s, char32_t first, Visit&& visit) {
  std::vector<std::string> starts;
  if (first != 0) {
    starts.push_back(code_points_utf8(std::u32string(1, first)));
    if (s.lowercase && first >= U'a' && first <= U'z') starts.push_back(std::string(1, static_cast<char>(first - U'a' + U'A')));
  }
  for (Column c : s.columns) {
    const KeywordColumn& col = index.keyword(c);
    const auto& sorted = col.sorted_terms();
    if (column_info(c).kind == ColumnKind::kText) {
      // A text field's dictionary is its tokens (few distinct values hold them all).
      std::map<std::string, std::uint64_t> tokens;
      for (TermId t : sorted) {
        for (const std::string& token : col.tokens(t)) tokens[token] += col.doc_freq(t);
      }
      for (const auto& [token, freq] : tokens) visit(std::string_view(token), [f = freq] { return f; });
      continue;
    }
    const auto visit_range = [&](auto first_it, auto last_it) {
      for (auto it = first_it; it != last_it; ++it) {
        const TermId t = *it;
        visit(col.term(t), [&col, t] { return std::uint64_t{col.doc_freq(t)}; });
      }
    };
    if (starts.empty()) {
      visit_range(sorted.begin(), sorted.end());
      continue;
    }
    for (const std::string& p : starts) {
      const auto from = std::lower_bound(sorted.begin(), sorted.end(), std::string_view(p),
                                         [&](TermId t, std::string_view x) { return col.term(t) < x; });
      const auto to = std::partition_point(from, sorted.end(), [&](TermId t) { return col.term(t).starts_with(p); });
      visit_range(from, to);
    }
  }
}

Lookup candidates(const SearchIndex& index, const CandidateSource& s, std::string token) {
  if (s.lowercase) token = ascii_lowercase(token);
  const std::u32string wanted = utf8_code_points(token);
  const std::u32string prefix = wanted.substr(0, std::min(s.prefix_length, wanted.size()));
  Lookup out;
  struct Found {
    std::uint64_t freq = 0;  // documents
    int edits = 0;
  };
  std::map<std::string, Found> found;
  const std::size_t max_edits = static_cast<std::size_t>(s.max_edits);
  scan(index, s, prefix.empty() ? 0 : prefix[0], [&](std::string_view raw, const auto& freq) {
    const std::size_t length = code_point_count(raw);
    if (length + max_edits < wanted.size() || length > wanted.size() + max_edits) return;  // too many edits away
    const std::string term = s.lowercase ? ascii_lowercase(raw) : std::string(raw);
    if (term == token) {
      out.own_freq += freq();
      return;
    }
    const std::u32string cand = utf8_code_points(term);
    if (cand.compare(0, prefix.size(), prefix) != 0) return;
    const int edits = edit_distance(wanted, cand, s.max_edits);
    if (edits > s.max_edits) return;
    Found& f = found[term];
    f.freq += freq();
    f.edits = edits;
  });
  if (wanted.size() < s.min_word_length) return out;
  if (s.mode == CandidateSource::Mode::kMissing && out.own_freq > 0) return out;
  const double docs = static_cast<double>(index.doc_count());
  const double min_freq = s.min_doc_freq >= 1 ? s.min_doc_freq : s.min_doc_freq * docs;
  for (const auto& [term, f] : found) {
    if (static_cast<double>(f.freq) < min_freq) continue;
    if (s.mode == CandidateSource::Mode::kPopular && f.freq <= out.own_freq) continue;
    const double shorter = static_cast<double>(std::min(wanted.size(), code_point_count(term)));
    out.candidates.push_back({term, 1.0 - static_cast<double>(f.edits) / shorter, f.freq});
  }
  std::sort(out.candidates.begin(), out.candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if (s.sort_by_frequency && a.freq != b.freq) return a.freq > b.freq;
    if (a.score != b.score) return a.score > b.score;
    if (a.freq != b.freq) return a.freq > b.freq;
    return a.text < b.text;
  });
  if (out.candidates.size() > s.size) out.candidates.resize(s.size);
  return out;
}

// A score as Elasticsearch writes it: a float, in its shortest form (0.85714287, not the
// double 0.8571428656578064 the same float widens to).
double as_float(double score) { return std::stod(fmt::format("{}", static_cast<float>(score))); }

ojson entry_of(const Token& t, ojson options) {
  ojson e = ojson::object();
  e["text"] = t.text;
  e["offset"] = t.offset;
  e["length"] = t.length;
  e["options"] = std::move(options);
  return e;
}

ojson run_term(const SearchIndex& index, const SuggestSpec& spec) {
  ojson entries = ojson::array();
  for (const Token& t : tokens_of(spec)) {
    ojson options = ojson::array();
    for (const Candidate& c : candidates(index, spec.term, t.text).candidates) {
      ojson o = ojson::object();
      o["text"] = c.text;
      o["score"] = as_float(c.score);
      o["freq"] = c.freq;
      options.push_back(std::move(o));
    }
    entries.push_back(entry_of(t, std::move(options)));
  }
  return entries;
}

struct Correction {
  std::vector<int> choice;  // per token: -1 the token as written, else a candidate index
  double score = 1;
  int errors = 0;
};

ojson run_phrase(const SearchIndex& index, const SuggestSpec& spec) {
  const std::vector<Token> tokens = tokens_of(spec);
  // Per token: its candidates from every generator, best first, and how likely it is as written.
  std::vector<std::vector<Candidate>> options(tokens.size());
  std::vector<double> as_written(tokens.size());
  const double real = spec.real_word_error_likelihood;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::map<std::string, Candidate> merged;
    bool known = false;
    for (const CandidateSource& g : spec.generators) {
      Lookup found = candidates(index, g, tokens[i].text);
      known = known || found.own_freq > 0;
      for (Candidate& c : found.candidates) {
        auto [it, inserted] = merged.try_emplace(c.text, c);
        if (!inserted) it->second.score = std::max(it->second.score, c.score);
      }
    }
    for (auto& [text, c] : merged) options[i].push_back(std::move(c));
    std::sort(options[i].begin(), options[i].end(), [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score > b.score : a.freq > b.freq;
    });
    // A word the index knows is probably meant; one it does not know probably is a typo.
    as_written[i] = known ? real : (1 - real) * 0.01;
  }
  const int max_errors = spec.max_errors >= 1
                             ? static_cast<int>(spec.max_errors)
                             : std::max(1, static_cast<int>(spec.max_errors * static_cast<double>(tokens.size())));
  double original = 1;
  for (double w : as_written) original *= w;
  // Corrections with up to max_errors tokens replaced, grown one replacement at a time from
  // the best few of the previous round.
  std::vector<Correction> found;
  std::vector<Correction> round{{std::vector<int>(tokens.size(), -1), original, 0}};
  for (int e = 1; e <= max_errors && !round.empty(); ++e) {
    std::vector<Correction> next;
    for (const Correction& base : round) {
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (base.choice[i] != -1) continue;
        for (std::size_t k = 0; k < options[i].size(); ++k) {
          Correction c = base;
          c.choice[i] = static_cast<int>(k);
          c.score = base.score / as_written[i] * options[i][k].score * (1 - real);
          c.errors = e;
          next.push_back(std::move(c));
        }
      }
    }
    std::sort(next.begin(), next.end(), [](const Correction& a, const Correction& b) { return a.score > b.score; });
    if (next.size() > 10) next.resize(10);
    found.insert(found.end(), next.begin(), next.end());
    round = std::move(next);
  }
  std::sort(found.begin(), found.end(), [](const Correction& a, const Correction& b) { return a.score > b.score; });
  ojson list = ojson::array();
  std::vector<std::string> seen;
  for (const Correction& c : found) {
    if (list.size() >= spec.size) break;
    if (c.score <= original * spec.confidence) break;
    std::string text, highlighted;
    std::size_t at = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string between = spec.text.substr(at, tokens[i].offset - at);
      text += between;
      highlighted += between;
      if (c.choice[i] < 0) {
        text += spec.text.substr(tokens[i].offset, tokens[i].length);
        highlighted += spec.text.substr(tokens[i].offset, tokens[i].length);
      } else {
        const std::string& word = options[i][static_cast<std::size_t>(c.choice[i])].text;
        text += word;
        if (spec.highlight) highlighted += spec.highlight->first + word + spec.highlight->second;
      }
      at = tokens[i].offset + tokens[i].length;
    }
    text += spec.text.substr(std::min(at, spec.text.size()));
    highlighted += spec.text.substr(std::min(at, spec.text.size()));
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) continue;
    seen.push_back(text);
    ojson o = ojson::object();
    o["text"] = text;
    if (spec.highlight) o["highlighted"] = highlighted;
    o["score"] = as_float(c.score);
    list.push_back(std::move(o));
  }
  ojson entries = ojson::array();
  entries.push_back(entry_of(Token{spec.text, 0, spec.text.size()}, std::move(list)));
  return entries;
}

}  // namespace

int edit_distance(std::u32string_view a, std::u32string_view b, int limit) {
  const std::size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > static_cast<std::size_t>(limit)) return limit + 1;
  // Optimal string alignment distance over three rows.
  std::vector<int> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = static_cast<int>(i);
    int row_best = current[0];
    for (std::size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) current[j] = std::min(current[j], before[j - 2] + 1);
      row_best = std::min(row_best, current[j]);
    }
    if (row_best > limit) return limit + 1;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[m], limit + 1);
}

Result<std::vector<SuggestSpec>> parse_suggest(const json& suggest) {
  if (!suggest.is_object()) return bad("[suggest] must be an object");
  std::optional<std::string> global_text;
  if (suggest.contains("text")) { BH_ASSIGN_OR_RETURN(global_text, text_of(suggest["text"], "text")); }
  std::vector<SuggestSpec> out;
  for (const auto& [name, body] : suggest.items()) {
    if (name == "text") continue;
    if (!body.is_object()) return bad(fmt::format("suggestion [{}] must be an object", name));
    SuggestSpec spec;
    spec.name = name;
    bool typed = false;
    for (const auto& [k, v] : body.items()) {
      if (k == "text") {
        BH_ASSIGN_OR_RETURN(spec.text, text_of(v, "text"));
        continue;
      }
      if (typed) return bad(fmt::format("suggestion [{}] has more than one suggester ([{}])", name, k));
      typed = true;
      if (k == "term") {
        spec.kind = SuggestSpec::Kind::kTerm;
        BH_ASSIGN_OR_RETURN(spec.term, parse_term(v, spec));
      } else if (k == "phrase") {
        spec.kind = SuggestSpec::Kind::kPhrase;
        BH_RETURN_IF_ERROR(parse_phrase(v, spec));
      } else if (k == "completion") {
        const std::string field = v.is_object() && v.contains("field") && v["field"].is_string() ? v["field"].get<std::string>() : "";
        return bad(fmt::format("Field [{}] is not a completion suggest field", field));
      } else {
        return fail(es_error(Code::kInvalidArgument, fmt::format("Unknown Suggestion [{}]", k), es_type::kParsing));
      }
    }
    if (!typed) return bad(fmt::format("suggestion [{}] names no suggester (term or phrase)", name));
    if (!body.contains("text")) {
      if (!global_text) return bad("The required text option is missing");
      spec.text = *global_text;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

ojson run_suggest(const SearchIndex& index, const std::vector<SuggestSpec>& specs) {
  ojson out = ojson::object();
  for (const SuggestSpec& spec : specs) {
    out[spec.name] = spec.kind == SuggestSpec::Kind::kTerm ? run_term(index, spec) : run_phrase(index, spec);
  }
  return out;
}

}  // namespace bh::search

#include "search/text_analysis.h"

#include <re2/re2.h>

namespace bh::search {
namespace {

bool is_token_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of the UTF-8 sequence starting at text[i] (1 for invalid bytes, so matching moves on).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  return std::min(n, text.size() - i);
}

}  // namespace

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

std::vector<std::string> standard_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_token_char(c)) {
      current += lower(static_cast<char>(c));
    } else if (c == '.' && !current.empty() && i + 1 < text.size() &&
               is_token_char(static_cast<unsigned char>(text[i + 1]))) {
      current += '.';
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        t += utf8_length(text, t);
        continue;
      }
      const std::size_t lit = (pc == '\\' && p + 1 < pattern.size()) ? p + 1 : p;
      if (pattern[lit] == text[t]) {
        p = lit + 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    star_t += utf8_length(text, star_t);
    t = star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string wildcard_literal_prefix(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*' || c == '?') break;
    if (c == '\\' && i + 1 < pattern.size()) ++i;
    out += pattern[i];
  }
  return out;
}

bool has_wildcard(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') ++i;
    else if (pattern[i] == '*' || pattern[i] == '?') return true;
  }
  return false;
}

std::string unescape_wildcard(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) ++i;
    out += pattern[i];
  }
  return out;
}

namespace {

// Which of Lucene's optional regexp operators are on (Elasticsearch's "flags"; default ALL).
struct RegexpFlags {
  bool any_string = true, empty_language = true, complement = true, intersection = true, interval = true;
};

Result<RegexpFlags> parse_regexp_flags(std::string_view flags) {
  RegexpFlags f;
  if (flags.empty() || flags == "ALL") return f;
  f = RegexpFlags{false, false, false, false, false};
  std::size_t start = 0;
  while (start <= flags.size()) {
    const std::size_t bar = flags.find('|', start);
    const std::string_view name = flags.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (name == "ANYSTRING") f.any_string = true;
    else if (name == "EMPTY") f.empty_language = true;
    else if (name == "COMPLEMENT") f.complement = true;
    else if (name == "INTERSECTION") f.intersection = true;
    else if (name == "INTERVAL") f.interval = true;
    else if (name == "ALL") f = RegexpFlags{};
    else if (name != "NONE" && !name.empty()) return fail(Code::kInvalidArgument, "unknown regexp flag [" + std::string(name) + "]");
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return f;
}

}  // namespace

Result<std::shared_ptr<const CompiledRegexp>> CompiledRegexp::compile(std::string_view pattern, std::string_view flags) {
  if (pattern.size() > kMaxRegexpLength) {
    return fail(Code::kInvalidArgument, "regexp is longer than the allowed " + std::to_string(kMaxRegexpLength) + " characters");
  }
  BH_ASSIGN_OR_RETURN(const RegexpFlags on, parse_regexp_flags(flags));
  const bool any_string = on.any_string, empty_language = on.empty_language, complement = on.complement,
             intersection = on.intersection, interval = on.interval;

  std::string re;          // RE2 syntax
  std::string prefix;      // literal prefix while no operator has been seen
  bool prefix_open = true;
  std::size_t last_atom = 0;  // bytes the last literal atom added to the prefix
  auto add_prefix = [&](std::string_view atom) {
    if (!prefix_open) return;
    prefix += atom;
    last_atom = atom.size();
  };
  auto literal = [&](char c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       static_cast<unsigned char>(c) >= 0x80;
    if (!alnum) re += '\\';
    re += c;
  };
  auto close_prefix = [&] { prefix_open = false; };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    switch (c) {
      case '\\':
        if (i + 1 >= pattern.size()) return fail(Code::kInvalidArgument, "regexp ends with a lone '\\'");
        literal(pattern[++i]);
        add_prefix(pattern.substr(i, 1));
        break;
      case '"': {
        const std::size_t end = pattern.find('"', i + 1);
        if (end == std::string_view::npos) return fail(Code::kInvalidArgument, "regexp has an unterminated \"string\"");
        for (std::size_t j = i + 1; j < end; ++j) literal(pattern[j]);
        add_prefix(pattern.substr(i + 1, end - i - 1));
        i = end;
        break;
      }
      case '[': {
        close_prefix();
        re += '[';
        std::size_t j = i + 1;
        if (j < pattern.size() && pattern[j] == '^') re += pattern[j++];
        bool closed = false;
        for (; j < pattern.size(); ++j) {
          const char k = pattern[j];
          if (k == ']') { closed = true; break; }
          if (k == '\\' && j + 1 < pattern.size()) { re += '\\'; re += pattern[++j]; continue; }
          if (k == '[' || k == '&' || k == '~' || k == ':') { re += '\\'; re += k; continue; }
          re += k;
        }
        if (!closed) return fail(Code::kInvalidArgument, "regexp has an unterminated character class");
        re += ']';
        i = j;
        break;
      }
      case '.': case '(': case ')': case '|': case '}':
        close_prefix();
        re += c;
        break;
      case '*': case '+': case '?': case '{':
        // A quantifier applies to the previous atom, which may already be in the prefix.
        if (prefix_open) prefix.resize(prefix.size() - std::min(last_atom, prefix.size()));
        close_prefix();
        re += c;
        break;
      case '@':
        if (!any_string) { literal(c); add_prefix("@"); break; }
        close_prefix();
        re += "(?:.*)";
        break;
      case '#':
        if (!empty_language) { literal(c); add_prefix("#"); break; }
        close_prefix();
        re += "[^\\x00-\\x{10FFFF}]";
        break;
      case '~': case '&': case '<':
        if ((c == '~' && complement) || (c == '&' && intersection) || (c == '<' && interval)) {
          return fail(Code::kInvalidArgument, std::string("regexp operator '") + c +
                                                  "' is not supported; escape it or pass \"flags\": \"NONE\"");
        }
        literal(c);
        add_prefix(pattern.substr(i, 1));
        break;
      default: {
        // A multi-byte UTF-8 character is one atom.
        std::size_t n = 1;
        while (i + n < pattern.size() && (static_cast<unsigned char>(pattern[i + n]) & 0xC0) == 0x80) ++n;
        for (std::size_t j = 0; j < n; ++j) literal(pattern[i + j]);
        add_prefix(pattern.substr(i, n));
        i += n - 1;
      }
    }
  }
  // A '|' anywhere means the prefix is not shared by every alternative.
  if (pattern.find('|') != std::string_view::npos) prefix.clear();

  RE2::Options options;
  options.set_dot_nl(true);
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  auto compiled = std::unique_ptr<CompiledRegexp>(new CompiledRegexp());
  compiled->re_ = std::make_unique<re2::RE2>(re, options);
  if (!compiled->re_->ok()) {
    return fail(Code::kInvalidArgument, "invalid regexp [" + std::string(pattern) + "]: " + compiled->re_->error());
  }
  compiled->literal_prefix_ = std::move(prefix);
  return std::shared_ptr<const CompiledRegexp>(std::move(compiled));
}

CompiledRegexp::~CompiledRegexp() = default;

bool CompiledRegexp::full_match(std::string_view text) const {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace bh::search

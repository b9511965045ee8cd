#include "search/text_analysis.h"

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

Result<std::shared_ptr<const CompiledRegexp>> CompiledRegexp::compile(std::string_view pattern, std::string_view flags) {
  if (pattern.size() > kMaxRegexpLength) {
    return fail(Code::kInvalidArgument, "The length of regex [" + std::to_string(pattern.size()) +
                                            "] used in the request has exceeded the allowed maximum of [" +
                                            std::to_string(kMaxRegexpLength) + "]");
  }
  BH_ASSIGN_OR_RETURN(const LuceneRegexpFlags on, parse_lucene_regexp_flags(flags));
  auto automaton = LuceneRegexp::compile(pattern, on);
  if (!automaton) {
    return fail(Code::kInvalidArgument, "invalid regexp [" + std::string(pattern) + "]: " + automaton.error().message());
  }
  return std::shared_ptr<const CompiledRegexp>(new CompiledRegexp(std::move(*automaton)));
}

}  // namespace bh::search

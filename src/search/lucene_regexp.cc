#include "search/lucene_regexp.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

namespace bh::search {
namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr std::uint32_t kUnbounded = UINT32_MAX;
// Every derivative is a new expression; a pattern that needs this many is far past what the
// state limit would accept anyway.
constexpr std::size_t kMaxExpressions = 200000;
constexpr std::uint32_t kMaxRepeatCount = 10000;

// Bytes that are not valid UTF-8 (stored terms always are; patterns and texts from elsewhere may
// not be) decode to U+DC80..U+DCFF, one per byte, and encode back to the same byte, as Python's
// surrogateescape does: decoding then encoding gives back the input, so a literal prefix found
// in code points is also a prefix of the bytes it matched.
constexpr char32_t kEscapedByte = 0xDC00;

char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) { ++i; return b0; }
  std::size_t length = 0;
  char32_t c = 0, smallest = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) { length = 2; c = b0 & 0x1F; smallest = 0x80; }
  else if (b0 >= 0xE0 && b0 <= 0xEF) { length = 3; c = b0 & 0x0F; smallest = 0x800; }
  else if (b0 >= 0xF0 && b0 <= 0xF4) { length = 4; c = b0 & 0x07; smallest = 0x10000; }
  const auto escaped = [&] { ++i; return kEscapedByte + b0; };
  if (length == 0 || i + length > text.size()) return escaped();
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return escaped();
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values beyond Unicode are not valid UTF-8 either.
  if (c < smallest || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return escaped();
  i += length;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) { out += static_cast<char>(c); return; }
  if (c >= kEscapedByte + 0x80 && c <= kEscapedByte + 0xFF) {
    out += static_cast<char>(c - kEscapedByte);
    return;
  }
  if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  }
  out += static_cast<char>(0x80 | (c & 0x3F));
}

// A set of code points as sorted, disjoint, non-adjacent closed ranges.
using CharRanges = std::vector<std::pair<char32_t, char32_t>>;

CharRanges normalized(CharRanges r) {
  std::sort(r.begin(), r.end());
  CharRanges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) out.back().second = std::max(out.back().second, hi);
    else out.emplace_back(lo, hi);
  }
  return out;
}

CharRanges complemented(const CharRanges& r) {
  CharRanges out;
  char32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

bool contains(const CharRanges& r, char32_t c) {
  auto it = std::upper_bound(r.begin(), r.end(), c, [](char32_t v, const auto& range) { return v < range.first; });
  return it != r.begin() && std::prev(it)->second >= c;
}

enum class Kind : std::uint8_t { kEmptyLanguage, kEmptyString, kChars, kConcat, kUnion, kIntersection, kComplement, kRepeat };

struct Expression {
  Kind kind;
  bool nullable;  // the empty string is in the language
  std::vector<std::int32_t> kids;
  CharRanges chars;
  std::uint32_t min = 0, max = 0;
};

// Regular expressions with hash-consing and the simplifications (associativity, commutativity,
// idempotence of | and &, identities of the empty string and language) that make the set of
// derivatives of an expression finite.
class ExpressionArena {
 public:
  static constexpr std::int32_t kNothing = 0;   // the empty language
  static constexpr std::int32_t kEmptyText = 1;  // the empty string

  ExpressionArena() {
    intern({Kind::kEmptyLanguage, false, {}, {}});
    intern({Kind::kEmptyString, true, {}, {}});
    everything_ = complement(kNothing);
  }
  const Expression& at(std::int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }
  bool too_large() const { return nodes_.size() > kMaxExpressions; }
  std::int32_t everything() const { return everything_; }

  std::int32_t chars(CharRanges ranges) {
    ranges = normalized(std::move(ranges));
    if (ranges.empty()) return kNothing;
    return intern({Kind::kChars, false, {}, std::move(ranges)});
  }
  std::int32_t any_char() { return chars({{0, kMaxCodePoint}}); }
  std::int32_t text(const std::u32string& s) {
    std::int32_t e = kEmptyText;
    for (auto it = s.rbegin(); it != s.rend(); ++it) e = concat(chars({{*it, *it}}), e);
    return e;
  }

  std::int32_t concat(std::int32_t a, std::int32_t b) {
    if (a == kNothing || b == kNothing) return kNothing;
    if (a == kEmptyText) return b;
    if (b == kEmptyText) return a;
    if (at(a).kind == Kind::kConcat) {
      const std::int32_t head = at(a).kids[0], tail = at(a).kids[1];
      return concat(head, concat(tail, b));
    }
    return intern({Kind::kConcat, at(a).nullable && at(b).nullable, {a, b}, {}});
  }

  std::int32_t either(std::vector<std::int32_t> options) {
    std::vector<std::int32_t> flat;
    CharRanges merged_chars;
    bool any_chars = false;
    for (std::int32_t o : options) {
      if (o == kNothing) continue;
      if (o == everything_) return everything_;
      const Expression& e = at(o);
      if (e.kind == Kind::kUnion) {
        flat.insert(flat.end(), e.kids.begin(), e.kids.end());
      } else if (e.kind == Kind::kChars) {
        merged_chars.insert(merged_chars.end(), e.chars.begin(), e.chars.end());
        any_chars = true;
      } else {
        flat.push_back(o);
      }
    }
    // A union's own kids hold at most one character set; fold it into the merged one.
    for (std::size_t i = 0; i < flat.size(); ++i) {
      if (at(flat[i]).kind == Kind::kChars) {
        merged_chars.insert(merged_chars.end(), at(flat[i]).chars.begin(), at(flat[i]).chars.end());
        any_chars = true;
        flat.erase(flat.begin() + static_cast<std::ptrdiff_t>(i--));
      }
    }
    if (any_chars) flat.push_back(chars(std::move(merged_chars)));
    std::sort(flat.begin(), flat.end());
    flat.erase(std::unique(flat.begin(), flat.end()), flat.end());
    if (flat.empty()) return kNothing;
    if (flat.size() == 1) return flat[0];
    bool nullable = false;
    for (std::int32_t k : flat) nullable = nullable || at(k).nullable;
    return intern({Kind::kUnion, nullable, std::move(flat), {}});
  }

  std::int32_t both(std::vector<std::int32_t> parts) {
    std::vector<std::int32_t> flat;
    for (std::int32_t p : parts) {
      if (p == kNothing) return kNothing;
      if (p == everything_) continue;
      if (at(p).kind == Kind::kIntersection) flat.insert(flat.end(), at(p).kids.begin(), at(p).kids.end());
      else flat.push_back(p);
    }
    std::sort(flat.begin(), flat.end());
    flat.erase(std::unique(flat.begin(), flat.end()), flat.end());
    if (flat.empty()) return everything_;
    if (flat.size() == 1) return flat[0];
    bool nullable = true;
    for (std::int32_t k : flat) nullable = nullable && at(k).nullable;
    return intern({Kind::kIntersection, nullable, std::move(flat), {}});
  }

  std::int32_t complement(std::int32_t a) {
    if (at(a).kind == Kind::kComplement) return at(a).kids[0];
    return intern({Kind::kComplement, !at(a).nullable, {a}, {}});
  }

  std::int32_t repeat(std::int32_t a, std::uint32_t min, std::uint32_t max) {
    if (max < min) return kNothing;
    if (max == 0 || a == kEmptyText) return kEmptyText;
    if (a == kNothing) return min == 0 ? kEmptyText : kNothing;
    if (min == 1 && max == 1) return a;
    const Expression& e = at(a);
    if (e.kind == Kind::kRepeat && e.min == 0 && e.max == kUnbounded) return a;  // (x*)+ = (x*)? = x*
    return intern({Kind::kRepeat, min == 0 || e.nullable, {a}, {}, min, max});
  }

 private:
  std::int32_t intern(Expression e) {
    std::string key(1, static_cast<char>(e.kind));
    const auto put = [&key](std::uint32_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
    for (std::int32_t k : e.kids) put(static_cast<std::uint32_t>(k));
    key += '|';
    for (const auto& [lo, hi] : e.chars) { put(lo); put(hi); }
    put(e.min);
    put(e.max);
    auto [it, inserted] = ids_.try_emplace(std::move(key), static_cast<std::int32_t>(nodes_.size()));
    if (inserted) nodes_.push_back(std::move(e));
    return it->second;
  }

  std::vector<Expression> nodes_;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::int32_t everything_ = kNothing;
};

// Lucene 7's RegExp grammar, one recursive-descent function per rule, with its error messages.
class Parser {
 public:
  Parser(std::u32string pattern, const LuceneRegexpFlags& flags, ExpressionArena& arena)
      : s_(std::move(pattern)), flags_(flags), arena_(arena) {}

  Result<std::int32_t> parse() {
    if (s_.empty()) return ExpressionArena::kEmptyText;
    BH_ASSIGN_OR_RETURN(std::int32_t e, union_expression());
    if (pos_ < s_.size()) return error("end-of-string expected at position " + std::to_string(pos_));
    return e;
  }

 private:
  static tl::unexpected<Status> error(std::string message) { return fail(Code::kInvalidArgument, std::move(message)); }
  bool more() const { return pos_ < s_.size(); }
  bool peek(std::u32string_view any_of) const { return more() && any_of.find(s_[pos_]) != std::u32string_view::npos; }
  bool match(char32_t c) {
    if (!more() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  Result<char32_t> next() {
    if (!more()) return error("unexpected end-of-string");
    return s_[pos_++];
  }
  Status check_size() const {
    if (arena_.too_large()) return {Code::kInvalidArgument, "regexp is too complex"};
    return {};
  }

  Result<std::int32_t> union_expression() {
    BH_ASSIGN_OR_RETURN(std::int32_t e, intersection_expression());
    if (match(U'|')) {
      BH_ASSIGN_OR_RETURN(std::int32_t rest, union_expression());
      e = arena_.either({e, rest});
    }
    return e;
  }
  Result<std::int32_t> intersection_expression() {
    BH_ASSIGN_OR_RETURN(std::int32_t e, concat_expression());
    if (flags_.intersection && match(U'&')) {
      BH_ASSIGN_OR_RETURN(std::int32_t rest, intersection_expression());
      e = arena_.both({e, rest});
    }
    return e;
  }
  Result<std::int32_t> concat_expression() {
    // Lucene recurses per element; a loop keeps the stack flat for long literal patterns.
    std::vector<std::int32_t> parts;
    do {
      BH_ASSIGN_OR_RETURN(std::int32_t e, repeat_expression());
      parts.push_back(e);
    } while (more() && !peek(U")|") && !(flags_.intersection && peek(U"&")));
    std::int32_t e = ExpressionArena::kEmptyText;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) e = arena_.concat(*it, e);
    return e;
  }
  Result<std::uint32_t> count() {
    const std::size_t start = pos_;
    while (peek(U"0123456789")) ++pos_;
    if (start == pos_) return error("integer expected at position " + std::to_string(pos_));
    if (pos_ - start > 9) return error("repeat count too large at position " + std::to_string(start));
    const std::uint32_t n = static_cast<std::uint32_t>(std::stoul(code_points_utf8(s_.substr(start, pos_ - start))));
    if (n > kMaxRepeatCount) return error("repeat count " + std::to_string(n) + " is larger than " + std::to_string(kMaxRepeatCount));
    return n;
  }
  Result<std::int32_t> repeat_expression() {
    BH_ASSIGN_OR_RETURN(std::int32_t e, complement_expression());
    while (peek(U"?*+{")) {
      if (match(U'?')) {
        e = arena_.repeat(e, 0, 1);
      } else if (match(U'*')) {
        e = arena_.repeat(e, 0, kUnbounded);
      } else if (match(U'+')) {
        e = arena_.repeat(e, 1, kUnbounded);
      } else if (match(U'{')) {
        BH_ASSIGN_OR_RETURN(const std::uint32_t n, count());
        std::uint32_t m = n;
        if (match(U',')) {
          m = kUnbounded;
          if (peek(U"0123456789")) { BH_ASSIGN_OR_RETURN(m, count()); }
        }
        if (!match(U'}')) return error("expected '}' at position " + std::to_string(pos_));
        e = arena_.repeat(e, n, m);
      }
      BH_RETURN_IF_ERROR(check_size());
    }
    return e;
  }
  Result<std::int32_t> complement_expression() {
    if (flags_.complement && match(U'~')) {
      BH_ASSIGN_OR_RETURN(std::int32_t e, complement_expression());
      return arena_.complement(e);
    }
    return char_class_expression();
  }
  Result<std::int32_t> char_class_expression() {
    if (!match(U'[')) return simple_expression();
    const bool negate = match(U'^');
    CharRanges ranges;
    do {
      BH_ASSIGN_OR_RETURN(const char32_t from, char_expression());
      char32_t to = from;
      if (match(U'-')) {
        BH_ASSIGN_OR_RETURN(to, char_expression());
        if (from > to) {
          return error("invalid range: from (" + std::to_string(from) + ") cannot be > to (" + std::to_string(to) + ")");
        }
      }
      ranges.emplace_back(from, to);
    } while (more() && !peek(U"]"));
    if (!match(U']')) return error("expected ']' at position " + std::to_string(pos_));
    ranges = normalized(std::move(ranges));
    return arena_.chars(negate ? complemented(ranges) : ranges);
  }
  Result<char32_t> char_expression() {
    match(U'\\');
    return next();
  }
  Result<std::int32_t> simple_expression() {
    if (match(U'.')) return arena_.any_char();
    if (flags_.empty && match(U'#')) return ExpressionArena::kNothing;
    if (flags_.any_string && match(U'@')) return arena_.everything();
    if (match(U'"')) {
      const std::size_t start = pos_;
      while (more() && s_[pos_] != U'"') ++pos_;
      if (!match(U'"')) return error("expected '\"' at position " + std::to_string(pos_));
      return arena_.text(s_.substr(start, pos_ - 1 - start));
    }
    if (match(U'(')) {
      if (match(U')')) return ExpressionArena::kEmptyText;
      BH_ASSIGN_OR_RETURN(std::int32_t e, union_expression());
      if (!match(U')')) return error("expected ')' at position " + std::to_string(pos_));
      return e;
    }
    if ((flags_.automaton || flags_.interval) && match(U'<')) return interval_expression();
    BH_ASSIGN_OR_RETURN(const char32_t c, char_expression());
    return arena_.chars({{c, c}});
  }
  Result<std::int32_t> interval_expression() {
    const std::size_t start = pos_;
    while (more() && s_[pos_] != U'>') ++pos_;
    if (!match(U'>')) return error("expected '>' at position " + std::to_string(pos_));
    const std::string body = code_points_utf8(s_.substr(start, pos_ - 1 - start));
    const std::size_t dash = body.find('-');
    if (dash == std::string::npos) {
      if (!flags_.automaton) return error("interval syntax error at position " + std::to_string(pos_ - 1));
      return error("'" + body + "' not found");  // no named automata are defined
    }
    if (!flags_.interval) return error("illegal identifier at position " + std::to_string(pos_ - 1));
    const std::string low = body.substr(0, dash), high = body.substr(dash + 1);
    const auto is_number = [](const std::string& t) {
      return !t.empty() && t.size() <= 9 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!is_number(low) || !is_number(high)) return error("interval syntax error at position " + std::to_string(pos_ - 1));
    std::uint32_t a = static_cast<std::uint32_t>(std::stoul(low)), b = static_cast<std::uint32_t>(std::stoul(high));
    if (a > b) std::swap(a, b);
    return decimal_interval(a, b, low.size() == high.size() ? low.size() : 0);
  }

  // Decimal numbers between two values: with `digits`, written with exactly that many digits
  // (zero-padded); otherwise with any number of leading zeros (Lucene's makeDecimalInterval).
  std::int32_t decimal_interval(std::uint32_t low, std::uint32_t high, std::size_t digits) {
    if (digits > 0) return same_length_range(padded(low, digits), padded(high, digits));
    std::vector<std::int32_t> lengths;
    const std::size_t shortest = std::to_string(low).size(), longest = std::to_string(high).size();
    std::uint64_t power = 1;
    for (std::size_t i = 1; i < shortest; ++i) power *= 10;
    for (std::size_t length = shortest; length <= longest; ++length, power *= 10) {
      const std::uint64_t first = std::max<std::uint64_t>(low, length == 1 ? 0 : power);
      const std::uint64_t last = std::min<std::uint64_t>(high, power * 10 - 1);
      if (first <= last) lengths.push_back(same_length_range(padded(first, length), padded(last, length)));
    }
    return arena_.concat(arena_.repeat(arena_.chars({{U'0', U'0'}}), 0, kUnbounded), arena_.either(std::move(lengths)));
  }
  static std::string padded(std::uint64_t v, std::size_t digits) {
    std::string t = std::to_string(v);
    return std::string(digits > t.size() ? digits - t.size() : 0, '0') + t;
  }
  // Strings of equal length whose digits lie between `low` and `high` in numeric order.
  std::int32_t same_length_range(const std::string& low, const std::string& high) {
    if (low.empty()) return ExpressionArena::kEmptyText;
    const auto digit = [&](char from, char to) { return arena_.chars({{static_cast<char32_t>(from), static_cast<char32_t>(to)}}); };
    const std::string low_rest = low.substr(1), high_rest = high.substr(1);
    if (low[0] == high[0]) return arena_.concat(digit(low[0], low[0]), same_length_range(low_rest, high_rest));
    std::vector<std::int32_t> options;
    options.push_back(arena_.concat(digit(low[0], low[0]), same_length_range(low_rest, std::string(low_rest.size(), '9'))));
    if (high[0] - low[0] >= 2) {
      const auto rest = static_cast<std::uint32_t>(low_rest.size());
      options.push_back(arena_.concat(digit(static_cast<char>(low[0] + 1), static_cast<char>(high[0] - 1)),
                                      arena_.repeat(digit('0', '9'), rest, rest)));
    }
    options.push_back(arena_.concat(digit(high[0], high[0]), same_length_range(std::string(high_rest.size(), '0'), high_rest)));
    return arena_.either(std::move(options));
  }

  std::u32string s_;
  std::size_t pos_ = 0;
  LuceneRegexpFlags flags_;
  ExpressionArena& arena_;
};

}  // namespace

// Builds the automaton: each state is an expression; its transitions are its derivatives.
class RegexpDeterminizer {
 public:
  explicit RegexpDeterminizer(ExpressionArena& arena) : arena_(arena) {}

  Status run(std::int32_t root, LuceneRegexp& out) {
    state_of(root);
    for (std::size_t i = 0; i < order_.size(); ++i) {
      const std::int32_t e = order_[i];
      std::set<char32_t> starts{0};
      boundaries(e, starts);
      std::vector<std::pair<char32_t, std::int32_t>> ranges;
      for (char32_t from : starts) {
        const std::int32_t target = state_of(derivative(e, from));
        if (!ranges.empty() && ranges.back().second == target) continue;
        ranges.emplace_back(from, target);
      }
      if (order_.size() > kMaxDeterminizedStates || arena_.too_large()) {
        return {Code::kInvalidArgument, "Determinizing the regexp would need more than " +
                                            std::to_string(kMaxDeterminizedStates) + " states; make it simpler"};
      }
      transitions_.push_back(std::move(ranges));
    }
    out.states_.resize(order_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) {
      LuceneRegexp::State& s = out.states_[i];
      s.accepting = arena_.at(order_[i]).nullable;
      s.ranges = std::move(transitions_[i]);
      std::size_t r = 0;
      for (char32_t c = 0; c < 128; ++c) {
        while (r + 1 < s.ranges.size() && s.ranges[r + 1].first <= c) ++r;
        s.ascii[c] = s.ranges[r].second;
      }
    }
    mark_dead(out);
    out.literal_prefix_ = literal_prefix(out);
    return {};
  }

 private:
  std::int32_t state_of(std::int32_t expression) {
    auto [it, inserted] = state_ids_.try_emplace(expression, static_cast<std::int32_t>(order_.size()));
    if (inserted) order_.push_back(expression);
    return it->second;
  }

  // Code points where the derivative may change: the starts (and ends + 1) of every character
  // set the expression's first character can come from.
  void boundaries(std::int32_t id, std::set<char32_t>& starts) const {
    const Expression& e = arena_.at(id);
    switch (e.kind) {
      case Kind::kChars:
        for (const auto& [lo, hi] : e.chars) {
          starts.insert(lo);
          if (hi < kMaxCodePoint) starts.insert(hi + 1);
        }
        break;
      case Kind::kConcat:
        boundaries(e.kids[0], starts);
        if (arena_.at(e.kids[0]).nullable) boundaries(e.kids[1], starts);
        break;
      case Kind::kUnion: case Kind::kIntersection: case Kind::kComplement: case Kind::kRepeat:
        for (std::int32_t k : e.kids) boundaries(k, starts);
        break;
      case Kind::kEmptyLanguage: case Kind::kEmptyString:
        break;
    }
  }

  std::int32_t derivative(std::int32_t id, char32_t c) {
    const Expression e = arena_.at(id);  // a copy: the arena grows below
    switch (e.kind) {
      case Kind::kEmptyLanguage: case Kind::kEmptyString:
        return ExpressionArena::kNothing;
      case Kind::kChars:
        return contains(e.chars, c) ? ExpressionArena::kEmptyText : ExpressionArena::kNothing;
      case Kind::kConcat: {
        const std::int32_t first = arena_.concat(derivative(e.kids[0], c), e.kids[1]);
        if (!arena_.at(e.kids[0]).nullable) return first;
        return arena_.either({first, derivative(e.kids[1], c)});
      }
      case Kind::kUnion: case Kind::kIntersection: {
        std::vector<std::int32_t> parts;
        for (std::int32_t k : e.kids) parts.push_back(derivative(k, c));
        return e.kind == Kind::kUnion ? arena_.either(std::move(parts)) : arena_.both(std::move(parts));
      }
      case Kind::kComplement:
        return arena_.complement(derivative(e.kids[0], c));
      case Kind::kRepeat: {
        const std::int32_t inner = e.kids[0];
        const std::uint32_t min = arena_.at(inner).nullable || e.min == 0 ? 0 : e.min - 1;
        const std::uint32_t max = e.max == kUnbounded ? kUnbounded : e.max - 1;
        return arena_.concat(derivative(inner, c), arena_.repeat(inner, min, max));
      }
    }
    return ExpressionArena::kNothing;
  }

  // A state is dead when no accepting state can be reached from it.
  static void mark_dead(LuceneRegexp& re) {
    const std::size_t n = re.states_.size();
    std::vector<std::vector<std::int32_t>> into(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& [from, target] : re.states_[i].ranges) into[static_cast<std::size_t>(target)].push_back(static_cast<std::int32_t>(i));
    }
    std::vector<bool> live(n, false);
    std::vector<std::int32_t> work;
    for (std::size_t i = 0; i < n; ++i) {
      if (re.states_[i].accepting) { live[i] = true; work.push_back(static_cast<std::int32_t>(i)); }
    }
    while (!work.empty()) {
      const std::int32_t s = work.back();
      work.pop_back();
      for (std::int32_t p : into[static_cast<std::size_t>(s)]) {
        if (!live[static_cast<std::size_t>(p)]) { live[static_cast<std::size_t>(p)] = true; work.push_back(p); }
      }
    }
    for (std::size_t i = 0; i < n; ++i) re.states_[i].dead = !live[i];
  }

  // Follows the start state while exactly one code point leads anywhere but a dead state.
  static std::string literal_prefix(const LuceneRegexp& re) {
    std::string prefix;
    std::size_t s = 0;
    std::vector<bool> seen(re.states_.size(), false);
    while (!seen[s] && !re.states_[s].accepting && !re.states_[s].dead) {
      seen[s] = true;
      const auto& ranges = re.states_[s].ranges;
      std::optional<std::pair<char32_t, std::int32_t>> only;
      for (std::size_t r = 0; r < ranges.size(); ++r) {
        if (re.states_[static_cast<std::size_t>(ranges[r].second)].dead) continue;
        const char32_t last = r + 1 < ranges.size() ? ranges[r + 1].first - 1 : kMaxCodePoint;
        if (only || last != ranges[r].first) return prefix;
        only = ranges[r];
      }
      if (!only) break;
      append_utf8(prefix, only->first);
      s = static_cast<std::size_t>(only->second);
    }
    return prefix;
  }

  ExpressionArena& arena_;
  std::unordered_map<std::int32_t, std::int32_t> state_ids_;
  std::vector<std::int32_t> order_;
  std::vector<std::vector<std::pair<char32_t, std::int32_t>>> transitions_;
};

std::u32string utf8_code_points(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) out += next_code_point(text, i);
  return out;
}

std::string code_points_utf8(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

Result<LuceneRegexpFlags> parse_lucene_regexp_flags(std::string_view names) {
  LuceneRegexpFlags on;
  std::string upper;
  for (char c : names) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (upper.empty() || upper == "ALL") return on;
  on = LuceneRegexpFlags{false, false, false, false, false, false};
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = upper.find('|', start);
    const std::string name = upper.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (name == "INTERSECTION") on.intersection = true;
    else if (name == "COMPLEMENT") on.complement = true;
    else if (name == "EMPTY") on.empty = true;
    else if (name == "ANYSTRING") on.any_string = true;
    else if (name == "AUTOMATON") on.automaton = true;
    else if (name == "INTERVAL") on.interval = true;
    else if (name == "ALL") on = LuceneRegexpFlags{};
    else if (name != "NONE" && !name.empty()) return fail(Code::kInvalidArgument, "Unknown regexp flag [" + name + "]");
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return on;
}

Result<LuceneRegexp> LuceneRegexp::compile(std::string_view pattern, const LuceneRegexpFlags& flags) {
  ExpressionArena arena;
  Parser parser(utf8_code_points(pattern), flags, arena);
  BH_ASSIGN_OR_RETURN(const std::int32_t root, parser.parse());
  LuceneRegexp out;
  RegexpDeterminizer determinizer(arena);
  BH_RETURN_IF_ERROR(determinizer.run(root, out));
  return out;
}

std::int32_t LuceneRegexp::step(const State& state, char32_t c) const {
  if (c < 128) return state.ascii[c];
  auto it = std::upper_bound(state.ranges.begin(), state.ranges.end(), c,
                             [](char32_t v, const auto& range) { return v < range.first; });
  return std::prev(it)->second;
}

bool LuceneRegexp::matches(std::string_view text) const {
  std::size_t s = 0;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    const char32_t c = b < 0x80 ? (++i, b) : next_code_point(text, i);
    s = static_cast<std::size_t>(step(states_[s], c));
    if (states_[s].dead) return false;
  }
  return states_[s].accepting;
}

}  // namespace bh::search

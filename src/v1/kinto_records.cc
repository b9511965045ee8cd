#include "v1/kinto_records.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "record/date_time.h"
#include "search/field_catalog.h"

namespace bh::v1 {
namespace {

// Records read from the store per catch-up slice, and hits asked of the engine per search
// (its size limit).
constexpr std::size_t kReadBatch = 5000;
constexpr std::size_t kEngineBatch = 1000;

std::string fallback_id(RecordId store_id) { return fmt::format("buildhub2-{}", store_id); }

// How Kinto's field is asked of the engine: text fields by their whole value (.keyword).
std::string engine_field(std::string_view field) {
  const auto ref = search::resolve_field(field);
  if (ref && ref->type == search::FieldType::kText) return std::string(field) + ".keyword";
  return std::string(field);
}

// A numeric field compares as a number; a value that is not one matches nothing there, as
// Kinto's numeric comparison fails on it. Other fields compare as text.
nlohmann::json engine_value(std::string_view field, const std::string& value) {
  const auto ref = search::resolve_field(field);
  if (ref && ref->type == search::FieldType::kLong) {
    try {
      std::size_t used = 0;
      const long long n = std::stoll(value, &used);
      if (used == value.size()) return n;
    } catch (const std::exception&) {
      // not a number
    }
  }
  return value;
}

nlohmann::json filters_to_engine_query(const KintoQuery& query) {
  nlohmann::json filter = nlohmann::json::array();
  nlohmann::json must_not = nlohmann::json::array();
  for (const auto& f : query.filters) {
    if (is_kinto_field(f.field)) continue;
    const std::string field = engine_field(f.field);
    auto terms = [&] {
      nlohmann::json values = nlohmann::json::array();
      for (const auto& v : f.values) values.push_back(engine_value(f.field, v));
      return nlohmann::json{{"terms", {{field, values}}}};
    };
    auto range = [&](const char* op) {
      return nlohmann::json{{"range", {{field, {{op, engine_value(f.field, f.values.front())}}}}}};
    };
    switch (f.op) {
      case KintoOp::kEq: filter.push_back({{"term", {{field, engine_value(f.field, f.values.front())}}}}); break;
      case KintoOp::kNot: must_not.push_back({{"term", {{field, engine_value(f.field, f.values.front())}}}}); break;
      case KintoOp::kIn: filter.push_back(terms()); break;
      case KintoOp::kExclude: must_not.push_back(terms()); break;
      case KintoOp::kMin: filter.push_back(range("gte")); break;
      case KintoOp::kMax: filter.push_back(range("lte")); break;
      case KintoOp::kLt: filter.push_back(range("lt")); break;
      case KintoOp::kGt: filter.push_back(range("gt")); break;
      case KintoOp::kHas:
        (f.present ? filter : must_not).push_back({{"exists", {{"field", field}}}});
        break;
      case KintoOp::kLike: {
        // Kinto: without a `*` the value may be anywhere in the field.
        std::string pattern;
        for (const char c : f.values.front()) {
          if (c == '?' || c == '\\') pattern += '\\';
          pattern += c;
        }
        if (pattern.find('*') == std::string::npos) pattern = "*" + pattern + "*";
        filter.push_back({{"wildcard", {{field, {{"value", pattern}}}}}});
        break;
      }
    }
  }
  return {{"bool", {{"filter", filter}, {"must_not", must_not}}}};
}

bool has_engine_filter(const KintoQuery& q) {
  return std::any_of(q.filters.begin(), q.filters.end(), [](const KintoFilter& f) { return !is_kinto_field(f.field); });
}

// A last_modified filter value: the parser keeps them as plain digits.
std::int64_t int_of(const std::string& digits) {
  std::int64_t v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

// Kinto's `*` pattern: `*` is any run; without one, the text may be anywhere in the value.
bool like_matches(std::string_view value, std::string_view pattern) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto star = pattern.find('*');
    parts.push_back(pattern.substr(0, star));
    if (star == std::string_view::npos) break;
    pattern.remove_prefix(star + 1);
  }
  const bool anchored = parts.size() > 1;
  std::size_t at = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    if (anchored && i == 0) {
      if (!value.starts_with(parts[i])) return false;
      at = parts[i].size();
    } else if (anchored && i + 1 == parts.size()) {
      return value.size() >= at + parts[i].size() && value.ends_with(parts[i]);
    } else {
      const auto found = value.find(parts[i], at);
      if (found == std::string_view::npos) return false;
      at = found + parts[i].size();
    }
  }
  return true;
}

// One filter on a Kinto field's value `v` (its text `text`), the filter's values read by `parse`.
template <typename T, typename Parse>
bool filter_matches(const KintoFilter& f, const T& v, std::string_view text, Parse parse) {
  auto any_equal = [&] {
    return std::any_of(f.values.begin(), f.values.end(), [&](const std::string& s) { return parse(s) == v; });
  };
  switch (f.op) {
    case KintoOp::kEq: case KintoOp::kIn: return any_equal();
    case KintoOp::kNot: case KintoOp::kExclude: return !any_equal();
    case KintoOp::kMin: return v >= parse(f.values.front());
    case KintoOp::kMax: return v <= parse(f.values.front());
    case KintoOp::kLt: return v < parse(f.values.front());
    case KintoOp::kGt: return v > parse(f.values.front());
    case KintoOp::kLike: return like_matches(text, f.values.front());
    case KintoOp::kHas: return f.present;  // every record has both
  }
  return false;
}

// Kinto's filters on its own fields, for one entry.
bool entry_matches(const KintoEntry& e, const std::vector<KintoFilter>& filters) {
  for (const auto& f : filters) {
    if (!is_kinto_field(f.field)) continue;
    const bool ok = f.field == kKintoTimestampField
                        ? filter_matches(f, e.last_modified, std::to_string(e.last_modified), int_of)
                        : filter_matches(f, e.id, e.id, [](const std::string& s) -> const std::string& { return s; });
    if (!ok) return false;
  }
  return true;
}

// The engine's sort values compared as it orders them: numbers, then strings (bytes); a
// missing value (null) last whichever the direction.
int compare_values(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? 2 : -2);
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_number() != b.is_number()) return a.is_number() ? -1 : 1;
  const auto& x = a.get_ref<const std::string&>();
  const auto& y = b.get_ref<const std::string&>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Picks `fields` (dotted paths) out of a record.
nlohmann::ordered_json pick_fields(const nlohmann::ordered_json& doc, const std::vector<std::string>& fields) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& path : fields) {
    const nlohmann::ordered_json* from = &doc;
    nlohmann::ordered_json* to = &out;
    std::string_view rest = path;
    bool found = true;
    while (found) {
      const auto dot = rest.find('.');
      const std::string key(rest.substr(0, dot));
      if (!from->is_object() || !from->contains(key)) {
        found = false;
        break;
      }
      from = &(*from)[key];
      if (dot == std::string_view::npos) {
        (*to)[key] = *from;
        break;
      }
      if (!(*to)[key].is_object()) (*to)[key] = nlohmann::ordered_json::object();
      to = &(*to)[key];
      rest.remove_prefix(dot + 1);
    }
  }
  return out;
}

}  // namespace

// ---- KintoRecordView ----

KintoRecordView::KintoRecordView(RecordStore& store) : store_(store) {}

std::string KintoRecordView::computed_id(const StoredRecord& record) {
  simdjson::dom::element doc;
  if (parser_.parse(record.document).get(doc) != simdjson::SUCCESS) return fallback_id(record.id);
  std::string_view url;
  if (doc.at_pointer("/download/url").get_string().get(url) != simdjson::SUCCESS) return fallback_id(record.id);
  auto path_record = rules_.record_from_url(std::string(url));
  if (!path_record || path_record->id.empty()) return fallback_id(record.id);
  return std::move(path_record->id);
}

Status KintoRecordView::catch_up() {
  MutexLock one_at_a_time(catch_up_mutex_);
  BH_ASSIGN_OR_RETURN(const RecordId last, store_.last_id());
  while (read_up_to_ < last) {
    BH_ASSIGN_OR_RETURN(std::vector<StoredRecord> batch, store_.read_after(read_up_to_, kReadBatch));
    if (batch.empty()) break;
    // Ids are worked out before taking the write lock: readers wait only for the appends.
    struct Derived {
      RecordId store_id;
      std::optional<std::int64_t> kinto_last_modified;
      std::optional<std::int64_t> created;
      std::string id;
      bool kinto_id = false;
    };
    std::vector<Derived> derived;
    derived.reserve(batch.size());
    for (const auto& r : batch) {
      Derived d{.store_id = r.id, .kinto_last_modified = {}, .created = rfc3339_to_epoch_millis(r.created_at), .id = {}};
      try {
        const auto meta = nlohmann::json::parse(r.metadata.empty() ? std::string_view("{}") : std::string_view(r.metadata));
        if (meta.is_object()) {
          if (const auto it = meta.find("kinto_id"); it != meta.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
            d.id = it->get<std::string>();
            d.kinto_id = true;
          }
          if (const auto it = meta.find("kinto_last_modified"); it != meta.end() && it->is_number_integer()) {
            d.kinto_last_modified = it->get<std::int64_t>();
          }
        }
      } catch (const std::exception&) {
        // metadata we did not write: the record's own id and time
      }
      if (d.id.empty()) d.id = computed_id(r);
      derived.push_back(std::move(d));
    }
    WriterLock lock(mutex_);
    for (auto& d : derived) {
      std::int64_t last_modified = 0;
      if (d.kinto_last_modified) {
        last_modified = *d.kinto_last_modified;
      } else {
        last_modified = std::max(d.created.value_or(0), newest_ + 1);
      }
      newest_ = std::max(newest_, last_modified);
      const std::size_t index = entries_.size();
      if (const auto owner = by_id_.find(d.id); owner != by_id_.end()) {
        const std::size_t previous_index = owner->second;
        KintoEntry& previous = entries_[previous_index];
        if (d.kinto_id && !previous.kinto_id) {
          // Kinto's own id wins over one our rules computed; the other record steps aside.
          by_id_.erase(owner);
          previous.id = fallback_id(previous.store_id);
          by_id_.emplace(previous.id, previous_index);
        } else {
          d.id = fallback_id(d.store_id);
          d.kinto_id = false;
        }
      }
      entries_.push_back({.store_id = d.store_id, .last_modified = last_modified, .id = std::move(d.id), .kinto_id = d.kinto_id});
      by_id_.emplace(entries_.back().id, index);
    }
    read_up_to_ = batch.back().id;
  }
  return Status::ok();
}

std::optional<KintoEntry> KintoRecordView::find(std::string_view id) const {
  ReaderLock lock(mutex_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return entries_[it->second];
}

std::optional<KintoEntry> KintoRecordView::of_store_id(RecordId store_id) const {
  ReaderLock lock(mutex_);
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), store_id,
                                   [](const KintoEntry& e, RecordId id) { return e.store_id < id; });
  if (it == entries_.end() || it->store_id != store_id) return std::nullopt;
  return *it;
}

std::int64_t KintoRecordView::timestamp() const {
  ReaderLock lock(mutex_);
  return newest_;
}

// ---- KintoRecords ----

struct KintoRecords::Candidate {
  KintoEntry entry;
  std::vector<nlohmann::json> keys;  // the engine's sort values of the record fields in the sort
};

namespace {

// Orders candidates by the query's sort, then by store id; `cursor` the same way.
class CandidateOrder {
 public:
  explicit CandidateOrder(const std::vector<KintoSortKey>& sort) : sort_(sort) {}

  template <typename C>
  int compare(const C& a, const C& b) const {
    std::size_t doc_key = 0;
    for (const auto& key : sort_) {
      int c = 0;
      if (key.field == kKintoTimestampField) {
        c = a.entry.last_modified < b.entry.last_modified ? -1 : (a.entry.last_modified > b.entry.last_modified ? 1 : 0);
      } else if (key.field == kKintoIdField) {
        c = a.entry.id.compare(b.entry.id);
        c = c < 0 ? -1 : (c > 0 ? 1 : 0);
      } else {
        c = compare_values(a.keys[doc_key], b.keys[doc_key]);
        ++doc_key;
      }
      if (c == 2 || c == -2) return c / 2;  // a missing value is last either way
      if (c != 0) return key.descending ? -c : c;
    }
    return a.entry.store_id < b.entry.store_id ? -1 : (a.entry.store_id > b.entry.store_id ? 1 : 0);
  }

  // The page cursor of a candidate: its sort values, then its store id.
  template <typename C>
  nlohmann::json cursor_of(const C& c) const {
    nlohmann::json after = nlohmann::json::array();
    std::size_t doc_key = 0;
    for (const auto& key : sort_) {
      if (key.field == kKintoTimestampField) after.push_back(c.entry.last_modified);
      else if (key.field == kKintoIdField) after.push_back(c.entry.id);
      else after.push_back(c.keys[doc_key++]);
    }
    after.push_back(c.entry.store_id);
    return after;
  }

  // A candidate from a cursor; nullopt when the cursor is not of this sort.
  template <typename C>
  std::optional<C> from_cursor(const nlohmann::json& after) const {
    if (!after.is_array() || after.size() != sort_.size() + 1 || !after.back().is_number_integer()) return std::nullopt;
    C c;
    c.entry.store_id = after.back().get<RecordId>();
    for (std::size_t i = 0; i < sort_.size(); ++i) {
      const auto& v = after[i];
      if (sort_[i].field == kKintoTimestampField) {
        if (!v.is_number_integer()) return std::nullopt;
        c.entry.last_modified = v.get<std::int64_t>();
      } else if (sort_[i].field == kKintoIdField) {
        if (!v.is_string()) return std::nullopt;
        c.entry.id = v.get<std::string>();
      } else {
        c.keys.push_back(v);
      }
    }
    return c;
  }

 private:
  const std::vector<KintoSortKey>& sort_;
};

Status invalid_cursor() { return Status(Code::kInvalidArgument, "_token in querystring: Invalid pagination token."); }

}  // namespace

KintoRecords::KintoRecords(RecordStore& store, search::SearchService& search)
    : store_(store), search_(search), view_(store) {}

Result<std::int64_t> KintoRecords::timestamp() {
  BH_RETURN_IF_ERROR(view_.catch_up());
  return view_.timestamp();
}

Result<std::string> KintoRecords::record_json(const KintoEntry& entry, const std::vector<std::string>& fields) {
  BH_ASSIGN_OR_RETURN(auto stored, store_.get(entry.store_id));
  if (!stored) return fail(Code::kNotFound, fmt::format("record {} is not in the store", entry.store_id));
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(stored->document);
  } catch (const std::exception&) {
    return fail(Code::kCorrupt, fmt::format("record {} is stored but does not parse as JSON", entry.store_id));
  }
  if (!doc.is_object()) return fail(Code::kCorrupt, fmt::format("record {} is not a JSON object", entry.store_id));
  if (!fields.empty()) doc = pick_fields(doc, fields);
  doc["id"] = entry.id;
  doc["last_modified"] = entry.last_modified;
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<std::optional<KintoRecord>> KintoRecords::get(std::string_view id) {
  BH_RETURN_IF_ERROR(view_.catch_up());
  const auto entry = view_.find(id);
  if (!entry) return std::optional<KintoRecord>();
  BH_ASSIGN_OR_RETURN(std::string data, record_json(*entry, {}));
  return std::optional<KintoRecord>(KintoRecord{.data = std::move(data), .last_modified = entry->last_modified});
}

Result<KintoPage> KintoRecords::list(const KintoListRequest& request) {
  BH_RETURN_IF_ERROR(view_.catch_up());
  const KintoQuery& q = request.query;
  const bool kinto_filters =
      std::any_of(q.filters.begin(), q.filters.end(), [](const KintoFilter& f) { return is_kinto_field(f.field); });
  const bool kinto_sort =
      std::any_of(q.sort.begin(), q.sort.end(), [](const KintoSortKey& k) { return is_kinto_field(k.field); });
  if (!kinto_filters && !kinto_sort) return list_by_engine(request);
  return list_in_memory(request);
}

namespace {

nlohmann::json engine_sort(const std::vector<KintoSortKey>& sort);

// The search for a query's record-field filters, sorted by its record-field keys then store id;
// hits without their documents (the page's records are read from the store).
nlohmann::json engine_body(const KintoQuery& q, bool track_total_hits) {
  return {{"query", filters_to_engine_query(q)},
          {"sort", engine_sort(q.sort)},
          {"_source", false},
          {"track_total_hits", track_total_hits}};
}

nlohmann::json engine_sort(const std::vector<KintoSortKey>& sort) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& key : sort) {
    if (is_kinto_field(key.field)) continue;
    out.push_back({{engine_field(key.field), {{"order", key.descending ? "desc" : "asc"}}}});
  }
  out.push_back({{"id", {{"order", "asc"}}}});
  return out;
}

struct EngineHit {
  RecordId store_id = 0;
  std::vector<nlohmann::json> keys;  // without the store id
};

struct EngineAnswer {
  std::vector<EngineHit> hits;
  std::uint64_t total = 0;
};

Result<EngineAnswer> ask_engine(search::SearchService& search, const nlohmann::json& body) {
  BH_ASSIGN_OR_RETURN(search::SearchAnswer answer, search.search({.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), .params = {}, .received = {}}));
  if (answer.timed_out) return fail(Code::kUnavailable, "the search for these filters ran out of time; narrow them");
  EngineAnswer out;
  try {
    const auto parsed = nlohmann::json::parse(answer.body);
    const auto& hits = parsed.at("hits");
    if (const auto& total = hits.at("total"); total.is_number_unsigned()) out.total = total.get<std::uint64_t>();
    for (const auto& hit : hits.at("hits")) {
      EngineHit h;
      h.store_id = std::stoll(hit.at("_id").get<std::string>());
      const auto& sort = hit.at("sort");
      for (std::size_t i = 0; i + 1 < sort.size(); ++i) h.keys.push_back(sort[i]);
      out.hits.push_back(std::move(h));
    }
  } catch (const std::exception& e) {
    return fail(Code::kInternal, fmt::format("the search engine's answer was not understood: {}", e.what()));
  }
  return out;
}

}  // namespace

Result<KintoPage> KintoRecords::list_by_engine(const KintoListRequest& request) {
  const KintoQuery& q = request.query;
  const CandidateOrder order(q.sort);
  nlohmann::json body = engine_body(q, true);
  if (q.after) {
    if (!order.from_cursor<Candidate>(*q.after)) return fail(invalid_cursor());
    body["search_after"] = *q.after;
  }
  std::vector<Candidate> page;
  std::size_t total = 0;
  bool more = false;
  while (true) {
    const std::size_t wanted = request.limit + 1 - page.size();
    body["size"] = std::min(wanted, kEngineBatch);
    BH_ASSIGN_OR_RETURN(EngineAnswer answer, ask_engine(search_, body));
    total = answer.total;
    for (auto& hit : answer.hits) {
      auto entry = view_.of_store_id(hit.store_id);
      if (!entry) continue;  // indexed after the view caught up: in the next answer
      if (page.size() == request.limit) {
        more = true;
        break;
      }
      page.push_back({.entry = std::move(*entry), .keys = std::move(hit.keys)});
    }
    if (more || answer.hits.size() < body["size"].get<std::size_t>()) break;
    // Next: after the last hit, whether or not it was taken.
    nlohmann::json after = nlohmann::json::array();
    if (!page.empty() && page.back().entry.store_id == answer.hits.back().store_id) {
      after = order.cursor_of(page.back());
    } else {
      for (const auto& k : answer.hits.back().keys) after.push_back(k);
      after.push_back(answer.hits.back().store_id);
    }
    body["search_after"] = std::move(after);
  }
  KintoPage out;
  out.total = total;
  out.timestamp = view_.timestamp();
  out.data = "[";
  for (const auto& c : page) {
    BH_ASSIGN_OR_RETURN(std::string json, record_json(c.entry, q.fields));
    if (out.records++) out.data += ',';
    out.data += json;
  }
  out.data += ']';
  if (more && !page.empty()) out.next = order.cursor_of(page.back());
  return out;
}

Result<KintoPage> KintoRecords::list_in_memory(const KintoListRequest& request) {
  const KintoQuery& q = request.query;
  const bool doc_sort =
      std::any_of(q.sort.begin(), q.sort.end(), [](const KintoSortKey& k) { return !is_kinto_field(k.field); });
  std::vector<Candidate> matches;
  if (has_engine_filter(q) || doc_sort) {
    nlohmann::json body = engine_body(q, false);
    body["size"] = kEngineBatch;
    while (true) {
      BH_ASSIGN_OR_RETURN(EngineAnswer answer, ask_engine(search_, body));
      for (auto& hit : answer.hits) {
        auto entry = view_.of_store_id(hit.store_id);
        if (!entry || !entry_matches(*entry, q.filters)) continue;
        matches.push_back({.entry = std::move(*entry), .keys = std::move(hit.keys)});
      }
      if (answer.hits.size() < kEngineBatch) break;
      nlohmann::json after = answer.hits.back().keys;
      after.push_back(answer.hits.back().store_id);
      body["search_after"] = std::move(after);
    }
  } else {
    view_.for_each([&](const KintoEntry& e) {
      if (entry_matches(e, q.filters)) matches.push_back({.entry = e, .keys = {}});
    });
  }
  return page_of(request, matches);
}

Result<KintoPage> KintoRecords::page_of(const KintoListRequest& request, std::vector<Candidate>& matches) {
  const KintoQuery& q = request.query;
  const CandidateOrder order(q.sort);
  KintoPage out;
  out.total = matches.size();
  out.timestamp = view_.timestamp();
  if (q.after) {
    const auto cursor = order.from_cursor<Candidate>(*q.after);
    if (!cursor) return fail(invalid_cursor());
    std::erase_if(matches, [&](const Candidate& c) { return order.compare(c, *cursor) <= 0; });
  }
  const auto less = [&](const Candidate& a, const Candidate& b) { return order.compare(a, b) < 0; };
  const std::size_t take = std::min(matches.size(), request.limit);
  std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(take), matches.end(), less);
  out.data = "[";
  for (std::size_t i = 0; i < take; ++i) {
    BH_ASSIGN_OR_RETURN(std::string json, record_json(matches[i].entry, q.fields));
    if (out.records++) out.data += ',';
    out.data += json;
  }
  out.data += ']';
  if (matches.size() > take && take > 0) out.next = order.cursor_of(matches[take - 1]);
  return out;
}

}  // namespace bh::v1

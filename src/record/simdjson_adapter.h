// A valijson adapter over simdjson's DOM, so documents are validated by valijson without
// first being copied into a slower DOM. Our own code, following valijson's adapter contract
// (valijson/internal/basic_adapter.hpp): a value wrapper, array and object views, iterators.
//
// Lifetime: adapters borrow elements of a simdjson::dom::parser's document; they are valid
// until that parser parses again. freeze() copies the value (into nlohmann::json).
// Thread safety: as the underlying document (read-only use from one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "core/simdjson_util.h"
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>

namespace bh::valijson_simdjson {

class SimdjsonAdapter;
class ArrayValueIterator;
class ObjectMemberIterator;

using ObjectMember = std::pair<std::string, SimdjsonAdapter>;

// A copy of an element as nlohmann::json (for freeze()).
nlohmann::json to_nlohmann(simdjson::dom::element e);

// valijson walks arrays backwards too (uniqueItems), which simdjson's forward-only tape
// iterators cannot, so an array view holds its elements in a vector.
class Array {
 public:
  using const_iterator = ArrayValueIterator;
  using iterator = ArrayValueIterator;
  Array() : elements_(std::make_shared<std::vector<simdjson::dom::element>>()) {}
  explicit Array(simdjson::dom::array a) : elements_(std::make_shared<std::vector<simdjson::dom::element>>()) {
    for (auto e : a) elements_->push_back(e);
  }
  ArrayValueIterator begin() const;
  ArrayValueIterator end() const;
  std::size_t size() const { return elements_->size(); }

 private:
  std::shared_ptr<std::vector<simdjson::dom::element>> elements_;
};

class Object {
 public:
  using const_iterator = ObjectMemberIterator;
  using iterator = ObjectMemberIterator;
  Object() = default;
  explicit Object(simdjson::dom::object o) : object_(o), valid_(true) {}
  ObjectMemberIterator begin() const;
  ObjectMemberIterator end() const;
  ObjectMemberIterator find(const std::string& name) const;
  std::size_t size() const { return valid_ ? object_.size() : 0; }

 private:
  simdjson::dom::object object_{};
  bool valid_ = false;
};

class Value {
 public:
  Value() {}  // user-provided: BasicAdapter holds a const Value
  explicit Value(simdjson::dom::element e) : element_(e), valid_(true) {}

  valijson::adapters::FrozenValue* freeze() const {
    return new valijson::adapters::NlohmannJsonFrozenValue(valid_ ? to_nlohmann(element_) : nlohmann::json::object());
  }
  std::optional<Array> getArrayOptional() const {
    if (isArray()) return Array(bh::sj::as_array(element_));
    return {};
  }
  bool getArraySize(std::size_t& out) const {
    if (!isArray()) return false;
    out = bh::sj::as_array(element_).size();
    return true;
  }
  bool getBool(bool& out) const {
    if (!isBool()) return false;
    out = bh::sj::as_bool(element_);
    return true;
  }
  bool getDouble(double& out) const {
    if (!isDouble()) return false;
    out = bh::sj::as_double(element_);
    return true;
  }
  bool getInteger(std::int64_t& out) const {
    if (!isInteger()) return false;
    out = bh::sj::as_int64(element_);
    return true;
  }
  std::optional<Object> getObjectOptional() const {
    if (isObject()) return Object(bh::sj::as_object(element_));
    return {};
  }
  bool getObjectSize(std::size_t& out) const {
    if (!isObject()) return false;
    out = bh::sj::as_object(element_).size();
    return true;
  }
  bool getString(std::string& out) const {
    if (!isString()) return false;
    out = std::string(bh::sj::as_string(element_));
    return true;
  }
  static bool hasStrictTypes() { return true; }
  bool isArray() const { return valid_ && element_.type() == simdjson::dom::element_type::ARRAY; }
  bool isBool() const { return valid_ && element_.type() == simdjson::dom::element_type::BOOL; }
  // Integers beyond int64 (uint64 only) count as doubles: they cannot be read as integers.
  bool isDouble() const {
    return valid_ && (element_.type() == simdjson::dom::element_type::DOUBLE ||
                      element_.type() == simdjson::dom::element_type::UINT64);
  }
  bool isInteger() const { return valid_ && element_.type() == simdjson::dom::element_type::INT64; }
  bool isNull() const { return valid_ && element_.type() == simdjson::dom::element_type::NULL_VALUE; }
  bool isNumber() const { return isInteger() || isDouble(); }
  bool isObject() const { return valid_ && element_.type() == simdjson::dom::element_type::OBJECT; }
  bool isString() const { return valid_ && element_.type() == simdjson::dom::element_type::STRING; }

 private:
  simdjson::dom::element element_{};
  bool valid_ = false;
};

class SimdjsonAdapter : public valijson::adapters::BasicAdapter<SimdjsonAdapter, Array, ObjectMember, Object, Value> {
 public:
  SimdjsonAdapter() : BasicAdapter() {}
  explicit SimdjsonAdapter(simdjson::dom::element e) : BasicAdapter(Value(e)) {}
};

class ArrayValueIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = SimdjsonAdapter;
  using difference_type = std::ptrdiff_t;
  using pointer = SimdjsonAdapter*;
  using reference = SimdjsonAdapter&;

  ArrayValueIterator(std::shared_ptr<std::vector<simdjson::dom::element>> elements, std::size_t index)
      : elements_(std::move(elements)), index_(index) {}
  SimdjsonAdapter operator*() const { return SimdjsonAdapter((*elements_)[index_]); }
  valijson::adapters::DerefProxy<SimdjsonAdapter> operator->() const {
    return valijson::adapters::DerefProxy<SimdjsonAdapter>(**this);
  }
  bool operator==(const ArrayValueIterator& other) const { return index_ == other.index_; }
  bool operator!=(const ArrayValueIterator& other) const { return index_ != other.index_; }
  const ArrayValueIterator& operator++() {
    ++index_;
    return *this;
  }
  ArrayValueIterator operator++(int) {
    ArrayValueIterator pre(*this);
    ++index_;
    return pre;
  }
  const ArrayValueIterator& operator--() {
    --index_;
    return *this;
  }
  void advance(std::ptrdiff_t n) { index_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(index_) + n); }

 private:
  std::shared_ptr<std::vector<simdjson::dom::element>> elements_;
  std::size_t index_;
};

class ObjectMemberIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = ObjectMember;
  using difference_type = std::ptrdiff_t;
  using pointer = ObjectMember*;
  using reference = ObjectMember&;

  explicit ObjectMemberIterator(simdjson::dom::object::iterator it) : it_(it) {}
  ObjectMember operator*() const { return ObjectMember(std::string(it_.key()), SimdjsonAdapter(it_.value())); }
  valijson::adapters::DerefProxy<ObjectMember> operator->() const {
    return valijson::adapters::DerefProxy<ObjectMember>(**this);
  }
  bool operator==(const ObjectMemberIterator& other) const { return !(it_ != other.it_); }
  bool operator!=(const ObjectMemberIterator& other) const { return it_ != other.it_; }
  const ObjectMemberIterator& operator++() {
    ++it_;
    return *this;
  }
  ObjectMemberIterator operator++(int) {
    ObjectMemberIterator pre(*this);
    ++it_;
    return pre;
  }

 private:
  simdjson::dom::object::iterator it_;
};

inline ArrayValueIterator Array::begin() const { return ArrayValueIterator(elements_, 0); }
inline ArrayValueIterator Array::end() const { return ArrayValueIterator(elements_, elements_->size()); }
inline ObjectMemberIterator Object::begin() const { return ObjectMemberIterator(object_.begin()); }
inline ObjectMemberIterator Object::end() const { return ObjectMemberIterator(object_.end()); }
inline ObjectMemberIterator Object::find(const std::string& name) const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (it.key() == name) return ObjectMemberIterator(it);
  }
  return end();
}

inline nlohmann::json to_nlohmann(simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      for (auto child : bh::sj::as_array(e)) out.push_back(to_nlohmann(child));
      return out;
    }
    case T::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      for (auto kv : bh::sj::as_object(e)) out[std::string(kv.key)] = to_nlohmann(kv.value);
      return out;
    }
    case T::INT64: return bh::sj::as_int64(e);
    case T::UINT64: return bh::sj::as_uint64(e);
    case T::DOUBLE: return bh::sj::as_double(e);
    case T::STRING: return std::string(bh::sj::as_string(e));
    case T::BOOL: return bh::sj::as_bool(e);
    case T::NULL_VALUE: return nullptr;
  }
  return nullptr;
}

}  // namespace bh::valijson_simdjson

namespace valijson::adapters {
template <>
struct AdapterTraits<bh::valijson_simdjson::SimdjsonAdapter> {
  using DocumentType = simdjson::dom::element;
  static std::string adapterName() { return "SimdjsonAdapter"; }
};
}  // namespace valijson::adapters

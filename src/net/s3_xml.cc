#include "net/s3_xml.h"

#include <charconv>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/hex.h"

namespace bh::net {
namespace {

// Parses without the document's DOCTYPE being honoured (pugixml never fetches or expands external
// entities); rejects anything that is not well-formed.
Result<pugi::xml_document> load(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return fail(invalid_argument(fmt::format("not well-formed XML at byte {}: {}", parsed.offset, parsed.description())));
  }
  return doc;
}

std::string text_of(const pugi::xml_node& parent, const char* name) { return parent.child(name).text().get(); }

}  // namespace

std::string strip_etag_quotes(std::string_view etag) {
  while (!etag.empty() && etag.front() == '"') etag.remove_prefix(1);
  while (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  return std::string(etag);
}

std::string url_decode_plus(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
               hex_digit_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit_value(text[i + 1]) * 16 + hex_digit_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<S3ListPage> parse_list_objects_v2(std::string_view xml) {
  BH_ASSIGN_OR_RETURN(pugi::xml_document doc, load(xml));
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "ListBucketResult") {
    return fail(invalid_argument(fmt::format("not a ListBucketResult: the root element is <{}>", root.name())));
  }
  S3ListPage page;
  const bool url_encoded = text_of(root, "EncodingType") == "url";
  const std::string truncated = text_of(root, "IsTruncated");
  if (truncated != "true" && truncated != "false" && !truncated.empty()) {
    return fail(invalid_argument(fmt::format("IsTruncated is neither true nor false: [{}]", truncated)));
  }
  page.truncated = truncated == "true";
  page.next_continuation_token = text_of(root, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return fail(invalid_argument("a truncated listing without a NextContinuationToken"));
  }
  for (const pugi::xml_node& node : root.children("Contents")) {
    S3Object o;
    const pugi::xml_node key = node.child("Key");
    if (!key) return fail(invalid_argument("a <Contents> without a <Key>"));
    o.key = key.text().get();
    if (url_encoded) o.key = url_decode_plus(o.key);
    o.etag = strip_etag_quotes(text_of(node, "ETag"));
    const std::string size = text_of(node, "Size");
    if (!size.empty()) {
      const auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), o.size);
      if (ec != std::errc() || ptr != size.data() + size.size()) {
        return fail(invalid_argument(fmt::format("the size of {} is not a number: [{}]", o.key, size)));
      }
    }
    o.last_modified = text_of(node, "LastModified");
    page.objects.push_back(std::move(o));
  }
  for (const pugi::xml_node& node : root.children("CommonPrefixes")) {
    const pugi::xml_node prefix = node.child("Prefix");
    if (!prefix) return fail(invalid_argument("a <CommonPrefixes> without a <Prefix>"));
    std::string text = prefix.text().get();
    page.common_prefixes.push_back(url_encoded ? url_decode_plus(text) : std::move(text));
  }
  const std::string key_count = text_of(root, "KeyCount");
  page.key_count = page.objects.size();
  if (!key_count.empty()) {
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(key_count.data(), key_count.data() + key_count.size(), n);
    if (ec == std::errc()) page.key_count = n;
  }
  return page;
}

std::optional<S3Error> parse_s3_error(std::string_view xml) {
  auto doc = load(xml);
  if (!doc) return std::nullopt;
  const pugi::xml_node root = doc->document_element();
  if (std::string_view(root.name()) != "Error") return std::nullopt;
  return S3Error{text_of(root, "Code"), text_of(root, "Message")};
}

}  // namespace bh::net

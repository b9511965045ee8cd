// Finding a build's complete MAR through the hub: the build reference becomes a search (exact
// terms on build.id, source.product, target.version/platform/locale/channel), exactly one record
// must match, and a URL template over the record's fields names its complete MAR.
//
// Template placeholders (docs/partials.md): {product} {version} {platform} {locale} {channel}
// {build_id} {revision} {tree} {download_url} {download_dir} (the download URL without its file
// name) and {download_base} ({download_dir} without a trailing "/<platform>/<locale>", which is
// archive.mozilla.org's release directory). The default template is that archive's layout:
// {download_base}/update/{platform}/{locale}/{product}-{version}.complete.mar
// Values other than the download URLs are percent-encoded where a URL needs it.
//
// The search runs through a function (the search service's, in the server), so this stays free of
// the search engine's types. Thread safety: pure functions.
// Failure: kNotFound (no record) and kConflict (more than one), both naming what was searched;
// kInvalidArgument for a template with an unknown placeholder.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "service/partial_request.h"

namespace bh::service {

inline constexpr std::string_view kDefaultMarUrlTemplate =
    "{download_base}/update/{platform}/{locale}/{product}-{version}.complete.mar";

// Takes an Elasticsearch request body, returns the response body.
using HubSearch = std::function<Result<std::string>(const std::string& body)>;

// kInvalidArgument naming an unknown or unclosed placeholder.
Status check_url_template(std::string_view url_template);

// The search body for a build reference (exported for tests).
std::string build_search_body(const BuildReference& build);

// The record's complete MAR, with the reference's sha512 (if it had one).
Result<MarLocation> find_complete_mar(const BuildReference& build, const HubSearch& search,
                                      std::string_view url_template);

// Expands the template with a record's fields (its buildhub.json).
Result<std::string> expand_url_template(std::string_view url_template, std::string_view record_json);

}  // namespace bh::service

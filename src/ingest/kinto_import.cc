#include "ingest/kinto_import.h"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/file_io.h"
#include "core/json_nesting.h"
#include "net/pg_connection.h"

namespace bh {
namespace {

constexpr std::size_t kMaxNesting = 64;

// scheme://host[:port] of a URL, lower-cased scheme and host; "" when it has none.
std::string origin_of(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::size_t end = url.find_first_of("/?#", scheme + 3);
  return ascii_lowercase(url.substr(0, end));
}

class HttpReader final : public KintoPageReader {
 public:
  HttpReader(KintoHttpGet get, std::string server, KintoCollection which, unsigned page_size)
      : get_(std::move(get)), server_(std::move(server)), which_(std::move(which)), page_size_(page_size) {
    while (server_.ends_with('/')) server_.pop_back();
  }

  Result<KintoPage> read(const std::string& from) override {
    const std::string url =
        from.empty() ? fmt::format("{}/buckets/{}/collections/{}/records?_limit={}", server_, which_.bucket, which_.collection, page_size_)
                     : from;
    // A Next-Page elsewhere than the server would send the import to another host.
    if (origin_of(url) != origin_of(server_)) {
      return fail(invalid_argument(fmt::format("the next page {} is not on {}", url, server_)));
    }
    BH_ASSIGN_OR_RETURN(KintoHttpAnswer answer, get_(url));
    if (answer.status == 404) return fail(not_found(fmt::format("{}: no such bucket or collection (404)", url)));
    if (answer.status != 200) return fail(unavailable(fmt::format("{} answered {}", url, answer.status)));
    if (!json_nesting_within(answer.body, kMaxNesting)) return fail(unavailable(fmt::format("{}: the page nests too deeply", url)));
    nlohmann::json doc = nlohmann::json::parse(answer.body, nullptr, false);
    const auto data = doc.is_object() ? doc.find("data") : doc.end();
    if (!doc.is_object() || data == doc.end() || !data->is_array()) {
      return fail(unavailable(fmt::format("{}: not a Kinto records page ({{\"data\": [...]}})", url)));
    }
    KintoPage page;
    for (nlohmann::json& record : *data) page.records.push_back({.id = "", .last_modified = std::nullopt, .data = std::move(record)});
    page.next = answer.next_page;
    page.end = answer.next_page.empty();
    return page;
  }

  std::string describe() const override {
    return fmt::format("{}/buckets/{}/collections/{}", server_, which_.bucket, which_.collection);
  }

 private:
  KintoHttpGet get_;
  std::string server_;
  KintoCollection which_;
  unsigned page_size_;
};

class DatabaseReader final : public KintoPageReader {
 public:
  DatabaseReader(net::PgConnection conn, std::string description, KintoCollection which, unsigned page_size, bool has_deleted)
      : conn_(std::move(conn)), description_(std::move(description)), which_(std::move(which)), page_size_(page_size),
        has_deleted_(has_deleted) {}

  Result<KintoPage> read(const std::string& from) override {
    // Kinto keeps a collection's records under parent_id /buckets/B/collections/C, with
    // collection_id 'record' (Buildhub2's kinto-database-migration defaults).
    const std::string sql = fmt::format(
        "SELECT id, data::text, (EXTRACT(EPOCH FROM last_modified) * 1000)::bigint FROM records "
        "WHERE parent_id = $1 AND collection_id = 'record' AND id > $2{} ORDER BY id LIMIT {}",
        has_deleted_ ? " AND NOT deleted" : "", page_size_);
    BH_ASSIGN_OR_RETURN(net::PgRows rows,
                        conn_.query(sql, {fmt::format("/buckets/{}/collections/{}", which_.bucket, which_.collection), from}));
    KintoPage page;
    for (auto& row : rows.rows) {
      if (row.size() != 3 || !row[0] || !row[1]) continue;
      // The data column holds the record without its id and last_modified (columns of their own).
      std::optional<std::int64_t> last_modified;
      if (row[2]) last_modified = std::strtoll(row[2]->c_str(), nullptr, 10);
      nlohmann::json data = json_nesting_within(*row[1], kMaxNesting) ? nlohmann::json::parse(*row[1], nullptr, false)
                                                                        : nlohmann::json();
      page.records.push_back({.id = *row[0], .last_modified = last_modified, .data = std::move(data)});
    }
    page.end = rows.rows.size() < page_size_;
    page.next = rows.rows.empty() ? from : *rows.rows.back()[0];
    return page;
  }

  std::string describe() const override { return description_; }

 private:
  net::PgConnection conn_;
  std::string description_;
  KintoCollection which_;
  unsigned page_size_;
  bool has_deleted_;
};

struct ImportState {
  std::string reader = {};
  std::string next = {};
  bool finished = false;
};

Result<std::optional<ImportState>> load_state(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return std::optional<ImportState>();
  BH_ASSIGN_OR_RETURN(const std::string text, read_file(path, 1u << 20));
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("reader") || !doc["reader"].is_string() || !doc.contains("next") ||
      !doc["next"].is_string()) {
    return fail(corrupt(fmt::format("{}: not an import-kinto state file", path.string())));
  }
  return std::optional<ImportState>(ImportState{.reader = doc["reader"].get<std::string>(),
                                                .next = doc["next"].get<std::string>(),
                                                .finished = doc.value("finished", false)});
}

Status save_state(const std::filesystem::path& path, const ImportState& state, const KintoImportCounts& counts) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const nlohmann::json doc = {{"reader", state.reader}, {"next", state.next}, {"finished", state.finished},
                              {"pages", counts.pages}, {"read", counts.read}, {"inserted", counts.inserted}};
  return write_file_atomically(path, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

class PageObserver final : public IngestObserver {
 public:
  PageObserver(KintoImportObserver& outer, bool skip_invalid) : outer_(outer), skip_invalid_(skip_invalid) {}
  void on_rejected(const std::string& origin, const Status& reason) override {
    ++invalid;
    if (!skip_invalid_) outer_.on_invalid(origin.substr(origin.find(':') + 1), reason);
  }
  std::uint64_t invalid = 0;

 private:
  KintoImportObserver& outer_;
  bool skip_invalid_;
};

}  // namespace

std::unique_ptr<KintoPageReader> kinto_http_reader(KintoHttpGet get, std::string server, KintoCollection which,
                                                   unsigned page_size) {
  return std::make_unique<HttpReader>(std::move(get), std::move(server), std::move(which), page_size);
}

Result<std::unique_ptr<KintoPageReader>> kinto_database_reader(const std::string& conninfo, KintoCollection which,
                                                               unsigned page_size) {
  BH_ASSIGN_OR_RETURN(net::PgConnection conn, net::PgConnection::connect(conninfo));
  BH_ASSIGN_OR_RETURN(net::PgRows columns,
                      conn.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'records'"));
  if (columns.rows.empty()) return fail(not_found(fmt::format("{}: no records table (is this Kinto's database?)", net::redact_conninfo(conninfo))));
  bool has_deleted = false;
  for (const auto& row : columns.rows) has_deleted = has_deleted || (row[0] && *row[0] == "deleted");
  std::string description = fmt::format("{} /buckets/{}/collections/{}", net::redact_conninfo(conninfo), which.bucket, which.collection);
  return std::unique_ptr<KintoPageReader>(
      std::make_unique<DatabaseReader>(std::move(conn), std::move(description), std::move(which), page_size, has_deleted));
}

Result<KintoImportCounts> run_kinto_import(const KintoImportDeps& deps, const KintoImportOptions& options,
                                           KintoImportObserver& observer, std::stop_token stop) {
  const auto started = std::chrono::steady_clock::now();
  KintoImportCounts counts;
  ImportState state{.reader = deps.reader.describe()};
  if (options.resume) {
    BH_ASSIGN_OR_RETURN(auto saved, load_state(options.state_file));
    if (saved && saved->reader == state.reader) {
      state.next = saved->next;
      counts.resumed = true;
    }
  }
  nlohmann::json base_metadata = nlohmann::json::parse(options.metadata_version, nullptr, false);
  if (!base_metadata.is_object()) base_metadata = nlohmann::json::object();
  base_metadata["source"] = "kinto";
  IngestOptions ingest;
  ingest.limits = options.limits;
  ingest.rejection_source = options.skip_invalid ? "" : "kinto";
  while (!stop.stop_requested()) {
    if (options.max_records > 0 && counts.read >= options.max_records) break;
    BH_ASSIGN_OR_RETURN(KintoPage page, deps.reader.read(state.next));
    std::vector<IngestItem> items;
    items.reserve(page.records.size());
    for (KintoRecord& record : page.records) {
      IngestItem item;
      std::string id = record.id;
      nlohmann::json& doc = record.data;
      nlohmann::json metadata = base_metadata;
      if (doc.is_object()) {
        if (id.empty() && doc.contains("id") && doc["id"].is_string()) id = doc["id"].get<std::string>();
        if (record.last_modified) {
          metadata["kinto_last_modified"] = *record.last_modified;
        } else if (doc.contains("last_modified")) {
          metadata["kinto_last_modified"] = doc["last_modified"];
        }
        doc.erase("id");
        doc.erase("last_modified");
        doc.erase("schema");
        item.bytes = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        item.read_error = invalid_argument("not a JSON object");
      }
      metadata["kinto_id"] = id;
      item.origin = "kinto:" + id;
      item.metadata = metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      items.push_back(std::move(item));
    }
    if (!items.empty()) {
      ingest.batch_size = items.size();  // one transaction per page
      IngestPipeline pipeline(deps.store, deps.validator, deps.executor, ingest);
      VectorSource source(std::move(items));
      PageObserver page_observer(observer, options.skip_invalid);
      BH_ASSIGN_OR_RETURN(IngestSummary summary, pipeline.run(source, page_observer));
      counts.read += summary.read;
      counts.inserted += summary.inserted;
      counts.already_present += summary.already_present;
      (options.skip_invalid ? counts.skipped_invalid : counts.rejected) += summary.rejected;
    }
    ++counts.pages;
    state.next = page.next;
    state.finished = page.end;
    BH_RETURN_IF_ERROR(save_state(options.state_file, state, counts));
    counts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    observer.on_page(counts);
    if (page.end) {
      counts.finished = true;
      break;
    }
  }
  counts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return counts;
}

}  // namespace bh

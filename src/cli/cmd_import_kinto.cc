// `buildhub import-kinto`: Buildhub v1's Kinto collection into the store, from Kinto's HTTP API
// or its PostgreSQL database (ingest/kinto_import.h).
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_line.h"
#include "cli/signals.h"
#include "core/digest.h"
#include "core/version.h"
#include "ingest/kinto_import.h"
#include "record/schema_validator.h"

namespace bh::cli {
namespace {

struct ImportKintoFlags {
  StoreFlags store;
  LogFlags log;
  HttpFlags http;
  std::string server;
  std::string database;
  KintoCollection which;
  unsigned page_size = 10000;
  bool resume = false;
  bool skip_invalid = false;
  std::uint64_t max_records = 0;
  std::string state_file;
  std::size_t max_document_bytes = 1 << 20;
  bool quiet = false;
};

class CliKintoObserver final : public KintoImportObserver {
 public:
  explicit CliKintoObserver(bool progress) : line_(progress) {}
  void on_page(const KintoImportCounts& c) override {
    line_.draw(fmt::format("{} pages, {} records read, {} inserted, {} already present, {} invalid", c.pages, c.read,
                           c.inserted, c.already_present, c.rejected + c.skipped_invalid));
  }
  void on_invalid(const std::string& id, const Status& reason) override {
    line_.clear();
    std::fprintf(stderr, "import-kinto: rejected %s: %s\n", id.c_str(), reason.message().c_str());
  }
  void clear() { line_.clear(); }

 private:
  ProgressLine line_;
};

int run_import_kinto(const ImportKintoFlags& flags) {
  StopOnSignals signals;
  auto logger = make_logger(flags.log, "import-kinto");
  net::HttpClient http(http_options(flags.http, "kinto"), nullptr, logger);
  std::unique_ptr<KintoPageReader> reader;
  if (!flags.server.empty()) {
    reader = kinto_http_reader(
        [&http](const std::string& url) -> Result<KintoHttpAnswer> {
          net::HttpCall call;
          call.url = url;
          call.headers = {{"Accept", "application/json"}, {"User-Agent", fmt::format("buildhub/{}", version_info().version)}};
          call.max_response_bytes = std::size_t{1} << 30;  // a page of 10,000 records is ~20 MB
          BH_ASSIGN_OR_RETURN(net::HttpReply reply, http.send(call));
          return KintoHttpAnswer{.status = reply.status, .next_page = reply.header("next-page"), .body = std::move(reply.body)};
        },
        flags.server, flags.which, flags.page_size);
  } else {
    auto opened = kinto_database_reader(flags.database, flags.which, flags.page_size);
    if (!opened) return report_failure(opened.error());
    reader = std::move(*opened);
  }
  auto store = open_store(flags.store);
  if (!store) return report_failure(store.error());
  auto validator = SchemaValidator::create_builtin();
  if (!validator) return report_failure(validator.error());
  Executor executor(ExecutorOptions{});
  KintoImportOptions options;
  options.resume = flags.resume;
  options.skip_invalid = flags.skip_invalid;
  options.max_records = flags.max_records;
  options.limits.max_document_bytes = flags.max_document_bytes;
  const VersionInfo v = version_info();
  options.metadata_version = nlohmann::json{{"version", std::string(v.version)}, {"commit", std::string(v.commit)}}.dump();
  options.state_file = flags.state_file.empty()
                           ? state_directory(flags.store) / "v1" / ("import-kinto-" + sha256_hex(reader->describe()).substr(0, 16) + ".json")
                           : std::filesystem::path(flags.state_file);
  logger->info("import-kinto starting", {{"from", reader->describe()}, {"state_file", options.state_file.string()},
                                         {"resume", flags.resume}});
  CliKintoObserver observer(!flags.quiet && ::isatty(STDERR_FILENO) != 0);
  auto counts = run_kinto_import({.reader = *reader, .store = **store, .validator = **validator, .executor = executor},
                                 options, observer, signals.token());
  observer.clear();
  if (!counts) return report_failure(counts.error());
  const KintoImportCounts& c = *counts;
  std::printf("%s\n", nlohmann::json{{"from", reader->describe()},
                                     {"pages", c.pages},
                                     {"read", c.read},
                                     {"inserted", c.inserted},
                                     {"already_present", c.already_present},
                                     {"rejected", c.rejected},
                                     {"skipped_invalid", c.skipped_invalid},
                                     {"finished", c.finished},
                                     {"resumed", c.resumed},
                                     {"seconds", c.seconds}}
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          .c_str());
  return c.rejected > 0 ? exit_code(Code::kInvalidArgument) : 0;
}

}  // namespace

CommandRunner register_import_kinto(CLI::App& app) {
  auto flags = std::make_shared<ImportKintoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import-kinto",
      "Buildhub v1's records (a Kinto collection) into the store, from Kinto's HTTP API (--server,\n"
      "paging through Next-Page) or its PostgreSQL database (--database, the records table). One page\n"
      "at a time; after each stored page the resume point is saved, and --resume continues there.\n"
      "The v1 id is kept in each record's metadata. Invalid records are rejections (exit 3), or with\n"
      "--skip-invalid only counted. Prints a JSON summary: read, inserted, already_present, rejected.\n"
      "Here --database is Kinto's database; the store is --data-dir or --store URL.");
  add_store_flags(*cmd, flags->store, "--store");  // --database is Kinto's, as Buildhub2's command named it
  add_log_flags(*cmd, flags->log);
  add_http_flags(*cmd, flags->http);
  auto* server = cmd->add_option("--server", flags->server, "Kinto's API root, e.g. https://buildhub.prod.mozaws.net/v1")
                     ->envname("BUILDHUB_KINTO_SERVER");
  auto* database = cmd->add_option("--database", flags->database,
                                   "Kinto's PostgreSQL database (libpq: postgresql://user@host:port/db)")
                       ->envname("BUILDHUB_KINTO_DATABASE");
  server->excludes(database);
  database->excludes(server);
  cmd->add_option("--bucket", flags->which.bucket, "The Kinto bucket")->capture_default_str();
  cmd->add_option("--collection", flags->which.collection, "The Kinto collection")->capture_default_str();
  cmd->add_option("--page-size", flags->page_size, "Records per page (_limit; Kinto may cap it at its paginate_by)")
      ->check(CLI::Range(1u, 100'000u))
      ->capture_default_str();
  cmd->add_flag("--resume", flags->resume, "Continue after the last stored page of the previous run from the same source");
  cmd->add_option("--state-file", flags->state_file,
                  "Where the resume point is kept (default: DATA_DIR/v1/import-kinto-<hash of the source>.json)");
  cmd->add_flag("--skip-invalid", flags->skip_invalid,
                "Count records without a build or failing the schema instead of recording them as rejections");
  cmd->add_option("--max-records", flags->max_records, "Stop after about this many records (at a page end); --resume goes on")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 62));
  cmd->add_option("--max-document-bytes", flags->max_document_bytes, "Larger records are rejected")
      ->envname("BUILDHUB_MAX_DOCUMENT_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line");
  cmd->callback([flags, server, database] {
    if (server->count() == 0 && database->count() == 0 && flags->server.empty() && flags->database.empty()) {
      throw CLI::RequiredError("--server or --database");
    }
  });
  return [flags] { return run_import_kinto(*flags); };
}

}  // namespace bh::cli

// buildhub: one binary, every face of the system. main() only parses the command line and
// hands over to the subcommand, which builds the services it needs.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/version.h"

int main(int argc, char** argv) {
  // `mar` keeps Mozilla's option grammar (-n0 -X, -D0 file, ...), so it bypasses CLI11.
  if (argc >= 2 && std::string_view(argv[1]) == "mar") {
    return bh::cli::run_mar_command(std::vector<std::string_view>(argv + 2, argv + argc));
  }
  const bh::VersionInfo version = bh::version_info();
  CLI::App app{"buildhub: an index of Mozilla build records (buildhub.json) with an Elasticsearch-compatible search API.\n"};
  app.name("buildhub");
  app.set_version_flag("--version", fmt::format("buildhub {} ({}), store schema {}", version.version, version.commit,
                                               bh::embedded_store_schema_version()));
  app.require_subcommand(1);
  app.footer("Every flag can also be set through the BUILDHUB_* environment variable named in its help.\n"
             "Run `buildhub COMMAND --help` for a command's flags.");

  const bh::cli::CommandRunner ingest = bh::cli::register_ingest(app);
  const bh::cli::CommandRunner demo_data = bh::cli::register_demo_data(app);
  const bh::cli::CommandRunner serve = bh::cli::register_serve(app);
  const bh::cli::CommandRunner worker = bh::cli::register_worker(app);
  const bh::cli::CommandRunner diff = bh::cli::register_diff(app);
  const bh::cli::CommandRunner patch = bh::cli::register_patch(app);
  const bh::cli::CommandRunner partial = bh::cli::register_partial(app);
  const bh::cli::CommandRunner apply = bh::cli::register_apply(app);
  const bh::cli::CommandRunner backfill = bh::cli::register_backfill(app);
  const bh::cli::CommandRunner daemon = bh::cli::register_daemon(app);
  const bh::cli::CommandRunner inventory_to_records = bh::cli::register_inventory_to_records(app);
  const bh::cli::CommandRunner inventory = bh::cli::register_inventory(app);
  const bh::cli::CommandRunner import_kinto = bh::cli::register_import_kinto(app);
  // Listed for --help only; main() hands `mar` to run_mar_command before CLI11 parses.
  app.add_subcommand("mar", "Read, write, sign and verify MAR files; Mozilla's `mar` options (buildhub mar --help)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;  // 2: usage error, as most tools do
  }
  if (app.got_subcommand("ingest")) return ingest();
  if (app.got_subcommand("demo-data")) return demo_data();
  if (app.got_subcommand("serve")) return serve();
  if (app.got_subcommand("worker")) return worker();
  if (app.got_subcommand("diff")) return diff();
  if (app.got_subcommand("patch")) return patch();
  if (app.got_subcommand("partial")) return partial();
  if (app.got_subcommand("apply")) return apply();
  if (app.got_subcommand("backfill")) return backfill();
  if (app.got_subcommand("daemon")) return daemon();
  if (app.got_subcommand("inventory-to-records")) return inventory_to_records();
  if (app.got_subcommand("inventory")) return inventory();
  if (app.got_subcommand("import-kinto")) return import_kinto();
  return 2;
}

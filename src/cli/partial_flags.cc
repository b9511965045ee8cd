// Flags of the partial service (`serve`, `worker`), and bearer tokens from files.
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/file_io.h"
#include "service/hub_lookup.h"

namespace bh::cli {

Result<std::vector<std::string>> read_tokens(const std::string& file, const char* env_name) {
  std::vector<std::string> tokens;
  auto add = [&tokens](std::string_view t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    if (!t.empty() && t.front() != '#') tokens.emplace_back(t);
  };
  if (!file.empty()) {
    BH_ASSIGN_OR_RETURN(std::string text, read_file(file, 1 << 20));
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = text.find('\n', start);
      add(std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (tokens.empty()) return fail(invalid_argument(fmt::format("{} holds no token", file)));
  }
  if (const char* env = std::getenv(env_name); env != nullptr) {
    std::string_view all(env);
    while (!all.empty()) {
      const auto comma = all.find(',');
      add(all.substr(0, comma));
      if (comma == std::string_view::npos) break;
      all.remove_prefix(comma + 1);
    }
  }
  for (const std::string& t : tokens) {
    if (t.size() < 16) return fail(invalid_argument("a token must be at least 16 characters long"));
  }
  return tokens;
}

void add_partial_flags(CLI::App& cmd, PartialServiceFlags& flags, bool serving) {
  cmd.add_option("--workers", flags.workers,
                 serving ? "Partial jobs built at once in this process (0: none, jobs wait for `buildhub worker`; default: one per two cores)"
                         : "Partial jobs built at once (default: one)")
      ->envname("BUILDHUB_WORKERS")
      ->check(CLI::Range(-1, 256));
  cmd.add_option("--cache-dir", flags.cache_dir,
                 "Caches of the partial service: complete/, partials/ and patches/ (default: DATA_DIR/cache)")
      ->envname("BUILDHUB_CACHE_DIR");
  cmd.add_option("--complete-cache-max-bytes", flags.complete_cache_bytes, "Size limit of the complete-MAR cache (L1)")
      ->envname("BUILDHUB_COMPLETE_CACHE_MAX_BYTES")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--partial-cache-max-bytes", flags.partial_cache_bytes, "Size limit of the partial-MAR cache (L1)")
      ->envname("BUILDHUB_PARTIAL_CACHE_MAX_BYTES")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--patch-cache-max-bytes", flags.patch_cache_bytes, "Size limit of the per-file patch cache (L2)")
      ->envname("BUILDHUB_PATCH_CACHE_MAX_BYTES")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--fetch-allow-host", flags.allow_hosts,
                 "Host complete MARs may be fetched from: NAME, *.DOMAIN or * (repeatable, or comma-separated); none: "
                 "nothing is fetched")
      ->envname("BUILDHUB_FETCH_ALLOW_HOSTS")
      ->delimiter(',');
  cmd.add_option("--fetch-allow-internal", flags.allow_internal,
                 "Host whose loopback, private or link-local addresses may be connected to (repeatable); others are "
                 "refused, also after redirects and DNS resolution")
      ->envname("BUILDHUB_FETCH_ALLOW_INTERNAL")
      ->delimiter(',');
  cmd.add_option("--fetch-max-bytes", flags.fetch_max_bytes, "Largest complete MAR fetched")
      ->envname("BUILDHUB_FETCH_MAX_BYTES")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--partial-url-template", flags.url_template,
                 fmt::format("Where a hub build's complete MAR is, over the record's fields (default: {})",
                             service::kDefaultMarUrlTemplate))
      ->envname("BUILDHUB_PARTIAL_URL_TEMPLATE");
  cmd.add_option("--lease-ms", flags.lease_ms,
                 "A running job's lease; a worker that stops renewing it loses the job after this long")
      ->envname("BUILDHUB_LEASE_MS")
      ->check(CLI::Range(std::uint64_t{200}, std::uint64_t{3'600'000}))
      ->capture_default_str();
  cmd.add_option("--job-poll-ms", flags.poll_ms, "How often idle workers look for jobs queued by other processes")
      ->envname("BUILDHUB_JOB_POLL_MS")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{600'000}))
      ->capture_default_str();
  cmd.add_option("--retry-pause-ms", flags.retry_pause_ms, "Pause before a job that met network trouble runs again")
      ->envname("BUILDHUB_RETRY_PAUSE_MS")
      ->capture_default_str();
  cmd.add_option("--max-attempts", flags.max_attempts, "Attempts of a job before it stays failed (until an admin retries it)")
      ->envname("BUILDHUB_MAX_ATTEMPTS")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  cmd.add_option("--partial-max-memory", flags.max_memory, "Memory budget of one partial build (see `partial --max-memory`)")
      ->envname("BUILDHUB_PARTIAL_MAX_MEMORY")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--admin-token-file", flags.admin_token_file,
                 "Bearer tokens of the admin routes (retry, delete, drop caches, stats), one per line; "
                 "BUILDHUB_ADMIN_TOKENS adds comma-separated ones; without any, admin routes answer 401")
      ->envname("BUILDHUB_ADMIN_TOKEN_FILE");
  cmd.add_option("--verify-key", flags.verify_keys,
                 "Public key or certificate (DER or PEM) that both complete MARs must be signed with (repeatable, in "
                 "signature order)")
      ->envname("BUILDHUB_VERIFY_KEYS")
      ->delimiter(',');
}

Result<app::PartialConfig> partial_config(const PartialServiceFlags& flags) {
  app::PartialConfig config;
  config.cache_dir = flags.cache_dir;
  config.complete_cache_bytes = flags.complete_cache_bytes;
  config.partial_cache_bytes = flags.partial_cache_bytes;
  config.patch_cache_bytes = flags.patch_cache_bytes;
  config.workers = flags.workers;
  auto tokens = read_tokens(flags.admin_token_file, "BUILDHUB_ADMIN_TOKENS");
  if (!tokens) return fail(tokens.error().with_context("--admin-token-file"));
  config.admin_tokens = std::move(*tokens);
  for (const std::string& k : flags.verify_keys) config.verify_key_files.emplace_back(k);
  config.service.fetch.allowed_hosts = flags.allow_hosts;
  config.service.fetch.internal_hosts = flags.allow_internal;
  config.service.fetch.max_bytes = flags.fetch_max_bytes;
  if (!flags.url_template.empty()) config.service.url_template = flags.url_template;
  config.service.lease = std::chrono::milliseconds(flags.lease_ms);
  config.service.poll = std::chrono::milliseconds(flags.poll_ms);
  config.service.retry_pause = std::chrono::milliseconds(flags.retry_pause_ms);
  config.service.max_attempts = flags.max_attempts;
  config.service.max_memory = flags.max_memory;
  return config;
}

}  // namespace bh::cli

#include "update/partial_builder.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/digest.h"
#include "diff/mbdiff_diff.h"
#include "mar/mar_files.h"
#include "mar/mar_writer.h"
#include "update/partial_rules.h"

namespace bh::update {
namespace {

using compress::Compression;
using mar::MarArchive;
using mar::MarEntry;
using Clock = std::chrono::steady_clock;

// The updater's MBDIFF10 limit; a file past it cannot be patched (nor diffed).
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{2} << 30;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool same_bytes(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// What a file decompresses to, read from the xz index; bzip2 does not say, so a guess.
std::uint64_t estimated_size(ByteView entry) {
  if (compress::detect_compression(entry) == Compression::kXz) {
    if (auto size = compress::xz_declared_size(entry)) return *size;
  }
  return entry.size() * 4;
}

Result<std::string> decompress_entry(const MarArchive& archive, const MarEntry& entry) {
  compress::DecompressLimits limits;
  limits.max_output_bytes = kMaxFileBytes;
  return mar::decompress_entry(archive, entry, limits);
}

// What the jobs may hold: the budget less what the build holds anyway, the two MARs (read
// whole) and one xz encoder per thread that can compress at once (the workers and the caller,
// which helps).
std::uint64_t job_budget(std::uint64_t max_memory, const MarArchive& from, const MarArchive& to, unsigned threads) {
  if (max_memory == 0) return 0;
  const std::uint64_t fixed = from.file_size() + to.file_size() + (threads + 1) * compress::xz_encoder_memory({});
  constexpr std::uint64_t kFloor = 64u << 20;
  return max_memory > fixed + kFloor ? max_memory - fixed : kFloor;
}

// One changed-file candidate: in both MARs, not forced, not add-if-not, entries differ.
struct PairJob {
  std::string path;
  const MarEntry* old_entry = nullptr;
  const MarEntry* new_entry = nullptr;
  std::uint64_t old_estimate = 0;
  std::uint64_t new_estimate = 0;
  // Results.
  bool changed = false;
  std::string old_digest;
  std::string new_digest;
  std::uint64_t old_size = 0;
  std::uint64_t new_size = 0;
  std::string patch;  // kept only when it wins
  std::uint64_t patch_bytes = 0;
  bool use_patch = false;
  double seconds = 0;
  double diff_seconds = 0;      // computing the patch (0 on a cache hit)
  double compress_seconds = 0;  // compressing it
  std::string cache;
};

class Builder {
 public:
  Builder(const MarArchive& from, const MarArchive& to, const PartialOptions& options, Executor& executor)
      : from_(from),
        to_(to),
        options_(options),
        executor_(executor),
        budget_(job_budget(options.max_memory, from, to, executor.cpu_budget())) {}

  Result<PartialBuild> run();

 private:
  void classify();
  Status choose_output();
  Status prepare_full_entries();
  Status run_pair_jobs();
  Status run_pair(PairJob& job);
  Result<std::string> compress_patch(ByteView raw);
  Result<std::string> compress_full(ByteView raw);
  ByteView full_entry(const std::string& path) const;
  void report_progress(std::uint64_t bytes);

  const MarArchive& from_;
  const MarArchive& to_;
  const PartialOptions& options_;
  Executor& executor_;
  MemoryBudget budget_;

  PartialBuild result_;
  std::string patch_identity_;
  std::map<std::string, const MarEntry*> from_entries_;
  std::map<std::string, const MarEntry*> to_entries_;
  std::map<std::string, std::string> recompressed_;  // TO entries in the output compression, when TO's differs
  std::vector<PairJob> jobs_;
  std::set<std::string> identical_;  // in both MARs, entries byte-identical, no rule ships them

  std::mutex progress_mutex_;
  PartialProgress progress_;
};

// Every file in both MARs that no rule ships anyway: byte-identical entries are unchanged without
// being read; the others become jobs (decompressed, compared, diffed when they differ).
void Builder::classify() {
  for (const MarEntry& e : from_.entries()) from_entries_.emplace(e.name, &e);
  for (const MarEntry& e : to_.entries()) to_entries_.emplace(e.name, &e);
  for (const auto& [name, old_entry] : from_entries_) {
    const auto to = to_entries_.find(name);
    if (to == to_entries_.end() || is_manifest_file(name) || is_add_if_not_file(name) ||
        is_forced_file(name, options_.forced)) {
      continue;
    }
    if (same_bytes(from_.entry_bytes(*old_entry), to_.entry_bytes(*to->second))) {
      identical_.insert(name);
      continue;
    }
    PairJob job;
    job.path = name;
    job.old_entry = old_entry;
    job.new_entry = to->second;
    job.old_estimate = estimated_size(from_.entry_bytes(*old_entry));
    job.new_estimate = estimated_size(to_.entry_bytes(*to->second));
    jobs_.push_back(std::move(job));
  }
}

Status Builder::choose_output() {
  const MarEntry* reference = to_.find("updatev3.manifest");
  if (reference == nullptr || reference->size == 0) {
    for (const MarEntry& e : to_.entries()) {
      if (e.size > 0) {
        reference = &e;
        break;
      }
    }
  }
  Compression detected = Compression::kNone;
  bool detected_x86 = false;
  if (reference != nullptr) {
    const ByteView bytes = to_.entry_bytes(*reference);
    detected = compress::detect_compression(bytes);
    if (detected == Compression::kXz) {
      auto x86 = compress::xz_uses_x86_filter(bytes);
      if (!x86) return x86.error().with_context(fmt::format("TO's entry '{}'", reference->name));
      detected_x86 = *x86;
    }
  }
  result_.compression = options_.compression.value_or(detected == Compression::kNone ? Compression::kXz : detected);
  if (result_.compression == Compression::kNone) return invalid_argument("a partial's entries must be compressed (xz or bz2)");
  result_.x86_bcj = result_.compression == Compression::kXz && options_.x86_bcj.value_or(detected_x86);
  patch_identity_ = patch_compression_identity(result_.compression, options_.xz_block_size);

  const auto& pib = to_.product_information();
  result_.product_information.channel = options_.channel_id.value_or(pib ? pib->channel : std::string());
  result_.product_information.version = options_.product_version.value_or(pib ? pib->version : std::string());
  if (result_.product_information.channel.empty() || result_.product_information.version.empty()) {
    return invalid_argument(
        "TO has no product information block: give the partial's --channel-id and --product-version");
  }
  return mar::validate_product_information(result_.product_information);
}

Result<std::string> Builder::compress_patch(ByteView raw) {
  if (result_.compression == Compression::kBzip2) return compress::compress_bzip2(raw);
  // Mozilla's patch command: xz --compress --lzma2 --format=xz --check=crc64, never BCJ.
  return compress::compress_xz_parallel(raw, compress::XzSettings{}, {.block_size = options_.xz_block_size, .jobs = 0},
                                        executor_);
}

Result<std::string> Builder::compress_full(ByteView raw) {
  if (result_.compression == Compression::kBzip2) return compress::compress_bzip2(raw);
  return compress::compress_xz(raw, compress::XzSettings{.x86_bcj = result_.x86_bcj});
}

// TO's entries that are not already in the output compression are recompressed once, in parallel.
Status Builder::prepare_full_entries() {
  std::vector<const MarEntry*> todo;
  for (const auto& [name, entry] : to_entries_) {
    if (is_manifest_file(name) || identical_.contains(name) ||
        compress::detect_compression(to_.entry_bytes(*entry)) == result_.compression) {
      continue;
    }
    todo.push_back(entry);
  }
  std::vector<std::string> packed(todo.size());
  BH_RETURN_IF_ERROR(executor_.parallel_for(todo.size(), options_.jobs, [&](std::size_t i) -> Status {
    BH_ASSIGN_OR_RETURN(std::string raw, decompress_entry(to_, *todo[i]));
    auto out = compress_full(as_bytes(raw));
    if (!out) return out.error().with_context(todo[i]->name);
    packed[i] = std::move(*out);
    return {};
  }));
  for (std::size_t i = 0; i < todo.size(); ++i) recompressed_.emplace(todo[i]->name, std::move(packed[i]));
  return {};
}

ByteView Builder::full_entry(const std::string& path) const {
  if (auto it = recompressed_.find(path); it != recompressed_.end()) return as_bytes(it->second);
  return to_.entry_bytes(*to_entries_.at(path));
}

void Builder::report_progress(std::uint64_t bytes) {
  if (!options_.progress) return;
  std::lock_guard lock(progress_mutex_);
  ++progress_.files_done;
  progress_.bytes_done += bytes;
  options_.progress(progress_);
}

// Decides one changed-file candidate. The cheap path first: the SHA-256 of both compressed
// entries, looked up in the cache's entry memo, gives both contents' SHA-512 without
// decompressing; with the patch cache that answers a warm run (and a second locale's big
// binaries) without touching the contents. Otherwise the contents are decompressed and hashed
// (holding their size), and on a cache miss diffed (holding the diff's estimate as well) and the
// patch compressed (holding the patch and its compressed copy).
Status Builder::run_pair(PairJob& job) {
  const auto start = Clock::now();
  const diff::DiffParams params;
  PatchCache* cache = options_.cache;
  const ByteView old_entry = from_.entry_bytes(*job.old_entry);
  const ByteView new_entry = to_.entry_bytes(*job.new_entry);
  std::string old_entry_id;
  std::string new_entry_id;
  if (cache != nullptr) {
    old_entry_id = sha256_hex(as_chars(old_entry));
    new_entry_id = sha256_hex(as_chars(new_entry));
    auto old_id = cache->lookup_entry(old_entry_id);
    auto new_id = cache->lookup_entry(new_entry_id);
    if (old_id && new_id) {
      job.old_digest = old_id->sha512;
      job.old_size = old_id->size;
      job.new_digest = new_id->sha512;
      job.new_size = new_id->size;
    }
  }
  const std::uint64_t full_bytes = full_entry(job.path).size();
  auto decide = [&](std::string patch, bool hit) {
    job.cache = cache == nullptr ? "" : (hit ? "hit" : "miss");
    job.patch_bytes = patch.size();
    // The script's rule: the patch only when strictly smaller (a tie ships the full file).
    job.use_patch = patch.size() < full_bytes && !to_entries_.contains(job.path + ".patch");
    if (job.use_patch) job.patch = std::move(patch);
    job.seconds = seconds_since(start);
  };
  auto key = [&] { return PatchKey{job.old_digest, job.new_digest, diff::output_identity(params), patch_identity_}; };
  auto lookup = [&]() -> std::optional<CachedPatch> {
    if (cache == nullptr) return std::nullopt;
    return cache->get(key());
  };
  // The contents are read only when the memo did not know them, or when they must be diffed.
  // Both contents and the diff's own estimate are held from the start: a job never waits for
  // more while holding memory, so two jobs cannot wait on each other. A job larger than the whole
  // budget runs alone instead of failing.
  MemoryReservation reservation;
  std::string old_data;
  std::string new_data;
  bool loaded = false;
  auto load = [&]() -> Status {
    const std::uint64_t need = job.old_estimate + job.new_estimate +
                               diff::estimate_diff_memory(job.old_estimate, job.new_estimate, params, executor_.cpu_budget());
    BH_ASSIGN_OR_RETURN(reservation, budget_.reserve(budget_.total() == 0 ? need : std::min(need, budget_.total()), job.path));
    BH_ASSIGN_OR_RETURN(old_data, decompress_entry(from_, *job.old_entry));
    BH_ASSIGN_OR_RETURN(new_data, decompress_entry(to_, *job.new_entry));
    loaded = true;
    return {};
  };
  if (job.old_digest.empty()) {
    BH_RETURN_IF_ERROR(load());
    job.old_size = old_data.size();
    job.new_size = new_data.size();
    job.old_digest = sha512_hex(old_data);
    job.new_digest = sha512_hex(new_data);
    if (cache != nullptr) {
      cache->remember_entry(old_entry_id, {job.old_digest, job.old_size});
      cache->remember_entry(new_entry_id, {job.new_digest, job.new_size});
    }
  }
  job.changed = job.old_digest != job.new_digest || job.old_size != job.new_size;
  if (!job.changed) {
    job.seconds = seconds_since(start);
    return {};
  }
  if (auto cached = lookup()) {
    decide(std::move(cached->compressed_patch), true);
    return {};
  }
  if (!loaded) BH_RETURN_IF_ERROR(load());
  diff::DiffRequest request{as_bytes(old_data), as_bytes(new_data), params, {}};
  const auto diff_start = Clock::now();
  auto raw = diff::make_patch(request, executor_);
  job.diff_seconds = seconds_since(diff_start);
  if (!raw) return raw.error().with_context(fmt::format("diffing '{}'", job.path));
  old_data = std::string();
  new_data = std::string();
  // The diff is over: from here on the job holds the patch and its compressed copy.
  reservation.shrink_to(raw->size() + raw->size() / 2);
  const auto compress_start = Clock::now();
  auto packed = compress_patch(as_bytes(*raw));
  job.compress_seconds = seconds_since(compress_start);
  if (!packed) return packed.error().with_context(fmt::format("compressing the patch of '{}'", job.path));
  if (cache != nullptr) {
    // A cache that cannot be written costs a recomputation later, never this build.
    (void)cache->put(key(), {*packed, full_bytes, packed->size() < full_bytes});
  }
  decide(std::move(*packed), false);
  return {};
}

Status Builder::run_pair_jobs() {
  // Largest first, so the biggest diff does not start last and finish alone.
  std::stable_sort(jobs_.begin(), jobs_.end(), [](const PairJob& a, const PairJob& b) { return a.new_estimate > b.new_estimate; });
  progress_.files_total = jobs_.size();
  for (const PairJob& job : jobs_) progress_.bytes_total += job.new_estimate;
  return executor_.parallel_for(jobs_.size(), options_.jobs, [&](std::size_t i) -> Status {
    Status s = run_pair(jobs_[i]);
    report_progress(jobs_[i].new_estimate);
    return s;
  });
}

Result<PartialBuild> Builder::run() {
  classify();
  BH_RETURN_IF_ERROR(choose_output());
  BH_RETURN_IF_ERROR(prepare_full_entries());
  BH_RETURN_IF_ERROR(run_pair_jobs());

  std::unordered_map<std::string, const PairJob*> job_by_path;
  for (const PairJob& job : jobs_) job_by_path.emplace(job.path, &job);
  // Equal digest strings mean equal content: the real SHA-512 where the entries were compared,
  // a marker where the compressed entries are byte-identical.
  PartialRulesRequest rules;
  rules.forced = options_.forced;
  auto tree_file = [&](const std::string& name, const MarEntry& entry, bool old_side) {
    TreeFile f{name, "", entry.size};
    if (auto it = job_by_path.find(name); it != job_by_path.end()) {
      f.digest = old_side ? it->second->old_digest : it->second->new_digest;
      f.size = old_side ? it->second->old_size : it->second->new_size;
    } else if (identical_.contains(name)) {
      f.digest = "identical-entry";
    }
    return f;
  };
  for (const auto& [name, entry] : from_entries_) rules.from.push_back(tree_file(name, *entry, true));
  for (const auto& [name, entry] : to_entries_) rules.to.push_back(tree_file(name, *entry, false));
  if (auto path = removed_files_path(rules.to)) {
    BH_ASSIGN_OR_RETURN(std::string text, decompress_entry(to_, *to_entries_.at(*path)));
    rules.removed_files = std::move(text);
  }
  BH_ASSIGN_OR_RETURN(PartialPlan plan, plan_partial(rules));
  result_.manifest = partial_manifest(plan, [&](const std::string& path) { return job_by_path.at(path)->use_patch; });

  const std::string manifest_text = write_manifest(result_.manifest);
  BH_ASSIGN_OR_RETURN(std::string manifest_entry, compress_full(as_bytes(manifest_text)));
  mar::MarBuildRequest archive;
  archive.product_information = result_.product_information;
  archive.pad_product_information = true;
  archive.entries.push_back({"updatev3.manifest", as_bytes(manifest_entry), 0644});
  for (const PlannedFile& f : plan.files) {
    FileReport report;
    report.path = f.path;
    const MarEntry& to_entry = *to_entries_.at(f.path);
    report.new_size = estimated_size(to_.entry_bytes(to_entry));
    report.full_bytes = full_entry(f.path).size();
    const PairJob* job = f.rule == FileRule::kChanged ? job_by_path.at(f.path) : nullptr;
    const bool patched = job != nullptr && job->use_patch;
    report.entry = archive_name(f, patched);
    if (patched) {
      archive.entries.push_back({report.entry, as_bytes(job->patch), 0644});
    } else {
      archive.entries.push_back({report.entry, full_entry(f.path), (to_entry.flags & 0111) != 0 ? 0755u : 0644u});
    }
    report.decision = patched ? "patch" : (f.rule == FileRule::kAddIfNot || f.rule == FileRule::kNewAddIfNot ? "add-if-not" : "add");
    report.reason = std::string(file_rule_name(f.rule));
    if (job != nullptr) {
      report.old_size = job->old_size;
      report.new_size = job->new_size;
      report.patch_bytes = job->patch_bytes;
      report.seconds = job->seconds;
      report.diff_seconds = job->diff_seconds;
      report.compress_seconds = job->compress_seconds;
      report.cache = job->cache;
      if (!patched) report.reason = job->patch_bytes >= report.full_bytes ? "changed, patch not smaller" : "changed, name clash";
    }
    result_.files.push_back(std::move(report));
  }
  for (const std::string& path : plan.unchanged) {
    FileReport report;
    report.path = path;
    report.decision = "unchanged";
    if (auto it = job_by_path.find(path); it != job_by_path.end()) {
      report.old_size = it->second->old_size;
      report.new_size = it->second->new_size;
      report.seconds = it->second->seconds;
      report.reason = "identical content";
    } else {
      report.reason = "identical entry";
    }
    result_.files.push_back(std::move(report));
  }
  for (const std::string& path : plan.removed) {
    FileReport report;
    report.path = path;
    report.decision = "remove";
    report.reason = "only in FROM";
    result_.files.push_back(std::move(report));
  }
  for (const PairJob& job : jobs_) {
    if (job.cache == "hit") ++result_.cache_hits;
    if (job.cache == "miss") ++result_.cache_misses;
    if (job.changed && job.cache != "hit") ++result_.diffs;
  }
  BH_ASSIGN_OR_RETURN(result_.mar, mar::build_mar(archive));
  return std::move(result_);
}

}  // namespace

nlohmann::json file_reports_json(const std::vector<FileReport>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const FileReport& f : files) {
    nlohmann::json row = {{"path", f.path}, {"decision", f.decision}, {"reason", f.reason}};
    if (!f.entry.empty()) row["entry"] = f.entry;
    if (f.old_size != 0) row["old_size"] = f.old_size;
    if (f.new_size != 0) row["new_size"] = f.new_size;
    if (f.patch_bytes != 0) row["patch_bytes"] = f.patch_bytes;
    if (f.full_bytes != 0) row["full_bytes"] = f.full_bytes;
    if (f.seconds != 0) row["seconds"] = f.seconds;
    if (!f.cache.empty()) row["cache"] = f.cache;
    out.push_back(std::move(row));
  }
  return out;
}

nlohmann::json manifest_json(const Manifest& manifest) {
  nlohmann::json out = nlohmann::json::array();
  for (const ManifestAction& a : manifest.actions) out.push_back(format_action(a));
  return out;
}

std::string patch_compression_identity(Compression compression, std::uint64_t xz_block_size) {
  if (compression == Compression::kBzip2) return "bz2;level=9";
  return fmt::format("xz;lzma2;preset=6;check=crc64;block={}", xz_block_size);
}

Result<PartialBuild> build_partial(const MarArchive& from, const MarArchive& to, const PartialOptions& options,
                                   Executor& executor) {
  if (!from.safe_to_extract() || !to.safe_to_extract()) {
    return fail(invalid_argument("a MAR opened for listing only cannot be read for a partial"));
  }
  Builder builder(from, to, options, executor);
  return builder.run();
}

}  // namespace bh::update

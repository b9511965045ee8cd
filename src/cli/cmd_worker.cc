// `buildhub worker`: builds partial jobs queued by `serve` on the same data directory (the job
// store and the caches are shared), without serving HTTP. Several may run at once, on one machine
// or (with a shared store) several.
#include "cli/commands.h"
#include "cli/signals.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

namespace bh::cli {
namespace {

struct WorkerFlags {
  StoreFlags store;
  LogFlags log;
  PartialServiceFlags partials;
  unsigned cpu_budget = 0;
  bool once = false;
};

int run_worker(const WorkerFlags& flags) {
  StopOnSignals signals;
  auto logger = make_logger(flags.log, "worker");
  auto config = partial_config(flags.partials);
  if (!config) return report_failure(config.error());
  Executor executor({.cpu_budget = flags.cpu_budget, .memory_budget = 0, .thread_name = "bh-worker", .nice_increment = 5});
  MetricsRegistry metrics;
  auto stack = app::build_partial_stack(store_request(flags.store), *config, executor, metrics, logger, nullptr);
  if (!stack) return report_failure(stack.error());
  if (flags.once) {
    auto ran = stack->service->run_pending(fmt::format("worker-once:{}", ::getpid()));
    if (!ran) return report_failure(ran.error());
    logger->info("no job left", {{"ran", *ran}});
    return 0;
  }
  stack->service->start(config->workers > 0 ? static_cast<unsigned>(config->workers) : 1u);
  std::mutex m;
  std::condition_variable cv;
  std::stop_callback wake(signals.token(), [&] { cv.notify_all(); });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return signals.token().stop_requested(); });
  }
  logger->info("stopping: finishing the jobs in hand");
  stack->service->stop();
  executor.shutdown();
  return 0;
}

}  // namespace

CommandRunner register_worker(CLI::App& app) {
  auto flags = std::make_shared<WorkerFlags>();
  CLI::App* cmd = app.add_subcommand("worker", "Build partial update jobs queued by `serve` on the same data directory");
  add_store_flags(*cmd, flags->store);
  add_log_flags(*cmd, flags->log);
  add_partial_flags(*cmd, flags->partials, false);
  cmd->add_option("--cpu-budget", flags->cpu_budget, "Threads for diffs and compression (0: one per core)")
      ->envname("BUILDHUB_CPU_BUDGET")
      ->capture_default_str();
  cmd->add_flag("--once", flags->once, "Build every job that can be claimed now, then exit");
  return [flags] { return run_worker(*flags); };
}

}  // namespace bh::cli

#include "net/http_client.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <random>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>

#include "core/version.h"

namespace bh::net {
namespace {

// curl_global_init is not safe to race with other curl calls; every client runs it once, first.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string body;
  HeaderList headers;
  std::size_t limit = 0;
  bool too_large = false;
  std::stop_token stop;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  t->body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->headers.clear();  // a new response (after a 100 Continue or a redirect)
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  if (name == "content-length") {
    std::uint64_t length = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && length > t->limit) {
      t->too_large = true;
      return 0;
    }
  }
  t->headers.emplace_back(std::move(name), std::string(value));
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stop.stop_requested() ? 1 : 0;
}

// Sleeps up to `d`, waking early when stop is requested. False when stopped.
bool sleep_unless_stopped(std::chrono::milliseconds d, const std::stop_token& stop) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stop.stop_requested()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  return !stop.stop_requested();
}

}  // namespace

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

std::string HttpReply::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

struct HttpClient::Attempt {
  CURLcode code = CURLE_OK;
  std::string error;
  HttpReply reply;
  bool too_large = false;
};

HttpClient::HttpClient(HttpClientOptions options, MetricsRegistry* metrics, std::shared_ptr<Logger> logger)
    : options_(std::move(options)), metrics_(metrics), logger_(logger ? std::move(logger) : Logger::null()) {
  init_curl_once();
  options_.max_attempts = std::max(options_.max_attempts, 1u);
  if (metrics_ != nullptr) {
    const MetricLabels labels = {{"service", options_.service}};
    requests_ = &metrics_->counter("buildhub_http_client_requests_total", "Outgoing HTTP requests, retries included",
                                   labels);
    failures_ = &metrics_->counter("buildhub_http_client_failures_total",
                                   "Outgoing HTTP calls that failed after every attempt", labels);
    duration_ = &metrics_->timer("buildhub_http_client_request_duration_seconds",
                                 "Outgoing HTTP attempts, from start to the last byte", labels);
  }
}

HttpClient::~HttpClient() {
  MutexLock lock(mutex_);
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::take_handle() {
  {
    MutexLock lock(mutex_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::give_back(void* handle) {
  if (handle == nullptr) return;
  MutexLock lock(mutex_);
  if (idle_.size() < options_.max_idle_handles) {
    idle_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

void HttpClient::count_retry(const std::string& reason) {
  if (metrics_ == nullptr) return;
  metrics_->counter("buildhub_http_client_retries_total", "Outgoing HTTP attempts that were retried",
                    {{"service", options_.service}, {"reason", reason}})
      .inc();
}

std::chrono::milliseconds HttpClient::backoff(unsigned attempt, const std::string& retry_after) const {
  std::int64_t seconds = 0;
  if (!retry_after.empty()) {
    const auto [ptr, ec] = std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
    if (ec == std::errc() && seconds >= 0) {
      return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), options_.backoff_max);
    }
  }
  const std::int64_t cap =
      std::min<std::int64_t>(options_.backoff_max.count(), options_.backoff_base.count() << std::min(attempt, 20u));
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(cap, 1));
  return std::chrono::milliseconds(pick(random));
}

HttpClient::Attempt HttpClient::attempt_once(void* raw, const HttpCall& call) {
  CURL* curl = static_cast<CURL*>(raw);
  curl_easy_reset(curl);
  Attempt out;
  Transfer transfer;
  transfer.limit = call.max_response_bytes;
  transfer.stop = call.stop;
  curl_slist* headers = nullptr;
  HeaderList all = call.headers;
  if (call.sign) {
    for (auto& h : call.sign()) all.push_back(std::move(h));
  }
  for (const auto& [name, value] : all) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  // curl adds "Expect: 100-continue" to larger bodies; S3-compatible servers vary in how they
  // answer it, and the round trip buys nothing for bodies this small.
  headers = curl_slist_append(headers, "Expect:");
  const std::string user_agent = fmt::format("buildhub/{}", version_info().version);
  const auto timeout = call.timeout.count() > 0 ? call.timeout : options_.total_timeout;
  char error[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  const auto stall = call.stall_timeout.count() > 0 ? call.stall_timeout : options_.stall_timeout;
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(stall.count() / 1000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may hold "//" and "/../": sent as they are
  curl_slist* resolve = nullptr;
  for (const std::string& entry : call.resolve) resolve = curl_slist_append(resolve, entry.c_str());
  if (resolve != nullptr) curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  const auto started = std::chrono::steady_clock::now();
  out.code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_RESOLVE, nullptr);
  curl_slist_free_all(resolve);
  if (duration_ != nullptr) duration_->observe(std::chrono::steady_clock::now() - started);
  if (requests_ != nullptr) requests_->inc();
  curl_slist_free_all(headers);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  out.reply.status = static_cast<int>(status);
  out.reply.headers = std::move(transfer.headers);
  out.reply.body = std::move(transfer.body);
  out.too_large = transfer.too_large;
  out.error = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(out.code));
  return out;
}

Result<HttpReply> HttpClient::send(const HttpCall& call) {
  void* handle = take_handle();
  if (handle == nullptr) return fail(internal_error("curl_easy_init failed"));
  struct GiveBack {
    HttpClient* client;
    void* handle;
    ~GiveBack() { client->give_back(handle); }
  } give_back_on_exit{this, handle};

  std::string last_error;
  for (unsigned attempt = 1;; ++attempt) {
    Attempt a = attempt_once(handle, call);
    a.reply.attempts = attempt;
    if (a.too_large) {
      return fail(too_large(fmt::format("{} {}: the response is larger than {} bytes", call.method, call.url,
                                        call.max_response_bytes)));
    }
    if (a.code == CURLE_ABORTED_BY_CALLBACK || call.stop.stop_requested()) {
      return fail(cancelled(fmt::format("{} {}: stopped", call.method, call.url)));
    }
    std::string reason;
    if (a.code == CURLE_OK) {
      if (!is_retryable_status(a.reply.status) || attempt >= options_.max_attempts) return std::move(a.reply);
      reason = a.reply.status == 429 ? "status_429" : "status_5xx";
      last_error = fmt::format("HTTP {}", a.reply.status);
    } else {
      if (a.code == CURLE_UNSUPPORTED_PROTOCOL || a.code == CURLE_URL_MALFORMAT) {
        return fail(invalid_argument(fmt::format("{} {}: {}", call.method, call.url, a.error)));
      }
      reason = a.code == CURLE_OPERATION_TIMEDOUT ? "timeout"
               : a.code == CURLE_COULDNT_CONNECT  ? "connect"
                                                  : "transport";
      last_error = a.error;
      // A connection that failed may be a dead pooled one: start the next attempt afresh.
      curl_easy_cleanup(static_cast<CURL*>(give_back_on_exit.handle));
      give_back_on_exit.handle = curl_easy_init();
      if (give_back_on_exit.handle == nullptr) return fail(internal_error("curl_easy_init failed"));
      handle = give_back_on_exit.handle;
      if (attempt >= options_.max_attempts) break;
    }
    count_retry(reason);
    const auto pause = backoff(attempt, a.code == CURLE_OK ? a.reply.header("retry-after") : "");
    logger_->warn("retrying", {{"service", options_.service},
                               {"method", call.method},
                               {"url", call.url},
                               {"attempt", attempt},
                               {"reason", reason},
                               {"error", last_error},
                               {"pause_ms", pause.count()}});
    if (!sleep_unless_stopped(pause, call.stop)) {
      return fail(cancelled(fmt::format("{} {}: stopped", call.method, call.url)));
    }
  }
  if (failures_ != nullptr) failures_->inc();
  return fail(unavailable(fmt::format("{} {}: {} (after {} attempts)", call.method, call.url, last_error,
                                      options_.max_attempts)));
}

}  // namespace bh::net

#include "core/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bh {
namespace {

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry registry;
  registry.counter("buildhub_test_total", "A counter", {{"method", "GET"}}).inc(3);
  registry.gauge("buildhub_records", "Records").set(42);
  Timer& t = registry.timer("buildhub_op_seconds", "An op", {}, {0.1, 1});
  t.observe_seconds(0.05);
  t.observe_seconds(0.5);
  t.observe_seconds(5);
  const std::string text = registry.render_prometheus();
  EXPECT_NE(text.find("# TYPE buildhub_test_total counter\nbuildhub_test_total{method=\"GET\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("buildhub_records 42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("buildhub_op_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("buildhub_op_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("buildhub_op_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("buildhub_op_seconds_count 3\n"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsIsSameMetric) {
  MetricsRegistry registry;
  Counter& a = registry.counter("x_total", "x", {{"k", "v"}});
  Counter& b = registry.counter("x_total", "x", {{"k", "v"}});
  Counter& c = registry.counter("x_total", "x", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  // A kind clash yields a detached metric that is never rendered.
  Gauge& g = registry.gauge("x_total", "x");
  g.set(7);
  EXPECT_EQ(registry.render_prometheus().find("x_total 7"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreCounted) {
  MetricsRegistry registry;
  Counter& c = registry.counter("n_total", "n");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.counter("e_total", "e", {{"path", "a\"b\\c\nd"}}).inc();
  EXPECT_NE(registry.render_prometheus().find(R"(e_total{path="a\"b\\c\nd"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace bh

#include "core/sync.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace bh {
namespace {

using namespace std::chrono_literals;

TEST(SharedMutex, ReadersShare) {
  SharedMutex m;
  m.lock_shared();
  std::atomic<bool> second_in{false};
  std::jthread t([&] {
    ReaderLock r(m);
    second_in = true;
  });
  t.join();
  EXPECT_TRUE(second_in.load());
  m.unlock_shared();
}

TEST(SharedMutex, AWaitingWriterHoldsNewReadersBack) {
  SharedMutex m;
  m.lock_shared();  // a long reader
  std::atomic<bool> writer_in{false}, reader_in{false};
  std::jthread writer([&] {
    WriterLock w(m);
    writer_in = true;
    std::this_thread::sleep_for(20ms);
  });
  std::this_thread::sleep_for(30ms);  // the writer is waiting now
  std::jthread reader([&] {
    ReaderLock r(m);
    reader_in = true;
    EXPECT_TRUE(writer_in.load());  // the writer went first
  });
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(reader_in.load());
  EXPECT_FALSE(writer_in.load());
  m.unlock_shared();
  writer.join();
  reader.join();
  EXPECT_TRUE(reader_in.load());
}

TEST(SharedMutex, APoliteWriterGivesUpAndLetsReadersBackIn) {
  SharedMutex m;
  m.lock_shared();
  std::atomic<bool> gave_up{false};
  std::jthread writer([&] {
    if (m.try_lock_for(50ms)) {
      m.unlock();
    } else {
      gave_up = true;
    }
  });
  writer.join();
  EXPECT_TRUE(gave_up.load());
  // A new reader is not held back by a writer that gave up.
  std::jthread reader([&] { ReaderLock r(m); });
  reader.join();
  m.unlock_shared();
  if (m.try_lock_for(1ms)) {
    m.unlock();
  } else {
    ADD_FAILURE() << "no reader is left, so the writer must get in";
  }
}

TEST(SharedMutex, WriterExcludesWriters) {
  SharedMutex m;
  int counter = 0;
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        WriterLock w(m);
        ++counter;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(counter, 8000);
}

}  // namespace
}  // namespace bh

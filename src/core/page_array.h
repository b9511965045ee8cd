// PageArray<T>: a fixed number of trivially copyable T in an anonymous memory mapping of their own.
//
// Why not std::vector: glibc raises its mmap threshold after a large block is freed, so the next
// blocks of that size come from the heap and stay resident after they are freed. Working arrays of
// hundreds of megabytes that live for one phase (the diff's suffix arrays) must give their pages
// back the moment they are dropped, or the peak memory is the sum of every phase.
//
// Contents start zeroed.
//
// Ownership: owns its mapping; movable, not copyable; the mapping is released by the destructor
// or reset(), and shrink() returns the whole pages past the new end at once.
// Thread safety: allocate/shrink/reset/move need exclusive access; distinct elements may be
// written from different threads, and any number of threads may read.
// Failure: allocate() returns kTooLarge when the count overflows or the system refuses the
// mapping; element access is unchecked (callers index within size()).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "core/status.h"

namespace bh {

template <typename T>
class PageArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  PageArray() = default;
  PageArray(PageArray&& other) noexcept { swap(other); }
  PageArray& operator=(PageArray&& other) noexcept {
    if (this != &other) {
      reset();
      swap(other);
    }
    return *this;
  }
  PageArray(const PageArray&) = delete;
  PageArray& operator=(const PageArray&) = delete;
  ~PageArray() { reset(); }

  // kTooLarge when the system refuses the mapping.
  static Result<PageArray> allocate(std::size_t count) {
    PageArray array;
    if (count == 0) return array;
    if (count > SIZE_MAX / sizeof(T)) return fail(too_large(fmt::format("{} elements overflow", count)));
    void* p = ::mmap(nullptr, count * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return fail(too_large(fmt::format("cannot map {} bytes of working memory", count * sizeof(T))));
    array.data_ = static_cast<T*>(p);
    array.size_ = count;
    return array;
  }

  // Keeps the first `count` elements and unmaps the whole pages after them.
  void shrink(std::size_t count) {
    if (count >= size_) return;
    if (count == 0) {
      reset();
      return;
    }
    const std::size_t page = 4096;
    const std::size_t keep = (count * sizeof(T) + page - 1) / page * page;
    const std::size_t mapped = (size_ * sizeof(T) + page - 1) / page * page;
    if (keep < mapped) ::munmap(reinterpret_cast<std::uint8_t*>(data_) + keep, mapped - keep);
    size_ = count;
  }

  void reset() {
    if (data_ != nullptr) ::munmap(data_, size_ * sizeof(T));
    data_ = nullptr;
    size_ = 0;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  void swap(PageArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace bh

// A fixed-capacity queue between threads: producers wait while it is full, so whatever runs ahead
// (image decoding) holds at most `capacity` items however long the input is.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace mnet {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("BoundedQueue: capacity 0");
  }

  // Waits for room; false (and `item` dropped) once the queue is closed.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    if (items_.size() > peak_) peak_ = items_.size();
    not_empty_.notify_one();
    return true;
  }

  // Waits for an item; nothing once the queue is closed and empty.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // Same as pop, but gives up (nothing) once `stop` is set, looking at it every kStopPollMs while
  // waiting: a signal handler can set a flag but cannot wake a condition variable.
  std::optional<T> pop(const std::atomic<bool>* stop) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!closed_ && items_.empty()) {
      if (stop && stop->load()) return std::nullopt;
      not_empty_.wait_for(lock, std::chrono::milliseconds(kStopPollMs));
    }
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  static constexpr int kStopPollMs = 50;

  // No more pushes: waiting producers return false, pop drains what is left, then returns nothing.
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t capacity() const { return capacity_; }
  // The most items it ever held at once.
  size_t peak() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  size_t peak_ = 0;
  bool closed_ = false;
};

}  // namespace mnet

// A queue of at most a fixed number of items from one producer thread to
// one consumer thread, so that the two overlap without either running far
// ahead of the other.
#ifndef YREB_COMMON_BOUNDED_QUEUE_H_
#define YREB_COMMON_BOUNDED_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace yreb {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Waits for room and queues `item`. Returns false once the consumer has
  // closed the queue; the item is dropped then.
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    ++pushed_;
    changed_.notify_all();
    return true;
  }

  // The producer's end: Pop returns the items left, then nothing.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    changed_.notify_all();
  }

  // Waits for the next item. Returns nullopt once the producer finished and
  // every item was taken, or once the queue is closed.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return closed_ || finished_ || !items_.empty(); });
    if (closed_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    changed_.notify_all();
    return item;
  }

  // The consumer reports that it has handled an item it popped.
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    changed_.notify_all();
  }

  // Waits until the consumer has handled every item pushed so far, or has
  // closed the queue.
  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return closed_ || done_ == pushed_; });
  }

  // The consumer's end: drops the queued items and fails later pushes.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    items_.clear();
    changed_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<T> items_;    // guarded by mu_
  size_t pushed_ = 0;      // guarded by mu_
  size_t done_ = 0;        // guarded by mu_
  bool finished_ = false;  // guarded by mu_
  bool closed_ = false;    // guarded by mu_
};

}  // namespace yreb

#endif  // YREB_COMMON_BOUNDED_QUEUE_H_

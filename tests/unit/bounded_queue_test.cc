#include "common/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace yreb {
namespace {

TEST(BoundedQueueTest, ItemsArriveInOrder) {
  BoundedQueue<int> queue(2);
  std::vector<int> received;
  std::thread consumer([&] {
    while (std::optional<int> item = queue.Pop()) {
      received.push_back(*item);
      queue.Done();
    }
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.Push(i));
  queue.Finish();
  consumer.join();
  ASSERT_EQ(received.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(received[i], i);
}

TEST(BoundedQueueTest, ProducerWaitsForRoom) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(1));
  std::atomic<bool> second_pushed = false;
  std::thread producer([&] {
    queue.Push(2);
    second_pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_pushed);  // full
  EXPECT_EQ(queue.Pop(), 1);
  producer.join();
  EXPECT_TRUE(second_pushed);

  // WaitIdle returns only once the consumer has handled both items.
  std::atomic<int> handled = 0;
  std::thread consumer([&] {
    queue.Done();  // item 1
    std::optional<int> item = queue.Pop();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    handled = *item;
    queue.Done();
  });
  queue.WaitIdle();
  EXPECT_EQ(handled, 2);
  consumer.join();
}

TEST(BoundedQueueTest, CloseReleasesAWaitingProducer) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(1));
  std::atomic<int> result = -1;
  std::thread producer([&] { result = queue.Push(2) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  queue.Close();
  producer.join();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_FALSE(queue.Push(3));
  queue.WaitIdle();  // returns at once when closed
}

}  // namespace
}  // namespace yreb

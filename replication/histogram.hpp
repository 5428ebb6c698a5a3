// A power-of-two histogram for latencies (microseconds): bucket i holds [2^(i-1), 2^i),
// bucket 0 holds 0. One writer at a time (a worker, or the monitor under its lock), relaxed
// atomics so a reporter on another thread can read it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace causeway::replication {

class LogHistogram {
 public:
  static constexpr std::size_t buckets = 40;
  using Totals = std::array<std::uint64_t, buckets>;

  void add(std::uint64_t v) {
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    std::size_t i = 0;
    while (v != 0 && i + 1 < buckets) {
      v >>= 1;
      ++i;
    }
    count_[i].store(count_[i].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // Adds this histogram's counts to `totals` (summing several writers' histograms).
  void add_to(Totals& totals) const {
    for (std::size_t i = 0; i < buckets; ++i) totals[i] += count_[i].load(std::memory_order_relaxed);
  }

  // The sum of every value added (Prometheus' histogram _sum).
  std::uint64_t sum() const { return sum_.load(std::memory_order_relaxed); }

  static std::uint64_t total(const Totals& t) {
    std::uint64_t n = 0;
    for (auto c : t) n += c;
    return n;
  }
  // The upper bound of the bucket that holds the q-quantile (0 < q <= 1); 0 when empty.
  static std::uint64_t quantile(const Totals& t, double q) {
    const std::uint64_t n = total(t);
    if (n == 0) return 0;
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(q * static_cast<double>(n) + 0.5));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
      seen += t[i];
      if (seen >= rank) return i == 0 ? 0 : (std::uint64_t{1} << i) - 1;
    }
    return std::uint64_t{1} << (buckets - 1);
  }

 private:
  std::array<std::atomic<std::uint64_t>, buckets> count_{};
  std::atomic<std::uint64_t> sum_{0};
};

}  // namespace causeway::replication

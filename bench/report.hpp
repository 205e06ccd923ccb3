// Collects measurements and prints them as tables of medians and ratios; writes CSV and JSON.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "runner.hpp"

namespace shmq::bench {

// "Intel(R) Xeon(R) ... , 2 cores, Linux 6.1.0"
std::string machine_description();

// CPU time the hypervisor gave to other guests while this one wanted it ("steal" in /proc/stat),
// in seconds summed over all CPUs; nullopt where the kernel does not report it.
std::optional<double> stolen_cpu_seconds();

class Report {
 public:
  explicit Report(std::string machine) : machine_(std::move(machine)) {}

  void add_throughput(const std::string& transport, std::pair<int, int> config, std::size_t size,
                      const std::optional<Throughput>& result);
  void add_memcpy(std::size_t size, double megabytes_per_second);
  void add_latency(const std::string& transport, const std::optional<Latency>& result);
  // Share of the machine's CPU time stolen by the host while the benchmark ran, in percent.
  void set_steal(double percent) { steal_percent_ = percent; }

  void print(std::ostream& out) const;
  void write_csv(const std::string& path) const;          // every sample
  void write_medians_csv(const std::string& path) const;  // one row per point, for plots
  void write_json(const std::string& path) const;
  [[nodiscard]] int failures() const { return failures_; }

 private:
  using Key = std::tuple<int, int, std::size_t, std::string>;  // producers, consumers, size, name
  [[nodiscard]] std::optional<double> median(const Key& key) const;  // msg/s
  enum class Unit { messages, megabytes };
  // A row per transport, a column per size: the medians in M msg/s or MB/s.
  void print_medians(std::ostream& out, std::pair<int, int> config, Unit unit) const;
  void print_config(std::ostream& out, std::pair<int, int> config) const;

  std::string machine_;
  std::optional<double> steal_percent_;
  std::vector<std::string> transports_;  // in first-seen order
  std::vector<std::size_t> sizes_;
  std::vector<std::pair<int, int>> configs_;
  std::map<Key, std::vector<double>> samples_;
  std::map<std::size_t, double> memcpy_;
  std::vector<std::pair<std::string, std::optional<Latency>>> latency_;
  int failures_ = 0;
};

}  // namespace shmq::bench

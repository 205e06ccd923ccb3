#include "report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <utility>

#include "json_output.hpp"

namespace shmq::bench {
namespace {

template <class T>
void remember(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

std::string size_label(std::size_t size) {
  if (size >= 1024 && size % 1024 == 0) return std::to_string(size / 1024) + "K";
  return std::to_string(size);
}

std::string cell(std::optional<double> value, int precision, const char* suffix = "") {
  if (!value) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << *value << suffix;
  return out.str();
}

}  // namespace

std::string machine_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name{};
  uname(&name);
  return model + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " + name.sysname +
         " " + name.release;
}

std::optional<double> stolen_cpu_seconds() {
  std::ifstream stat("/proc/stat");
  std::string label;
  // The first line: "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
  std::uint64_t fields[8] = {};
  if (!(stat >> label) || label != "cpu") return std::nullopt;
  for (auto& field : fields) {
    if (!(stat >> field)) return std::nullopt;
  }
  return static_cast<double>(fields[7]) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void Report::add_throughput(const std::string& transport, std::pair<int, int> config,
                            std::size_t size, const std::optional<Throughput>& result) {
  remember(transports_, transport);
  remember(sizes_, size);
  remember(configs_, config);
  if (!result) {
    ++failures_;
    return;
  }
  samples_[{config.first, config.second, size, transport}].push_back(result->messages_per_second());
}

void Report::add_memcpy(std::size_t size, double megabytes_per_second) {
  memcpy_[size] = megabytes_per_second;
}

void Report::add_latency(const std::string& transport, const std::optional<Latency>& result) {
  if (!result) ++failures_;
  latency_.emplace_back(transport, result);
}

std::optional<double> Report::median(const Key& key) const {
  const auto it = samples_.find(key);
  if (it == samples_.end() || it->second.empty()) return std::nullopt;
  auto values = it->second;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void Report::print_medians(std::ostream& out, std::pair<int, int> config, Unit unit) const {
  const auto [p, c] = config;
  out << std::left << std::setw(20) << "transport";
  for (auto size : sizes_) out << std::right << std::setw(10) << size_label(size) + " B";
  out << "\n";
  for (const auto& name : transports_) {
    out << std::left << std::setw(20) << name;
    for (auto size : sizes_) {
      const auto m = median({p, c, size, name});
      const double per = unit == Unit::megabytes ? static_cast<double>(size) : 1.0;
      out << std::right << std::setw(10)
          << cell(m ? std::optional(*m * per / 1e6) : std::nullopt, 2);
    }
    out << "\n";
  }
}

void Report::print_config(std::ostream& out, std::pair<int, int> config) const {
  const auto [p, c] = config;
  out << "\nThroughput, " << p << " producer(s) x " << c
      << " consumer(s): M msg/s (median), and shmq's ratio to boost-mq | pipe\n";
  print_medians(out, config, Unit::messages);
  for (const auto& name : transports_) {
    if (name.rfind("shmq", 0) != 0) continue;
    for (const char* base : {"boost-mq", "pipe"}) {
      out << std::left << std::setw(20) << (name + " / " + base).substr(0, 19);
      for (auto size : sizes_) {
        const auto a = median({p, c, size, name});
        const auto b = median({p, c, size, base});
        out << std::right << std::setw(10)
            << cell(a && b ? std::optional(*a / *b) : std::nullopt, 1, "x");
      }
      out << "\n";
    }
  }
  out << "The same in MB/s (median):\n";
  print_medians(out, config, Unit::megabytes);
}

void Report::print(std::ostream& out) const {
  out << "shmq-bench on " << machine_ << "\n";
  if (steal_percent_) {
    out << "host steal during the run: " << std::fixed << std::setprecision(0) << *steal_percent_
        << "% of CPU time (other guests' load slows every transport; compare ratios)\n";
    out.unsetf(std::ios::floatfield);
  }
  for (const auto& config : configs_) print_config(out, config);
  if (!memcpy_.empty()) {
    out << "\nBandwidth against single-core memcpy (1x1):\n";
    for (const auto& [size, bandwidth] : memcpy_) {
      out << "  " << size_label(size) << " B: memcpy " << std::fixed << std::setprecision(0)
          << bandwidth << " MB/s";
      for (const char* name : {"shmq", "shmq-zero-copy"}) {
        if (const auto m = median({1, 1, size, name})) {
          const double mb = *m * static_cast<double>(size) / 1e6;
          out << "; " << name << " " << mb << " MB/s = " << std::setprecision(0)
              << 100 * mb / bandwidth << "%";
        }
      }
      out << "\n";
    }
  }
  out << "\nRound trip, 64 B, one message in flight (microseconds):\n";
  out << std::left << std::setw(20) << "transport" << std::right << std::setw(10) << "p50"
      << std::setw(10) << "p99" << std::setw(10) << "p99.9" << "\n";
  for (const auto& [name, latency] : latency_) {
    out << std::left << std::setw(20) << name << std::right;
    if (latency) {
      out << std::setw(10) << cell(latency->p50_us, 2) << std::setw(10) << cell(latency->p99_us, 2)
          << std::setw(10) << cell(latency->p999_us, 2);
    } else {
      out << std::setw(10) << "failed";
    }
    out << "\n";
  }
  if (failures_ != 0) out << "\n" << failures_ << " run(s) failed or hung\n";
}

void Report::write_csv(const std::string& path) const {
  std::ofstream out(path);
  out << "transport,producers,consumers,size,msgs_per_sec,mb_per_sec\n";
  for (const auto& [key, values] : samples_) {
    const auto& [p, c, size, name] = key;
    for (double v : values) {
      out << name << "," << p << "," << c << "," << size << "," << v << ","
          << v * static_cast<double>(size) / 1e6 << "\n";
    }
  }
}

void Report::write_medians_csv(const std::string& path) const {
  std::ofstream out(path);
  out << "transport,producers,consumers,size,msgs_per_sec,mb_per_sec\n";
  for (const auto& [key, values] : samples_) {
    const auto& [p, c, size, name] = key;
    const double m = *median(key);
    out << name << "," << p << "," << c << "," << size << "," << m << ","
        << m * static_cast<double>(size) / 1e6 << "\n";
  }
}

void Report::write_json(const std::string& path) const {
  cli::Json throughput = cli::Json::array();
  for (const auto& [key, values] : samples_) {
    const auto& [p, c, size, name] = key;
    const double m = *median(key);
    const auto boost = median({p, c, size, "boost-mq"});
    const auto pipe = median({p, c, size, "pipe"});
    throughput.push_back({{"transport", name},
                          {"producers", p},
                          {"consumers", c},
                          {"size", size},
                          {"msgs_per_sec", m},
                          {"vs_boost_mq", boost ? m / *boost : 0},
                          {"vs_pipe", pipe ? m / *pipe : 0}});
  }
  cli::Json latency_us = cli::Json::array();
  for (const auto& [name, latency] : latency_) {
    if (!latency) continue;
    latency_us.push_back({{"transport", name},
                          {"p50", latency->p50_us},
                          {"p99", latency->p99_us},
                          {"p999", latency->p999_us}});
  }
  cli::Json memcpy_mb_per_sec = cli::Json::object();
  for (const auto& [size, bandwidth] : memcpy_) memcpy_mb_per_sec[std::to_string(size)] = bandwidth;

  cli::Json object = {{"machine", machine_}};
  if (steal_percent_) object["steal_percent"] = *steal_percent_;
  object["throughput"] = std::move(throughput);
  object["latency_us"] = std::move(latency_us);
  object["memcpy_mb_per_sec"] = std::move(memcpy_mb_per_sec);
  std::ofstream(path) << cli::json_line(cli::versioned(std::move(object)));
}

}  // namespace shmq::bench

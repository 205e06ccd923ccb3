#include "statistics.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace shmq::cli {

double RunStatistics::messages_per_second() const {
  return seconds > 0 ? static_cast<double>(messages) / seconds : 0.0;
}

double RunStatistics::megabytes_per_second() const {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

std::string summary_line(const RunStatistics& stats) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << stats.role << ": " << stats.messages
      << " messages, " << static_cast<double>(stats.bytes) / 1e6 << " MB in " << stats.seconds
      << " s: " << stats.messages_per_second() / 1e6 << " M msg/s, "
      << stats.megabytes_per_second() << " MB/s";
  for (const auto& [key, value] : stats.extra) out << ", " << key << " " << value;
  out << " (" << stats.outcome << ")";
  return out.str();
}

std::string to_json(const RunStatistics& stats) {
  std::ostringstream out;
  out << std::setprecision(10) << "{\"role\":\"" << stats.role << "\",\"name\":\"" << stats.name
      << "\",\"messages\":" << stats.messages << ",\"bytes\":" << stats.bytes
      << ",\"seconds\":" << stats.seconds << ",\"msgs_per_sec\":" << stats.messages_per_second()
      << ",\"mb_per_sec\":" << stats.megabytes_per_second() << ",\"outcome\":\"" << stats.outcome
      << "\"";
  for (const auto& [key, value] : stats.extra) out << ",\"" << key << "\":" << value;
  out << "}\n";
  return out.str();
}

void write_json_file(const RunStatistics& stats, const std::string& path) {
  std::ofstream file(path, std::ios::trunc);
  file << to_json(stats);
  file.close();
  if (!file) {
    throw std::runtime_error("cannot write statistics to '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace shmq::cli

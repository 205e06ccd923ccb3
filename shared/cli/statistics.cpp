#include "statistics.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "json_output.hpp"

namespace shmq::cli {

double RunStatistics::messages_per_second() const {
  return seconds > 0 ? static_cast<double>(messages) / seconds : 0.0;
}

double RunStatistics::megabytes_per_second() const {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

std::string scaled(double value, const char* unit) {
  std::ostringstream out;
  out << std::fixed;
  if (value >= 1e6) {
    out << std::setprecision(2) << value / 1e6 << " M" << unit;
  } else if (value >= 1e3) {
    out << std::setprecision(2) << value / 1e3 << " k" << unit;
  } else {
    out << std::setprecision(1) << value << (unit[0] == ' ' ? "" : " ") << unit;
  }
  return out.str();
}

std::string counted(std::uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string summary_line(const RunStatistics& stats) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << stats.role << ": "
      << counted(stats.messages, "message") << ", " << scaled(static_cast<double>(stats.bytes), "B")
      << " in " << stats.seconds << " s: " << scaled(stats.messages_per_second(), " msg/s") << ", "
      << scaled(stats.megabytes_per_second() * 1e6, "B/s");
  for (const auto& [key, value] : stats.extra) out << ", " << key << " " << value;
  out << " (" << stats.outcome << ")\n";
  return out.str();
}

std::string to_json(const RunStatistics& stats) {
  Json object = {{"role", stats.role},
                 {"name", stats.name},
                 {"messages", stats.messages},
                 {"bytes", stats.bytes},
                 {"seconds", stats.seconds},
                 {"msgs_per_sec", stats.messages_per_second()},
                 {"mb_per_sec", stats.megabytes_per_second()},
                 {"outcome", stats.outcome}};
  for (const auto& [key, value] : stats.extra) object[key] = value;
  return json_line(versioned(std::move(object)));
}

void write_json_file(const RunStatistics& stats, const std::string& path) {
  if (path == "-") {
    std::cout << to_json(stats);  // a failed write is reported by check_standard_output()
    return;
  }
  std::ofstream file(path, std::ios::trunc);
  file << to_json(stats);
  file.close();
  if (!file) {
    throw std::runtime_error("cannot write statistics to '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace shmq::cli

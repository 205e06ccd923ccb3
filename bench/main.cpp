// shmq-bench: throughput and latency of shmq against the usual alternatives, in one run, between
// real processes. Prints a table of medians and ratios; writes CSV and JSON for plots.
//
//   shmq-bench [--transports a,b] [--sizes 8,64,1K,64K] [--configs 1x1,2x2,4x4]
//              [--repetitions 3] [--run-ms 300] [--latency-trips 20000] [--out DIR] [--quick]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace po = boost::program_options;
using namespace shmq::bench;

namespace {

struct Settings {
  std::vector<std::string> transports;
  std::vector<std::size_t> sizes{8, 64, 512, 4096, 65536};
  std::vector<std::pair<int, int>> configs{{1, 1}, {2, 2}, {4, 4}};
  int repetitions = 3;
  std::uint32_t latency_trips = 20000;
  std::chrono::milliseconds run_time{300};  // producers send for this long in each run
  std::string out = "results";
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) parts.push_back(part);
  return parts;
}

Settings read_settings(int argc, char** argv) {
  po::options_description description("shmq-bench options");
  description.add_options()("help,h", "show this help")(
      "transports", po::value<std::string>(), "comma-separated transports (default: all)")(
      "sizes", po::value<std::string>(),
      "message sizes, K suffix allowed (default 8,64,512,4K,64K)")(
      "configs", po::value<std::string>(), "producers x consumers (default 1x1,2x2,4x4)")(
      "repetitions", po::value<std::string>(),
      "runs per point; the median is reported (default 3)")(
      "latency-trips", po::value<std::string>(), "round trips per latency run (default 20000)")(
      "run-ms", po::value<std::string>(),
      "milliseconds producers send in each throughput run (default 300)")(
      "out", po::value<std::string>(), "folder for CSV and JSON (default results)")(
      "quick", "a smoke run: 64 B and 4K, 1x1 and 2x2, one repetition, small runs");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, description), values);
  if (values.count("help")) {
    std::cout << description;
    std::exit(0);
  }
  Settings settings;
  if (values.count("quick")) {
    settings.sizes = {64, 4096};
    settings.configs = {{1, 1}, {2, 2}};
    settings.repetitions = 1;
    settings.latency_trips = 2000;
    settings.run_time = std::chrono::milliseconds(50);
  }
  if (values.count("transports"))
    settings.transports = split(values["transports"].as<std::string>());
  if (values.count("sizes")) {
    settings.sizes.clear();
    for (const auto& s : split(values["sizes"].as<std::string>())) {
      settings.sizes.push_back(shmq::cli::parse_size(s, "sizes"));
    }
  }
  if (values.count("configs")) {
    settings.configs.clear();
    for (const auto& c : split(values["configs"].as<std::string>())) {
      const auto x = c.find('x');
      if (x == std::string::npos)
        throw shmq::cli::UsageError("--configs '" + c + "': expected PxC");
      settings.configs.emplace_back(shmq::cli::parse_count_up_to(c.substr(0, x), "configs", 16),
                                    shmq::cli::parse_count_up_to(c.substr(x + 1), "configs", 16));
    }
  }
  const auto count_of = [&](const char* option, std::uint32_t max) {
    return shmq::cli::parse_count_up_to(values[option].as<std::string>(), option, max);
  };
  if (values.count("repetitions"))
    settings.repetitions = static_cast<int>(count_of("repetitions", 100));
  if (values.count("latency-trips"))
    settings.latency_trips = count_of("latency-trips", 100'000'000);
  if (values.count("run-ms"))
    settings.run_time = std::chrono::milliseconds(count_of("run-ms", 60000));
  if (values.count("out")) settings.out = values["out"].as<std::string>();
  return settings;
}

std::vector<std::unique_ptr<Transport>> selected(const Settings& settings) {
  auto transports = all_transports();
  if (settings.transports.empty()) return transports;
  std::vector<std::unique_ptr<Transport>> chosen;
  for (auto& t : transports) {
    if (std::find(settings.transports.begin(), settings.transports.end(), t->name()) !=
        settings.transports.end()) {
      chosen.push_back(std::move(t));
    }
  }
  return chosen;
}

std::unique_ptr<Transport> fresh(const std::string& name) {
  for (auto& t : all_transports()) {
    if (t->name() == name) return std::move(t);
  }
  return nullptr;
}

Spec spec_for(std::size_t size, std::pair<int, int> config, int run) {
  Spec spec;
  spec.name = "shmq-bench-" + std::to_string(getpid()) + "-" + std::to_string(run);
  spec.size = size;
  spec.capacity = size >= 65536 ? 256 : 1024;
  spec.producers = config.first;
  spec.consumers = config.second;
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  try {
    settings = read_settings(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shmq-bench: " << e.what() << "\n";
    return 2;
  }
  // POSIX message queues count against RLIMIT_MSGQUEUE; lift it where we may (as root).
  const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MSGQUEUE, &unlimited);

  Report report(machine_description());
  const auto steal_before = stolen_cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  auto transports = selected(settings);
  int run = 0;
  const bool show_progress = isatty(STDERR_FILENO) != 0;  // never in a pipe or a CI log
  for (int rep = 0; rep < settings.repetitions; ++rep) {
    for (const auto& config : settings.configs) {
      for (const std::size_t size : settings.sizes) {
        for (auto& transport : transports) {
          const Spec spec = spec_for(size, config, run++);
          if (!transport->supports(spec)) continue;
          std::optional<Throughput> result;
          try {
            result = measure_throughput(*transport, spec, settings.run_time);
          } catch (const std::exception& e) {
            std::cerr << "\nshmq-bench: " << transport->name() << ": " << e.what() << "\n";
          }
          if (show_progress) {
            std::cerr << "\r" << std::setw(20) << transport->name() << " " << config.first << "x"
                      << config.second << " " << std::setw(6) << size << " B  rep " << rep + 1
                      << "   " << std::flush;
          }
          report.add_throughput(transport->name(), config, size, result);
        }
      }
    }
  }
  if (show_progress) std::cerr << "\r" << std::string(60, ' ') << "\r";
  for (const std::size_t size : settings.sizes) {
    if (size >= 4096)
      report.add_memcpy(size, memcpy_bandwidth(size, spec_for(size, {1, 1}, 0).capacity));
  }
  for (auto& transport : transports) {
    auto requests = fresh(transport->name());
    auto responses = fresh(transport->name());
    const Spec spec = spec_for(64, {1, 1}, run++);
    report.add_latency(transport->name(),
                       measure_latency(*requests, *responses, spec, settings.latency_trips));
  }
  const auto steal_after = stolen_cpu_seconds();
  if (steal_before && steal_after) {
    const double cpu_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() *
        static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
    report.set_steal(100 * (*steal_after - *steal_before) / cpu_seconds);
  }
  report.print(std::cout);
  std::filesystem::create_directories(settings.out);
  report.write_csv(settings.out + "/throughput.csv");
  report.write_medians_csv(settings.out + "/medians.csv");
  report.write_json(settings.out + "/bench.json");
  std::cout << "\nwrote " << settings.out << "/throughput.csv, medians.csv and bench.json\n";
  return report.failures() == 0 ? 0 : 1;
}

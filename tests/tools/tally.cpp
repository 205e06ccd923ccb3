// shmq-tally: merges what consumers recorded (consumer --record) with what producers reported
// (producer --progress) and prints sent, received, lost, duplicated and corrupt, plus the queue's
// own recovery counters. Exits 1 if anything was lost or corrupt, or duplicates exceed a bound.
//
//   shmq-tally --records R1 R2 ... --progress P1 P2 ... [--queue NAME] [--max-duplicates N]
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include "delivery_record.hpp"
#include "shmq/detail/segment.hpp"

namespace po = boost::program_options;
using shmq::cli::DeliveryRecord;

namespace {

struct Totals {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t corrupt = 0;
};

// producer id -> how many times each sequence arrived
using Deliveries = std::map<std::uint32_t, std::vector<std::uint32_t>>;

void read_records(const std::string& path, Deliveries& deliveries, Totals& totals) {
  std::ifstream in(path, std::ios::binary);
  DeliveryRecord record{};
  while (in.read(reinterpret_cast<char*>(&record), sizeof record)) {
    if (record.producer == shmq::cli::kCorruptRecord) {
      ++totals.corrupt;
      continue;
    }
    auto& counts = deliveries[record.producer];
    if (record.sequence >= counts.size()) counts.resize(record.sequence + 1, 0);
    ++counts[record.sequence];
  }
}

// "<id> <accepted>" lines; several files may name one id (take the largest).
void read_progress(const std::string& path, std::map<std::uint32_t, std::uint64_t>& accepted) {
  std::ifstream in(path);
  std::uint32_t id = 0;
  std::uint64_t count = 0;
  while (in >> id >> count) accepted[id] = std::max(accepted[id], count);
}

Totals tally(Deliveries& deliveries, const std::map<std::uint32_t, std::uint64_t>& accepted) {
  Totals totals;
  for (const auto& [id, count] : accepted) {
    auto& counts = deliveries[id];
    if (counts.size() < count) counts.resize(count, 0);  // accepted but never seen: lost
  }
  for (const auto& [id, counts] : deliveries) {
    totals.sent += counts.size();
    for (const std::uint32_t times : counts) {
      if (times == 0) {
        ++totals.lost;
      } else {
        ++totals.received;
        totals.duplicated += times - 1;
      }
    }
  }
  return totals;
}

void print_queue_counters(const std::string& name) {
  try {
    const auto segment = shmq::Segment::open(name, shmq::OpenMode::open_only, shmq::QueueConfig{});
    const auto& m = segment.header().membership;
    std::cout << "queue: recoveries " << m.recoveries.load() << ", skipped " << m.skipped.load()
              << ", redelivered " << m.redelivered.load() << "\n";
  } catch (const std::exception& e) {
    std::cout << "queue: " << e.what() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description description("shmq-tally options");
  description.add_options()("records", po::value<std::vector<std::string>>()->multitoken(),
                            "consumer --record files")(
      "progress", po::value<std::vector<std::string>>()->multitoken(), "producer --progress files")(
      "queue", po::value<std::string>(), "also print this queue's recovery counters")(
      "max-duplicates", po::value<std::uint64_t>(), "fail if more duplicates than this");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
  } catch (const po::error& e) {
    std::cerr << "shmq-tally: " << e.what() << "\n";
    return 2;
  }
  Deliveries deliveries;
  Totals totals;
  std::map<std::uint32_t, std::uint64_t> accepted;
  if (values.count("records")) {
    for (const auto& path : values["records"].as<std::vector<std::string>>()) {
      read_records(path, deliveries, totals);
    }
  }
  if (values.count("progress")) {
    for (const auto& path : values["progress"].as<std::vector<std::string>>()) {
      read_progress(path, accepted);
    }
  }
  const std::uint64_t corrupt = totals.corrupt;
  totals = tally(deliveries, accepted);
  totals.corrupt = corrupt;
  std::printf("%12s %12s %8s %11s %8s\n", "sent", "received", "lost", "duplicated", "corrupt");
  std::printf("%12llu %12llu %8llu %11llu %8llu\n", static_cast<unsigned long long>(totals.sent),
              static_cast<unsigned long long>(totals.received),
              static_cast<unsigned long long>(totals.lost),
              static_cast<unsigned long long>(totals.duplicated),
              static_cast<unsigned long long>(totals.corrupt));
  if (values.count("queue")) print_queue_counters(values["queue"].as<std::string>());
  const bool too_many_duplicates = values.count("max-duplicates") &&
                                   totals.duplicated > values["max-duplicates"].as<std::uint64_t>();
  if (too_many_duplicates) std::cout << "FAIL: more duplicates than the killed consumers held\n";
  return totals.lost != 0 || totals.corrupt != 0 || too_many_duplicates ? 1 : 0;
}

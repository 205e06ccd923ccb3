#include "snapshot_report.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <string_view>
#include <utility>

#include "json_output.hpp"
#include "shmq/detail/header_validation.hpp"
#include "statistics.hpp"

namespace shmq::tool {

using cli::Json;
using cli::json_line;
using cli::versioned;

namespace {

// "1" or "1 (+2 dead)"
std::string attached(const QueueSnapshot& snapshot, layout::Role role) {
  std::string text = std::to_string(snapshot.count(role, true));
  const std::uint32_t dead = snapshot.count(role, false);
  if (dead != 0) text += " (+" + std::to_string(dead) + " dead)";
  return text;
}

// "42s", "17m", "5h", "3d": seconds below 2 minutes, minutes below 2 hours, hours below 2 days.
std::string age(std::chrono::seconds elapsed) {
  const std::int64_t seconds = std::max<std::int64_t>(elapsed.count(), 0);  // clocks may disagree
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 120 * 60) return std::to_string(seconds / 60) + "m";
  if (seconds < 48 * 3600) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::chrono::seconds age_of(const UnreadableFile& file, const Listing& listing) {
  return std::chrono::duration_cast<std::chrono::seconds>(listing.now - file.born);
}

// Two spaces past the longest name shown, and never narrower than the title.
int name_width(const Listing& listing) {
  std::size_t longest = std::string_view("NAME").size();
  for (const auto& row : listing.rows) longest = std::max(longest, row.name.size());
  for (const auto& file : listing.unreadable) longest = std::max(longest, file.name.size());
  return static_cast<int>(longest + 2);
}

// 1764594828.437 and "2025-12-01T13:13:48.437Z": the same millisecond.
std::pair<double, std::string> epoch_and_iso8601(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(ms.count() % 1000));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  return {static_cast<double>(ms.count()) / 1000.0, date + std::string(millis) + "Z"};
}

// What list and stat both say of a queue they could read.
void add_queue_fields(Json& object, const QueueSnapshot& s) {
  object["name"] = s.name;
  object["state"] = to_string(s.state());
  object["owner"] = s.owner;
  object["capacity"] = s.geometry.capacity;
  object["slot_size"] = s.geometry.slot_size;
  object["multi_producer"] = s.geometry.multi_producer;
  object["multi_consumer"] = s.geometry.multi_consumer;
  object["depth"] = s.depth;
  object["free_slots"] = s.free_slots;
  object["high_water"] = s.high_water;
  object["messages_in"] = s.messages_in;
  object["messages_out"] = s.messages_out;
  object["messages_waiting"] = s.messages_waiting();
  object["producers"] = s.count(layout::Role::producer, true);
  object["consumers"] = s.count(layout::Role::consumer, true);
  object["dead_producers"] = s.count(layout::Role::producer, false);
  object["dead_consumers"] = s.count(layout::Role::consumer, false);
}

void queue_table(std::ostringstream& out, const std::vector<ListRow>& rows, int width) {
  out << std::left << std::setw(width) << "NAME" << std::right << std::setw(8) << "CAPACITY"
      << std::setw(10) << "SLOT" << std::setw(10) << "DEPTH"
      << "  " << std::left << std::setw(14) << "PRODUCERS" << std::setw(14) << "CONSUMERS"
      << "STATE\n";
  for (const auto& row : rows) {
    out << std::left << std::setw(width) << row.name << std::right;
    if (!row.snapshot) {
      out << std::setw(8) << "-" << std::setw(10) << "-" << std::setw(10) << "-"
          << "  " << std::left << std::setw(14) << "-" << std::setw(14) << "-"
          << "unreadable: " << row.error << "\n";
      continue;
    }
    const QueueSnapshot& s = *row.snapshot;
    out << std::setw(8) << s.geometry.capacity << std::setw(10) << s.geometry.slot_size
        << std::setw(10) << s.depth << "  " << std::left << std::setw(14)
        << attached(s, layout::Role::producer) << std::setw(14)
        << attached(s, layout::Role::consumer) << to_string(s.state()) << "\n";
  }
}

// As ipcs shows segments: whose, what mode, how large, how old.
void unreadable_table(std::ostringstream& out, const Listing& listing, int width) {
  std::size_t owner_width = std::string_view("OWNER").size();
  for (const auto& file : listing.unreadable) {
    owner_width = std::max(owner_width, file.owner_name.size());
  }
  const int owner_column = static_cast<int>(owner_width + 2);
  out << std::left << std::setw(width) << "NAME" << std::setw(owner_column) << "OWNER"
      << std::setw(4) << "MODE" << std::right << std::setw(14) << "SIZE" << std::setw(7) << "AGE"
      << "  STATE\n";
  for (const auto& file : listing.unreadable) {
    out << std::left << std::setw(width) << file.name << std::setw(owner_column) << file.owner_name
        << std::setw(4) << octal_mode(file.mode) << std::right << std::setw(14) << file.size
        << std::setw(7) << age(age_of(file, listing)) << "  unreadable\n";
  }
}

}  // namespace

Rates rates_between(const QueueSnapshot& before, const QueueSnapshot& after, double seconds) {
  if (seconds <= 0) return {};
  // Counters only grow; a queue replaced in between would make them shrink: show 0 then.
  const auto per_second = [seconds](std::uint64_t from, std::uint64_t to) {
    return to >= from ? static_cast<double>(to - from) / seconds : 0.0;
  };
  return {per_second(before.messages_in, after.messages_in),
          per_second(before.messages_out, after.messages_out)};
}

std::string verdict(const QueueSnapshot& snapshot) {
  switch (snapshot.state()) {
    case QueueState::healthy:
      return "healthy";
    case QueueState::corrupt:
      return "corrupt: " + snapshot.problems.front();
    case QueueState::stale:
      break;
  }
  std::string pids;
  for (const auto& process : snapshot.processes) {
    if (!process.alive) {
      pids += (pids.empty() ? "" : ", ") + std::string(layout::to_string(process.role)) + " pid " +
              std::to_string(process.pid);
    }
  }
  return "stale: dead processes still attached (" + pids +
         "); the next process to attach or wait repairs it";
}

std::string list_table(const Listing& listing) {
  std::ostringstream out;
  const int width = name_width(listing);
  if (!listing.rows.empty()) queue_table(out, listing.rows, width);
  if (!listing.rows.empty() && !listing.unreadable.empty()) out << "\n";
  if (!listing.unreadable.empty()) unreadable_table(out, listing, width);
  if (listing.rows.empty() && listing.unreadable.empty()) out << "(no shmq queues in /dev/shm)\n";
  return out.str();
}

std::string list_json(const Listing& listing) {
  Json rows = Json::array();
  for (const auto& row : listing.rows) {
    Json object;
    if (row.snapshot) {
      add_queue_fields(object, *row.snapshot);
    } else {
      object = {{"name", row.name}, {"state", "unreadable"}, {"error", row.error}};
    }
    rows.push_back(versioned(std::move(object)));
  }
  for (const auto& file : listing.unreadable) {
    rows.push_back(versioned({{"name", file.name},
                              {"state", "unreadable"},
                              {"error", "permission denied"},
                              {"owner", file.owner},
                              {"owner_name", file.owner_name},
                              {"mode", octal_mode(file.mode)},
                              {"size", file.size},
                              {"age_seconds", age_of(file, listing).count()}}));
  }
  return json_line(rows);
}

std::string stat_text(const QueueSnapshot& s, const std::optional<Rates>& rates) {
  using cli::scaled;
  std::ostringstream out;
  out << "queue '" << s.name << "': " << verdict(s) << "\n"
      << "  ring      " << s.geometry.capacity << " slots x " << s.geometry.slot_size << " B, "
      << (s.geometry.multi_producer ? "multi" : "single") << "-producer, "
      << (s.geometry.multi_consumer ? "multi" : "single") << "-consumer, owner uid " << s.owner
      << "\n"
      << "  depth     " << s.depth << " slots waiting (" << s.messages_waiting() << " messages), "
      << s.free_slots << " free, high water " << s.high_water << "\n"
      << "  totals    " << s.messages_in << " in, " << s.messages_out << " out\n";
  if (rates) {
    out << "  rates     " << scaled(rates->in, " msg/s") << " in, " << scaled(rates->out, " msg/s")
        << " out\n";
  }
  out << "  waits     producers slept " << s.producer_waits << " times (ring full), consumers "
      << s.consumer_waits << " times (ring empty)\n"
      << "  recovery  " << s.recoveries << " dead processes reaped, " << s.skipped
      << " slots skipped, " << s.redelivered << " messages redelivered\n"
      << "  processes " << attached(s, layout::Role::producer) << " producers, "
      << attached(s, layout::Role::consumer) << " consumers (" << s.producers_ever << " and "
      << s.consumers_ever << " attached since creation)\n";
  for (const auto& process : s.processes) {
    out << "    pid " << std::left << std::setw(8) << process.pid << std::setw(9)
        << layout::to_string(process.role) << std::setw(6) << (process.alive ? "alive" : "dead")
        << std::right << " " << process.messages << " messages"
        << (process.by_lock ? "" : " (by pid and start time only: no attachment lock to probe)")
        << (process.note.empty() ? "" : ": " + process.note) << "\n";
  }
  if (s.end_owed) {
    out << "  end       owed by a producer that ends the stream only explicitly (a bridge): "
           "consumers wait for it or its successor\n";
  }
  for (const auto& problem : s.problems) out << "  problem   " << problem << "\n";
  return out.str();
}

std::string stat_json(const QueueSnapshot& s, const std::optional<Rates>& rates) {
  const auto [time, at] = epoch_and_iso8601(s.taken_at);
  Json object = {{"time", time}, {"at", at}};
  add_queue_fields(object, s);
  if (rates) {
    object["rate_in"] = rates->in;
    object["rate_out"] = rates->out;
  }
  object["producer_waits"] = s.producer_waits;
  object["consumer_waits"] = s.consumer_waits;
  object["recoveries"] = s.recoveries;
  object["skipped"] = s.skipped;
  object["redelivered"] = s.redelivered;
  object["producers_ever"] = s.producers_ever;
  object["consumers_ever"] = s.consumers_ever;
  object["end_owed"] = s.end_owed;
  Json processes = Json::array();
  for (const auto& p : s.processes) {
    processes.push_back({{"pid", p.pid},
                         {"role", layout::to_string(p.role)},
                         {"alive", p.alive},
                         {"alive_by_lock", p.by_lock},
                         {"messages", p.messages},
                         {"note", p.note}});
  }
  object["processes"] = std::move(processes);
  object["problems"] = s.problems;
  return json_line(versioned(std::move(object)));
}

}  // namespace shmq::tool

// What both bridges share about a run: the live progress line, the connection's events on
// stderr (and in the note `shmq stat` shows), and the final statistics.
#pragma once

#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "bridge_settings.hpp"
#include "nats_session.hpp"
#include "progress_line.hpp"
#include "run_end.hpp"
#include "statistics.hpp"

namespace shmq::bridge {

struct RunReport : cli::RunEnd {
  explicit RunReport(const BridgeSettings& settings)
      : RunEnd("end-of-stream"),
        program(settings.program()),
        line(program, !settings.common.quiet) {}

  // Prints what happened to the connection since the last call, and returns whether anything
  // did (the caller then renews its note: the node it is connected to changed).
  bool tell_connection_events(NatsSession& session) {
    auto event = session.take_event();
    if (!event) return false;
    line.clear();
    std::cerr << program << ": " << *event << "\n";
    return true;
  }

  // Prints the summary line (unless quiet) and writes --json; returns the exit code.
  int finish(const BridgeSettings& settings,
             std::vector<std::pair<std::string, std::uint64_t>> extra) {
    line.clear();
    cli::RunStatistics stats{program,
                             settings.common.name,
                             messages,
                             bytes,
                             since_first_message ? since_first_message->seconds() : 0.0,
                             outcome(),
                             std::move(extra)};
    if (!settings.common.quiet) std::cerr << cli::summary_line(stats);
    if (!settings.common.json_path.empty()) cli::write_json_file(stats, settings.common.json_path);
    return exit_code();
  }

  std::string program;
  cli::ProgressLine line;
  std::optional<cli::Stopwatch> since_first_message;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

}  // namespace shmq::bridge

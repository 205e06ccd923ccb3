// How a producer or consumer run ends: the exit code, and the outcome its statistics report.
#pragma once

#include <string>

#include "exit_codes.hpp"
#include "shmq/errors.hpp"

namespace shmq::cli {

class RunEnd {
 public:
  explicit RunEnd(std::string normal_outcome) : outcome_(std::move(normal_outcome)) {}

  // Records why the run stops early; the first reason wins. A lost queue is also reported on
  // stderr, in one line.
  void stop_on(Status status, const char* program, const std::string& queue);
  void stop(int exit_code, std::string outcome);

  [[nodiscard]] bool stopped() const noexcept { return exit_code_ != kExitOk; }
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }
  [[nodiscard]] const std::string& outcome() const noexcept { return outcome_; }

 private:
  int exit_code_ = kExitOk;
  std::string outcome_;
};

}  // namespace shmq::cli

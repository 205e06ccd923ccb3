// --progress FILE: after every batch, the producer overwrites FILE with "<producer id> <messages
// accepted>\n" in one pwrite of fixed width, so that whoever kills it (-9) still finds a lower
// bound of what it had handed to the queue. Used by scripts/integration-test.sh.
#pragma once

#include <cstdint>
#include <string>

namespace shmq::producer {

class ProgressFile {
 public:
  ProgressFile() = default;
  // Throws std::runtime_error if the file cannot be created.
  ProgressFile(const std::string& path, std::uint32_t producer_id);
  ~ProgressFile();
  ProgressFile(ProgressFile&& other) noexcept;
  ProgressFile& operator=(ProgressFile&& other) noexcept;

  void record(std::uint64_t accepted) const noexcept;

 private:
  int fd_ = -1;
  std::uint32_t producer_id_ = 0;
};

}  // namespace shmq::producer

#include "subject_match.hpp"

#include <sstream>
#include <vector>

namespace shmq::bridge {

namespace {

std::vector<std::string> tokens(const std::string& subject) {
  std::vector<std::string> parts;
  std::istringstream in(subject);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

}  // namespace

bool subject_covers(const std::string& pattern, const std::string& subject) {
  const auto want = tokens(pattern);
  const auto have = tokens(subject);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == ">") return i < have.size();  // the rest, at least one token
    if (i >= have.size()) return false;
    if (want[i] == "*") {
      if (have[i] == ">") return false;  // one token cannot cover any number of them
      continue;
    }
    if (want[i] != have[i]) return false;
  }
  return want.size() == have.size();
}

}  // namespace shmq::bridge

// shmq: look at and look after the queues on this host (list, stat, check, remove).
#include <unistd.h>

#include <iostream>

#include "exit_codes.hpp"
#include "options.hpp"
#include "shmq/errors.hpp"
#include "signals.hpp"
#include "snapshot_report.hpp"

namespace po = boost::program_options;
using namespace shmq;
using namespace shmq::cli;
using namespace shmq::tool;

namespace {

constexpr const char* kSynopsis =
    "Looks at the shmq queues in /dev/shm without attaching to them or writing to them (except\n"
    "remove).\n"
    "Commands:\n"
    "  list          every shmq queue on this host: geometry, depth, attached processes, state;\n"
    "                then the files this user may not open that could be queues (another\n"
    "                user's): owner, mode, size and age, state unreadable\n"
    "  stat NAME     one queue in detail: header, depth, high water, totals, rates, waits,\n"
    "                recoveries and every attached process (pid, role, alive)\n"
    "  check NAME    validate a queue and say what is wrong; exit 0 if healthy, 3 if not\n"
    "  remove NAME   remove a queue; refused (exit 7) while live processes are attached, and\n"
    "                (exit 3) for another user's file that is no queue, or no regular file\n"
    "States: healthy; stale (dead processes still attached: the next process to attach or wait\n"
    "repairs it); corrupt (an invariant is broken: remove and recreate it).\n"
    "A word after COMMAND and NAME is a usage error (exit 2); a standard output that cannot be\n"
    "written is exit 1.";

struct Settings {
  std::string command;
  std::string name;
  bool json = false;
  bool watch = false;
  bool force = false;
  std::optional<std::chrono::nanoseconds> interval;
  std::optional<std::uint64_t> count;
};

Settings read_settings(const po::variables_map& values) {
  Settings settings;
  if (!values.count("command")) throw UsageError("no command given (list, stat, check, remove)");
  settings.command = values["command"].as<std::string>();
  if (values.count("name")) settings.name = values["name"].as<std::string>();
  settings.json = values.count("json") != 0;
  settings.watch = values.count("watch") != 0;
  settings.force = values.count("force") != 0;
  if (values.count("interval")) {
    settings.interval = parse_seconds(values["interval"].as<std::string>(), "interval");
  }
  if (values.count("count")) {
    settings.count = parse_count(values["count"].as<std::string>(), "count");
  }

  const bool is_list = settings.command == "list";
  if (!is_list && settings.command != "stat" && settings.command != "check" &&
      settings.command != "remove") {
    throw UsageError("unknown command '" + settings.command + "' (list, stat, check, remove)");
  }
  if (is_list != settings.name.empty()) {
    throw UsageError(is_list ? "list takes no queue name"
                             : settings.command + " needs a queue name");
  }
  if (settings.json && settings.command != "list" && settings.command != "stat") {
    throw UsageError("--json is for list and stat");
  }
  if ((settings.watch || settings.interval || settings.count) && settings.command != "stat") {
    throw UsageError("--watch, --interval and --count are for stat");
  }
  if (settings.count && !settings.watch) throw UsageError("--count needs --watch");
  if (settings.force && settings.command != "remove") throw UsageError("--force is for remove");
  return settings;
}

int list(const Settings& settings) {
  QueueListing found = list_queues();
  Listing listing{{}, std::move(found.unreadable), std::chrono::system_clock::now()};
  for (const auto& name : found.names) {
    ListRow row{name, std::nullopt, {}};
    try {
      row.snapshot = inspect_queue(name);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::not_found) continue;  // removed since the directory was read
      row.error = e.what();
    }
    listing.rows.push_back(std::move(row));
  }
  std::cout << (settings.json ? list_json(listing) : list_table(listing));
  return kExitOk;
}

int stat(const Settings& settings) {
  using namespace std::chrono_literals;
  const auto interval = settings.interval.value_or(settings.watch ? 1s : 200ms);
  const double seconds = std::chrono::duration<double>(interval).count();
  const bool refresh_in_place = settings.watch && !settings.json && isatty(STDOUT_FILENO) != 0;
  install_stop_handlers();
  QueueSnapshot before = inspect_queue(settings.name);
  for (std::uint64_t shown = 0; !settings.count || shown < *settings.count; ++shown) {
    if (!pause_unless_stopped(interval)) break;
    const QueueSnapshot now = inspect_queue(settings.name);
    const Rates rates = rates_between(before, now, seconds);
    if (refresh_in_place) std::cout << "\033[H\033[2J";  // home, clear screen
    std::cout << (settings.json ? stat_json(now, rates) : stat_text(now, rates)) << std::flush;
    if (!settings.watch) break;
    before = now;
  }
  return kExitOk;
}

int check(const Settings& settings) {
  const QueueSnapshot snapshot = inspect_queue(settings.name);
  std::cout << "queue '" << settings.name << "': " << verdict(snapshot) << "\n";
  for (std::size_t i = 1; i < snapshot.problems.size(); ++i) {
    std::cout << "  also: " << snapshot.problems[i] << "\n";
  }
  return snapshot.state() == QueueState::healthy ? kExitOk : kExitBadQueue;
}

int run(int argc, char** argv) {
  po::options_description description("Options");
  description.add_options()
      ("json", "list, stat: print JSON (stat --watch: one object per line; each stat object "
               "begins with \"time\", seconds since the Unix epoch to the millisecond, and "
               "\"at\", the same in ISO 8601 UTC)")
      ("watch", "stat: refresh until interrupted; in place when standard output is a terminal")
      ("interval", po::value<std::string>(),
       "stat: seconds between refreshes, and over which rates are measured "
       "(default 1 with --watch, 0.2 without)")
      ("count", po::value<std::string>(), "stat --watch: stop after this many refreshes")
      ("force", "remove: even while live processes are attached")
      ("help,h", "show this help")
      ("version", "show the version");
  po::options_description hidden;
  hidden.add_options()
      ("command", po::value<std::string>())
      ("name", po::value<std::string>());
  po::positional_options_description order;
  order.add("command", 1).add("name", 1);
  po::variables_map values;
  if (!parse_command_line(argc, argv, "shmq", kSynopsis, description, values,
                          Positionals{" COMMAND [NAME]", &hidden, &order})) {
    return kExitOk;
  }
  const Settings settings = read_settings(values);
  if (settings.command == "list") return list(settings);
  if (settings.command == "stat") return stat(settings);
  if (settings.command == "check") return check(settings);
  return remove_queue("shmq", settings.name, false, settings.force);
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("shmq", [&] { return run(argc, argv); });
}

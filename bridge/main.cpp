// shmq-bridge: carries a queue across hosts through NATS JetStream. `out` publishes a queue's
// messages to a stream; `in` fills a queue from a durable consumer of that stream.
#include <climits>
#include <iostream>
#include <string>

#include "bridge_settings.hpp"
#include "exit_codes.hpp"
#include "inbound.hpp"
#include "outbound.hpp"
#include "signals.hpp"

namespace po = boost::program_options;
using namespace shmq;
using namespace shmq::bridge;
using namespace shmq::cli;

namespace {

constexpr const char* kSynopsis =
    "Carries a queue between hosts through NATS JetStream (one bridge on each host):\n"
    "  shmq-bridge out --queue Q --nats URL[,URL...] --stream S --subject SUBJECT\n"
    "      attaches to Q as a consumer and publishes every message to stream S (created with\n"
    "      --replicas and file storage if missing; refused if S exists and its subjects do not\n"
    "      cover SUBJECT). A batch goes back to Q's ring only once JetStream has acknowledged\n"
    "      all of it, each message under a Nats-Msg-Id made from its place in Q: a killed\n"
    "      bridge loses nothing, and what its successor publishes again is dropped by the\n"
    "      stream's duplicate window (exactly once into the stream). When every producer of Q\n"
    "      has left, it publishes an end-of-stream marker (a header) and exits 0; attaching to a\n"
    "      queue whose stream has already ended, it carries that end. A queue it creates is\n"
    "      single-consumer (it keeps several batches in flight) unless --consumers multi.\n"
    "  shmq-bridge in --queue Q --nats URL[,URL...] --stream S --durable NAME\n"
    "      fills Q, as its producer, from the durable pull consumer NAME of stream S (created\n"
    "      if missing; waits for S to appear). A message is acknowledged only once it is in the\n"
    "      ring: a killed bridge loses nothing and its successor duplicates at most --batch\n"
    "      messages. A full ring stops the pulling; nothing is dropped. At the marker it ends\n"
    "      Q's stream (its consumers see end of stream) and exits 0. It attaches as a producer\n"
    "      that ends the stream only explicitly: killed, it is no end of stream, and Q's\n"
    "      consumers wait for its successor (run it under a supervisor).\n"
    "--follow keeps either side running past an end of stream. A NATS node lost is replaced\n"
    "by another URL of the cluster; with the whole cluster gone, out keeps the messages in\n"
    "the ring (producers feel backpressure) and in stops filling, each saying so once, until\n"
    "--timeout: any wait without progress that long (for messages, room, acknowledgements,\n"
    "the cluster) ends the run with exit 4. A message the stream or the queue cannot hold\n"
    "(too large) is refused with a one-line error: out goes on without it and exits 6; in\n"
    "leaves it in the stream, unacknowledged, and exits 6. `shmq stat` shows a bridge beside\n"
    "its queue's other processes, with what it is connected to.";

std::string required(const po::variables_map& values, const char* option, const char* for_what) {
  if (!values.count(option)) {
    throw UsageError(std::string(for_what) + " needs --" + option);
  }
  return values[option].as<std::string>();
}

BridgeSettings read_settings(const po::variables_map& values) {
  BridgeSettings settings;
  if (!values.count("direction")) throw UsageError("say which way: out or in");
  const auto direction = values["direction"].as<std::string>();
  if (direction != "out" && direction != "in") {
    throw UsageError("unknown direction '" + direction + "' (out or in)");
  }
  settings.direction = direction == "out" ? Direction::out : Direction::in;
  const char* program = settings.program();
  settings.common = read_common_options(values);
  if (values.count("queue")) {
    if (!values["name"].defaulted()) throw UsageError("give the queue once: --queue or --name");
    settings.common.name = values["queue"].as<std::string>();
  } else if (values["name"].defaulted()) {
    throw UsageError(std::string(program) + " needs --queue");
  }
  settings.nats.urls = split_urls(values["nats"].as<std::string>(), "nats");
  settings.nats.client_name = program;
  settings.nats.send_at_once = settings.direction == Direction::in;
  if (values.count("creds")) settings.nats.creds = values["creds"].as<std::string>();
  if (values.count("user")) settings.nats.user = values["user"].as<std::string>();
  if (values.count("password")) {
    if (settings.nats.user.empty()) throw UsageError("--password needs --user");
    settings.nats.password = values["password"].as<std::string>();
  }
  settings.stream = required(values, "stream", program);
  settings.follow = values.count("follow") != 0;
  const auto only_for = [&](const char* option, Direction side) {
    if (values.count(option) && settings.direction != side) {
      throw UsageError(std::string("--") + option + " is for shmq-bridge " +
                       (side == Direction::out ? "out" : "in"));
    }
  };
  for (const char* option :
       {"subject", "replicas", "max-pending", "duplicate-window", "max-message-size"}) {
    only_for(option, Direction::out);
  }
  for (const char* option : {"durable", "batch", "ack-wait"}) only_for(option, Direction::in);
  if (settings.direction == Direction::out) {
    settings.subject = required(values, "subject", program);
    if (values.count("replicas")) {
      settings.replicas = static_cast<int>(
          parse_count_up_to(values["replicas"].as<std::string>(), "replicas", 5));
    }
    if (values.count("max-pending")) {
      settings.max_pending =
          parse_count_up_to(values["max-pending"].as<std::string>(), "max-pending", 1U << 16);
    }
    if (values.count("duplicate-window")) {
      settings.duplicate_window =
          parse_seconds(values["duplicate-window"].as<std::string>(), "duplicate-window");
    }
    if (values.count("max-message-size")) {
      const std::uint64_t size =
          parse_size(values["max-message-size"].as<std::string>(), "max-message-size");
      if (size > INT32_MAX) throw UsageError("--max-message-size must be below 2G");
      settings.max_message_size = static_cast<std::int32_t>(size);
    }
  } else {
    settings.durable = required(values, "durable", program);
    if (values.count("batch")) {
      settings.batch = parse_count_up_to(values["batch"].as<std::string>(), "batch", 1U << 16);
    }
    if (values.count("ack-wait")) {
      settings.ack_wait = parse_seconds(values["ack-wait"].as<std::string>(), "ack-wait");
    }
  }
  return settings;
}

int run(int argc, char** argv) {
  po::options_description description("Options");
  add_common_options(description);
  description.add_options()
      ("queue", po::value<std::string>(), "the queue to bridge (as --name)")
      ("nats", po::value<std::string>()->default_value("nats://127.0.0.1:4222"),
       "the cluster's URLs, comma-separated: nats://host:port, or tls://host:port for TLS")
      ("stream", po::value<std::string>(), "the JetStream stream")
      ("subject", po::value<std::string>(), "out: the subject to publish on")
      ("replicas", po::value<std::string>(), "out: replicas of a stream we create, 1-5 (default 3)")
      ("max-pending", po::value<std::string>(),
       "out: messages taken from the ring and published before their acknowledgements, "
       "1-65536 (default 1024)")
      ("duplicate-window", po::value<std::string>(),
       "out: seconds JetStream remembers message ids, for a stream we create (default 120): "
       "a bridge restarted within it publishes nothing twice")
      ("max-message-size", po::value<std::string>(),
       "out: the largest message, headers included, of a stream we create (default: the "
       "server's max_payload)")
      ("durable", po::value<std::string>(), "in: the durable consumer's name")
      ("batch", po::value<std::string>(),
       "in: messages per fetch, 1-65536 (default 256); a killed bridge duplicates at most this "
       "many")
      ("ack-wait", po::value<std::string>(),
       "in: seconds before JetStream delivers again what a dead bridge fetched, for a durable "
       "we create (default 30)")
      ("follow", "keep running past an end of stream (out publishes no marker, in obeys none)")
      ("creds", po::value<std::string>(), "NATS credentials file (JWT and NKey seed)")
      ("user", po::value<std::string>(), "NATS user name")
      ("password", po::value<std::string>(), "NATS password (with --user)");
  po::options_description hidden;
  hidden.add_options()("direction", po::value<std::string>());
  po::positional_options_description order;
  order.add("direction", 1);
  po::variables_map values;
  if (!parse_command_line(argc, argv, "shmq-bridge", kSynopsis, description, values,
                          Positionals{" out|in", &hidden, &order})) {
    return kExitOk;
  }
  const BridgeSettings settings = read_settings(values);
  if (settings.common.remove) {
    return remove_queue(settings.program(), settings.common.name, settings.common.quiet, false,
                        settings.common.config);
  }
  const auto& stop = install_stop_handlers();
  try {
    return settings.direction == Direction::out ? run_out(settings, stop)
                                                : run_in(settings, stop);
  } catch (const BridgeFailure& failure) {
    std::cerr << settings.program() << ": " << failure.what() << "\n";
    return failure.exit_code();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int code = run_guarded("shmq-bridge", [&] { return run(argc, argv); });
  nats_Close();  // the library's threads, before static destructors run
  return code;
}

// hello-queue: a producer and a consumer, as two processes, on one shmq queue.
//   hello-queue [NAME]
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <shmq/shmq.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "hello-queue-" + std::to_string(getpid());
  shmq::QueueConfig config;
  config.capacity = 16;
  config.slot_size = 256;
  shmq::Consumer consumer(name, shmq::OpenMode::create_only, config);

  const pid_t child = fork();
  if (child == 0) {  // the producer process
    shmq::Producer producer(name, shmq::OpenMode::open_only);
    for (const std::string text : {"hello", "from", "another", "process"}) {
      if (producer.put(std::as_bytes(std::span(text))) != shmq::Status::ok) _exit(1);
    }
    producer.close();  // the last producer to detach ends the stream
    _exit(0);
  }

  std::vector<std::byte> message;
  int received = 0;
  while (consumer.get(message) == shmq::Status::ok) {
    std::cout << std::string(reinterpret_cast<const char*>(message.data()), message.size()) << "\n";
    ++received;
  }
  int status = 0;
  waitpid(child, &status, 0);
  consumer.close();
  shmq::remove_queue(name);
  const bool ok = received == 4 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::cout << (ok ? "hello-queue: 4 messages received" : "hello-queue: FAILED") << "\n";
  return ok ? 0 : 1;
}

// The kernel's own answers: an anonymous pipe, a Unix SOCK_SEQPACKET socket pair, a POSIX
// message queue. One system call per message each way, as these are normally used.
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "transports.hpp"

namespace shmq::bench {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void write_all(int fd, std::span<const std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) fail("write");
    if (n > 0) done += static_cast<std::size_t>(n);
  }
}

void read_all(int fd, std::span<std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n == 0) throw std::runtime_error("read: end of file");
    if (n < 0 && errno != EINTR) fail("read");
    if (n > 0) done += static_cast<std::size_t>(n);
  }
}

// A pair of file descriptors made before fork(): the write end for senders, the read end for
// receivers.
class FdSender final : public Sender {
 public:
  explicit FdSender(int fd) : fd_(fd) {}
  void send(std::span<const std::byte> message) override { write_all(fd_, message); }

 private:
  int fd_;
};

class FdReceiver final : public Receiver {
 public:
  explicit FdReceiver(int fd) : fd_(fd) {}
  void receive(std::span<std::byte> out) override { read_all(fd_, out); }

 private:
  int fd_;
};

class FdPairTransport : public Transport {
 public:
  void destroy() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  std::unique_ptr<Sender> sender() override { return std::make_unique<FdSender>(fds_[1]); }
  std::unique_ptr<Receiver> receiver() override { return std::make_unique<FdReceiver>(fds_[0]); }

 protected:
  int fds_[2] = {-1, -1};
};

class PipeTransport final : public FdPairTransport {
 public:
  std::string name() const override { return "pipe"; }
  // A reader may get part of a message, so only one reader; writes are atomic up to PIPE_BUF.
  bool supports(const Spec& spec) const override {
    return spec.consumers == 1 && (spec.producers == 1 || spec.size <= PIPE_BUF);
  }
  void create(const Spec&) override {
    if (::pipe(fds_) != 0) fail("pipe");
  }
};

class SocketTransport final : public FdPairTransport {
 public:
  std::string name() const override { return "unix-socket"; }
  void create(const Spec& spec) override {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds_) != 0) fail("socketpair");
    // Room for the same number of messages as the other transports' rings, if allowed.
    const int bytes =
        static_cast<int>(std::min<std::size_t>(spec.capacity * (spec.size + 64), 1 << 26));
    setsockopt(fds_[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    setsockopt(fds_[0], SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
};

class PosixMqSender final : public Sender {
 public:
  explicit PosixMqSender(const std::string& name) : mq_(mq_open(name.c_str(), O_WRONLY)) {
    if (mq_ == static_cast<mqd_t>(-1)) fail("mq_open");
  }
  ~PosixMqSender() override { mq_close(mq_); }
  void send(std::span<const std::byte> message) override {
    while (mq_send(mq_, reinterpret_cast<const char*>(message.data()), message.size(), 0) != 0) {
      if (errno != EINTR) fail("mq_send");
    }
  }

 private:
  mqd_t mq_;
};

class PosixMqReceiver final : public Receiver {
 public:
  explicit PosixMqReceiver(const std::string& name) : mq_(mq_open(name.c_str(), O_RDONLY)) {
    if (mq_ == static_cast<mqd_t>(-1)) fail("mq_open");
  }
  ~PosixMqReceiver() override { mq_close(mq_); }
  void receive(std::span<std::byte> out) override {
    while (mq_receive(mq_, reinterpret_cast<char*>(out.data()), out.size(), nullptr) < 0) {
      if (errno != EINTR) fail("mq_receive");
    }
  }

 private:
  mqd_t mq_;
};

// The system's cap on a POSIX message's size (raising it needs CAP_SYS_RESOURCE).
long posix_mq_max_message_size() {
  long value = 8192;
  if (FILE* file = std::fopen("/proc/sys/fs/mqueue/msgsize_max", "r")) {
    if (std::fscanf(file, "%ld", &value) != 1) value = 8192;
    std::fclose(file);
  }
  return value;
}

class PosixMqTransport final : public Transport {
 public:
  std::string name() const override { return "posix-mq"; }
  bool supports(const Spec& spec) const override {
    return static_cast<long>(spec.size) <= posix_mq_max_message_size();
  }
  void create(const Spec& spec) override {
    name_ = "/" + spec.name;
    mq_unlink(name_.c_str());
    // The kernel caps a queue's depth and bytes; take the largest depth up to the ring's.
    for (long depth = spec.capacity; depth >= 1; depth /= 2) {
      mq_attr attr{};
      attr.mq_maxmsg = depth;
      attr.mq_msgsize = static_cast<long>(spec.size);
      const mqd_t mq = mq_open(name_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
      if (mq != static_cast<mqd_t>(-1)) {
        mq_close(mq);
        return;
      }
    }
    fail("mq_open " + name_);
  }
  void destroy() override { mq_unlink(name_.c_str()); }
  std::unique_ptr<Sender> sender() override { return std::make_unique<PosixMqSender>(name_); }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<PosixMqReceiver>(name_);
  }

 private:
  std::string name_;
};

}  // namespace

void add_kernel_transports(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<PipeTransport>());
  out.push_back(std::make_unique<SocketTransport>());
  out.push_back(std::make_unique<PosixMqTransport>());
}

}  // namespace shmq::bench

#include "shmq/detail/segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cerrno>
#include <cstring>
#include <new>
#include <thread>

#include "queue_file.hpp"
#include "shmq/admin.hpp"
#include "shmq/detail/cursor_semaphore.hpp"
#include "shmq/detail/header_validation.hpp"
#include "shmq/detail/names.hpp"
#include "shmq/detail/robust_mutex.hpp"
#include "shmq/errors.hpp"
#include "truncation_guard.hpp"

namespace shmq {
namespace bip = boost::interprocess;

struct Segment::Mapping {
  bip::shared_memory_object shm;
  bip::mapped_region region;
  std::uint32_t owner = 0;        // the file's uid, as opened
  bool foreign = false;           // another user's (see is_foreign)
  detail::TruncationWatch watch;  // declared last: stops watching before the region unmaps

  // Maps the first `size` bytes and watches them for truncation by another process.
  void map(bip::mode_t mode, std::size_t size) {
    region = bip::mapped_region(shm, mode, 0, size);
    watch.watch(region.get_address(), region.get_size());
  }
};

namespace {

std::string quoted(const std::string& name) { return "queue '" + name + "'"; }

[[noreturn]] void rethrow_boost(const bip::interprocess_exception& e, const std::string& name,
                                const char* doing) {
  const int err = e.get_native_error();
  if (err == ELOOP) {  // shm_open() never follows a link planted in /dev/shm
    throw Error(ErrorCode::incompatible,
                quoted(name) + " is a symbolic link, not a queue; refusing it", err);
  }
  switch (e.get_error_code()) {
    case bip::already_exists_error:
      throw Error(ErrorCode::already_exists, quoted(name) + " already exists", err);
    case bip::not_found_error:
      throw Error(ErrorCode::not_found, quoted(name) + " does not exist", err);
    case bip::security_error:
      throw Error(ErrorCode::permission_denied,
                  "permission denied " + std::string(doing) + " " + quoted(name) +
                      detail::owner_and_mode(name),
                  err);
    default:
      throw Error(ErrorCode::system,
                  std::string(doing) + " " + quoted(name) + " failed: " + e.what(), err);
  }
}

std::uint64_t file_size(const bip::shared_memory_object& shm, const std::string& name,
                        struct stat* out = nullptr) {
  struct stat st {};
  if (fstat(shm.get_mapping_handle().handle, &st) != 0) {
    throw Error(ErrorCode::system, "cannot stat " + quoted(name) + ": " + std::strerror(errno),
                errno);
  }
  if (out != nullptr) *out = st;
  return static_cast<std::uint64_t>(st.st_size);
}

// A file that is no usable queue. Ours may be removed (`advice`) or replaced; another user's is
// foreign whatever is wrong with it, and nothing that would destroy it is advised.
[[noreturn]] void refuse_unusable(const Segment::Mapping& mapping, ErrorCode code,
                                  const std::string& message, const char* advice = "") {
  if (mapping.foreign) {
    throw Error(ErrorCode::incompatible, message + "; it belongs to uid " +
                                             std::to_string(mapping.owner) +
                                             ", not to us: another user's file, left alone");
  }
  throw Error(code, message + advice);
}

// Polls `done` every 200 us until it returns true or `timeout` passes.
template <class Predicate>
bool wait_for(std::chrono::milliseconds timeout, Predicate done) {
  const auto until = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// Bytes as a person reads them: "512 B", "24.4 KiB", "64.0 MiB", "1.5 GiB".
std::string readable_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* const units[] = {"KiB", "MiB", "GiB"};
  int unit = 0;
  std::uint64_t scale = 1024;
  while (unit < 2 && bytes >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  const std::uint64_t tenths = (bytes * 10 + scale / 2) / scale;  // rounded to a tenth
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + units[unit];
}

[[noreturn]] void throw_no_space(int fd, const std::string& name, std::uint64_t size, int err) {
  struct statvfs fs {};
  const bool known = fstatvfs(fd, &fs) == 0;
  const std::uint64_t free_bytes = known ? std::uint64_t{fs.f_bavail} * fs.f_frsize : 0;
  const std::uint64_t total = known ? std::uint64_t{fs.f_blocks} * fs.f_frsize : 0;
  std::string room =
      known ? readable_size(free_bytes) + " free of " + readable_size(total) : "unknown room";
  if (err == ENOMEM) room += ", and the memory limit allows less";
  throw Error(ErrorCode::no_space,
              "cannot create " + quoted(name) + ": it needs " + readable_size(size) + " (" +
                  std::to_string(size) + " bytes) and /dev/shm has " + room +
                  "; give /dev/shm more room (e.g. docker run --shm-size) or make the queue "
                  "smaller",
              err);
}

// Allocates every page of the file now: a sparse file on a full /dev/shm would take our writes
// and lose them (SIGBUS, the mapping lost; see truncation_guard.hpp) long after creation.
void reserve_pages(const bip::shared_memory_object& shm, const std::string& name,
                   std::uint64_t size) {
  const int fd = shm.get_mapping_handle().handle;
  int err = 0;
  do {
    err = posix_fallocate(fd, 0, static_cast<off_t>(size));  // also sets the file's size
  } while (err == EINTR);
  if (err == 0) return;
  if (err == ENOSPC || err == ENOMEM) throw_no_space(fd, name, size, err);
  throw Error(ErrorCode::system, "cannot allocate " + quoted(name) + ": " + std::strerror(err),
              err);
}

// 64 random bits from the kernel; should it have none to give (no entropy yet, early at boot), the
// clock and our pid, which still differ between two creations of one name.
std::uint64_t draw_incarnation() noexcept {
  std::uint64_t value = 0;
  if (getrandom(&value, sizeof value, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof value)) {
    return value;
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return (static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U +
          static_cast<std::uint64_t>(now.tv_nsec)) ^
         (static_cast<std::uint64_t>(getpid()) << 40);
}

void initialise_header(void* base, const Geometry& geometry) {
  // The file is freshly allocated, so every byte is zero; construct the header over it.
  auto* header = new (base) layout::Header{};
  CursorSemaphore::initialise(header->room, geometry.capacity);
  CursorSemaphore::initialise(header->items, 0);
  RobustMutex::initialise(header->producer_mutex);
  RobustMutex::initialise(header->consumer_mutex);
  header->identity.fields = make_identity(geometry, static_cast<std::uint32_t>(geteuid()));
  header->identity.fields.incarnation = draw_incarnation();
  // release: everything above must be visible to an opener that sees `ready`.
  header->identity.ready.store(layout::kReadyMagic, std::memory_order_release);
}

std::unique_ptr<Segment::Mapping> create(const std::string& name, const QueueConfig& config,
                                         const Geometry& geometry) {
  auto mapping = std::make_unique<Segment::Mapping>();
  try {
    mapping->shm = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write,
                                             bip::permissions(config.permissions));
  } catch (const bip::interprocess_exception& e) {
    rethrow_boost(e, name, "creating");
  }
  try {
    const auto size = layout::segment_size_for(geometry.capacity, geometry.slot_size);
    reserve_pages(mapping->shm, name, size);
    mapping->map(bip::read_write, size);
    initialise_header(mapping->region.get_address(), geometry);
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());  // never leave a half-made queue behind
    rethrow_boost(e, name, "initialising");
  } catch (...) {
    bip::shared_memory_object::remove(name.c_str());
    throw;
  }
  return mapping;
}

// Opens and maps an existing segment. `access` read_only is for inspection: it never writes, so
// a queue of any owner and mode may be looked at (the identity is still validated).
std::unique_ptr<Segment::Mapping> open_existing(const std::string& name, const QueueConfig& config,
                                                bip::mode_t access) {
  detail::refuse_unless_regular(name);  // first: Boost's read-only open blocks on a FIFO
  auto mapping = std::make_unique<Segment::Mapping>();
  try {
    mapping->shm = bip::shared_memory_object(bip::open_only, name.c_str(), access);
  } catch (const bip::interprocess_exception& e) {
    rethrow_boost(e, name, "opening");
  }
  struct stat st {};
  file_size(mapping->shm, name, &st);
  const FileFacts facts{S_ISREG(st.st_mode), static_cast<std::uint32_t>(st.st_uid),
                        static_cast<std::uint32_t>(st.st_mode & 07777)};
  const auto self = static_cast<std::uint32_t>(geteuid());
  // Whose file it is is settled before its size or content says what it is.
  mapping->owner = facts.owner;
  mapping->foreign = is_foreign(facts.owner, config, self);
  QueueConfig trusted = config;
  if (access == bip::read_only) {
    trusted.permissions = 07777;
    trusted.allowed_owner = facts.owner;
  }
  check_file_facts(facts, trusted, self, name.c_str());
  // A creator sizes the file right after creating it; give it the same grace as for `ready`.
  std::uint64_t size = 0;
  wait_for(config.ready_timeout, [&] {
    size = file_size(mapping->shm, name);
    return size >= layout::kHeaderSize;
  });
  if (size == 0) {
    refuse_unusable(*mapping, ErrorCode::not_ready,
                    quoted(name) + " is empty: its creator died before sizing it");
  }
  if (size < layout::kHeaderSize) {
    refuse_unusable(*mapping, ErrorCode::corrupt,
                    quoted(name) + " is " + std::to_string(size) +
                        " bytes, too small to be a queue (a creator that died, or another "
                        "program's file)",
                    "; remove it with --remove");
  }
  if (size > layout::kMaxSegmentSize) {
    refuse_unusable(*mapping, ErrorCode::corrupt,
                    quoted(name) + " is larger than any queue can be");
  }
  try {
    mapping->map(access, size);
  } catch (const bip::interprocess_exception& e) {
    rethrow_boost(e, name, "mapping");
  }
  auto* identity = static_cast<layout::Identity*>(mapping->region.get_address());
  bool foreign = false;
  // acquire: pairs with the creator's release store; the fields are complete once we see it.
  const bool ready = wait_for(config.ready_timeout, [&] {
    if (identity->ready.load(std::memory_order_acquire) == layout::kReadyMagic) return true;
    // relaxed: a creator writes the magic before `ready`; anything else there but 0 is foreign.
    const std::uint64_t magic =
        std::atomic_ref<std::uint64_t>(identity->fields.magic).load(std::memory_order_relaxed);
    foreign = magic != 0 && magic != layout::kMagic;
    return foreign;
  });
  if (foreign) {
    throw Error(ErrorCode::incompatible,
                quoted(name) + " is not an shmq queue (bad magic number); another program owns "
                               "this name");
  }
  if (!ready) {
    refuse_unusable(*mapping, ErrorCode::not_ready,
                    quoted(name) + " was never marked ready: its creator died while setting it up");
  }
  return mapping;
}

// Removes `name` if it is still not ready. (A new creator that replaced it in the meantime and
// is within its few microseconds of initialisation could lose its file; its open handles stay
// valid, and the next opener creates a fresh queue.)
void remove_if_still_unready(const std::string& name) {
  try {
    detail::refuse_unless_regular(name);  // Boost's read-only open blocks on a FIFO
    Segment::Mapping mapping;
    mapping.shm = bip::shared_memory_object(bip::open_only, name.c_str(), bip::read_only);
    if (file_size(mapping.shm, name) >= sizeof(layout::Identity)) {
      mapping.map(bip::read_only, sizeof(layout::Identity));
      const auto* identity = static_cast<const layout::Identity*>(mapping.region.get_address());
      // acquire: as in open_existing().
      if (identity->ready.load(std::memory_order_acquire) == layout::kReadyMagic) return;
    }
  } catch (const bip::interprocess_exception&) {
    return;  // gone already
  } catch (const Error&) {
    return;  // gone, or replaced by something that is not ours to remove
  }
  bip::shared_memory_object::remove(name.c_str());
}

}  // namespace

Segment::Segment(std::unique_ptr<Mapping> mapping, std::string name, bool created)
    : mapping_(std::move(mapping)), name_(std::move(name)), created_(created) {
  header_ = static_cast<layout::Header*>(mapping_->region.get_address());
  lost_ = mapping_->watch.lost_flag();
  // Read the identity once, then validate the copy against the file's real size.
  layout::IdentityFields fields;
  std::memcpy(&fields, &header_->identity.fields, sizeof fields);
  if (lost()) {
    throw Error(ErrorCode::corrupt, quoted(name_) + " was truncated while it was being opened");
  }
  try {
    geometry_ = validate_identity(fields, file_size(mapping_->shm, name_), name_.c_str());
    incarnation_ = fields.incarnation;  // any value is valid: only compared, never used as a size
  } catch (const Error& e) {
    if (e.code() != ErrorCode::corrupt) throw;
    refuse_unusable(*mapping_, ErrorCode::corrupt, e.what(),
                    " (remove it with --remove and recreate)");
  }
  if (mapping_->region.get_size() != fields.segment_size) {
    throw Error(ErrorCode::corrupt, quoted(name_) + " changed size while it was being opened");
  }
  slot_stride_ = layout::slot_stride_for(geometry_.slot_size);
  slots_ = static_cast<std::byte*>(mapping_->region.get_address()) + layout::kHeaderSize;
}

int Segment::file_descriptor() const noexcept {
  return mapping_->shm.get_mapping_handle().handle;
}

Segment::Segment(Segment&&) noexcept = default;
Segment& Segment::operator=(Segment&&) noexcept = default;
Segment::~Segment() = default;

Segment Segment::open(const std::string& name, OpenMode mode, const QueueConfig& config) {
  validate_name(name);
  if ((config.permissions & ~0666U) != 0 || (config.permissions & 0600U) != 0600U) {
    throw Error(ErrorCode::invalid_argument,
                "permissions must give the owner read and write and nothing beyond 0666");
  }
  if (mode != OpenMode::open_only) {
    const Geometry geometry = config.geometry_to_create();
    check_creation_geometry(geometry);
    try {
      return Segment(create(name, config, geometry), name, true);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::already_exists || mode == OpenMode::create_only) throw;
      // Lost the creation race (or the queue existed): open it instead.
    }
  }
  try {
    Segment segment(open_existing(name, config, bip::read_write), name, false);
    check_requested_geometry(config, segment.geometry(), name.c_str());
    return segment;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_ready || mode != OpenMode::open_or_create) throw;
  }
  // An abandoned half-created segment of ours: replace it rather than make anyone delete files.
  remove_if_still_unready(name);
  Segment segment = open(name, OpenMode::create_only, config);
  segment.replaced_abandoned_ = true;
  return segment;
}

Segment Segment::inspect(const std::string& name, const QueueConfig& config) {
  validate_name(name);
  return Segment(open_existing(name, config, bip::read_only), name, false);
}

bool Segment::remove(const std::string& name) {
  validate_name(name);
  // The name Boost gives shm_open(): ours with a leading slash.
  if (shm_unlink(("/" + name).c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  const int err = errno;
  throw Error(err == EACCES || err == EPERM ? ErrorCode::permission_denied : ErrorCode::system,
              "cannot remove " + quoted(name) + ": " + std::strerror(err), err);
}

bool remove_queue(const std::string& name) { return Segment::remove(name); }

}  // namespace shmq

// The shared-memory layout of one queue. Everything that lives in the segment is declared here.
//
//   offset  size   what                                       written by
//   ------  -----  -----------------------------------------  ------------------------------
//        0     64  Identity: magic, version, sizes, flags,    creator, once; `ready` last
//                  creator uid, segment size, ready
//       64     64  room:  claimed | released + capacity       producers take, consumers give
//      128     64  items: taken   | published                 consumers take, producers give
//      192     64  producers' mutex (robust, process-shared), multi producers (claims)
//                  mover, gate (contenders' back-off)
//      256     64  ProducerSide: 64-bit claimed, published    producers
//                  hints, messages_in, high_water
//      320     64  ConsumerSide: 64-bit taken, released       consumers
//                  hints, messages_out
//      384     64  Membership: producers/consumers ever       attach (under both mutexes)
//                  attached, recovery counters
//      448  12288  processes[64]: pid, role, start time,      each process its own entry;
//                  messages, held range and lease (multi      reapers, once it is dead;
//                  modes), note                               expirers, once its lease ran out
//    12736     64  consumers' mutex, mover, gate             multi consumers (takes, releases)
//    12800    ...  capacity x slot (stride = slot_stride):
//                  [ stamp u64 | length u32 | records u32 | payload (slot_size bytes) | pad ]
//                  payload: one message (records = 0), or `records` packed messages, each
//                  [ size u32 | bytes ], filling exactly `length` bytes, or (records has
//                  kFragment set) one fragment of a message larger than a slot
//   2^40+i      1  lock byte of entry i, past any segment's   OFD-locked, never written, by
//                  end (see entry_lock.hpp)                   entry i's attachment
//
// Positions are 64-bit sequence numbers that only grow; a slot's index is position % capacity.
// Cursors satisfy  released <= taken <= published <= claimed <= released + capacity.
// The truth about each cursor is its 32-bit half in a semaphore word; the 64-bit copies in the
// side lines are hints that lag by at most a batch and supply the upper bits (see expand()).
// A slot's stamp is (position << 3) | state, so one 64-bit store publishes both.
// A message larger than a slot takes consecutive slots, one fragment each, claimed at once;
// each fragment's `records` says whether it is the first and how many follow it. Its producer
// stamps them last to first: a publisher that advances items' limit over stamped slots reaches
// the first only once all are stamped, so a message becomes visible whole or not at all.
// Consumers take whole messages (a take that would end inside one is extended to its end).
// A single producer takes room ahead of need: room's cursor is then the end of its reserve, and
// the producer's `claimed` hint how far it has claimed; everything in between is free, and goes
// back to the word when it detaches or is reaped.
//
// Nothing here is a pointer; a peer can write anything, so every field read from the segment is
// read once into a local and checked before it is used.
//
// Bump kLayoutVersion whenever a field moves, changes size or meaning, or a new state or flag is
// added; tests/unit/layout_test.cpp mirrors the offsets and fails first.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "shmq/wire.hpp"  // Role, SlotHeader, kRecordPrefix

namespace shmq::layout {

inline constexpr std::uint64_t kMagic = 0x31'51'4D'48'53'00'51'53ULL;  // "SQ\0SHMQ1", little-endian
// 11: a mutex per side (consumers' after the process table).
// (10: messages larger than a slot, in fragments: kFragment in a slot's `records`.)
inline constexpr std::uint32_t kLayoutVersion = 11;
inline constexpr std::size_t kCacheLine = 64;
inline constexpr std::uint32_t kMaxProcesses = 64;

inline constexpr std::uint32_t kMaxCapacity = 1U << 24;      // slots
inline constexpr std::uint32_t kMaxSlotSize = 64U << 20;     // bytes of payload per slot
inline constexpr std::uint64_t kMaxSegmentSize = 1ULL << 36;  // 64 GiB: refuse anything larger

inline constexpr std::uint32_t kReadyMagic = 0x52454459;  // "READY": a set bit pattern, not just 1

enum Flags : std::uint32_t {
  kMultiProducer = 1U << 0,
  kMultiConsumer = 1U << 1,
  kKnownFlags = kMultiProducer | kMultiConsumer,
};


// Low three bits of a slot stamp.
enum SlotState : std::uint64_t {
  kSlotPublished = 1,  // holds a whole message for the stamp's position
  kSlotDone = 2,       // a consumer has finished with it (multi-consumer release order)
  kSlotSkipped = 3,    // its producer died before publishing; consumers drop it
  kSlotOrphaned = 4,   // taken by a consumer that died before finishing: to be delivered again
};
inline constexpr std::uint64_t kStateBits = 3;
inline constexpr std::uint64_t kStateMask = (1U << kStateBits) - 1;
inline constexpr std::uint64_t stamp(std::uint64_t position, SlotState state) {
  return (position << kStateBits) | state;
}

// A slot's `records` for one fragment of a message larger than a slot: kFragment, kFirstFragment
// on the first, and in the low bits how many fragments of the message follow this one. (A
// packed slot's record count is below 2^30: at most slot_size / kRecordPrefix.)
inline constexpr std::uint32_t kFragment = 1U << 31;
inline constexpr std::uint32_t kFirstFragment = 1U << 30;
inline constexpr std::uint32_t kFragmentsAfterMask = kFirstFragment - 1;
constexpr std::uint32_t fragment_records(bool first, std::uint32_t after) {
  return kFragment | (first ? kFirstFragment : 0U) | after;
}
constexpr bool is_fragment(std::uint32_t records) { return (records & kFragment) != 0; }
constexpr bool is_first_fragment(std::uint32_t records) {
  return (records & (kFragment | kFirstFragment)) == (kFragment | kFirstFragment);
}
constexpr std::uint32_t fragments_after(std::uint32_t records) {
  return records & kFragmentsAfterMask;
}
static_assert(kMaxSlotSize / kRecordPrefix < kFirstFragment, "record counts never look fragmented");

// The identity fields, as one plain struct so that an opener can copy them out of the segment in
// one read and validate the copy (a peer may change the original at any time).
struct IdentityFields {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t header_size;  // offset of slot 0
  std::uint32_t capacity;     // slots
  std::uint32_t slot_size;    // payload bytes per slot
  std::uint32_t slot_stride;  // bytes from one slot to the next
  std::uint32_t flags;        // Flags
  std::uint32_t creator_uid;
  std::uint32_t reserved;
  std::uint64_t segment_size;  // header_size + capacity * slot_stride
  // Random, drawn by the creator: tells this queue apart from one of the same name removed and
  // created again (message ids that must stay unique across re-creation, as the bridge's).
  std::uint64_t incarnation;
};

struct Identity {
  IdentityFields fields;
  std::atomic<std::uint32_t> ready;  // kReadyMagic once `fields` and the rest of the header are set
};

// A counting semaphore whose count is the distance between two cursors, in one 64-bit word:
//   low half  = the takers' cursor (positions handed out), moved by CAS
//   high half = the givers' limit  (positions made available), moved by fetch_add(n << 32)
// count = high - low (mod 2^32). A unit is never "in flight": taking one is moving the cursor,
// so a process that dies anywhere cannot leak one. Waiters sleep on the high half (futex).
struct alignas(kCacheLine) SemaphoreData {
  std::atomic<std::uint64_t> word;
  std::atomic<std::uint32_t> sleepers;  // processes inside (or about to enter) futex_wait
  std::atomic<std::uint64_t> sleeps;    // monitoring: how often a wait had to sleep
};

inline constexpr std::uint32_t kNoEntry = 0xFFFFFFFF;
inline constexpr std::size_t kNoteWords = 16;
inline constexpr std::size_t kNoteBytes = kNoteWords * sizeof(std::uint64_t);

struct alignas(kCacheLine) MutexData {
  pthread_mutex_t mutex;  // PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST
  // Process entry of a holder that is moving cursors (kNoEntry otherwise). If the holder dies,
  // the next locker retires that entry at once, before anyone can claim past its journal.
  std::atomic<std::uint32_t> mover;
  // Shut (1) by the process about to lock the mutex, or holding it; opened when it unlocks.
  // Contenders try it, with a pause between tries, before they queue on the mutex itself. Only
  // a courtesy: a holder that dies leaves it shut, and lockers then queue after a few us.
  std::atomic<std::uint32_t> gate;
};

struct alignas(kCacheLine) ProducerSide {
  std::atomic<std::uint64_t> claimed;     // hint: next position a producer will write
  std::atomic<std::uint64_t> published;   // hint: positions below are visible to consumers
  std::atomic<std::uint64_t> messages_in;
  std::atomic<std::uint64_t> high_water;  // most slots ever waiting just after a publication
};

struct alignas(kCacheLine) ConsumerSide {
  std::atomic<std::uint64_t> taken;     // hint: next position a consumer will read
  std::atomic<std::uint64_t> released;  // hint: positions below are free for producers again
  std::atomic<std::uint64_t> messages_out;
};

struct alignas(kCacheLine) Membership {
  std::atomic<std::uint64_t> producers_ever;  // attachments so far (under the mutex)
  std::atomic<std::uint64_t> consumers_ever;
  std::atomic<std::uint64_t> recoveries;   // dead processes reaped
  std::atomic<std::uint64_t> skipped;      // slots dropped because their producer died
  std::atomic<std::uint64_t> redelivered;  // messages handed out again after a consumer died
  std::atomic<std::uint32_t> orphans;      // non-zero: orphaned slots may exist (multi-consumer)
  std::atomic<std::uint64_t> expired;      // leases that ran out: held messages handed to others
  // Non-zero: a producer that ends the stream only explicitly (AttachOptions::ends_explicitly)
  // attached and has not ended it, so its leaving (or dying) is not end of stream.
  std::atomic<std::uint32_t> end_owed;
};

struct alignas(kCacheLine) ProcessEntry {
  std::atomic<std::uint32_t> pid;  // 0 = free; set last when attaching, cleared last when leaving
  std::atomic<std::uint32_t> role;
  // Clock ticks after boot: tells a pid reused in a later tick apart. Non-zero: the attachment
  // also holds this entry's lock (entry_lock.hpp), which tells apart one reused within the tick.
  std::atomic<std::uint64_t> start_time;
  std::atomic<std::uint64_t> messages;    // put (producer) or finished (consumer)
  std::atomic<std::uint64_t> held_first;  // multi modes: positions this process claimed/took
  std::atomic<std::uint32_t> held_count;  //   and has not yet published/released (a journal)
  // Multi-consumer: how long this consumer may hold what it took (0: for ever), and when it
  // took it (CLOCK_MONOTONIC ns). Past that, another process hands the messages to others.
  std::atomic<std::uint32_t> lease_ms;
  std::atomic<std::uint64_t> taken_at;
  // What the process says it is connected to, for `shmq stat` (AttachOptions::note): up to
  // kNoteBytes of text, NUL-padded, in words any peer may overwrite; a display hint only.
  std::atomic<std::uint64_t> note[kNoteWords];
};

struct Header {
  alignas(kCacheLine) Identity identity;
  SemaphoreData room;
  SemaphoreData items;
  MutexData producer_mutex;  // multi producers' claims; with the consumers', the table
  ProducerSide producer;
  ConsumerSide consumer;
  Membership membership;
  ProcessEntry processes[kMaxProcesses];
  MutexData consumer_mutex;  // multi consumers' takes and releases
};

inline constexpr std::size_t kHeaderSize = sizeof(Header);
inline constexpr std::size_t kSlotAlignment = 16;  // dense slots: a 64-byte message takes 80 bytes

constexpr std::size_t align_up(std::size_t value, std::size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}
constexpr std::uint64_t slot_stride_for(std::uint32_t slot_size) {
  return align_up(sizeof(SlotHeader) + std::size_t{slot_size}, kSlotAlignment);
}
constexpr std::uint64_t segment_size_for(std::uint32_t capacity, std::uint32_t slot_size) {
  return kHeaderSize + std::uint64_t{capacity} * slot_stride_for(slot_size);
}

// Whether some queue could have a segment of `size` bytes, as far as its size alone tells: the
// header and at least one slot of the smallest stride, in whole strides, within the limit.
constexpr bool is_possible_segment_size(std::uint64_t size) {
  return size >= segment_size_for(1, 1) && size <= kMaxSegmentSize &&
         (size - kHeaderSize) % kSlotAlignment == 0;
}

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint64_t>) == 8, "a semaphore word is two 32-bit halves");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the futex is the word's high half");
static_assert(std::is_standard_layout_v<Header>);
static_assert(std::is_standard_layout_v<SlotHeader>);
static_assert(sizeof(Identity) <= kCacheLine);
static_assert(std::is_trivially_copyable_v<IdentityFields>);
static_assert(sizeof(pthread_mutex_t) <= kCacheLine);
static_assert(offsetof(Header, room) == 64);
static_assert(offsetof(Header, items) == 128);
static_assert(offsetof(Header, producer_mutex) == 192);
static_assert(offsetof(Header, producer) == 256);
static_assert(offsetof(Header, consumer) == 320);
static_assert(offsetof(Header, membership) == 384);
static_assert(offsetof(Header, processes) == 448);
static_assert(sizeof(ProcessEntry) == 3 * kCacheLine);  // the note has two lines of its own
static_assert(offsetof(Header, consumer_mutex) == 448 + kMaxProcesses * 3 * kCacheLine);
static_assert(sizeof(Header) == 448 + kMaxProcesses * 3 * kCacheLine + kCacheLine);
static_assert(sizeof(SlotHeader) == 16);
static_assert(kHeaderSize % kSlotAlignment == 0);
static_assert(is_possible_segment_size(segment_size_for(1024, 1024)));
static_assert(!is_possible_segment_size(kHeaderSize) && !is_possible_segment_size(0));
static_assert(!is_possible_segment_size(segment_size_for(8, 64) + 8));

}  // namespace shmq::layout

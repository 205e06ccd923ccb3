// Mirrors the shared-memory layout. If a check here fails, the layout changed: bump
// layout::kLayoutVersion and update this mirror, so old and new builds refuse each other.
#include <catch2/catch.hpp>
#include <cstddef>

#include "shmq/detail/layout.hpp"

using namespace shmq::layout;

TEST_CASE("the layout version matches the mirrored layout", "[unit][layout]") {
  CHECK(kLayoutVersion == 11);
  CHECK(kMagic == 0x3151'4D48'5300'5153ULL);
}

TEST_CASE("identity fields sit where version 4 put them", "[unit][layout]") {
  CHECK(offsetof(IdentityFields, magic) == 0);
  CHECK(offsetof(IdentityFields, layout_version) == 8);
  CHECK(offsetof(IdentityFields, header_size) == 12);
  CHECK(offsetof(IdentityFields, capacity) == 16);
  CHECK(offsetof(IdentityFields, slot_size) == 20);
  CHECK(offsetof(IdentityFields, slot_stride) == 24);
  CHECK(offsetof(IdentityFields, flags) == 28);
  CHECK(offsetof(IdentityFields, creator_uid) == 32);
  CHECK(offsetof(IdentityFields, segment_size) == 40);
  CHECK(offsetof(IdentityFields, incarnation) == 48);
  CHECK(offsetof(Identity, ready) == 56);
}

TEST_CASE("each hot field has its own cache line", "[unit][layout]") {
  CHECK(offsetof(Header, room) == 64);
  CHECK(offsetof(Header, items) == 128);
  CHECK(offsetof(Header, producer_mutex) == 192);
  CHECK(offsetof(Header, producer) == 256);
  CHECK(offsetof(Header, consumer) == 320);
  CHECK(offsetof(Header, membership) == 384);
  CHECK(offsetof(Header, processes) == 448);
  CHECK(offsetof(Header, consumer_mutex) == 448 + 64 * 192);
  CHECK(sizeof(Header) == 448 + 64 * 192 + 64);
  CHECK(alignof(Header) == 64);
}

TEST_CASE("cursor and counter fields keep their offsets", "[unit][layout]") {
  CHECK(offsetof(SemaphoreData, word) == 0);
  CHECK(offsetof(SemaphoreData, sleepers) == 8);
  CHECK(offsetof(SemaphoreData, sleeps) == 16);
  CHECK(offsetof(MutexData, mover) == sizeof(pthread_mutex_t));
  CHECK(offsetof(MutexData, gate) == sizeof(pthread_mutex_t) + 4);
  CHECK(offsetof(ProducerSide, claimed) == 0);
  CHECK(offsetof(ProducerSide, published) == 8);
  CHECK(offsetof(ProducerSide, messages_in) == 16);
  CHECK(offsetof(ProducerSide, high_water) == 24);
  CHECK(offsetof(ConsumerSide, taken) == 0);
  CHECK(offsetof(ConsumerSide, released) == 8);
  CHECK(offsetof(ConsumerSide, messages_out) == 16);
  CHECK(offsetof(Membership, producers_ever) == 0);
  CHECK(offsetof(Membership, consumers_ever) == 8);
  CHECK(offsetof(Membership, recoveries) == 16);
  CHECK(offsetof(Membership, skipped) == 24);
  CHECK(offsetof(Membership, redelivered) == 32);
  CHECK(offsetof(Membership, orphans) == 40);
  CHECK(offsetof(Membership, expired) == 48);
  CHECK(offsetof(Membership, end_owed) == 56);
  CHECK(offsetof(ProcessEntry, pid) == 0);
  CHECK(offsetof(ProcessEntry, role) == 4);
  CHECK(offsetof(ProcessEntry, start_time) == 8);
  CHECK(offsetof(ProcessEntry, messages) == 16);
  CHECK(offsetof(ProcessEntry, held_first) == 24);
  CHECK(offsetof(ProcessEntry, held_count) == 32);
  CHECK(offsetof(ProcessEntry, lease_ms) == 36);
  CHECK(offsetof(ProcessEntry, taken_at) == 40);
  CHECK(offsetof(ProcessEntry, note) == 48);
  CHECK(sizeof(ProcessEntry) == 192);
}

TEST_CASE("slots are a 16-byte header then the payload, 16-byte strided", "[unit][layout]") {
  CHECK(offsetof(SlotHeader, stamp) == 0);
  CHECK(offsetof(SlotHeader, length) == 8);
  CHECK(offsetof(SlotHeader, records) == 12);
  CHECK(kRecordPrefix == 4);
  CHECK(slot_stride_for(1) == 32);
  CHECK(slot_stride_for(16) == 32);
  CHECK(slot_stride_for(17) == 48);
  CHECK(slot_stride_for(64) == 80);
  CHECK(segment_size_for(4, 48) == kHeaderSize + 4 * 64);
}

TEST_CASE("a stamp packs position and state into one word", "[unit][layout]") {
  CHECK(stamp(0, kSlotPublished) == 1);
  CHECK(stamp(5, kSlotDone) == (5U << 3 | 2U));
  CHECK((stamp(1ULL << 40, kSlotSkipped) & kStateMask) == kSlotSkipped);
  CHECK((stamp(1ULL << 40, kSlotSkipped) >> kStateBits) == (1ULL << 40));
  CHECK(stamp(2, kSlotOrphaned) == (2U << 3 | 4U));
}

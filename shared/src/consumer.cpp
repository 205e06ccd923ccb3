#include "shmq/consumer.hpp"

#include <algorithm>
#include <climits>
#include <deque>
#include <cstdint>

#include "consumer_sides.hpp"
#include "handle_core.hpp"
#include "shmq/detail/failpoint.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/slot_verdict.hpp"
#include "wait_for_units.hpp"

namespace shmq {

namespace {

constexpr std::size_t kPrefetchInSlot = 512;  // bytes ahead of the packed message being read

// A lease as the process entry keeps it: whole milliseconds, 0 for none, at most ~49 days.
std::uint32_t lease_in_ms(std::chrono::milliseconds lease) {
  if (lease.count() <= 0) return 0;
  return static_cast<std::uint32_t>(std::min<std::int64_t>(lease.count(), UINT32_MAX));
}

}  // namespace

struct Consumer::Impl : detail::HandleCore {
  Impl(const std::string& name, OpenMode mode, const QueueConfig& config,
       const AttachOptions& attach_options)
      : HandleCore(name, mode, config, attach_options, layout::Role::consumer),
        sole(ring),
        journalled(ring, attachment, lease_in_ms(attach_options.lease)),
        // Messages already waiting with no producer attached come from a stream that has
        // ended: draining them counts as having seen its producer. Both read at attach, under
        // the mutex: read later, the messages could be from a producer that attached since.
        leftover_stream(attachment.producers_attached_before() == 0 &&
                        attachment.items_waiting_before()) {}

  // End of stream: every producer seen during our lifetime has detached (at least
  // expect_producers of them) and none is attached now. Dead ones count once reaped.
  bool end_of_stream() const {
    // acquire, and before the scan: pairs with the attacher's release increment, made once its
    // entry is in use, so a producer counted here is found attached below (or has left). Read
    // after the scan, a producer attaching in between would count without being seen.
    const std::uint64_t ever =
        ring.header().membership.producers_ever.load(std::memory_order_acquire);
    if (ring.attached(layout::Role::producer) != 0) return false;
    // relaxed: confirmed under the mutex (stream_ended()); an end still owed by a producer that
    // ends only explicitly (a bridge, restarted when it dies) means its successor is coming.
    if (ring.header().membership.end_owed.load(std::memory_order_relaxed) != 0) return false;
    const std::uint64_t seen = attachment.producers_attached_before() +
                               (ever - attachment.producers_ever_before()) +
                               (leftover_stream ? 1 : 0);
    return seen >= options.expect_producers;
  }

  // end_of_stream(), confirmed under the mutex once dead peers are reaped and expired leases
  // handed on: what a dead or stopped consumer held is still owed, so the stream has not ended
  // while any message waits, or is taken and not yet finished (nothing can appear after that).
  bool stream_ended(Clock::time_point until) {
    if (!end_of_stream()) return false;
    return ring.locked(until, [&] {
      Recovery(ring).recover_locked();
      return end_of_stream() && ring.items().value() == 0 && ring.released() == ring.taken();
    });
  }

  // Takes up to `max` messages without waiting for items (a multi consumer waits for the mutex
  // until `until`); returns their positions (count 0 if none).
  PositionRange try_take(std::uint32_t max, Clock::time_point until) {
    return multi ? journalled.take(max, until) : sole.take(max);
  }

  // Whether the messages taken at `first` are still ours (always, for a single consumer).
  [[nodiscard]] bool still_held(std::uint64_t first) noexcept {
    return !multi || journalled.still_held(first);
  }

  // Hands the held slots back to producers. Returns ok, or why it could not (the mutex: a stop,
  // a deadline, corruption): the slots then stay held, for the next call to try again.
  Status release_held() {
    if (held.count == 0) return Status::ok;
    if (attachment.revoked()) {
      // Our entry was retired while we live: what we held is being delivered again, and its
      // slots are not ours to give back.
      held = Held{};
      held_batches.clear();
      return Status::ok;
    }
    failpoint::reach(failpoint::kConsumerBeforeRelease);
    if (!multi) {
      sole.release(held.first, held.count);
    } else {
      // If the mutex cannot be had (a stop, corruption), nothing changed: the slots stay held.
      bool ours = false;
      const Status status = guarded([&] {
        ours = journalled.release(held.first, held.count);
        return Status::ok;
      });
      if (status != Status::ok) return status;
      if (!ours) {
        lost_to_lease += held.messages;  // handed to others: not ours to count as finished
        held = Held{};
        return Status::ok;
      }
    }
    count_finished(held.messages);
    held = Held{};
    held_batches.clear();
    return Status::ok;
  }

  // A single consumer holding several batches (take_ahead()) hands back the one taken first.
  void release_oldest() {
    const Held oldest = held_batches.front();
    held_batches.pop_front();
    if (!attachment.revoked()) {
      sole.release(oldest.first, oldest.count);
      count_finished(oldest.messages);
    }
    held = {oldest.first + oldest.count, held.count - oldest.count,
            held.messages - oldest.messages};
    if (held_batches.size() == 1) held_batches.clear();  // one batch again: `held` says it
  }

  void count_finished(std::uint32_t messages) {
    count_messages(ring.header().consumer.messages_out, messages, multi);
    count_messages(attachment.entry().messages, messages, false);
    finished += messages;
  }

  // take()'s body: waits until messages can be taken, takes up to `max` slots and exposes
  // their messages in `batch`; they are held from then on.
  // With `ahead` (a single consumer's take_ahead()), the batch joins those held already.
  Status take_batch(ReadBatch& batch, std::uint32_t max, Clock::time_point until,
                    bool ahead = false) {
    for (;;) {
      PositionRange range;
      const Status status = detail::wait_for_units(
          ring, ring.items(), until, options,
          [&] { return (range = try_take(max, until)).count != 0; },
          [&] { return stream_ended(until); });
      if (status != Status::ok) return status;
      failpoint::reach(failpoint::kConsumerAfterTake);
      batch.first_ = range.first;
      batch.count_ = range.count;
      batch.messages_.reserve(range.count);
      fill(batch);
      if (ring.lost()) {  // what fill() read may be zeros: hand out nothing
        batch.reset();
        return Status::lost;
      }
      // get()'s own batch is checked after each copy instead (get_until), which spares a
      // second read-modify-write per message; not if it looks corrupt: a verdict read from
      // slots that are no longer ours must not stand.
      const bool checked_later = &batch == &one_by_one && batch.corrupt_ == 0;
      if (!checked_later && !still_held(range.first)) {
        // We were stopped past our lease since taking them: they are another's now, and what
        // fill() read may already be later messages. Take again.
        lost_to_lease += range.count;
        batch.reset();
        continue;
      }
      const Held taken{range.first, range.count,
                       static_cast<std::uint32_t>(batch.messages_.size())};
      if (!ahead) {
        held = taken;
        held_batches.clear();
      } else {
        if (held_batches.empty() && held.count != 0) held_batches.push_back(held);
        held_batches.push_back(taken);
        held = {held.count != 0 ? held.first : taken.first, held.count + taken.count,
                held.messages + taken.messages};
      }
      return batch.corrupt_ != 0 ? Status::corrupt : Status::ok;
    }
  }

  // Reads each slot's stamp, length and record count once and checks them before exposing the
  // payload; a packed slot exposes its messages only if all of them parse, a message in
  // fragments only if they are all there (it is copied whole into the batch).
  void fill(ReadBatch& batch) const {
    const std::uint32_t slot_size = ring.geometry().slot_size;
    const std::uint32_t ahead = ring.slots().prefetch_ahead();
    ring.slots().prefetch_start(batch.first_, batch.count_, false);
    for (std::uint32_t i = 0; i < batch.count_; ++i) {
      const std::uint64_t position = batch.first_ + i;
      if (i + ahead < batch.count_) ring.slots().prefetch(position + ahead, false);
      // acquire (in fields()): pairs with the producer's release of the stamp.
      const SlotFields slot = ring.slots().fields(position);
      switch (judge_slot(slot.stamp, slot.length, position, slot_size)) {
        case SlotVerdict::message: {
          const std::size_t before = batch.messages_.size();
          if (slot.records == 0) {
            batch.messages_.emplace_back(ring.slots().payload(position), slot.length);
          } else if (layout::is_fragment(slot.records)) {
            i += assemble(batch, slot, position, batch.count_ - i) - 1;
          } else if (!unpack(batch, ring.slots().payload(position), slot.length, slot.records)) {
            ++batch.corrupt_;
          }
          if (batch.keep_ids_) keep_ids(batch, position, before);
          break;
        }
        case SlotVerdict::skipped:
          ++batch.skipped_;
          break;
        case SlotVerdict::corrupt:
          ++batch.corrupt_;
          break;
      }
    }
  }

  // The message in fragments whose slot `first` at `position` begins the batch's last
  // `available` slots: copied whole into the batch if it is all there (else counted corrupt; a
  // fragment whose first is not there, skipped: its producer died stamping them). Returns the
  // slots it spans.
  std::uint32_t assemble(ReadBatch& batch, const SlotFields& first, std::uint64_t position,
                         std::uint32_t available) const {
    if (!layout::is_first_fragment(first.records)) {
      ++batch.skipped_;
      return 1;
    }
    const std::uint32_t slot_size = ring.geometry().slot_size;
    std::vector<std::byte>& whole = batch.next_assembly();
    whole.reserve(std::size_t{std::min(layout::fragments_after(first.records) + 1, available)} *
                  slot_size);
    const FragmentVerdict verdict = judge_fragments(
        first, position, slot_size, available,
        [&](std::uint32_t j) { return ring.slots().fields(position + j); },
        [&](std::uint32_t j, std::uint32_t length) {
          const std::byte* payload = ring.slots().payload(position + j);
          whole.insert(whole.end(), payload, payload + length);
        });
    if (verdict.whole) {
      batch.messages_.emplace_back(whole.data(), whole.size());
    } else {
      ++batch.corrupt_;
    }
    return verdict.slots;
  }

  // Names the messages of the slot at `position`, the batch's from index `first` on.
  static void keep_ids(ReadBatch& batch, std::uint64_t position, std::size_t first) {
    for (std::size_t i = first; i < batch.messages_.size(); ++i) {
      batch.ids_.push_back({position, static_cast<std::uint32_t>(i - first)});
    }
  }

  // Adds the messages packed in a slot to the batch; on a parse failure adds none. Writes them
  // through a local pointer into room made first: emplace_back() per message would reload the
  // vector's ends after every store.
  static bool unpack(ReadBatch& batch, const std::byte* payload, std::uint32_t length,
                     std::uint32_t records) {
    auto& messages = batch.messages_;
    const std::size_t before = messages.size();
    // No more than one per size prefix that fits: a hostile count cannot make us allocate more.
    messages.resize(before + std::min(records, length / layout::kRecordPrefix));
    std::span<const std::byte>* next = messages.data() + before;
    const bool whole = split_records(payload, length, records,
                                     [payload, &next](std::uint32_t at, std::uint32_t size) {
                                       // Keeps the transfers of a long packed slot flowing. May
                                       // reach past the batch: a read hint, harmless.
                                       __builtin_prefetch(payload + at + kPrefetchInSlot);
                                       *next++ = {payload + at, size};
                                     });
    messages.resize(whole ? static_cast<std::size_t>(next - messages.data()) : before);
    return whole;
  }

  detail::SoleConsuming sole;              // single-consumer queue
  detail::JournalledConsuming journalled;  // multi-consumer queue
  bool leftover_stream;
  std::uint64_t finished = 0;  // messages released by this handle
  std::uint64_t lost_to_lease = 0;  // taken, then handed to others when our lease ran out
  // Slots taken and not yet released. Kept here, not as a pointer to the caller's batch: a
  // batch object may be gone, or be a stale copy, by the time it is released.
  struct Held {
    std::uint64_t first = 0;
    std::uint32_t count = 0;
    std::uint32_t messages = 0;  // of them, the ones that held a message
  } held;  // everything held: a single consumer's take_ahead() batches are one range
  // The batches in `held`, oldest first, while a single consumer holds more than one.
  std::deque<Held> held_batches;
  ReadBatch one_by_one;         // get()'s one-slot batch
  std::size_t one_by_one_next = 0;  // its first message get() has not handed out yet
};

Consumer::Consumer(const std::string& name, OpenMode mode, const QueueConfig& config,
                   const AttachOptions& options)
    : impl_(std::make_unique<Impl>(name, mode, config, options)) {}

Consumer::~Consumer() { close(); }
Consumer::Consumer(Consumer&&) noexcept = default;
Consumer& Consumer::operator=(Consumer&&) noexcept = default;

// Flattened: with the wait loop and the attempt out of line, one-by-one get() ran at 0.61-0.75x
// of Boost mq against 0.78-0.90x inlined (1x1, 64 B, alternating runs on the 2-core VM).
[[gnu::flatten]] Status Consumer::take(ReadBatch& batch, std::uint32_t max,
                                       Clock::time_point until) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  if (&batch != &self.one_by_one && self.one_by_one_next < self.one_by_one.size()) {
    hand_over_rest_of_one_by_one(batch);  // still held: released with `batch`
    return Status::ok;
  }
  const Status released = self.release_held();
  batch.reset();
  // Still held (the mutex could not be had): taking more would leave them unjournalled.
  if (released != Status::ok) return released;
  if (self.fault != Status::ok) return self.fault;
  // Our entry retired while we live (see Attachment::revoked()): what we held is being
  // delivered again to others, and our cursor is no longer the queue's.
  if (self.attachment.revoked()) return Status::lost;
  max = std::min(max, self.ring.geometry().capacity);
  if (max == 0) return Status::ok;
  return self.guarded([&] { return self.take_batch(batch, max, until); });
}

Status Consumer::take_ahead(ReadBatch& batch, std::uint32_t max, Clock::time_point until) {
  Impl& self = *impl_;
  if (self.multi || self.one_by_one_next < self.one_by_one.size() || self.held.count == 0) {
    return take(batch, max, until);
  }
  [[maybe_unused]] const auto one_thread = self.one_thread();
  batch.reset();
  if (self.fault != Status::ok) return self.fault;
  if (self.attachment.revoked()) return Status::lost;
  max = std::min(max, self.ring.geometry().capacity);
  if (max == 0) return Status::ok;
  return self.guarded([&] { return self.take_batch(batch, max, until, true); });
}

// get() left messages of a packed slot: they become the caller's batch, so none is lost.
void Consumer::hand_over_rest_of_one_by_one(ReadBatch& batch) {
  Impl& self = *impl_;
  batch.reset();
  batch.first_ = self.one_by_one.first_;
  batch.count_ = self.one_by_one.count_;
  const auto rest = self.one_by_one.messages_.begin() +
                    static_cast<std::ptrdiff_t>(self.one_by_one_next);
  batch.messages_.assign(rest, self.one_by_one.messages_.end());
  if (batch.keep_ids_) {  // get()'s batch is one slot: its messages are its records in order
    for (std::size_t i = 0; i < batch.messages_.size(); ++i) {
      batch.ids_.push_back({batch.first_, static_cast<std::uint32_t>(self.one_by_one_next + i)});
    }
  }
  self.one_by_one.reset();
  self.one_by_one_next = 0;
}

void Consumer::release(ReadBatch& batch) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  // Only the batch taken last, or the oldest of those take_ahead() holds: a copy, or one
  // released already (by a later take), releases nothing.
  if (batch.count_ != 0 && !self.held_batches.empty()) {
    const auto& oldest = self.held_batches.front();
    if (batch.first_ == oldest.first && batch.count_ == oldest.count) self.release_oldest();
  } else if (batch.count_ != 0 && batch.first_ == self.held.first &&
             batch.count_ == self.held.count) {
    (void)self.release_held();  // if it fails, the slots stay held and take() tries again
  }
  batch.reset();
}

bool Consumer::still_holds(const ReadBatch& batch) const noexcept {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  if (batch.count_ == 0) return true;  // holds nothing, so has lost nothing
  if (!self.held_batches.empty()) {  // a single consumer's: ours until released
    return batch.first_ >= self.held.first && batch.first_ < self.held.first + self.held.count;
  }
  return batch.first_ == self.held.first && self.still_held(batch.first_);
}

Status Consumer::get_until(std::vector<std::byte>& out, Clock::time_point until) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  for (;;) {
    // A packed slot holds several messages: hand them out one per call, then release the slot.
    if (self.one_by_one_next < self.one_by_one.size()) {
      const std::size_t index = self.one_by_one_next++;
      // A message in fragments was copied out of its slots already: hand over that copy.
      if (!self.one_by_one.move_assembled(index, out)) {
        const auto message = self.one_by_one[index];
        out.assign(message.begin(), message.end());
      }
      if (!self.still_held(self.one_by_one.first_)) {
        // Our lease ran out while we copied (we were stopped): the copy may be torn, and the
        // message is another consumer's now.
        self.lost_to_lease += self.one_by_one.size() - self.one_by_one_next + 1;
        self.held = {};
        self.one_by_one.reset();
        self.one_by_one_next = 0;
        continue;
      }
      if (self.one_by_one_next == self.one_by_one.size()) release(self.one_by_one);
      return Status::ok;
    }
    const Status status = take(self.one_by_one, 1, until);
    self.one_by_one_next = 0;
    if (status != Status::ok && status != Status::corrupt) return status;  // lost, too
    if (status == Status::corrupt || self.one_by_one.empty()) {
      release(self.one_by_one);
      if (status == Status::corrupt) return status;
      continue;  // the slot was skipped (its producer died): look for the next message
    }
  }
}

Status Consumer::get(std::vector<std::byte>& out) {
  return get_until(out, Clock::time_point::max());
}

Status Consumer::try_get(std::vector<std::byte>& out) {
  const Status status = get_until(out, Clock::time_point::min());
  return status == Status::timeout ? Status::empty : status;
}

Status Consumer::get_for(std::vector<std::byte>& out, Clock::duration timeout) {
  return get_until(out, deadline_after(timeout));
}

void Consumer::close() noexcept {
  if (!impl_ || impl_->closed) return;
  [[maybe_unused]] const auto one_thread = impl_->one_thread();
  impl_->closed = true;
  impl_->held = {};            // its slots are handed out again below
  impl_->held_batches.clear();
  impl_->attachment.detach();  // messages still held are handed out again
}

void Consumer::set_note(std::string_view note) noexcept { impl_->set_note(note); }

const Geometry& Consumer::geometry() const noexcept { return impl_->ring.geometry(); }
std::uint64_t Consumer::queue_incarnation() const noexcept { return impl_->segment.incarnation(); }
bool Consumer::created_queue() const noexcept { return impl_->segment.created(); }
std::uint32_t Consumer::reaped_at_attach() const noexcept { return impl_->attachment.reaped(); }
bool Consumer::replaced_abandoned() const noexcept { return impl_->segment.replaced_abandoned(); }
std::uint64_t Consumer::messages() const noexcept { return impl_->finished; }
std::uint64_t Consumer::lost_to_lease() const noexcept { return impl_->lost_to_lease; }

std::uint32_t Consumer::depth() const noexcept { return impl_->ring.items().value(); }

}  // namespace shmq

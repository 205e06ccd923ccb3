// What a Producer and a Consumer both are: one attachment of this process, in a role, to a
// mapped queue, with the handle's memory of a corrupt queue and its one-thread check. Each
// handle's Impl is a HandleCore plus what its role moves.
#pragma once

#include <string>
#include <utility>

#include "guarded_step.hpp"
#include "shmq/detail/one_thread_check.hpp"
#include "shmq/attach_options.hpp"
#include "shmq/detail/process_table.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/detail/segment.hpp"

namespace shmq::detail {

struct HandleCore {
  HandleCore(const std::string& name, OpenMode mode, const QueueConfig& config,
             const AttachOptions& attach_options, layout::Role role)
      : segment(Segment::open(name, mode, config)),
        ring(segment, attach_options.stop),
        multi(role == layout::Role::producer ? segment.geometry().multi_producer
                                             : segment.geometry().multi_consumer),
        attachment(ring, role, !multi, name, deadline_after(config.ready_timeout),
                   attach_options.note,
                   role == layout::Role::producer && attach_options.ends_explicitly),
        options(attach_options),
        role_name(role == layout::Role::producer ? "Producer" : "Consumer") {
    options.note = {};  // read while attaching only: the caller's text need not outlive that
  }

  // Replaces our entry's note, unless the entry is no longer ours.
  void set_note(std::string_view note) noexcept {
    if (!closed && !attachment.revoked()) write_note(attachment.entry(), note);
  }

  // The segment was truncated under us, or another process retired our entry as dead while we
  // live (see Attachment::revoked()): either way the handle can do nothing more.
  [[nodiscard]] bool lost() const noexcept { return attachment.revoked() || ring.lost(); }

  // A step of a public call (see guarded_step.hpp). A step that failed on a segment truncated
  // under us failed because of it (the zeros in its place look corrupt): the handle is lost.
  template <class Step>
  Status guarded(Step&& step) {
    const Status status = guarded_step(fault, std::forward<Step>(step));
    if (status == Status::ok || !ring.lost()) return status;
    fault = Status::lost;
    return Status::lost;
  }

  // Held for the length of every public call that touches the handle's state.
  [[nodiscard]] OneThreadCheck::Scope one_thread() { return {thread_check, role_name}; }

  Segment segment;
  Ring ring;
  bool multi;  // this side of the queue is multi (a mode, fixed at creation)
  Attachment attachment;
  AttachOptions options;
  const char* role_name;
  Status fault = Status::ok;  // corrupt once the queue was found corrupt
  bool closed = false;
  OneThreadCheck thread_check;
};

}  // namespace shmq::detail

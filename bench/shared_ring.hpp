// The two hand-written ring baselines share their plumbing: a header struct RingT followed by
// `capacity` slots of spec.size bytes, in a named Boost.Interprocess segment.
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <new>
#include <string>

#include "transport.hpp"

namespace shmq::bench {

namespace bip = boost::interprocess;

// An existing ring segment, mapped: what each end of a ring holds.
template <class RingT>
class RingMapping {
 public:
  explicit RingMapping(const std::string& name)
      : shm_(bip::open_only, name.c_str(), bip::read_write), region_(shm_, bip::read_write) {}
  [[nodiscard]] RingT& ring() const { return *static_cast<RingT*>(region_.get_address()); }

 private:
  bip::shared_memory_object shm_;
  bip::mapped_region region_;
};

// RingT(capacity, size) is constructed in the segment; EndT(name) is both sender and receiver.
template <class RingT, class EndT>
class SharedRingTransport final : public Transport {
 public:
  SharedRingTransport(std::string label, bool one_pair_only)
      : label_(std::move(label)), one_pair_only_(one_pair_only) {}
  std::string name() const override { return label_; }
  bool supports(const Spec& spec) const override {
    return !one_pair_only_ || (spec.producers == 1 && spec.consumers == 1);
  }
  void create(const Spec& spec) override {
    name_ = spec.name;
    bip::shared_memory_object::remove(name_.c_str());
    bip::shared_memory_object shm(bip::create_only, name_.c_str(), bip::read_write);
    shm.truncate(static_cast<bip::offset_t>(sizeof(RingT) + spec.capacity * spec.size));
    bip::mapped_region region(shm, bip::read_write);
    new (region.get_address()) RingT(spec.capacity, spec.size);
  }
  void destroy() override { bip::shared_memory_object::remove(name_.c_str()); }
  std::unique_ptr<Sender> sender() override { return std::make_unique<EndT>(name_); }
  std::unique_ptr<Receiver> receiver() override { return std::make_unique<EndT>(name_); }

 private:
  std::string label_;
  bool one_pair_only_;
  std::string name_;
};

}  // namespace shmq::bench

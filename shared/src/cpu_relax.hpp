// A spin-wait hint: tells the core that it is polling, so that it saves power and lets the other
// hyperthread run, and leaves the polled line alone for a moment.
#pragma once

namespace shmq::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace shmq::detail

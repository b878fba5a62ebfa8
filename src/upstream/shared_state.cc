#include "upstream/shared_state.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <type_traits>

#include "base/log.h"
#include "upstream/balancer/key_hash.h"

namespace fulcrum::upstream {
namespace {

constexpr uint64_t kMagic = 0x31'6d'75'72'63'6c'75'66;  // "fulcrum1" in memory (little-endian)

// Compared byte for byte: no padding may hide in it.
static_assert(std::has_unique_object_representations_v<SharedState::Header>);

std::string describe(const SharedState::Header& h) {
  return "layout " + std::to_string(h.version) + ", sizes " + std::to_string(h.header_size) + "/" +
         std::to_string(h.instance_size) + "/" + std::to_string(h.backend_size) + ", " +
         std::to_string(h.capacity) + " slots";
}

// Every field as a fresh slot has it (up, no failures, counters at zero), but its key and touch.
void start_afresh(SharedBackend& slot) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  HealthState& h = slot.health;
  h.down.store(0, kRelaxed);
  h.failures.store(0, kRelaxed);
  h.successes.store(0, kRelaxed);
  h.trial_at.store(0, kRelaxed);
  h.cool_down.store(0, kRelaxed);
  h.up_since.store(0, kRelaxed);
  slot.counters.requests.store(0, kRelaxed);
  slot.counters.failures.store(0, kRelaxed);
  slot.counters.in_flight.store(0, kRelaxed);
}

}  // namespace

SharedState::SharedState(size_t capacity, int inherited) : capacity_(capacity < 1 ? 1 : capacity) {
  if (inherited >= 0) {
    std::string why = adopt(inherited);
    if (why.empty()) {
      LOG_INFO("upgrade: backend health and counters carried over from the previous master");
      return;
    }
    ::close(inherited);
    LOG_WARN(
        "upgrade: the previous master's backend health and counters are not taken (%s); "
        "they start afresh",
        why.c_str());
  }
  create();
}

SharedState::~SharedState() {
  ::munmap(memory_, bytes());
  if (fd_ >= 0) ::close(fd_);
}

SharedState::Header SharedState::expected_header() const {
  return {.magic = kMagic,
          .version = kLayoutVersion,
          .header_size = sizeof(Header),
          .instance_size = sizeof(InstanceCounters),
          .backend_size = sizeof(SharedBackend),
          .capacity = capacity_};
}

void SharedState::create() {
  // Sealed at its size, so that a successor that maps it may trust that no access faults.
  int fd = ::memfd_create("fulcrum-shared-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd >= 0 && (::ftruncate(fd, static_cast<off_t>(bytes())) != 0 ||
                  ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)) {
    int error = errno;
    ::close(fd);
    fd = -1;
    errno = error;
  }
  if (fd < 0) {
    LOG_WARN(
        "shared state: memfd: %s; anonymous memory instead, which a binary upgrade cannot "
        "hand down (health and counters will start afresh)",
        std::strerror(errno));
  }
  void* memory = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE,
                        fd >= 0 ? MAP_SHARED : MAP_SHARED | MAP_ANONYMOUS, fd, 0);
  if (memory == MAP_FAILED) {
    if (fd >= 0) ::close(fd);
    throw std::bad_alloc();
  }
  fd_ = fd;
  // Constructed in place before any fork; every field starts at zero.
  new (memory) Header(expected_header());
  new (static_cast<char*>(memory) + kInstanceOffset) InstanceCounters;
  new (static_cast<char*>(memory) + kBackendsOffset) SharedBackend[capacity_];
  place(memory);
}

std::string SharedState::adopt(int fd) {
  // Only a region made by create() is sealed at its size: any other file could shrink under the
  // mapping, and an access past its end would fault.
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_SHRINK)) return "not a sealed memfd";
  Header found{};
  if (::pread(fd, &found, sizeof found, 0) != static_cast<ssize_t>(sizeof found)) {
    return "too short for a header";
  }
  const Header expected = expected_header();
  if (found.magic != kMagic) return "not a fulcrum region";
  if (std::memcmp(&found, &expected, sizeof found) != 0) {
    return "it has " + describe(found) + "; this build has " + describe(expected);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != bytes()) {
    return "its size does not match its header";
  }
  void* memory = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) return std::string("mmap: ") + std::strerror(errno);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // it was inherited without, for the exec
  fd_ = fd;
  inherited_ = true;
  // Nothing is constructed: the objects live on from the previous master, whose old workers
  // still update them.
  place(memory);
  return {};
}

void SharedState::place(void* memory) {
  memory_ = memory;
  instance_ = std::launder(
      reinterpret_cast<InstanceCounters*>(static_cast<char*>(memory) + kInstanceOffset));
  backends_ =
      std::launder(reinterpret_cast<SharedBackend*>(static_cast<char*>(memory) + kBackendsOffset));
}

uint64_t SharedState::key(std::string_view pool, std::string_view name, std::string_view address) {
  std::string bytes;
  bytes.append(pool).append(1, '\0').append(name).append(1, '\0').append(address);
  uint64_t k = hash_key(bytes);
  return k ? k : 1;
}

SharedBackend* SharedState::find_or_claim(uint64_t key, io::TimePoint now) {
  // A slot is touched before it is claimed, so that no other process can take it for stale
  // between the claim and the touch.
  for (size_t probe = 0; probe < capacity_; ++probe) {
    SharedBackend& slot = backends_[(key + probe) % capacity_];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen != key && seen != 0) continue;
    slot.touch(now);
    if (seen == key) return &slot;
    // Another worker may claim this slot at the same moment, for this key or another.
    if (slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) return &slot;
    if (seen == key) return &slot;
  }
  const int64_t stale_before = steady_ns(now - kStaleAfter);
  for (size_t probe = 0; probe < capacity_; ++probe) {
    SharedBackend& slot = backends_[(key + probe) % capacity_];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return &slot;  // taken meanwhile by another worker
    if (slot.touched.load(std::memory_order_relaxed) >= stale_before) continue;
    slot.touch(now);
    if (!slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
      if (seen == key) return &slot;
      continue;
    }
    // Reset by the process that took it: another that finds it first may lose an update or two.
    start_afresh(slot);
    return &slot;
  }
  return nullptr;
}

const SharedBackend* SharedState::find(uint64_t key) const {
  for (size_t probe = 0; probe < capacity_; ++probe) {
    const SharedBackend& slot = backends_[(key + probe) % capacity_];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return &slot;
    if (seen == 0) return nullptr;
  }
  return nullptr;
}

}  // namespace fulcrum::upstream

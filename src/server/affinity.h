#pragma once
#include <vector>

namespace fulcrum::server {

// The CPUs this process may run on (its affinity mask), in order.
std::vector<int> usable_cpus();

// Pins the calling thread to cpu; logs a warning if the kernel refuses.
void pin_to_cpu(int cpu);

}  // namespace fulcrum::server

#pragma once
// Coroutine frames come from per-thread free lists by size class, so that a session and the
// steps it awaits do not reach malloc in steady state (DESIGN principle 3). A frame is always
// freed on the thread that allocated it: everything on the request path belongs to one loop.
#include <cstddef>

namespace fulcrum::base {

// Never fails short of the process running out of memory (then std::bad_alloc terminates).
void* frame_alloc(size_t n);
void frame_free(void* p, size_t n);

}  // namespace fulcrum::base

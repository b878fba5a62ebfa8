#pragma once
// Coroutine frames come from per-thread free lists by size class, so that a session and the
// steps it awaits do not reach malloc in steady state (DESIGN principle 3). A frame is always
// freed on the thread that allocated it: everything on the request path belongs to one loop.
#include <cstddef>

namespace fulcrum::base {

// Never fails short of the process running out of memory (then std::bad_alloc terminates).
void* frame_alloc(size_t n);
void frame_free(void* p, size_t n);
// Gives back the frames the thread's cache kept unused since the previous call (its loop calls
// it now and then), so that a burst of sessions does not pin their frames for good.
void trim_frame_cache();

}  // namespace fulcrum::base

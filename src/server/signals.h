#pragma once
// Signals reach the loop through a signalfd, so that handling them is ordinary loop code.
#include <initializer_list>

#include "base/task.h"
#include "io/loop.h"

namespace fulcrum::server {

// Blocks the given signals for the calling thread (and threads it creates later) and returns a
// signalfd that reads them, or -1 with errno set.
int block_signals(std::initializer_list<int> signals);

// Reads signals from fd and calls on_signal(arg, signo) for each, until the read fails.
base::Task<void> dispatch_signals(io::Loop& loop, int fd, void (*on_signal)(void*, int), void* arg);

}  // namespace fulcrum::server

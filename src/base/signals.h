#pragma once
// Signals reach the event loops through signalfds, so that handling them is ordinary loop code.
#include <initializer_list>

namespace fulcrum::base {

// Blocks the given signals for the calling thread and the threads it creates later, and returns
// a non-blocking signalfd that reads them, or -1 with errno set.
int block_signals(std::initializer_list<int> signals);

}  // namespace fulcrum::base

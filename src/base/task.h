#pragma once
// Task<T>: the one coroutine type of fulcrum. Lazy (starts when awaited), single awaiter,
// symmetric transfer back to the awaiter. spawn() starts a detached Task<void> that frees itself.
//
// Exceptions are not used on the data plane (DESIGN principle 8): an exception escaping a
// coroutine terminates the process.
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "base/frame_pool.h"

namespace fulcrum::base {

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation;

  static void* operator new(size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, size_t n) { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { std::terminate(); }
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase {
    std::optional<T> value;
    Task get_return_object() { return Task(Handle::from_promise(*this)); }
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }
  T await_resume() { return std::move(*h_.promise().value); }

 private:
  explicit Task(Handle h) : h_(h) {}
  Handle h_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::PromiseBase {
    Task get_return_object() { return Task(Handle::from_promise(*this)); }
    void return_void() {}
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }
  void await_resume() noexcept {}

 private:
  friend class TaskGroup;
  explicit Task(Handle h) : h_(h) {}
  Handle h_;
};

// Tasks that run for the life of a loop (signal readers, probes, the accept loop). Unlike
// spawn(), the group keeps their frames and destroys them, finished or still suspended, when it
// is destroyed: it must go before its loop does, once the loop no longer runs, so that nothing
// resumes a destroyed frame.
class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Runs task until its first suspension. Frames of tasks that have finished are freed here, so
  // that a group whose tasks come and go (probes across reloads) does not grow.
  void start(Task<void> task) {
    std::erase_if(tasks_, [](const Task<void>& t) { return t.h_.done(); });
    tasks_.push_back(std::move(task));
    tasks_.back().h_.resume();
  }

 private:
  std::vector<Task<void>> tasks_;
};

namespace detail {

struct Detached {
  struct promise_type {
    static void* operator new(size_t n) { return frame_alloc(n); }
    static void operator delete(void* p, size_t n) { frame_free(p, n); }
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

inline Detached run_detached(Task<void> task) { co_await std::move(task); }

}  // namespace detail

// Runs task until its first suspension, then lets it finish on its own; its frame is freed when
// it returns. Whoever spawns must make sure everything the task uses outlives it.
inline void spawn(Task<void> task) { detail::run_detached(std::move(task)); }

}  // namespace fulcrum::base

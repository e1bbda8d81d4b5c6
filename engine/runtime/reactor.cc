#include "engine/runtime/reactor.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace dbmazz::runtime {

namespace {

// epoll's user data: the pipeline key for sockets, this for the eventfd.
constexpr uint64_t kWakeKey = ~uint64_t{0};
constexpr int kMaxEvents = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::Create(Callback fire) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  int event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd < 0) {
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, event_fd, &ev) != 0) {
    close(event_fd);
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("epoll_ctl: ", strerror(errno)));
  }
  return std::unique_ptr<Reactor>(new Reactor(std::move(fire), epoll_fd, event_fd));
}

Reactor::Reactor(Callback fire, int epoll_fd, int event_fd)
    : fire_(std::move(fire)), epoll_fd_(epoll_fd), event_fd_(event_fd) {
  thread_ = std::thread([this] { Run(); });
}

Reactor::~Reactor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  absl::MutexLock lock(&mu_);
  for (auto& [key, entry] : entries_) Unwatch(entry);
  close(event_fd_);
  close(epoll_fd_);
}

void Reactor::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: a wake-up is pending.
  [[maybe_unused]] ssize_t n = write(event_fd_, &one, sizeof(one));
}

void Reactor::Unwatch(Entry& entry) {
  if (entry.dup_fd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, entry.dup_fd, nullptr);
    close(entry.dup_fd);
  }
  entry.fd = -1;
  entry.dup_fd = -1;
}

void Reactor::Arm(uint64_t key, int fd, bool read, bool write, absl::Time wake_at) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[key];
    if (entry.fd != fd) Unwatch(entry);
    if (fd >= 0) {
      epoll_event ev{};
      ev.events = EPOLLONESHOT | (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
      ev.data.u64 = key;
      // A one-shot registration stays in the set, disabled, after it fired:
      // MOD re-enables it. With no interest it stays disabled.
      if (entry.dup_fd < 0) {
        entry.dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (entry.dup_fd >= 0 && epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, entry.dup_fd, &ev) == 0) {
          entry.fd = fd;
        } else {
          spdlog::error("reactor: cannot watch socket {}: {}", fd, strerror(errno));
          if (entry.dup_fd >= 0) close(entry.dup_fd);
          entry.dup_fd = -1;
        }
      } else if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, entry.dup_fd, &ev) != 0) {
        spdlog::error("reactor: cannot re-arm socket {}: {}", fd, strerror(errno));
      }
    }
    // An unchanged wake-up time keeps its live timer (no pile of stale ones).
    if (wake_at != entry.wake_at) {
      entry.timer_generation = next_generation_++;
      entry.wake_at = wake_at;
      if (wake_at != absl::InfiniteFuture()) {
        wake = timers_.empty() || wake_at < timers_.top().at;
        timers_.push(Timer{wake_at, key, entry.timer_generation});
      }
    }
  }
  if (wake) Wake();
}

void Reactor::Disarm(uint64_t key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Unwatch(it->second);
  entries_.erase(it);  // its timers are skipped: no entry, no generation match
}

size_t Reactor::watched() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, entry] : entries_) n += entry.dup_fd >= 0 ? 1 : 0;
  return n;
}

void Reactor::Run() {
  epoll_event events[kMaxEvents];
  std::vector<uint64_t> due;
  while (true) {
    int timeout_ms = -1;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      absl::Time now = absl::Now();
      while (!timers_.empty() && timers_.top().at <= now) {
        Timer t = timers_.top();
        timers_.pop();
        auto it = entries_.find(t.key);
        if (it != entries_.end() && it->second.timer_generation == t.generation) {
          it->second.wake_at = absl::InfiniteFuture();
          due.push_back(t.key);
        }
      }
      if (!timers_.empty()) {
        timeout_ms = static_cast<int>(
            std::min<int64_t>(absl::ToInt64Milliseconds(timers_.top().at - now) + 1, 60000));
      }
    }
    for (uint64_t key : due) fire_(key);
    if (!due.empty()) {
      due.clear();
      continue;  // time moved while firing
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeKey) {
        uint64_t value;
        while (read(event_fd_, &value, sizeof(value)) > 0) {
        }
        continue;
      }
      fire_(events[i].data.u64);
    }
  }
}

}  // namespace dbmazz::runtime

// The live capacity rollup (see capacity_rollup.h): the change-feed queue,
// the initial load, the rollup's thread and the freshness evaluation
// around a CapacityIndex.
#include "engine/capacity/capacity_rollup.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/capacity/capacity_index.h"
#include "engine/core/log.h"
#include "engine/core/time_format.h"

namespace fhirengine::capacity {
namespace {

bool Relevant(const std::string& type) {
  return type == "Location" || type == "Encounter" || type == "Organization";
}

// The searches that load the current picture: every Organization and
// Location, the in-progress Encounters.
store::SearchQuery LoadQuery(const std::string& type) {
  store::SearchQuery q;
  q.type = type;
  if (type == "Encounter") {
    store::Clause status;
    status.kind = store::Clause::Kind::kIndex;
    status.param = "status";
    store::RowMatch match;
    match.all.push_back({store::Column::kValue, store::CompareOp::kEq, std::string("in-progress")});
    status.any.push_back(std::move(match));
    q.clauses.push_back(std::move(status));
  }
  return q;
}

std::int64_t QueuedBytes(const store::WriteResult& r) {
  return static_cast<std::int64_t>(sizeof(store::WriteResult) + r.type.size() + r.id.size() +
                                   r.json.size());
}

}  // namespace

SourceFreshness FreshnessOf(const SourceStatus& status, std::int64_t now_ms) {
  SourceFreshness f;
  f.name = status.name;
  f.state = status.state;
  f.last_success_ms = status.last_success_ms;
  f.stale_after_ms = status.stale_after_ms;
  f.stale = !status.last_success_ms || now_ms - *status.last_success_ms > status.stale_after_ms;
  return f;
}

struct CapacityRollup::Impl {
  store::ResourceStore& store;
  RollupOptions options;
  int feed_id = 0;

  // The change feed's queue (filled on the store's writer thread).
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<std::vector<store::WriteResult>> queue;
  std::int64_t queued_bytes = 0;
  bool overflowed = false;
  bool stopping = false;
  bool busy = true;  // loading or applying; WaitIdleForTest waits on it
  std::condition_variable idle_cv;
  // Writes per type seen by the feed: the load's paging corrects its
  // offset by them (a write can move rows between pages).
  std::atomic<std::uint64_t> writes_seen{0};

  // The picture (the rollup's thread writes; readers lock).
  mutable std::mutex state_mutex;
  CapacityIndex index;
  std::uint64_t sequence = 0;
  std::set<std::string> stale;  // stale sources at the last evaluation
  bool loaded = false;
  Status load_status;

  std::mutex listeners_mutex;
  std::map<int, std::function<void(std::uint64_t)>> listeners;
  int next_listener = 1;

  std::thread thread;

  Impl(store::ResourceStore& s, RollupOptions o) : store(s), options(std::move(o)) {}

  std::int64_t Now() const { return options.now_ms ? options.now_ms() : NowUnixMs(); }

  std::vector<SourceStatus> Sources() const {
    return options.sources ? options.sources() : std::vector<SourceStatus>{};
  }

  void OnChanges(const std::vector<store::WriteResult>& changes) {
    std::vector<store::WriteResult> relevant;
    for (const store::WriteResult& r : changes) {
      if (Relevant(r.type)) relevant.push_back(r);
    }
    if (relevant.empty()) return;
    writes_seen.fetch_add(relevant.size());
    {
      std::lock_guard lock(queue_mutex);
      if (overflowed) return;  // a reload is due anyway
      for (const store::WriteResult& r : relevant) queued_bytes += QueuedBytes(r);
      if (queued_bytes > static_cast<std::int64_t>(options.max_queued_bytes)) {
        queue.clear();
        queued_bytes = 0;
        overflowed = true;
      } else {
        queue.push_back(std::move(relevant));
      }
      busy = true;
    }
    queue_cv.notify_one();
  }

  // Loads every current resource of the three types. Pages by offset in
  // insertion order; a write during the load can shift rows to an earlier
  // page, so each next offset steps back by the writes seen meanwhile
  // (re-reading a row is harmless: versions make it idempotent). Loads
  // into a fresh index, swapped in when complete: readers keep the previous
  // picture (or see "loading" before the first) and never a partial one.
  Status Load() {
    CapacityIndex fresh;
    for (std::string_view type : {"Organization", "Location", "Encounter"}) {
      const store::SearchQuery query = LoadQuery(std::string(type));
      std::size_t offset = 0;
      std::uint64_t window_start = writes_seen.load();
      for (;;) {
        if (Stopping()) return Status::Ok();
        const std::uint64_t before = writes_seen.load();
        store::PageRequest page;
        page.count = options.load_page_size;
        page.offset = offset;
        page.want_total = false;
        Result<store::SearchPage> found = store.Search(query, page);
        if (!found.ok()) return found.status();
        for (const store::Hit& hit : found->hits) {
          fresh.Apply(hit.type, hit.id, hit.version, false, hit.json);
        }
        if (!found->has_more) break;
        const std::uint64_t shift = writes_seen.load() - window_start;
        window_start = before;
        const std::size_t step = found->hits.size();
        offset += step > shift ? step - static_cast<std::size_t>(shift) : 1;
      }
    }
    if (Stopping()) return Status::Ok();
    std::lock_guard lock(state_mutex);
    index.Swap(fresh);
    ++sequence;
    loaded = true;
    return Status::Ok();
  }

  bool Stopping() {
    std::lock_guard lock(queue_mutex);
    return stopping;
  }

  // Re-evaluates the sources' freshness; true when a stale flag changed.
  bool RefreshFreshness() {
    const std::int64_t now = Now();
    std::set<std::string> stale_now;
    std::set<std::string> configured;
    for (const SourceStatus& s : Sources()) {
      configured.insert(s.name);
      if (FreshnessOf(s, now).stale) stale_now.insert(s.name);
    }
    std::lock_guard lock(state_mutex);
    // A source in the data that no adapter polls any more is never fresh.
    for (const std::string& s : index.Sources()) {
      if (!configured.contains(s)) stale_now.insert(s);
    }
    if (stale_now == stale) return false;
    stale = std::move(stale_now);
    ++sequence;
    return true;
  }

  void Notify() {
    std::uint64_t seq = 0;
    {
      std::lock_guard lock(state_mutex);
      seq = sequence;
    }
    std::lock_guard lock(listeners_mutex);
    for (const auto& [id, listener] : listeners) listener(seq);
  }

  void Run() {
    bool need_load = true;
    bool overlap_pending = false;  // the changes queued during the load are not applied yet
    for (;;) {
      bool changed = false;
      if (need_load) {
        Status s = Load();
        {
          std::lock_guard lock(state_mutex);
          load_status = s;
        }
        if (!s.ok()) {
          log::Write(log::Level::kError, "capacity: loading from the store failed",
                     {{"error", s.message()}});
        }
        need_load = !s.ok();
        overlap_pending = s.ok();
        if (need_load) {  // retry after a pause, not in a tight loop
          std::unique_lock lock(queue_mutex);
          busy = false;
          idle_cv.notify_all();
          if (queue_cv.wait_for(lock, options.freshness_interval, [&] { return stopping; })) return;
          continue;
        }
        changed = true;
      }
      std::deque<std::vector<store::WriteResult>> batch;
      {
        std::unique_lock lock(queue_mutex);
        if (queue.empty() && !overflowed && !stopping && !changed) {
          busy = false;
          idle_cv.notify_all();
          queue_cv.wait_for(lock, options.freshness_interval,
                            [&] { return stopping || overflowed || !queue.empty(); });
        }
        if (stopping) return;
        if (overflowed) {
          overflowed = false;
          need_load = true;
          log::Write(log::Level::kWarning,
                     "capacity: the change queue overflowed; reloading from the store",
                     {{"max_queued_bytes", static_cast<std::int64_t>(options.max_queued_bytes)}});
        }
        batch.swap(queue);
        queued_bytes = 0;
      }
      if (need_load) continue;  // the previous picture stays until the reload swaps in
      {
        std::lock_guard lock(state_mutex);
        for (const std::vector<store::WriteResult>& changes : batch) {
          for (const store::WriteResult& r : changes) {
            if (index.Apply(r.type, r.id, r.version, r.deleted, r.json)) {
              ++sequence;
              changed = true;
            }
          }
        }
        // The batch held every change queued during the load; from here on
        // the feed brings each resource's versions in order.
        if (overlap_pending) index.ForgetUnheldVersions();
        overlap_pending = false;
      }
      if (RefreshFreshness()) changed = true;
      if (changed) Notify();
    }
  }
};

CapacityRollup::CapacityRollup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<CapacityRollup> CapacityRollup::Start(store::ResourceStore& store,
                                                      RollupOptions options) {
  auto impl = std::make_unique<Impl>(store, std::move(options));
  Impl* raw = impl.get();
  impl->feed_id = store.AddChangeListener(
      [raw](const std::vector<store::WriteResult>& changes) { raw->OnChanges(changes); });
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<CapacityRollup>(new CapacityRollup(std::move(impl)));
}

CapacityRollup::~CapacityRollup() {
  impl_->store.RemoveChangeListener(impl_->feed_id);
  {
    std::lock_guard lock(impl_->queue_mutex);
    impl_->stopping = true;
  }
  impl_->queue_cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

CapacitySnapshot CapacityRollup::Snapshot() const {
  const std::int64_t now = impl_->Now();
  CapacitySnapshot snap;
  snap.generated_ms = now;
  std::set<std::string> configured;
  for (const SourceStatus& s : impl_->Sources()) {
    configured.insert(s.name);
    snap.sources.push_back(FreshnessOf(s, now));
  }
  std::lock_guard lock(impl_->state_mutex);
  snap.sequence = impl_->sequence;
  snap.loading = !impl_->loaded;
  snap.region = impl_->index.Tree(now, impl_->stale);
  for (const std::string& s : impl_->index.Sources()) {
    if (configured.contains(s)) continue;
    SourceFreshness unknown;
    unknown.name = s;
    unknown.state = "not-configured";
    unknown.stale = true;
    snap.sources.push_back(std::move(unknown));
  }
  std::sort(snap.sources.begin(), snap.sources.end(),
            [](const SourceFreshness& a, const SourceFreshness& b) { return a.name < b.name; });
  return snap;
}

bool CapacityRollup::ready() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->loaded;
}

Result<CapacityNode> CapacityRollup::Node(const std::string& reference) const {
  return FindCapacityNode(Snapshot().region, reference);
}

int CapacityRollup::AddListener(std::function<void(std::uint64_t)> listener) {
  std::lock_guard lock(impl_->listeners_mutex);
  const int id = impl_->next_listener++;
  impl_->listeners.emplace(id, std::move(listener));
  return id;
}

void CapacityRollup::RemoveListener(int id) {
  std::lock_guard lock(impl_->listeners_mutex);
  impl_->listeners.erase(id);
}

bool CapacityRollup::WaitIdleForTest(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->queue_mutex);
  return impl_->idle_cv.wait_for(lock, timeout, [&] { return !impl_->busy; });
}

std::size_t CapacityRollup::RememberedVersionsForTest() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->index.remembered_versions();
}

Status CapacityRollup::load_status() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->load_status;
}

}  // namespace fhirengine::capacity

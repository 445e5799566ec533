// A child process for tests/integration/crash_test.cc: opens a ResourceStore
// with durability full and writes numbered batches until it is killed,
// printing {"ack":N} on stdout once batch N's callback reports it committed.
//
// Batch N updates every one of the fixed resources Basic/crash-0..K-1 (so
// each of them is at version N after batch N) and creates Basic/batch-N; all
// of them carry "batch N" in code.text. A batch is all-or-nothing, so after
// a crash every fixed resource is at the same version, and Basic/batch-M
// exists for exactly the batches M up to that version.
//
// Usage: store_crash_writer DATABASE RESOURCES_PER_BATCH IN_FLIGHT
// Several batches are kept in flight (Submit, not Write) so the store folds
// them into one group-committed transaction, each in its own SAVEPOINT.
// It resumes after the last committed batch, so rounds can share a database.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <semaphore>
#include <string>
#include <vector>

#include "engine/store/resource_store.h"

namespace {

using fhirengine::Result;
using fhirengine::StatusCode;
namespace store = fhirengine::store;

// Writes `line` and a newline to stdout with one write(2): unbuffered, so
// a line is in the pipe before the next batch goes out.
void PrintLine(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::_Exit(3);  // the test is gone
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void Fail(const std::string& message) {
  PrintLine(R"({"error":")" + message + "\"}");
  std::_Exit(2);
}

std::string ResourceJson(const std::string& id, std::int64_t batch) {
  return R"({"resourceType":"Basic","id":")" + id + R"(","code":{"text":"batch )" +
         std::to_string(batch) + "\"}}";
}

std::vector<store::WriteOp> MakeBatch(std::int64_t batch, int resources) {
  std::vector<store::WriteOp> ops;
  for (int k = 0; k < resources; ++k) {
    store::WriteOp op;
    op.type = "Basic";
    op.id = "crash-" + std::to_string(k);
    op.json = ResourceJson(op.id, batch);
    // The fixed resources move in lock step: batch N expects version N-1.
    op.expected_version = batch - 1;
    ops.push_back(std::move(op));
  }
  store::WriteOp created;
  created.type = "Basic";
  created.id = "batch-" + std::to_string(batch);
  created.json = ResourceJson(created.id, batch);
  created.expected_version = 0;
  ops.push_back(std::move(created));
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) Fail("usage: store_crash_writer DATABASE RESOURCES_PER_BATCH IN_FLIGHT");
  const int resources = std::atoi(argv[2]);
  const int in_flight = std::atoi(argv[3]);
  if (resources < 1 || resources > 100 || in_flight < 1 || in_flight > 64) {
    Fail("RESOURCES_PER_BATCH must be 1-100 and IN_FLIGHT 1-64");
  }
  store::StoreOptions options;
  options.path = argv[1];
  options.durability = store::Durability::kFull;
  Result<std::unique_ptr<store::ResourceStore>> opened = store::ResourceStore::Open(options);
  if (!opened.ok()) Fail(opened.status().ToString());
  store::ResourceStore& db = **opened;

  std::int64_t last = 0;
  Result<store::StoredResource> first = db.Read("Basic", "crash-0");
  if (first.ok()) {
    last = first->version;
  } else if (first.status().code() != StatusCode::kNotFound) {
    Fail(first.status().ToString());
  }
  PrintLine(R"({"ready":true,"resume_after":)" + std::to_string(last) + "}");

  // At most `in_flight` batches queued; callbacks run on the writer thread,
  // in submission order, so the acknowledgements come out in order.
  std::counting_semaphore<64> slots(in_flight);
  for (std::int64_t batch = last + 1;; ++batch) {
    slots.acquire();
    db.Submit(MakeBatch(batch, resources),
              [batch, &slots](Result<std::vector<store::WriteResult>> r) {
                if (!r.ok()) Fail("batch " + std::to_string(batch) + ": " + r.status().ToString());
                PrintLine(R"({"ack":)" + std::to_string(batch) + "}");
                slots.release();
              });
  }
}

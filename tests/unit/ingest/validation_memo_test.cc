// ValidationMemo: findings of identical resources are reused, bounded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/ingest/mapped_record.h"

namespace fhirengine::ingest {
namespace {

using validation::Issue;
using validation::IssueType;
using validation::Severity;

TEST(ValidationMemo, ReturnsTheFindingsOfAnIdenticalResourceOnly) {
  ValidationMemo memo;
  std::vector<Issue> found;
  EXPECT_FALSE(memo.Find(R"({"resourceType":"Basic"})", found));
  memo.Insert(R"({"resourceType":"Basic"})",
              {Issue{Severity::kError, IssueType::kRequired, "Basic.code", "missing"}});
  ASSERT_TRUE(memo.Find(R"({"resourceType":"Basic"})", found));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, "missing");
  EXPECT_FALSE(memo.Find(R"({"resourceType":"Basic","id":"x"})", found));
  EXPECT_EQ(memo.hits(), 1u);
}

TEST(ValidationMemo, ForgetsTheOldestBeyondItsBoundAndSkipsLargeResources) {
  ValidationMemo memo;
  for (std::size_t i = 0; i <= ValidationMemo::kMaxEntries; ++i) {
    memo.Insert("r" + std::to_string(i), {});
  }
  std::vector<Issue> found;
  EXPECT_FALSE(memo.Find("r0", found));
  EXPECT_TRUE(memo.Find("r1", found));
  EXPECT_TRUE(memo.Find("r" + std::to_string(ValidationMemo::kMaxEntries), found));
  const std::string large(ValidationMemo::kMaxResourceBytes + 1, 'x');
  memo.Insert(large, {});
  EXPECT_FALSE(memo.Find(large, found));
}

}  // namespace
}  // namespace fhirengine::ingest

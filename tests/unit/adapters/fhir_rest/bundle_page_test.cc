// Bundle pages of the fhir-rest adapter: searchset and history, JSON and XML.
#include "adapters/fhir_rest/bundle_page.h"

#include <gtest/gtest.h>

#include "engine/core/time_format.h"

namespace fhirengine::adapters::fhir_rest {
namespace {

constexpr char kSearchJson[] = R"({
  "resourceType": "Bundle", "type": "searchset",
  "meta": {"lastUpdated": "2026-11-23T10:00:00.000Z"},
  "link": [
    {"relation": "self", "url": "https://ehr.test/fhir/Location?_count=2"},
    {"relation": "next", "url": "https://ehr.test/fhir/Location?_count=2&_offset=2"}
  ],
  "entry": [
    {"fullUrl": "https://ehr.test/fhir/Location/ward-1",
     "resource": {"resourceType": "Location", "id": "ward-1",
                  "meta": {"versionId": "3", "lastUpdated": "2026-11-23T09:00:00.123Z"},
                  "status": "active"},
     "search": {"mode": "match"}},
    {"fullUrl": "https://ehr.test/fhir/Organization/org-1",
     "resource": {"resourceType": "Organization", "id": "org-1"},
     "search": {"mode": "include"}},
    {"resource": {"resourceType": "Location", "id": "bed-2", "status": "active"}}
  ]
})";

TEST(BundlePage, ParsesSearchsetEntriesAndNextLink) {
  Result<BundlePage> page = ParseBundlePage(kSearchJson, fhir::Format::kJson);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->type, "searchset");
  EXPECT_EQ(page->next_link, "https://ehr.test/fhir/Location?_count=2&_offset=2");
  EXPECT_EQ(page->bundle_time_ms, *ParseInstant("2026-11-23T10:00:00.000Z"));
  ASSERT_EQ(page->entries.size(), 2u);  // the _include entry is not a match
  const BundlePageEntry& first = page->entries[0];
  EXPECT_EQ(first.resource_type, "Location");
  EXPECT_EQ(first.id, "ward-1");
  EXPECT_EQ(first.version_id, "3");
  EXPECT_EQ(first.last_updated_ms, *ParseInstant("2026-11-23T09:00:00.123Z"));
  EXPECT_EQ(first.full_url, "https://ehr.test/fhir/Location/ward-1");
  EXPECT_FALSE(first.deleted);
  EXPECT_NE(first.resource_json.find(R"("id":"ward-1")"), std::string::npos);
  EXPECT_EQ(first.resource_json.front(), '{');
  EXPECT_EQ(page->entries[1].id, "bed-2");
  EXPECT_FALSE(page->entries[1].last_updated_ms.has_value());
}

TEST(BundlePage, ParsesXmlBundles) {
  constexpr char kXml[] = R"(<Bundle xmlns="http://hl7.org/fhir">
  <type value="searchset"/>
  <link><relation value="next"/><url value="https://ehr.test/fhir/Location?page=2"/></link>
  <entry>
    <fullUrl value="https://ehr.test/fhir/Location/ward-1"/>
    <resource>
      <Location>
        <id value="ward-1"/>
        <meta><versionId value="2"/><lastUpdated value="2026-11-23T09:00:00.000+01:00"/></meta>
        <status value="active"/>
        <name value="Ward 1"/>
      </Location>
    </resource>
  </entry>
</Bundle>)";
  Result<BundlePage> page = ParseBundlePage(kXml, fhir::Format::kXml);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page->next_link, "https://ehr.test/fhir/Location?page=2");
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].id, "ward-1");
  EXPECT_EQ(page->entries[0].version_id, "2");
  EXPECT_EQ(page->entries[0].last_updated_ms, *ParseInstant("2026-11-23T08:00:00.000Z"));
  EXPECT_NE(page->entries[0].resource_json.find(R"("resourceType":"Location")"), std::string::npos);
  EXPECT_NE(page->entries[0].resource_json.find(R"("name":"Ward 1")"), std::string::npos);
}

TEST(BundlePage, MarksHistoryDeletions) {
  constexpr char kHistory[] = R"({"resourceType":"Bundle","type":"history","entry":[
    {"fullUrl":"https://ehr.test/fhir/Location/bed-9",
     "request":{"method":"DELETE","url":"Location/bed-9"},
     "response":{"status":"204 No Content","etag":"W/\"4\"","lastModified":"2026-11-23T11:00:00.000Z"}},
    {"fullUrl":"https://ehr.test/fhir/Location/bed-8",
     "resource":{"resourceType":"Location","id":"bed-8","meta":{"versionId":"2","lastUpdated":"2026-11-23T10:30:00.000Z"}},
     "request":{"method":"PUT","url":"Location/bed-8"},
     "response":{"status":"200 OK","etag":"W/\"2\""}},
    {"fullUrl":"https://ehr.test/fhir/Location/bed-7/_history/3",
     "response":{"status":"410 Gone","lastModified":"2026-11-23T10:00:00.000Z"}}
  ]})";
  Result<BundlePage> page = ParseBundlePage(kHistory, fhir::Format::kJson);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_TRUE(page->entries[0].deleted);
  EXPECT_EQ(page->entries[0].resource_type, "Location");
  EXPECT_EQ(page->entries[0].id, "bed-9");
  EXPECT_EQ(page->entries[0].version_id, "4");
  EXPECT_EQ(page->entries[0].last_updated_ms, *ParseInstant("2026-11-23T11:00:00.000Z"));
  EXPECT_FALSE(page->entries[1].deleted);
  EXPECT_EQ(page->entries[1].request_method, "PUT");
  EXPECT_TRUE(page->entries[2].deleted);  // no resource: a deletion, named by fullUrl
  EXPECT_EQ(page->entries[2].id, "bed-7");
}

TEST(BundlePage, RejectsWhatIsNotABundle) {
  Result<BundlePage> outcome = ParseBundlePage(
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden",)"
      R"("diagnostics":"scope does not allow Location"}]})",
      fhir::Format::kJson);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("OperationOutcome"), std::string::npos);
  EXPECT_NE(outcome.status().message().find("scope does not allow"), std::string::npos);
  EXPECT_FALSE(ParseBundlePage("<html>", fhir::Format::kJson).ok());
  EXPECT_FALSE(ParseBundlePage(R"({"resourceType":"Bundle","entry":[{"resource":)"
                               R"({"resourceType":"Location"}}]})",
                               fhir::Format::kJson)
                   .ok());  // no id
  EXPECT_FALSE(ParseBundlePage(R"({"resourceType":"Bundle","entry":[{"resource":)"
                               R"({"resourceType":"Location","id":"a","meta":)"
                               R"({"lastUpdated":"yesterday"}}}]})",
                               fhir::Format::kJson)
                   .ok());
}

TEST(BundlePage, SplitsTypeAndId) {
  std::string type, id;
  EXPECT_TRUE(SplitTypeAndId("Location/7", type, id));
  EXPECT_EQ(type, "Location");
  EXPECT_EQ(id, "7");
  EXPECT_TRUE(SplitTypeAndId("https://ehr.test/fhir/Encounter/e-1/_history/2", type, id));
  EXPECT_EQ(type, "Encounter");
  EXPECT_EQ(id, "e-1");
  EXPECT_FALSE(SplitTypeAndId("7", type, id));
  EXPECT_FALSE(SplitTypeAndId("", type, id));
}

}  // namespace
}  // namespace fhirengine::adapters::fhir_rest

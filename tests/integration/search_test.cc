// FHIR search against the real `fhir-engine serve` over real HTTP: GET and
// POST _search, paging links followed to the end and back, _total,
// _summary=count, _sort, chains, _has, _include/_revinclude(:iterate),
// strict and lenient handling, malformed values, XML, system search, and
// that deletes and updates show in the results at once. Each test keeps to
// its own identifier system or ids, so they share one engine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};
const HeaderList kStrict = {{"Prefer", "handling=strict"}};

// A searchset Bundle, parsed into what the tests look at.
struct Searchset {
  bool ok = false;
  std::string error;
  std::optional<std::int64_t> total;
  std::map<std::string, std::string> links;  // relation -> url
  std::vector<std::string> matches;          // "Type/id" of mode=match entries, in order
  std::vector<std::string> includes;         // "Type/id" of mode=include entries
  std::vector<std::string> outcomes;         // diagnostics of the mode=outcome entry
};

Searchset ReadSearchset(const HttpResponse& r) {
  Searchset s;
  if (r.status != 200) {
    s.error = Describe(r);
    return s;
  }
  Result<json::Document> doc = json::Parse(r.body);
  if (!doc.ok()) {
    s.error = "not JSON: " + doc.status().message();
    return s;
  }
  const json::Value& root = doc->root();
  const json::Value* type = root.Find("type");
  if (root.Find("resourceType") == nullptr || root.Find("resourceType")->text() != "Bundle" ||
      type == nullptr || type->text() != "searchset") {
    s.error = "not a searchset Bundle: " + r.body.substr(0, 500);
    return s;
  }
  if (const json::Value* total = root.Find("total")) {
    s.total = std::stoll(std::string(total->text()));
  }
  if (const json::Value* links = root.Find("link")) {
    for (const json::Value& link : links->elements()) {
      s.links[std::string(link.Find("relation")->text())] = std::string(link.Find("url")->text());
    }
  }
  if (const json::Value* entries = root.Find("entry")) {
    for (const json::Value& entry : entries->elements()) {
      const json::Value* resource = entry.Find("resource");
      const json::Value* mode = entry.Find("search") ? entry.Find("search")->Find("mode") : nullptr;
      if (resource == nullptr || mode == nullptr) {
        s.error = "entry without resource or search.mode";
        return s;
      }
      const std::string rtype(resource->Find("resourceType")->text());
      if (mode->text() == "outcome") {
        for (const json::Value& issue : resource->Find("issue")->elements()) {
          s.outcomes.emplace_back(issue.Find("diagnostics")->text());
        }
        continue;
      }
      const std::string key = rtype + "/" + std::string(resource->Find("id")->text());
      const json::Value* full_url = entry.Find("fullUrl");
      if (full_url == nullptr || !full_url->text().ends_with("/" + key)) {
        s.error = "entry " + key + " has a wrong fullUrl";
        return s;
      }
      (mode->text() == "match" ? s.matches : s.includes).push_back(key);
    }
  }
  s.ok = true;
  return s;
}

// The path and query of an absolute link ("http://h:1/fhir/x?y" -> "/fhir/x?y").
std::string PathOf(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string LocationJson(const std::string& id, const std::string& system, const std::string& name,
                         const std::string& status = "active", const std::string& partof = "",
                         const std::string& organization = "") {
  std::string json = R"({"resourceType":"Location","id":")" + id +
                     R"(","identifier":[{"system":")" + system + R"(","value":")" + id +
                     R"("}],"status":")" + status + R"(","name":")" + name + R"(")";
  if (!partof.empty()) json += R"(,"partOf":{"reference":"Location/)" + partof + R"("})";
  if (!organization.empty()) {
    json += R"(,"managingOrganization":{"reference":"Organization/)" + organization + R"("})";
  }
  return json + "}";
}

std::string EncounterJson(const std::string& id, const std::string& location,
                          const std::string& status) {
  return R"({"resourceType":"Encounter","id":")" + id + R"(","status":")" + status +
         R"(","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},)"
         R"("location":[{"location":{"reference":"Location/)" +
         location + R"("}}]})";
}

class SearchTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("search", R"({
      "server": {"threads": 2, "limits": {"max-body-bytes": 1048576, "max-header-bytes": 8192,
                 "request-timeout-ms": 5000, "idle-timeout-ms": 20000, "max-connections": 64}},
      "store": {"durability": "normal"}})");
  }
  static void TearDownTestSuite() { StopEngine(); }

  static HttpResponse Call(std::string_view method, std::string_view target,
                           const HeaderList& headers = {}, std::string_view body = {}) {
    HttpClient client(engine_->port());
    if (!client.connected()) {
      HttpResponse r;
      r.error = "connect: " + client.connect_error();
      return r;
    }
    return client.Request(method, target, headers, body);
  }

  static void Put(const std::string& type, const std::string& id, const std::string& json) {
    HttpResponse r = Call("PUT", "/fhir/" + type + "/" + id, kJson, json);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << type << "/" << id << ": " << Describe(r);
  }

  static Searchset Get(const std::string& target, const HeaderList& headers = {}) {
    return ReadSearchset(Call("GET", target, headers));
  }
};

using Strings = std::vector<std::string>;

TEST_F(SearchTest, GetAndPostSearchGiveTheSameResult) {
  for (const char* id : {"gp-1", "gp-2", "gp-3"}) {
    Put("Location", id, LocationJson(id, "urn:test:getpost", "Ward", "active"));
  }
  Put("Location", "gp-4", LocationJson("gp-4", "urn:test:getpost", "Ward", "inactive"));
  const Searchset get =
      Get("/fhir/Location?identifier=urn:test:getpost%7C&status=active&_sort=-_id");
  ASSERT_TRUE(get.ok) << get.error;
  EXPECT_EQ(get.matches, (Strings{"Location/gp-3", "Location/gp-2", "Location/gp-1"}));
  EXPECT_EQ(get.total.value_or(-1), 3);

  const HeaderList form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  const Searchset post =
      ReadSearchset(Call("POST", "/fhir/Location/_search", form,
                         "identifier=urn%3Atest%3Agetpost%7C&status=active&_sort=-_id"));
  ASSERT_TRUE(post.ok) << post.error;
  EXPECT_EQ(post.matches, get.matches);
  EXPECT_EQ(post.total, get.total);
  EXPECT_EQ(post.links.at("self"), get.links.at("self"));
  // Parameters may be split between the URL and the body.
  const Searchset split = ReadSearchset(Call("POST", "/fhir/Location/_search?status=active", form,
                                             "identifier=urn%3Atest%3Agetpost%7C&_sort=-_id"));
  ASSERT_TRUE(split.ok) << split.error;
  EXPECT_EQ(split.matches, get.matches);
  // A body that is not a form is refused.
  EXPECT_EQ(Call("POST", "/fhir/Location/_search", kJson, "{}").status, 415);
}

TEST_F(SearchTest, PagingFollowsNextToTheEndAndPreviousBack) {
  std::set<std::string> created;
  for (int i = 0; i < 23; ++i) {
    const std::string id = "page-" + std::to_string(i);
    Put("Location", id, LocationJson(id, "urn:test:paging", "Ward"));
    created.insert("Location/" + id);
  }
  std::vector<Searchset> pages;
  std::string next = "/fhir/Location?identifier=urn:test:paging%7C&_count=5";
  while (!next.empty() && pages.size() < 10) {
    Searchset page = Get(next);
    ASSERT_TRUE(page.ok) << page.error;
    EXPECT_EQ(page.total.value_or(-1), 23);
    EXPECT_LE(page.matches.size(), 5u);
    ASSERT_EQ(page.links.count("self"), 1u);
    ASSERT_EQ(page.links.count("first"), 1u);
    EXPECT_EQ(page.links.count("previous"), pages.empty() ? 0u : 1u);
    next = page.links.count("next") ? PathOf(page.links.at("next")) : "";
    pages.push_back(std::move(page));
  }
  ASSERT_EQ(pages.size(), 5u);
  std::vector<std::string> seen;
  for (const Searchset& p : pages) seen.insert(seen.end(), p.matches.begin(), p.matches.end());
  EXPECT_EQ(seen.size(), 23u) << "no duplicates, no gaps";
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);
  // Back again through the previous links: the same pages.
  std::string previous = PathOf(pages.back().links.at("previous"));
  for (int i = static_cast<int>(pages.size()) - 2; i >= 0; --i) {
    Searchset page = Get(previous);
    ASSERT_TRUE(page.ok) << page.error;
    EXPECT_EQ(page.matches, pages[static_cast<std::size_t>(i)].matches) << "page " << i;
    previous = page.links.count("previous") ? PathOf(page.links.at("previous")) : "";
  }
  EXPECT_TRUE(previous.empty()) << "the first page has no previous link";
  // The first link leads to the first page.
  EXPECT_EQ(Get(PathOf(pages.back().links.at("first"))).matches, pages.front().matches);
}

TEST_F(SearchTest, TotalNoneAccurateAndSummaryCount) {
  for (const char* id : {"tot-1", "tot-2", "tot-3"}) {
    Put("Location", id, LocationJson(id, "urn:test:total", "Ward"));
  }
  const std::string query = "/fhir/Location?identifier=urn:test:total%7C&_count=2";
  Searchset none = Get(query + "&_total=none");
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_FALSE(none.total.has_value());
  EXPECT_EQ(none.matches.size(), 2u);
  EXPECT_EQ(none.links.count("next"), 1u);
  Searchset accurate = Get(query + "&_total=accurate");
  ASSERT_TRUE(accurate.ok) << accurate.error;
  EXPECT_EQ(accurate.total.value_or(-1), 3);
  Searchset count = Get("/fhir/Location?identifier=urn:test:total%7C&_summary=count");
  ASSERT_TRUE(count.ok) << count.error;
  EXPECT_EQ(count.total.value_or(-1), 3);
  EXPECT_TRUE(count.matches.empty());
  EXPECT_EQ(count.links.count("next"), 0u);
}

TEST_F(SearchTest, SortsByManyKeysWithDescending) {
  Put("Location", "sort-a", LocationJson("sort-a", "urn:test:sort", "Bravo", "active"));
  Put("Location", "sort-b", LocationJson("sort-b", "urn:test:sort", "Alpha", "suspended"));
  Put("Location", "sort-c", LocationJson("sort-c", "urn:test:sort", "Charlie", "active"));
  Put("Location", "sort-d", LocationJson("sort-d", "urn:test:sort", "Alpha", "active"));
  const std::string base = "/fhir/Location?identifier=urn:test:sort%7C&_sort=";
  EXPECT_EQ(Get(base + "status,-name").matches,
            (Strings{"Location/sort-c", "Location/sort-a", "Location/sort-d", "Location/sort-b"}));
  EXPECT_EQ(Get(base + "name,-_id").matches,
            (Strings{"Location/sort-d", "Location/sort-b", "Location/sort-a", "Location/sort-c"}));
  EXPECT_EQ(Get(base + "-name,_id").matches,
            (Strings{"Location/sort-c", "Location/sort-a", "Location/sort-b", "Location/sort-d"}));
}

TEST_F(SearchTest, ChainedParameters) {
  Put("Organization", "ch-org",
      R"({"resourceType":"Organization","id":"ch-org","identifier":[{"system":"urn:test:chain-org","value":"SE1"}],"name":"Region"})");
  Put("Location", "ch-site",
      LocationJson("ch-site", "urn:test:chain", "Site", "active", "", "ch-org"));
  Put("Location", "ch-w1", LocationJson("ch-w1", "urn:test:chain", "Ward 1", "active", "ch-site"));
  Put("Location", "ch-w2", LocationJson("ch-w2", "urn:test:chain", "Ward 2", "active", "ch-other"));
  Put("Encounter", "ch-e1", EncounterJson("ch-e1", "ch-w1", "in-progress"));
  Put("Encounter", "ch-e2", EncounterJson("ch-e2", "ch-w2", "in-progress"));
  EXPECT_EQ(Get("/fhir/Encounter?location.partof=Location/ch-site").matches,
            (Strings{"Encounter/ch-e1"}));
  EXPECT_EQ(Get("/fhir/Location?organization.identifier=urn:test:chain-org%7CSE1").matches,
            (Strings{"Location/ch-site"}));
  EXPECT_EQ(Get("/fhir/Encounter?location:Location.partof.organization.identifier="
                "urn:test:chain-org%7CSE1")
                .matches,
            (Strings{"Encounter/ch-e1"}));
}

TEST_F(SearchTest, ReverseChainsWithHas) {
  Put("Location", "has-w1", LocationJson("has-w1", "urn:test:has", "Ward 1"));
  Put("Location", "has-w2", LocationJson("has-w2", "urn:test:has", "Ward 2"));
  Put("Location", "has-b1", LocationJson("has-b1", "urn:test:has", "Bed 1", "active", "has-w2"));
  Put("Encounter", "has-e1", EncounterJson("has-e1", "has-w1", "finished"));
  Put("Encounter", "has-e2", EncounterJson("has-e2", "has-b1", "in-progress"));
  EXPECT_EQ(Get("/fhir/Location?identifier=urn:test:has%7C&_has:Encounter:location:status=finished")
                .matches,
            (Strings{"Location/has-w1"}));
  EXPECT_EQ(Get("/fhir/Location?identifier=urn:test:has%7C"
                "&_has:Location:partof:_has:Encounter:location:status=in-progress")
                .matches,
            (Strings{"Location/has-w2"}));
}

TEST_F(SearchTest, IncludeAndRevincludeWithIterate) {
  Put("Location", "inc-site", LocationJson("inc-site", "urn:test:inc", "Site"));
  Put("Location", "inc-ward",
      LocationJson("inc-ward", "urn:test:inc", "Ward", "active", "inc-site"));
  Put("Location", "inc-bed", LocationJson("inc-bed", "urn:test:inc", "Bed", "active", "inc-ward"));
  Put("Encounter", "inc-enc", EncounterJson("inc-enc", "inc-bed", "in-progress"));

  Searchset s = Get("/fhir/Encounter?_id=inc-enc&_include=Encounter:location");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.matches, (Strings{"Encounter/inc-enc"}));
  EXPECT_EQ(s.includes, (Strings{"Location/inc-bed"}));
  EXPECT_EQ(s.total.value_or(-1), 1) << "included resources do not count";

  s = Get(
      "/fhir/Encounter?_id=inc-enc&_include=Encounter:location&_include:iterate=Location:partof");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(std::set<std::string>(s.includes.begin(), s.includes.end()),
            (std::set<std::string>{"Location/inc-bed", "Location/inc-ward", "Location/inc-site"}));

  s =
      Get("/fhir/Location?_id=inc-site&_revinclude:iterate=Location:partof"
          "&_revinclude:iterate=Encounter:location");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.matches, (Strings{"Location/inc-site"}));
  EXPECT_EQ(std::set<std::string>(s.includes.begin(), s.includes.end()),
            (std::set<std::string>{"Location/inc-ward", "Location/inc-bed", "Encounter/inc-enc"}));
  // The include parameters stay in the self link.
  EXPECT_NE(s.links.at("self").find("_revinclude:iterate=Encounter:location"), std::string::npos)
      << s.links.at("self");
}

TEST_F(SearchTest, LenientIgnoresUnknownParametersAndStrictRefuses) {
  Put("Location", "len-1", LocationJson("len-1", "urn:test:lenient", "Ward"));
  Searchset lenient = Get("/fhir/Location?identifier=urn:test:lenient%7C&nosuch=1");
  ASSERT_TRUE(lenient.ok) << lenient.error;
  EXPECT_EQ(lenient.matches, (Strings{"Location/len-1"}));
  EXPECT_EQ(lenient.links.at("self").find("nosuch"), std::string::npos) << lenient.links.at("self");
  EXPECT_NE(lenient.links.at("self").find("identifier="), std::string::npos);
  ASSERT_EQ(lenient.outcomes.size(), 1u);
  EXPECT_NE(lenient.outcomes[0].find("nosuch"), std::string::npos) << lenient.outcomes[0];
  // handling=lenient said explicitly is the same.
  Searchset explicit_lenient = Get("/fhir/Location?identifier=urn:test:lenient%7C&nosuch=1",
                                   {{"Prefer", "handling=lenient"}});
  EXPECT_EQ(explicit_lenient.matches, lenient.matches);

  HttpResponse strict =
      Call("GET", "/fhir/Location?identifier=urn:test:lenient%7C&nosuch=1", kStrict);
  EXPECT_EQ(strict.status, 400) << Describe(strict);
  Result<json::Document> outcome = json::Parse(strict.body);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->root().Find("resourceType")->text(), "OperationOutcome");
  EXPECT_NE(strict.body.find("nosuch"), std::string::npos) << strict.body;
  // Without unknown parameters strict handling searches as usual.
  EXPECT_EQ(Get("/fhir/Location?identifier=urn:test:lenient%7C", kStrict).matches,
            (Strings{"Location/len-1"}));
}

TEST_F(SearchTest, MalformedValuesAre400WithAnOperationOutcome) {
  for (const char* target :
       {"/fhir/Encounter?date=yesterday", "/fhir/Location?_count=ten", "/fhir/Location?_count=-1",
        "/fhir/Location?_lastUpdated=gt2024-13-01", "/fhir/Location?partof:missing=maybe",
        "/fhir/Location?_include=Nope:partof", "/fhir/Location?_total=some",
        "/fhir/Location?_summary=yes", "/fhir/Location?identifier=a%7Cb%7Cc", "/fhir?_type=Nope",
        "/fhir/Location?_has:Encounter:location=x"}) {
    HttpResponse r = Call("GET", target);
    EXPECT_EQ(r.status, 400) << target << ": " << Describe(r);
    EXPECT_NE(r.body.find("\"OperationOutcome\""), std::string::npos) << target;
  }
}

TEST_F(SearchTest, XmlSearchset) {
  Put("Location", "xml-1", LocationJson("xml-1", "urn:test:xml", "Ward"));
  HttpResponse r = Call("GET", "/fhir/Location?identifier=urn:test:xml%7C&_format=xml");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_NE(r.body.find("<Bundle xmlns=\"http://hl7.org/fhir\">"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<type value=\"searchset\"/>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<total value=\"1\"/>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<id value=\"xml-1\"/>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<mode value=\"match\"/>"), std::string::npos) << r.body;
  // _format is content negotiation, not a search parameter of the self link.
  EXPECT_EQ(r.body.find("_format"), std::string::npos) << r.body;
  HttpResponse accept = Call("GET", "/fhir/Location?identifier=urn:test:xml%7C",
                             {{"Accept", "application/fhir+xml"}});
  ASSERT_EQ(accept.status, 200);
  EXPECT_NE(accept.body.find("<id value=\"xml-1\"/>"), std::string::npos);
  // Errors come as XML too.
  HttpResponse bad = Call("GET", "/fhir/Encounter?date=yesterday&_format=xml");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("<OperationOutcome xmlns=\"http://hl7.org/fhir\">"), std::string::npos)
      << bad.body;
}

TEST_F(SearchTest, SystemSearchByTypeAndId) {
  Put("Location", "sys-1", LocationJson("sys-1", "urn:test:sys", "Ward"));
  Put("Encounter", "sys-2", EncounterJson("sys-2", "sys-1", "planned"));
  Put("Organization", "sys-3", R"({"resourceType":"Organization","id":"sys-3","name":"X"})");
  Searchset s = Get("/fhir?_id=sys-1,sys-2,sys-3");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(std::set<std::string>(s.matches.begin(), s.matches.end()),
            (std::set<std::string>{"Location/sys-1", "Encounter/sys-2", "Organization/sys-3"}));
  s = Get("/fhir?_type=Location,Encounter&_id=sys-1,sys-2,sys-3");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(std::set<std::string>(s.matches.begin(), s.matches.end()),
            (std::set<std::string>{"Location/sys-1", "Encounter/sys-2"}));
  EXPECT_EQ(s.total.value_or(-1), 2);
  EXPECT_NE(s.links.at("self").find("/fhir?"), std::string::npos) << s.links.at("self");
}

TEST_F(SearchTest, ADeletedResourceDisappears) {
  Put("Location", "del-1", LocationJson("del-1", "urn:test:delete", "Ward"));
  Put("Location", "del-2", LocationJson("del-2", "urn:test:delete", "Ward"));
  Put("Encounter", "del-e", EncounterJson("del-e", "del-1", "in-progress"));
  const std::string query = "/fhir/Location?identifier=urn:test:delete%7C";
  EXPECT_EQ(Get(query).total.value_or(-1), 2);
  ASSERT_EQ(Call("DELETE", "/fhir/Location/del-1").status, 204);
  Searchset after = Get(query);
  EXPECT_EQ(after.matches, (Strings{"Location/del-2"}));
  EXPECT_EQ(after.total.value_or(-1), 1);
  EXPECT_TRUE(Get("/fhir/Location?_id=del-1").matches.empty());
  EXPECT_TRUE(Get("/fhir?_id=del-1").matches.empty());
  Searchset inc = Get("/fhir/Encounter?_id=del-e&_include=Encounter:location");
  EXPECT_EQ(inc.matches, (Strings{"Encounter/del-e"}));
  EXPECT_TRUE(inc.includes.empty()) << "a deleted resource is never included";
}

TEST_F(SearchTest, AnUpdatedResourceIsFoundByItsNewValuesOnly) {
  Put("Location", "upd-1", LocationJson("upd-1", "urn:test:update", "Old ward", "active", "upd-a"));
  EXPECT_EQ(Get("/fhir/Location?name=old%20ward&identifier=urn:test:update%7C").matches,
            (Strings{"Location/upd-1"}));
  Put("Location", "upd-1",
      LocationJson("upd-1", "urn:test:update", "New ward", "suspended", "upd-b"));
  const std::string scope = "&identifier=urn:test:update%7C";
  EXPECT_TRUE(Get("/fhir/Location?name=old" + scope).matches.empty());
  EXPECT_TRUE(Get("/fhir/Location?status=active" + scope).matches.empty());
  EXPECT_TRUE(Get("/fhir/Location?partof=Location/upd-a").matches.empty());
  EXPECT_EQ(Get("/fhir/Location?name=new" + scope).matches, (Strings{"Location/upd-1"}));
  EXPECT_EQ(Get("/fhir/Location?status=suspended" + scope).matches, (Strings{"Location/upd-1"}));
  EXPECT_EQ(Get("/fhir/Location?partof=Location/upd-b").matches, (Strings{"Location/upd-1"}));
}

TEST_F(SearchTest, SearchingATypeNeverStoredFindsNothing) {
  // No Medication was ever written: its parameters have no ids yet.
  Searchset s = Get("/fhir/Medication?code=http://snomed.info/sct%7C1&status=active");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(s.matches.empty());
  EXPECT_EQ(s.total.value_or(-1), 0);
}

TEST_F(SearchTest, SummaryAndElementsSubsetTheEntries) {
  // A Location with narrative, an alias (not a summary element) and an
  // identifier (a summary element).
  Put("Location", "sum-1",
      R"({"resourceType":"Location","id":"sum-1","text":{"status":"generated",)"
      R"("div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ward</div>"},)"
      R"("identifier":[{"system":"urn:test:summary","value":"sum-1"}],"status":"active",)"
      R"("name":"Ward","alias":["W"]})");
  const std::string query = "/fhir/Location?identifier=urn:test:summary%7C";
  auto entry = [&](const std::string& suffix) {
    HttpResponse r = Call("GET", query + suffix, kStrict);
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.body;
  };
  const std::string full = entry("");
  EXPECT_NE(full.find(R"("alias")"), std::string::npos);
  EXPECT_EQ(full.find("SUBSETTED"), std::string::npos);

  const std::string summary = entry("&_summary=true");
  EXPECT_EQ(summary.find(R"("alias")"), std::string::npos) << "alias is not a summary element";
  EXPECT_EQ(summary.find(R"("text")"), std::string::npos);
  EXPECT_NE(summary.find(R"("identifier")"), std::string::npos);
  EXPECT_NE(summary.find("SUBSETTED"), std::string::npos);

  const std::string data = entry("&_summary=data");
  EXPECT_EQ(data.find(R"("text")"), std::string::npos);
  EXPECT_NE(data.find(R"("alias")"), std::string::npos);

  const std::string elements = entry("&_elements=alias");
  EXPECT_NE(elements.find(R"("alias")"), std::string::npos);
  EXPECT_EQ(elements.find(R"("identifier")"), std::string::npos);
  EXPECT_NE(elements.find("SUBSETTED"), std::string::npos);

  // An element Location does not have: ignored when lenient, 400 when strict.
  EXPECT_EQ(Call("GET", query + "&_elements=nonsense", kStrict).status, 400);
  Searchset lenient = Get(query + "&_elements=nonsense,name");
  ASSERT_TRUE(lenient.ok) << lenient.error;
  EXPECT_EQ(lenient.matches, (Strings{"Location/sum-1"}));
  // As on read, the two together are refused.
  EXPECT_EQ(Call("GET", query + "&_summary=true&_elements=name").status, 400);
}

}  // namespace
}  // namespace fhirengine::testing

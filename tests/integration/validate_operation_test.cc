// $validate and required profiles against the real `fhir-engine serve` over
// HTTP on loopback: the shipped regional bed example validates; broken beds
// (one rule kind each) come back with the right issue and expression; the
// profile parameter in the query and in a Parameters body; unknown
// profiles; and a server requiring RegionalBed for Location refuses
// non-conforming creates, updates and transaction entries with 422 while
// storing nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json/json_parser.h"
#include "engine/json/json_writer.h"
#include "tests/support/http_assertions.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"

namespace fhirengine::testing {
namespace {

const HeaderList kJson = {{"Content-Type", "application/fhir+json"}};
const std::string kBedProfile =
    "https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed";

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(FE_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The shipped example bed with a narrative (so not even dom-6 warns), id
// `id`, changed by `edit`.
std::string Bed(const std::string& id,
                const std::function<void(json::Document&, json::Value&)>& edit = {}) {
  Result<json::Document> doc =
      json::Parse(ReadSource("fhir-profiles/regional/examples/Location-example-bed.json"));
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return "";
  json::Value& root = doc->root();
  const json::Member text[] = {
      {"status", doc->MakeString("generated")},
      {"div", doc->MakeString("<div xmlns=\"http://www.w3.org/1999/xhtml\">Bed 1</div>")}};
  doc->SetMember(root, "text", doc->MakeObject(text));
  if (id.empty()) {
    doc->RemoveMember(root, "id");
  } else {
    doc->SetMember(root, "id", doc->MakeString(id));
  }
  if (edit) edit(*doc, root);
  return json::Write(root);
}

void WithoutMeta(json::Document& doc, json::Value& root) { doc.RemoveMember(root, "meta"); }

std::string Parameters(const std::string& resource, const std::string& profile) {
  std::string p = R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":)" +
                  resource + "}";
  if (!profile.empty()) p += R"(,{"name":"profile","valueUri":")" + profile + R"("})";
  return p + "]}";
}

struct Finding {
  std::string severity;
  std::string code;
  std::string expression;
  std::string diagnostics;
};

std::vector<Finding> Findings(const std::string& body) {
  std::vector<Finding> out;
  Result<json::Document> doc = json::Parse(body);
  if (!doc.ok()) return out;
  const json::Value* issues = doc->root().Find("issue");
  if (issues == nullptr) return out;
  for (const json::Value& i : issues->elements()) {
    Finding f;
    auto text = [&](const char* key) {
      const json::Value* v = i.Find(key);
      return v != nullptr && v->IsString() ? std::string(v->text()) : std::string();
    };
    f.severity = text("severity");
    f.code = text("code");
    f.diagnostics = text("diagnostics");
    if (const json::Value* e = i.Find("expression"); e != nullptr && e->size() > 0) {
      f.expression = std::string(e->elements()[0].text());
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::size_t Errors(const std::vector<Finding>& findings) {
  std::size_t n = 0;
  for (const Finding& f : findings) n += f.severity == "error" || f.severity == "fatal";
  return n;
}

// Whether some error has `code` at `expression` with `words` in its text.
bool HasError(const std::vector<Finding>& findings, const std::string& code,
              const std::string& expression, const std::string& words = "") {
  for (const Finding& f : findings) {
    if (f.severity == "error" && f.code == code && f.expression == expression &&
        f.diagnostics.find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string Dump(const std::vector<Finding>& findings) {
  std::string s;
  for (const Finding& f : findings) {
    s += f.severity + " " + f.code + " @" + f.expression + ": " + f.diagnostics + "\n";
  }
  return s;
}

class ValidateOperationTest : public SharedEngineTest {
 protected:
  static void SetUpTestSuite() {
    StartEngine("validate", R"({"server": {"threads": 2}, "store": {"durability": "normal"},
        "profiles": {"required": {"Location": [")" +
                                kBedProfile + R"("]}}})");
  }
  static void TearDownTestSuite() { StopEngine(); }

  static HttpResponse Call(std::string_view method, std::string_view target,
                           std::string_view body = {}, const HeaderList& headers = kJson) {
    HttpClient client(engine_->port());
    if (!client.connected()) {
      HttpResponse r;
      r.error = "connect: " + client.connect_error();
      return r;
    }
    return client.Request(method, target, headers, body);
  }

  // POSTs `body` to `target` and expects 200 with an OperationOutcome.
  static std::vector<Finding> Validate(const std::string& target, const std::string& body) {
    HttpResponse r = Call("POST", target, body);
    EXPECT_EQ(r.status, 200) << Describe(r);
    EXPECT_TRUE(IsOperationOutcome(r)) << Describe(r);
    return Findings(r.body);
  }
};

TEST_F(ValidateOperationTest, ShippedBedExampleIsAllOk) {
  std::vector<Finding> f = Validate("/fhir/Location/$validate", Bed("example-bed"));
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].severity, "information");
  EXPECT_EQ(f[0].diagnostics, "All OK");
}

TEST_F(ValidateOperationTest, MissingOperationalStatusIsRequiredError) {
  std::vector<Finding> f =
      Validate("/fhir/Location/$validate", Bed("b1", [](json::Document& doc, json::Value& root) {
                 doc.RemoveMember(root, "operationalStatus");
               }));
  EXPECT_TRUE(HasError(f, "required", "Location.operationalStatus", "minimum required = 1"))
      << Dump(f);
  EXPECT_EQ(Errors(f), 1u) << Dump(f);
}

TEST_F(ValidateOperationTest, WrongPhysicalTypeBreaksThePattern) {
  std::vector<Finding> f =
      Validate("/fhir/Location/$validate", Bed("b2", [](json::Document& doc, json::Value& root) {
                 json::Value& coding = root.Find("physicalType")->Find("coding")->elements()[0];
                 doc.SetMember(coding, "code", doc.MakeString("wa"));
               }));
  EXPECT_TRUE(HasError(f, "value", "Location.physicalType", "does not match the pattern"))
      << Dump(f);
  EXPECT_EQ(Errors(f), 1u) << Dump(f);
}

TEST_F(ValidateOperationTest, BedCategoryOutsideItsValueSetIsBindingError) {
  std::vector<Finding> f = Validate(
      "/fhir/Location/$validate", Bed("b3", [](json::Document& doc, json::Value& root) {
        json::Value& category = root.Find("extension")->elements()[0];
        json::Value& coding = category.Find("valueCodeableConcept")->Find("coding")->elements()[0];
        doc.SetMember(coding, "code", doc.MakeString("no-such-category"));
      }));
  EXPECT_TRUE(
      HasError(f, "code-invalid", "Location.extension[0].valueCodeableConcept", "no-such-category"))
      << Dump(f);
  EXPECT_EQ(Errors(f), 1u) << Dump(f);
}

TEST_F(ValidateOperationTest, BedStatusExtensionWithWrongValueTypeIsCaught) {
  std::vector<Finding> f =
      Validate("/fhir/Location/$validate", Bed("b4", [](json::Document& doc, json::Value& root) {
                 json::Value& status = root.Find("extension")->elements()[1];
                 doc.RemoveMember(status, "valueCoding");
                 doc.SetMember(status, "valueString", doc.MakeString("reserved"));
               }));
  EXPECT_TRUE(HasError(f, "structure", "Location.extension[1].valueString", "not allowed"))
      << Dump(f);
}

TEST_F(ValidateOperationTest, MissingRequiredBedCategoryExtensionIsSliceError) {
  std::vector<Finding> f = Validate(
      "/fhir/Location/$validate", Bed("b5", [](json::Document& doc, json::Value& root) {
        json::Value status = root.Find("extension")->elements()[1];
        doc.SetMember(root, "extension", doc.MakeArray(std::span<const json::Value>(&status, 1)));
      }));
  EXPECT_TRUE(HasError(f, "required", "Location.extension", "slice 'bedCategory'")) << Dump(f);
}

TEST_F(ValidateOperationTest, ProfileQueryParameterAppliesWithoutMetaProfile) {
  const std::string bare = Bed("b6", [](json::Document& doc, json::Value& root) {
    WithoutMeta(doc, root);
    doc.RemoveMember(root, "operationalStatus");
  });
  // Without a profile only the base rules apply: the bed is a valid Location.
  std::vector<Finding> base = Validate("/fhir/Location/$validate", bare);
  EXPECT_EQ(Errors(base), 0u) << Dump(base);
  std::vector<Finding> profiled = Validate("/fhir/Location/$validate?profile=" + kBedProfile, bare);
  EXPECT_TRUE(HasError(profiled, "required", "Location.operationalStatus")) << Dump(profiled);
}

TEST_F(ValidateOperationTest, ProfileInParametersBodyApplies) {
  const std::string bare = Bed("b7", [](json::Document& doc, json::Value& root) {
    WithoutMeta(doc, root);
    doc.RemoveMember(root, "operationalStatus");
  });
  std::vector<Finding> f = Validate("/fhir/Location/$validate", Parameters(bare, kBedProfile));
  EXPECT_TRUE(HasError(f, "required", "Location.operationalStatus")) << Dump(f);
  std::vector<Finding> valid =
      Validate("/fhir/Location/$validate", Parameters(Bed("b7", WithoutMeta), kBedProfile));
  EXPECT_EQ(Errors(valid), 0u) << Dump(valid);
}

TEST_F(ValidateOperationTest, UnknownProfileIsNotSupportedError) {
  const std::string unknown = "https://example.org/fhir/StructureDefinition/NoSuchProfile";
  std::vector<Finding> f =
      Validate("/fhir/Location/$validate?profile=" + unknown, Bed("b8", WithoutMeta));
  ASSERT_EQ(Errors(f), 1u) << Dump(f);
  EXPECT_TRUE(HasError(f, "not-supported", "", unknown)) << Dump(f);
  // Declared in meta.profile only: a warning, the rest still checked.
  std::vector<Finding> declared =
      Validate("/fhir/Location/$validate", Bed("b8", [&](json::Document& doc, json::Value& root) {
                 const json::Value url = doc.MakeString(unknown);
                 const json::Member meta[] = {
                     {"profile", doc.MakeArray(std::span<const json::Value>(&url, 1))}};
                 doc.SetMember(root, "meta", doc.MakeObject(meta));
               }));
  EXPECT_EQ(Errors(declared), 0u) << Dump(declared);
  ASSERT_FALSE(declared.empty());
  EXPECT_EQ(declared[0].severity, "warning") << Dump(declared);
  EXPECT_EQ(declared[0].code, "not-supported") << Dump(declared);
}

TEST_F(ValidateOperationTest, InstanceLevelChecksTheIdAndDeleteMode) {
  std::vector<Finding> f = Validate("/fhir/Location/other-id/$validate", Bed("b9"));
  EXPECT_TRUE(HasError(f, "value", "Location.id", "differs")) << Dump(f);
  std::vector<Finding> gone = Validate("/fhir/Location/never-stored/$validate?mode=delete", "");
  EXPECT_TRUE(HasError(gone, "not-found", "", "does not exist")) << Dump(gone);
}

TEST_F(ValidateOperationTest, BadRequestsAre400) {
  EXPECT_EQ(Call("POST", "/fhir/Location/$validate", "").status, 400) << "no resource";
  EXPECT_EQ(Call("POST", "/fhir/Location/$validate?mode=bogus", Bed("x")).status, 400);
  EXPECT_EQ(Call("POST", "/fhir/Organization/$validate", Bed("x")).status, 400) << "wrong type";
  EXPECT_EQ(
      Call("POST", "/fhir/Location/$validate",
           R"({"resourceType":"Parameters","parameter":[{"name":"colour","valueString":"x"}]})")
          .status,
      400);
  EXPECT_EQ(Call("GET", "/fhir/Location/$validate").status, 405);
}

TEST_F(ValidateOperationTest, CapabilityStatementDeclaresValidateAndRequiredProfile) {
  HttpResponse r = Call("GET", "/fhir/metadata");
  ASSERT_EQ(r.status, 200) << Describe(r);
  Result<json::Document> doc = json::Parse(r.body);
  ASSERT_TRUE(doc.ok());
  const json::Value* location = nullptr;
  for (const json::Value& res :
       doc->root().Find("rest")->elements()[0].Find("resource")->elements()) {
    if (res.Find("type")->text() == "Location") location = &res;
  }
  ASSERT_NE(location, nullptr);
  ASSERT_NE(location->Find("profile"), nullptr);
  EXPECT_EQ(location->Find("profile")->text(), kBedProfile);
  EXPECT_EQ(location->Find("supportedProfile")->elements()[0].text(), kBedProfile);
  const json::Value& op = location->Find("operation")->elements()[0];
  EXPECT_EQ(op.Find("name")->text(), "validate");
  EXPECT_EQ(op.Find("definition")->text(),
            "http://hl7.org/fhir/OperationDefinition/Resource-validate");
}

// ---- required profiles --------------------------------------------------------

TEST_F(ValidateOperationTest, RequiredProfileRefusesCreateAndStoresNothing) {
  const std::string broken = Bed("", [](json::Document& doc, json::Value& root) {
    WithoutMeta(doc, root);
    doc.SetMember(root, "name", doc.MakeString("Refused create bed"));
    doc.RemoveMember(root, "operationalStatus");
  });
  HttpResponse r = Call("POST", "/fhir/Location", broken);
  ASSERT_EQ(r.status, 422) << Describe(r);
  EXPECT_TRUE(HasError(Findings(r.body), "required", "Location.operationalStatus")) << r.body;
  HttpResponse search = Call("GET", "/fhir/Location?name:exact=Refused%20create%20bed");
  ASSERT_EQ(search.status, 200) << Describe(search);
  EXPECT_FALSE(JsonHas(search.body, {"entry"})) << search.body;
  // A conforming bed (without meta.profile: the required profile applies anyway).
  HttpResponse ok = Call("POST", "/fhir/Location", Bed("", WithoutMeta));
  EXPECT_EQ(ok.status, 201) << Describe(ok);
}

TEST_F(ValidateOperationTest, RequiredProfileRefusesUpdatesAndConditionalUpdates) {
  const std::string broken = Bed("refused-put", [](json::Document& doc, json::Value& root) {
    json::Value& coding = root.Find("physicalType")->Find("coding")->elements()[0];
    doc.SetMember(coding, "code", doc.MakeString("ro"));
  });
  HttpResponse r = Call("PUT", "/fhir/Location/refused-put", broken);
  ASSERT_EQ(r.status, 422) << Describe(r);
  EXPECT_TRUE(HasError(Findings(r.body), "value", "Location.physicalType")) << r.body;
  EXPECT_EQ(Call("GET", "/fhir/Location/refused-put").status, 404);
  HttpResponse conditional = Call("PUT", "/fhir/Location?_id=refused-put", broken);
  EXPECT_EQ(conditional.status, 422) << Describe(conditional);
  EXPECT_EQ(Call("GET", "/fhir/Location/refused-put").status, 404);
  HttpResponse ok = Call("PUT", "/fhir/Location/accepted-put", Bed("accepted-put"));
  EXPECT_EQ(ok.status, 201) << Describe(ok);
  // Other types have no required profile.
  HttpResponse org = Call("PUT", "/fhir/Organization/plain-org",
                          R"({"resourceType":"Organization","id":"plain-org","name":"Org"})");
  EXPECT_EQ(org.status, 201) << Describe(org);
}

TEST_F(ValidateOperationTest, RequiredProfileFailsTheWholeTransaction) {
  const std::string broken = Bed("tx-bed", [](json::Document& doc, json::Value& root) {
    doc.RemoveMember(root, "operationalStatus");
  });
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[)"
      R"({"resource":{"resourceType":"Organization","id":"tx-org","name":"Tx org"},)"
      R"("request":{"method":"PUT","url":"Organization/tx-org"}},)"
      R"({"resource":)" +
      broken + R"(,"request":{"method":"PUT","url":"Location/tx-bed"}}]})";
  HttpResponse r = Call("POST", "/fhir", bundle);
  ASSERT_EQ(r.status, 422) << Describe(r);
  EXPECT_NE(r.body.find("Location.operationalStatus"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/fhir/Organization/tx-org").status, 404) << "nothing stored";
  EXPECT_EQ(Call("GET", "/fhir/Location/tx-bed").status, 404);
}

}  // namespace
}  // namespace fhirengine::testing

// The store's JSON compression: round trips, the plain fallbacks, and
// corrupt input that must fail cleanly.
#include "engine/store/json_compression.h"

#include <gtest/gtest.h>

#include <string>

namespace fhirengine::store {
namespace {

TEST(JsonCompression, RoundTripsAndShrinksTypicalResources) {
  const std::string bed =
      R"({"resourceType":"Location","id":"bed-000123","meta":{"versionId":"3","lastUpdated":"2026-11-23T10:00:00.000Z"},)"
      R"("identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000016-BED-000123"}],"status":"active",)"
      R"("operationalStatus":{"system":"http://terminology.hl7.org/CodeSystem/v2-0116","code":"O"},"name":"Bed 123",)"
      R"("physicalType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/location-physical-type","code":"bd"}]},)"
      R"("partOf":{"reference":"Location/ward-00012"}})";
  const std::string stored = CompressJson(bed);
  EXPECT_EQ(stored[0], '\x01');
  EXPECT_LT(stored.size() * 2, bed.size()) << "the dictionary should at least halve a bed";
  Result<std::string> back = DecompressJson(stored);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, bed);
}

TEST(JsonCompression, LargeDocumentsRoundTrip) {
  std::string big = R"({"resourceType":"Bundle","entry":[)";
  for (int i = 0; i < 20000; ++i) {
    big += (i ? "," : "") + std::string(R"({"fullUrl":"urn:uuid:)") + std::to_string(i * 7919) +
           R"("})";
  }
  big += "]}";
  Result<std::string> back = DecompressJson(CompressJson(big));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, big);
}

TEST(JsonCompression, ValuesThatDoNotShrinkStayReadable) {
  for (const std::string& value : {std::string("{}"), std::string("0"), std::string("x"),
                                   std::string(""), std::string("\x01not deflate")}) {
    Result<std::string> back = DecompressJson(CompressJson(value));
    ASSERT_TRUE(back.ok()) << value;
    EXPECT_EQ(*back, value);
  }
}

TEST(JsonCompression, PlainJsonFromOlderDatabasesIsReadAsItIs) {
  Result<std::string> back = DecompressJson(R"({"resourceType":"Basic"})");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, R"({"resourceType":"Basic"})");
}

TEST(JsonCompression, CorruptValuesAreErrorsNotCrashes) {
  const std::string json = R"({"resourceType":"Location","name":"a long enough name here"})";
  const std::string stored = CompressJson(json);
  for (std::size_t cut = 1; cut < stored.size(); ++cut) {
    Result<std::string> r = DecompressJson(stored.substr(0, cut));
    EXPECT_FALSE(r.ok()) << "truncated at " << cut;
  }
  EXPECT_EQ(DecompressJson("\x07whatever").status().code(), StatusCode::kIoError);
  std::string flipped = stored;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5a);
  Result<std::string> r = DecompressJson(flipped);  // an error or other bytes, never a crash
  EXPECT_TRUE(!r.ok() || *r != json);
}

}  // namespace
}  // namespace fhirengine::store

// Content negotiation: _format over Accept, q-values, wildcards, request
// Content-Type and charset, Prefer: return.
#include "engine/rest/negotiation.h"

#include <gtest/gtest.h>

namespace fhirengine::rest {
namespace {

using fhir::Format;

std::optional<Format> Response(const char* format_param, std::string_view accept) {
  std::string param = format_param == nullptr ? "" : format_param;
  Result<Format> r = ResponseFormat(format_param == nullptr ? nullptr : &param, accept);
  return r.ok() ? std::optional<Format>(*r) : std::nullopt;
}

TEST(ResponseFormat, DefaultsToJson) {
  EXPECT_EQ(Response(nullptr, ""), Format::kJson);
  EXPECT_EQ(Response(nullptr, "*/*"), Format::kJson);
  EXPECT_EQ(Response(nullptr, "application/*"), Format::kJson);
}

TEST(ResponseFormat, FormatParameterWinsOverAccept) {
  EXPECT_EQ(Response("xml", "application/fhir+json"), Format::kXml);
  EXPECT_EQ(Response("json", "application/fhir+xml"), Format::kJson);
  EXPECT_EQ(Response("application/fhir xml", ""), Format::kXml) << "an unencoded '+'";
  EXPECT_EQ(Response("text/xml", ""), Format::kXml);
  EXPECT_EQ(Response("application/json", ""), Format::kJson);
  EXPECT_EQ(Response("APPLICATION/FHIR+XML", ""), Format::kXml);
  EXPECT_EQ(Response("html", ""), std::nullopt);
  EXPECT_EQ(Response("", ""), std::nullopt);
}

TEST(ResponseFormat, AcceptWithQualities) {
  EXPECT_EQ(Response(nullptr, "application/fhir+xml"), Format::kXml);
  EXPECT_EQ(Response(nullptr, "application/fhir+xml;q=0.5, application/fhir+json"), Format::kJson);
  EXPECT_EQ(Response(nullptr, "application/fhir+json;q=0.2, application/fhir+xml;q=0.9"),
            Format::kXml);
  EXPECT_EQ(Response(nullptr, "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8"),
            Format::kXml);
  EXPECT_EQ(Response(nullptr, "application/fhir+json; fhirVersion=4.0"), Format::kJson);
  EXPECT_EQ(Response(nullptr, "text/*"), Format::kXml);
}

TEST(ResponseFormat, NothingAcceptableIsAnError) {
  EXPECT_EQ(Response(nullptr, "text/html"), std::nullopt);
  EXPECT_EQ(Response(nullptr, "application/fhir+json;q=0"), std::nullopt);
  EXPECT_EQ(Response(nullptr, "image/png, text/csv"), std::nullopt);
}

TEST(RequestBodyFormat, FromContentType) {
  EXPECT_EQ(*RequestBodyFormat("application/fhir+json", "<x/>"), Format::kJson)
      << "the header wins over the content";
  EXPECT_EQ(*RequestBodyFormat("application/fhir+xml; charset=UTF-8", ""), Format::kXml);
  EXPECT_EQ(*RequestBodyFormat("application/json;charset=\"utf-8\"", ""), Format::kJson);
  EXPECT_FALSE(RequestBodyFormat("text/plain", "{}").ok());
  EXPECT_FALSE(RequestBodyFormat("application/fhir+json; charset=iso-8859-1", "{}").ok());
  EXPECT_FALSE(RequestBodyFormat("multipart/form-data; boundary=x", "{}").ok());
}

TEST(RequestBodyFormat, WithoutContentTypeFromTheContent) {
  EXPECT_EQ(*RequestBodyFormat("", " {\"resourceType\":\"Patient\"}"), Format::kJson);
  EXPECT_EQ(*RequestBodyFormat("", "<Patient/>"), Format::kXml);
  EXPECT_FALSE(RequestBodyFormat("", "resourceType=Patient").ok());
}

TEST(JsonPatchContentType, AcceptsOnlyJsonPatchInUtf8) {
  EXPECT_TRUE(CheckJsonPatchContentType("application/json-patch+json").ok());
  EXPECT_TRUE(CheckJsonPatchContentType("Application/JSON-Patch+JSON; charset=UTF-8").ok());
  EXPECT_FALSE(CheckJsonPatchContentType("").ok());
  EXPECT_FALSE(CheckJsonPatchContentType("application/json-patch+json; charset=latin1").ok());
  EXPECT_FALSE(CheckJsonPatchContentType("application/merge-patch+json").ok());
  Status fhirpath = CheckJsonPatchContentType("application/fhir+json");
  ASSERT_FALSE(fhirpath.ok());
  EXPECT_EQ(fhirpath.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fhirpath.message().find("FHIRPath Patch"), std::string::npos) << fhirpath.message();
  EXPECT_NE(CheckJsonPatchContentType("application/fhir+xml").message().find("FHIRPath Patch"),
            std::string::npos);
}

TEST(ContentTypeFor, NamesTheFhirMediaTypes) {
  EXPECT_EQ(ContentTypeFor(Format::kJson), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(ContentTypeFor(Format::kXml), "application/fhir+xml; charset=utf-8");
}

TEST(PreferReturn, ParsesTheReturnPreference) {
  EXPECT_EQ(ParsePreferReturn(""), PreferReturn::kUnspecified);
  EXPECT_EQ(ParsePreferReturn("return=minimal"), PreferReturn::kMinimal);
  EXPECT_EQ(ParsePreferReturn("return=representation"), PreferReturn::kRepresentation);
  EXPECT_EQ(ParsePreferReturn("return=OperationOutcome"), PreferReturn::kOperationOutcome);
  EXPECT_EQ(ParsePreferReturn("respond-async, return = \"minimal\""), PreferReturn::kMinimal);
  EXPECT_EQ(ParsePreferReturn("handling=strict; return=minimal"), PreferReturn::kMinimal);
  EXPECT_EQ(ParsePreferReturn("return=minimal, return=representation"), PreferReturn::kMinimal);
  EXPECT_EQ(ParsePreferReturn("return=everything"), PreferReturn::kUnspecified);
  EXPECT_EQ(ParsePreferReturn("handling=lenient"), PreferReturn::kUnspecified);
}

TEST(PreferHandling, StrictOnlyWhenAskedFirst) {
  EXPECT_FALSE(PreferStrictHandling(""));
  EXPECT_TRUE(PreferStrictHandling("handling=strict"));
  EXPECT_TRUE(PreferStrictHandling("return=minimal; handling = \"strict\""));
  EXPECT_TRUE(PreferStrictHandling("respond-async, HANDLING=strict"));
  EXPECT_FALSE(PreferStrictHandling("handling=lenient"));
  EXPECT_FALSE(PreferStrictHandling("handling=lenient, handling=strict"));
  EXPECT_FALSE(PreferStrictHandling("handling=strictly"));
  EXPECT_FALSE(PreferStrictHandling("return=minimal"));
}

}  // namespace
}  // namespace fhirengine::rest

// Loading the server's profiles: the shipped defaults hold the regional
// profiles and the R4 base definitions their bindings need; a configured
// folder that does not exist is an error naming it.
#include "engine/app/server_profiles.h"

#include <gtest/gtest.h>

namespace fhirengine::app {
namespace {

TEST(ServerProfiles, TheShippedDefaultsHoldTheRegionalProfilesAndTheirBaseDefinitions) {
  Result<std::shared_ptr<const profiles::ProfileRegistry>> registry =
      LoadServerProfiles(ServerConfig{});
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const profiles::ProfileRegistry& r = **registry;
  EXPECT_NE(r.FindProfile("https://fhir-engine.example.org/fhir/StructureDefinition/RegionalBed"),
            nullptr);
  EXPECT_NE(r.FindType("Identifier"), nullptr);
  EXPECT_NE(r.FindType("CodeableConcept"), nullptr);
  // Bindings of Location.status and operationalStatus are decidable.
  EXPECT_EQ(r.ValueSetContains("http://hl7.org/fhir/ValueSet/location-status",
                               "http://hl7.org/fhir/location-status", "suspended"),
            profiles::Membership::kMember);
  EXPECT_EQ(r.ValueSetContains("http://terminology.hl7.org/ValueSet/v2-0116",
                               "http://terminology.hl7.org/CodeSystem/v2-0116", "Z"),
            profiles::Membership::kNotMember);
}

TEST(ServerProfiles, AMissingConfiguredFolderIsNamed) {
  ServerConfig config;
  config.profile_directories = {"/nonexistent/profiles-here"};
  Result<std::shared_ptr<const profiles::ProfileRegistry>> registry = LoadServerProfiles(config);
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.status().code(), StatusCode::kNotFound);
  EXPECT_NE(registry.status().message().find("/nonexistent/profiles-here"), std::string::npos);
}

}  // namespace
}  // namespace fhirengine::app

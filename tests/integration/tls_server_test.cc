// `fhir-engine serve` with "server.tls": HTTPS answered with a certificate the
// test CA signed (paths relative to the config file), plain HTTP on that port
// refused without harm, client certificates required with client-ca-file,
// and unusable TLS files stopping the start with a message naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/net/http_client.h"
#include "tests/support/engine_process.h"
#include "tests/support/http_client.h"
#include "tests/support/shared_engine.h"
#include "tests/support/test_pki.h"

namespace fhirengine::testing {
namespace {

namespace fs = std::filesystem;

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("tls-server");
    fs::create_directories(dir_ / "pki");
    Result<TestPki> made = MakeTestPki((dir_ / "pki").string());
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    pki_ = std::move(made).value();
  }
  void TearDown() override {
    if (engine_) EXPECT_EQ(engine_->Stop(), 0);
    engine_.reset();
    fs::remove_all(dir_);
  }

  // Starts the engine with `tls_json` as "server.tls"; the error when it did not start.
  std::string Start(const std::string& tls_json) {
    const fs::path config = dir_ / "config.json";
    std::ofstream(config) << R"({"server": {"threads": 2, "tls": )" << tls_json
                          << R"(}, "store": {"durability": "normal"}})";
    std::string error;
    engine_ = EngineProcess::Start(
        FHIR_ENGINE_BINARY,
        {"serve", "--config", config.string(), "--port", "0", "--database", (dir_ / "db").string()},
        error);
    return error;
  }

  std::unique_ptr<net::HttpClient> Client(bool with_client_cert) const {
    net::HttpClientOptions options;
    options.tls.ca_file = pki_.ca_cert;
    if (with_client_cert) {
      options.tls.client_cert_file = pki_.client_cert;
      options.tls.client_key_file = pki_.client_key;
    }
    Result<std::unique_ptr<net::HttpClient>> client = net::HttpClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  Result<net::HttpResponse> Metadata(net::HttpClient& client) const {
    net::HttpRequest request;
    request.url = engine_->base_url() + "/metadata";
    request.headers = {{"Accept", "application/fhir+json"}};
    return client.Send(request);
  }

  fs::path dir_;
  TestPki pki_;
  std::unique_ptr<EngineProcess> engine_;
};

TEST_F(TlsServerTest, ServesHttpsWithPathsRelativeToTheConfigFile) {
  const std::string error =
      Start(R"({"cert-file": "pki/server.pem", "key-file": "pki/server.key"})");
  ASSERT_TRUE(engine_) << error;
  EXPECT_EQ(engine_->base_url(), "https://127.0.0.1:" + std::to_string(engine_->port()) + "/fhir");
  auto client = Client(false);
  ASSERT_TRUE(client);
  Result<net::HttpResponse> r = Metadata(*client);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"resourceType\":\"CapabilityStatement\""), std::string::npos);
  EXPECT_NE(r->body.find(engine_->base_url()), std::string::npos);  // the https base
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortFailsAndTheServerGoesOn) {
  const std::string error =
      Start(R"({"cert-file": "pki/server.pem", "key-file": "pki/server.key"})");
  ASSERT_TRUE(engine_) << error;
  for (int i = 0; i < 3; ++i) {
    HttpClient plain(engine_->port(), std::chrono::seconds(10));
    ASSERT_TRUE(plain.connected()) << plain.connect_error();
    HttpResponse r = plain.Request("GET", "/fhir/metadata");
    EXPECT_EQ(r.status, 0) << "plain HTTP was answered on the HTTPS port";
  }
  EXPECT_TRUE(engine_->WaitForLine({"\"msg\":\"TLS handshake failed\""}).has_value());
  auto client = Client(false);
  ASSERT_TRUE(client);
  Result<net::HttpResponse> r = Metadata(*client);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsServerTest, ClientCaFileRequiresAClientCertificate) {
  const std::string error = Start(
      R"({"cert-file": "pki/server.pem", "key-file": "pki/server.key",
          "client-ca-file": "pki/ca.pem"})");
  ASSERT_TRUE(engine_) << error;
  auto anonymous = Client(false);
  ASSERT_TRUE(anonymous);
  Result<net::HttpResponse> refused = Metadata(*anonymous);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  auto identified = Client(true);
  ASSERT_TRUE(identified);
  Result<net::HttpResponse> accepted = Metadata(*identified);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->status, 200);
}

TEST_F(TlsServerTest, MissingKeyFileStopsTheStartNamingIt) {
  const std::string error =
      Start(R"({"cert-file": "pki/server.pem", "key-file": "pki/absent.key"})");
  EXPECT_FALSE(engine_);
  EXPECT_NE(error.find("absent.key"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
}

}  // namespace
}  // namespace fhirengine::testing

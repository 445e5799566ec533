// A throwaway public-key infrastructure for TLS tests: a CA, certificates it
// signed (a server certificate for loopback, one for a host nobody uses, a
// client certificate) and an unrelated second CA, written as PEM files into
// a directory. P-256 keys, valid from an hour ago for a day; made with the
// OpenSSL C API in a few milliseconds.
#pragma once

#include <string>

#include "engine/core/status.h"

namespace fhirengine::testing {

// Paths of the PEM files MakeTestPki wrote (all inside its directory).
struct TestPki {
  std::string ca_cert;      // the test CA: trust it to accept the certificates below
  std::string server_cert;  // SAN IP:127.0.0.1, IP:::1, DNS:localhost; serverAuth
  std::string server_key;
  std::string wrong_host_cert;  // signed by the CA, SAN DNS:wrong-host.invalid only
  std::string wrong_host_key;
  std::string client_cert;  // CN "test client", clientAuth; signed by the CA
  std::string client_key;
  std::string other_ca_cert;  // an unrelated CA (self-signed): trusting it rejects the above
  std::string other_ca_key;
};

// Generates the keys and certificates into `dir` (which must exist) as
// ca.pem, server.pem, server.key, wrong-host.pem, wrong-host.key,
// client.pem, client.key, other-ca.pem, other-ca.key. kIoError when a file
// cannot be written, kInternal when OpenSSL fails.
Result<TestPki> MakeTestPki(const std::string& dir);

}  // namespace fhirengine::testing

// `fhir-engine smart-keygen`: a key pair for a SMART Backend Services
// client: the private key as PEM (kept by the client) and the public key as
// a JWKS (registered with the server under "auth.clients[].jwks-file").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <ostream>
#include <string>

#include "engine/app/cli.h"
#include "engine/auth/jwk.h"

namespace fhirengine::app {
namespace {

constexpr std::string_view kKeygenUsage =
    "usage: fhir-engine smart-keygen --alg ES384|RS384 --kid ID --out PREFIX\n"
    "writes PREFIX.key.pem (the private key, mode 0600) and PREFIX.jwks.json (the public key)\n";

// Creates `path` with mode 0600 (never over an existing file) and writes `text`.
Status WritePrivate(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(path + ": cannot create (does it exist already?)");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return IoError(path + ": write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return IoError(path + ": write failed");
  return Status::Ok();
}

}  // namespace

int RunSmartKeygen(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::string alg_name, kid, prefix;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << kKeygenUsage;
      return kExitOk;
    }
    if ((a != "--alg" && a != "--kid" && a != "--out") || i + 1 >= args.size()) {
      err << "fhir-engine smart-keygen: unexpected argument '" << a << "'\n" << kKeygenUsage;
      return kExitUsage;
    }
    std::string value(args[++i]);
    (a == "--alg" ? alg_name : a == "--kid" ? kid : prefix) = std::move(value);
  }
  if (alg_name.empty() || kid.empty() || prefix.empty()) {
    err << "fhir-engine smart-keygen: --alg, --kid and --out are required\n" << kKeygenUsage;
    return kExitUsage;
  }
  Result<auth::JwsAlgorithm> alg = auth::ParseJwsAlgorithm(alg_name);
  if (!alg.ok()) {
    err << "fhir-engine smart-keygen: " << alg.status().message() << "\n";
    return kExitUsage;
  }
  Result<auth::KeyHandle> key = auth::GeneratePrivateKey(*alg);
  if (!key.ok()) {
    err << "fhir-engine smart-keygen: " << key.status().message() << "\n";
    return kExitInvalid;
  }
  Result<std::string> pem = auth::PrivateKeyToPem(**key);
  Result<std::string> jwk = auth::PublicJwkJson(**key, kid, *alg);
  if (!pem.ok() || !jwk.ok()) {
    err << "fhir-engine smart-keygen: "
        << (!pem.ok() ? pem.status().message() : jwk.status().message()) << "\n";
    return kExitInvalid;
  }
  const std::string key_path = prefix + ".key.pem";
  const std::string jwks_path = prefix + ".jwks.json";
  if (Status s = WritePrivate(key_path, *pem); !s.ok()) {
    err << "fhir-engine smart-keygen: " << s.message() << "\n";
    return kExitUsage;
  }
  std::ofstream jwks(jwks_path, std::ios::binary | std::ios::trunc);
  jwks << "{\"keys\":[" << *jwk << "]}\n";
  if (!jwks.flush()) {
    err << "fhir-engine smart-keygen: " << jwks_path << ": write failed\n";
    return kExitUsage;
  }
  out << "wrote " << key_path << " (private: keep it with the client) and " << jwks_path
      << " (public: register it with the server)\n";
  return kExitOk;
}

}  // namespace fhirengine::app

// Test certificates with the OpenSSL 3 C API: EVP_EC_gen keys, X509 v3
// certificates with the extensions verifiers check (basicConstraints,
// keyUsage, extendedKeyUsage, subjectAltName, key identifiers).
#include "tests/support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>
#include <vector>

namespace fhirengine::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Status OpenSslError(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return Internal("test PKI: " + what + ": " + text);
}

struct Issued {
  Pkey key;
  Cert cert;
};

// A P-256 key and a certificate for `common_name` with the extensions in
// `extensions` ({nid, value} in openssl.cnf syntax), signed by `issuer`
// (self-signed when null).
Result<Issued> Issue(const std::string& common_name,
                     const std::vector<std::pair<int, std::string>>& extensions,
                     const Issued* issuer, long serial) {
  Issued out;
  out.key.reset(EVP_EC_gen("P-256"));
  if (!out.key) return OpenSslError("cannot generate a key");
  out.cert.reset(X509_new());
  if (!out.cert) return OpenSslError("cannot allocate a certificate");
  X509* x = out.cert.get();
  X509_set_version(x, 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fhir-engine tests"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : x;
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  if (X509_set_pubkey(x, out.key.get()) != 1) return OpenSslError("cannot set the public key");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, x, nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> all = extensions;
  all.emplace_back(NID_subject_key_identifier, "hash");
  if (issuer != nullptr) all.emplace_back(NID_authority_key_identifier, "keyid:always");
  for (const auto& [nid, value] : all) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return OpenSslError("bad extension '" + value + "'");
    const int added = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (added != 1) return OpenSslError("cannot add extension '" + value + "'");
  }
  if (X509_sign(x, signing_key, EVP_sha256()) == 0) return OpenSslError("cannot sign");
  return out;
}

Status WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) return IoError("test PKI: cannot write '" + path + "'");
  const int ok = cert != nullptr ? PEM_write_bio_X509(bio.get(), cert)
                                 : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                                            nullptr, nullptr);
  if (ok != 1) return IoError("test PKI: cannot write '" + path + "'");
  return Status::Ok();
}

Status WritePair(const Issued& issued, const std::string& cert_path, const std::string& key_path) {
  FE_RETURN_IF_ERROR(WritePem(cert_path, issued.cert.get(), nullptr));
  return WritePem(key_path, nullptr, issued.key.get());
}

}  // namespace

Result<TestPki> MakeTestPki(const std::string& dir) {
  const std::vector<std::pair<int, std::string>> kCa = {
      {NID_basic_constraints, "critical,CA:TRUE"}, {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  auto leaf = [](const std::string& usage, const std::string& san) {
    std::vector<std::pair<int, std::string>> ext = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                    {NID_key_usage, "critical,digitalSignature"},
                                                    {NID_ext_key_usage, usage}};
    if (!san.empty()) ext.emplace_back(NID_subject_alt_name, san);
    return ext;
  };
  Result<Issued> ca = Issue("fhir-engine test CA", kCa, nullptr, 1);
  if (!ca.ok()) return ca.status();
  Result<Issued> other_ca = Issue("unrelated test CA", kCa, nullptr, 1);
  if (!other_ca.ok()) return other_ca.status();
  Result<Issued> server =
      Issue("localhost", leaf("serverAuth", "IP:127.0.0.1,IP:::1,DNS:localhost"), &*ca, 2);
  if (!server.ok()) return server.status();
  Result<Issued> wrong_host =
      Issue("wrong-host.invalid", leaf("serverAuth", "DNS:wrong-host.invalid"), &*ca, 3);
  if (!wrong_host.ok()) return wrong_host.status();
  Result<Issued> client = Issue("test client", leaf("clientAuth", ""), &*ca, 4);
  if (!client.ok()) return client.status();

  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  TestPki pki;
  pki.ca_cert = base + "ca.pem";
  pki.server_cert = base + "server.pem";
  pki.server_key = base + "server.key";
  pki.wrong_host_cert = base + "wrong-host.pem";
  pki.wrong_host_key = base + "wrong-host.key";
  pki.client_cert = base + "client.pem";
  pki.client_key = base + "client.key";
  pki.other_ca_cert = base + "other-ca.pem";
  pki.other_ca_key = base + "other-ca.key";
  FE_RETURN_IF_ERROR(WritePem(pki.ca_cert, ca->cert.get(), nullptr));
  FE_RETURN_IF_ERROR(WritePair(*server, pki.server_cert, pki.server_key));
  FE_RETURN_IF_ERROR(WritePair(*wrong_host, pki.wrong_host_cert, pki.wrong_host_key));
  FE_RETURN_IF_ERROR(WritePair(*client, pki.client_cert, pki.client_key));
  FE_RETURN_IF_ERROR(WritePair(*other_ca, pki.other_ca_cert, pki.other_ca_key));
  return pki;
}

}  // namespace fhirengine::testing

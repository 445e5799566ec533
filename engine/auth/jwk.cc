// JWK and PEM key handling with OpenSSL 3 (OSSL_PARAM_BLD, EVP_PKEY_fromdata).
#include "engine/auth/jwk.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>

#include "engine/auth/base64url.h"
#include "engine/core/log.h"
#include "engine/json/json_parser.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kP384CoordinateBytes = 48;
constexpr std::size_t kMaxKeys = 64;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Result<std::string> Member(const json::Value& jwk, std::string_view name) {
  const json::Value* v = jwk.Find(name);
  if (v == nullptr || !v->IsString() || v->text().empty()) {
    return InvalidArgument("the JWK has no \"" + std::string(name) + "\" string");
  }
  return std::string(v->text());
}

Result<std::string> Bytes(const json::Value& jwk, std::string_view name) {
  Result<std::string> text = Member(jwk, name);
  if (!text.ok()) return text.status();
  Result<std::string> bytes = Base64UrlDecode(*text);
  if (!bytes.ok())
    return InvalidArgument("JWK \"" + std::string(name) + "\": " + bytes.status().message());
  if (bytes->empty()) return InvalidArgument("JWK \"" + std::string(name) + "\" is empty");
  return bytes;
}

Bn ToBn(const std::string& bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()), nullptr));
}

Result<KeyHandle> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(std::string("the JWK is not a valid ") + type + " public key");
  }
  KeyHandle key = AdoptKey(raw);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(std::string("the JWK is not a valid ") + type +
                           " public key (the check failed)");
  }
  return key;
}

Result<KeyHandle> RsaKey(const json::Value& jwk) {
  Result<std::string> n = Bytes(jwk, "n");
  if (!n.ok()) return n.status();
  Result<std::string> e = Bytes(jwk, "e");
  if (!e.ok()) return e.status();
  Bn bn_n = ToBn(*n), bn_e = ToBn(*e);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Internal("cannot build the RSA key parameters");
  }
  return FromData("RSA", bld.get());
}

Result<KeyHandle> EcKey(const json::Value& jwk) {
  Result<std::string> crv = Member(jwk, "crv");
  if (!crv.ok()) return crv.status();
  if (*crv != "P-384") {
    return InvalidArgument("JWK \"crv\" \"" + crv->substr(0, 16) + "\" is not supported (P-384)");
  }
  Result<std::string> x = Bytes(jwk, "x");
  if (!x.ok()) return x.status();
  Result<std::string> y = Bytes(jwk, "y");
  if (!y.ok()) return y.status();
  if (x->size() != kP384CoordinateBytes || y->size() != kP384CoordinateBytes) {
    return InvalidArgument("JWK \"x\" and \"y\" of a P-384 key have 48 bytes each");
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Internal("cannot build the EC key parameters");
  }
  return FromData("EC", bld.get());
}

Result<std::string> BnParam(const EVP_PKEY& key, const char* name, std::size_t pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(&key, name, &raw) != 1) return Internal(std::string("no ") + name);
  Bn bn(raw);
  const std::size_t size = std::max(pad, static_cast<std::size_t>(BN_num_bytes(raw)));
  std::string out(size, '\0');
  BN_bn2binpad(raw, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  return out;
}

}  // namespace

const Jwk* JwkSet::Find(const std::optional<std::string>& kid) const {
  if (!kid) return keys_.size() == 1 ? &keys_.front() : nullptr;
  for (const Jwk& k : keys_) {
    if (k.kid == *kid) return &k;
  }
  return nullptr;
}

Result<Jwk> ParseJwk(const json::Value& jwk) {
  if (!jwk.IsObject()) return InvalidArgument("a JWK must be a JSON object");
  for (std::string_view secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (jwk.Find(secret) != nullptr) {
      return InvalidArgument("the JWK holds private key material (\"" + std::string(secret) +
                             "\"); register the public key only");
    }
  }
  Result<std::string> kty = Member(jwk, "kty");
  if (!kty.ok()) return kty.status();
  Jwk out;
  if (const json::Value* kid = jwk.Find("kid")) {
    if (!kid->IsString()) return InvalidArgument("JWK \"kid\" must be a string");
    out.kid = std::string(kid->text());
  }
  if (const json::Value* alg = jwk.Find("alg")) {
    if (!alg->IsString()) return InvalidArgument("JWK \"alg\" must be a string");
    Result<JwsAlgorithm> parsed = ParseJwsAlgorithm(alg->text());
    if (!parsed.ok()) return InvalidArgument("JWK \"alg\": " + parsed.status().message());
    out.alg = *parsed;
  }
  Result<KeyHandle> key =
      *kty == "RSA"  ? RsaKey(jwk)
      : *kty == "EC" ? EcKey(jwk)
                     : Result<KeyHandle>(InvalidArgument("JWK \"kty\" \"" + kty->substr(0, 16) +
                                                         "\" is not supported (RSA or EC)"));
  if (!key.ok()) return key.status();
  out.key = std::move(key).value();
  const JwsAlgorithm expected = *kty == "RSA" ? JwsAlgorithm::kRs384 : JwsAlgorithm::kEs384;
  if (out.alg && *out.alg != expected) {
    return InvalidArgument("JWK \"alg\" " + std::string(JwsAlgorithmName(*out.alg)) +
                           " does not fit a key of kty " + *kty);
  }
  FE_RETURN_IF_ERROR(CheckKeyForAlgorithm(*out.key, expected));
  return out;
}

Result<JwkSet> ParseJwks(const json::Value& jwks) {
  const json::Value* keys = jwks.IsObject() ? jwks.Find("keys") : nullptr;
  if (keys == nullptr || !keys->IsArray()) {
    return InvalidArgument("a JWKS is an object with a \"keys\" array");
  }
  if (keys->size() > kMaxKeys) {
    return InvalidArgument("a JWKS may hold at most " + std::to_string(kMaxKeys) + " keys");
  }
  std::vector<Jwk> out;
  std::size_t index = 0;
  for (const json::Value& k : keys->elements()) {
    const std::string where = "keys[" + std::to_string(index++) + "]: ";
    const json::Value* kty = k.IsObject() ? k.Find("kty") : nullptr;
    const json::Value* use = k.IsObject() ? k.Find("use") : nullptr;
    if (kty != nullptr && kty->IsString() && kty->text() != "RSA" && kty->text() != "EC") continue;
    if (use != nullptr && use->IsString() && use->text() != "sig") continue;
    Result<Jwk> parsed = ParseJwk(k);
    if (!parsed.ok()) return InvalidArgument(where + parsed.status().message());
    for (const Jwk& seen : out) {
      if (seen.kid == parsed->kid) {
        return InvalidArgument(where + "a second key with kid \"" + seen.kid + "\"");
      }
    }
    out.push_back(std::move(parsed).value());
  }
  if (out.empty()) return InvalidArgument("the JWKS has no RSA or EC P-384 signing key");
  return JwkSet(std::move(out));
}

Result<JwkSet> ParseJwksText(std::string_view text) {
  Result<json::Document> doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument("the JWKS is not JSON: " + doc.status().message());
  return ParseJwks(doc->root());
}

Result<KeyHandle> ParsePrivateKeyPem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // No password callback: an encrypted key fails instead of prompting.
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(
                            bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                      : nullptr;
  if (raw == nullptr) {
    ERR_clear_error();
    return InvalidArgument("no unencrypted PEM private key found");
  }
  return AdoptKey(raw);
}

Result<KeyHandle> GeneratePrivateKey(JwsAlgorithm alg) {
  EVP_PKEY* raw = alg == JwsAlgorithm::kEs384
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
  if (raw == nullptr) {
    ERR_clear_error();
    return Internal("key generation failed");
  }
  return AdoptKey(raw);
}

Result<std::string> PrivateKeyToPem(const EVP_PKEY& key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return Internal("cannot write the private key as PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> PublicJwkJson(const EVP_PKEY& key, std::string_view kid, JwsAlgorithm alg) {
  FE_RETURN_IF_ERROR(CheckKeyForAlgorithm(key, alg));
  std::string out = "{";
  auto member = [&out](std::string_view name, std::string_view value) {
    if (out.size() > 1) out += ',';
    log::AppendJsonString(out, name);
    out += ':';
    log::AppendJsonString(out, value);
  };
  if (alg == JwsAlgorithm::kRs384) {
    Result<std::string> n = BnParam(key, OSSL_PKEY_PARAM_RSA_N, 0);
    Result<std::string> e = BnParam(key, OSSL_PKEY_PARAM_RSA_E, 0);
    if (!n.ok() || !e.ok()) return Internal("cannot read the RSA public key");
    member("kty", "RSA");
    member("n", Base64UrlEncode(*n));
    member("e", Base64UrlEncode(*e));
  } else {
    Result<std::string> x = BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, kP384CoordinateBytes);
    Result<std::string> y = BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, kP384CoordinateBytes);
    if (!x.ok() || !y.ok()) return Internal("cannot read the EC public key");
    member("kty", "EC");
    member("crv", "P-384");
    member("x", Base64UrlEncode(*x));
    member("y", Base64UrlEncode(*y));
  }
  member("kid", kid);
  member("alg", JwsAlgorithmName(alg));
  member("use", "sig");
  out += '}';
  return out;
}

}  // namespace fhirengine::auth

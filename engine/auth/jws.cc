// JWS compact signing and verification with OpenSSL 3's EVP interface.
#include "engine/auth/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <vector>

#include "engine/auth/base64url.h"
#include "engine/json/json_parser.h"

namespace fhirengine::auth {
namespace {

constexpr std::size_t kEs384PartBytes = 48;  // P-384 coordinates and r, s

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

bool IsP384(const EVP_PKEY& key) {
  char group[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1) {
    return false;
  }
  const std::string_view name(group, len);
  return name == "secp384r1" || name == "P-384";
}

// DER ECDSA-Sig-Value -> r||s, each left-padded to 48 bytes.
Result<std::string> DerToRaw(const unsigned char* der, std::size_t der_len) {
  const unsigned char* p = der;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return Internal("ES384: OpenSSL produced an unreadable signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEs384PartBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs384PartBytes) < 0 ||
      BN_bn2binpad(s, out + kEs384PartBytes, kEs384PartBytes) < 0) {
    return Internal("ES384: signature value out of range");
  }
  return raw;
}

// r||s -> DER, for EVP_DigestVerify.
Result<std::vector<unsigned char>> RawToDer(std::string_view raw) {
  if (raw.size() != 2 * kEs384PartBytes) {
    return InvalidArgument("an ES384 signature has 96 bytes (r||s), this one " +
                           std::to_string(raw.size()));
  }
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(in, kEs384PartBytes, nullptr);
  BIGNUM* s = BN_bin2bn(in + kEs384PartBytes, kEs384PartBytes, nullptr);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Internal("ES384: cannot build the signature");
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return Internal("ES384: cannot encode the signature");
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kRs384 ? "RS384" : "ES384";
}

Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "RS384") return JwsAlgorithm::kRs384;
  if (name == "ES384") return JwsAlgorithm::kEs384;
  if (name == "none" || name == "None" || name == "NONE") {
    return InvalidArgument("alg \"none\" (an unsigned token) is not accepted");
  }
  return InvalidArgument("alg \"" + std::string(name.substr(0, 32)) +
                         "\" is not supported (RS384 or ES384)");
}

KeyHandle AdoptKey(EVP_PKEY* key) { return KeyHandle(key, EVP_PKEY_free); }

Status CheckKeyForAlgorithm(const EVP_PKEY& key, JwsAlgorithm alg) {
  const int id = EVP_PKEY_get_base_id(&key);
  if (alg == JwsAlgorithm::kRs384) {
    if (id != EVP_PKEY_RSA) return InvalidArgument("RS384 needs an RSA key, this key is not one");
    if (EVP_PKEY_get_bits(&key) < 2048) {
      return InvalidArgument("RS384 needs an RSA key of at least 2048 bits");
    }
    return Status::Ok();
  }
  if (id != EVP_PKEY_EC || !IsP384(key)) {
    return InvalidArgument("ES384 needs an EC key on P-384, this key is not one");
  }
  return Status::Ok();
}

Result<std::string> SignJws(std::string_view header_json, std::string_view payload_json,
                            const EVP_PKEY& private_key, JwsAlgorithm alg) {
  FE_RETURN_IF_ERROR(CheckKeyForAlgorithm(private_key, alg));
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  // EVP_DigestSignInit takes a non-const key but does not change it.
  auto* key = const_cast<EVP_PKEY*>(&private_key);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1) {
    return Internal("JWS: cannot start signing (is this a private key?)");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t sig_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, data, input.size()) != 1) {
    return Internal("JWS: cannot size the signature");
  }
  std::vector<unsigned char> sig(sig_len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, data, input.size()) != 1) {
    return Internal("JWS: signing failed (is this a private key?)");
  }
  std::string raw;
  if (alg == JwsAlgorithm::kEs384) {
    Result<std::string> converted = DerToRaw(sig.data(), sig_len);
    if (!converted.ok()) return converted.status();
    raw = std::move(converted).value();
  } else {
    raw.assign(reinterpret_cast<const char*>(sig.data()), sig_len);
  }
  return input + "." + Base64UrlEncode(raw);
}

Result<DecodedJws> DecodeJws(std::string_view compact) {
  if (compact.size() > kMaxJwsBytes) {
    return InvalidArgument("the JWT is longer than " + std::to_string(kMaxJwsBytes) + " bytes");
  }
  const std::size_t dot1 = compact.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    return InvalidArgument("not a compact JWS (three base64url parts separated by '.')");
  }
  DecodedJws out;
  Result<std::string> header = Base64UrlDecode(compact.substr(0, dot1));
  if (!header.ok()) return InvalidArgument("JWS header: " + header.status().message());
  Result<std::string> payload = Base64UrlDecode(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload.ok()) return InvalidArgument("JWS payload: " + payload.status().message());
  Result<std::string> signature = Base64UrlDecode(compact.substr(dot2 + 1));
  if (!signature.ok()) return InvalidArgument("JWS signature: " + signature.status().message());
  Result<json::Document> doc = json::Parse(*header);
  if (!doc.ok() || !doc->root().IsObject()) {
    return InvalidArgument("the JWS header is not a JSON object");
  }
  const json::Value* alg = doc->root().Find("alg");
  if (alg == nullptr || !alg->IsString()) return InvalidArgument("the JWS header has no \"alg\"");
  Result<JwsAlgorithm> parsed = ParseJwsAlgorithm(alg->text());
  if (!parsed.ok()) return parsed.status();
  if (doc->root().Find("crit") != nullptr) {
    return InvalidArgument("the JWS header has \"crit\" extensions, none are understood here");
  }
  if (const json::Value* kid = doc->root().Find("kid")) {
    if (!kid->IsString()) return InvalidArgument("the JWS header's \"kid\" is not a string");
    out.kid = std::string(kid->text());
  }
  out.alg = *parsed;
  out.header_json = std::move(header).value();
  out.payload_json = std::move(payload).value();
  out.signing_input = std::string(compact.substr(0, dot2));
  out.signature = std::move(signature).value();
  return out;
}

Status VerifyJws(const DecodedJws& jws, const EVP_PKEY& public_key) {
  FE_RETURN_IF_ERROR(CheckKeyForAlgorithm(public_key, jws.alg));
  std::vector<unsigned char> sig;
  if (jws.alg == JwsAlgorithm::kEs384) {
    Result<std::vector<unsigned char>> der = RawToDer(jws.signature);
    if (!der.ok()) return InvalidArgument(der.status().message());
    sig = std::move(der).value();
  } else {
    sig.assign(jws.signature.begin(), jws.signature.end());
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  auto* key = const_cast<EVP_PKEY*>(&public_key);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1) {
    return Internal("JWS: cannot start verifying");
  }
  const int ok = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                                  reinterpret_cast<const unsigned char*>(jws.signing_input.data()),
                                  jws.signing_input.size());
  if (ok != 1) {
    ERR_clear_error();  // a bad signature is an answer, not a stale error for the next caller
    return InvalidArgument("the JWS signature does not verify with the key");
  }
  return Status::Ok();
}

}  // namespace fhirengine::auth

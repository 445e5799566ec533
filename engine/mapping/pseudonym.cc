// HMAC-SHA256 pseudonyms through OpenSSL.
#include "engine/mapping/pseudonym.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "engine/core/check.h"

namespace fhirengine::mapping {

std::string Pseudonym(std::string_view key, std::string_view value) {
  FE_CHECK(!key.empty());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FE_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(value.data()), value.size(), mac,
                &length) != nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

}  // namespace fhirengine::mapping

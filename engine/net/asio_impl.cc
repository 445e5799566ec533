// The one translation unit that compiles Boost.Asio (with its OpenSSL
// layer) and Boost.Beast (BOOST_ASIO_SEPARATE_COMPILATION /
// BOOST_BEAST_SEPARATE_COMPILATION are PUBLIC definitions of fe_net), so no
// other file pays for them. fe_rest and fe_net's client share it.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

// The test client: Beast async operations driven to completion with
// io_context::run, bounded by tcp_stream deadlines.
#include "tests/support/http_client.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <functional>

namespace fhirengine::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return true;
  }
  return false;
}

struct HttpClient::Impl {
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  std::string connect_error;

  // Runs the queued operation to completion.
  void Run() {
    ioc.restart();
    ioc.run();
  }
};

HttpClient::HttpClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  beast::error_code result;
  impl_->stream.expires_after(timeout);
  impl_->stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                              [&](beast::error_code ec) { result = ec; });
  impl_->Run();
  impl_->connected = !result;
  if (result) impl_->connect_error = result.message();
}

HttpClient::~HttpClient() { Close(); }

bool HttpClient::connected() const { return impl_->connected; }
const std::string& HttpClient::connect_error() const { return impl_->connect_error; }

bool HttpClient::SendRaw(std::string_view bytes) {
  beast::error_code result;
  impl_->stream.expires_after(impl_->timeout);
  net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()),
                   [&](beast::error_code ec, std::size_t) { result = ec; });
  impl_->Run();
  return !result;
}

HttpResponse HttpClient::ReadResponse(bool head) {
  HttpResponse out;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{256} << 20);
  parser.skip(head);
  beast::error_code result;
  impl_->stream.expires_after(impl_->timeout);
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&](beast::error_code ec, std::size_t) { result = ec; });
  impl_->Run();
  if (result) {
    out.error = "read: " + result.message();
    return out;
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return out;
}

HttpResponse HttpClient::Request(std::string_view method, std::string_view target,
                                 const HeaderList& headers, std::string_view body) {
  std::string raw = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  raw += "Host: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n";
  raw += body;
  if (!SendRaw(raw)) {
    HttpResponse failed;
    failed.error = "write failed";
    return failed;
  }
  return ReadResponse(method == "HEAD");
}

bool HttpClient::WaitForClose(std::chrono::milliseconds deadline) {
  impl_->stream.expires_after(deadline);
  bool closed = false;
  std::function<void()> read_more;
  std::array<char, 4096> scratch{};
  read_more = [&] {
    impl_->stream.async_read_some(net::buffer(scratch), [&](beast::error_code ec, std::size_t) {
      if (ec == beast::error::timeout) return;  // still open at the deadline
      if (ec) {
        closed = true;  // EOF or reset: the server closed it
        return;
      }
      read_more();
    });
  };
  read_more();
  impl_->Run();
  return closed;
}

void HttpClient::Close() {
  if (!impl_) return;
  beast::error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  impl_->stream.close();
}

}  // namespace fhirengine::testing

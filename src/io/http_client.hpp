// A small blocking HTTP client on libcurl for talking to the Hugging Face hub: HEAD and GET with
// redirects followed by hand, so that the bearer token only ever goes to the host it belongs to.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace gavel {

// One HTTP response: status, header fields (names lower-cased) and, unless the body was streamed
// to a sink, the body (error bodies are kept, capped, for messages).
struct HttpResponse {
    long status = 0;
    std::string url;  // the URL that produced this response (after any redirects followed)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const;
    bool is_success() const { return status >= 200 && status < 300; }
    bool is_redirect() const { return status >= 300 && status < 400; }
};

// A transport failure: no usable response arrived (the host is unknown or refuses connections, a
// timeout, TLS failure) or the body stopped arriving midway.
class HttpError : public Error {
public:
    enum class Kind { unreachable, interrupted };
    HttpError(Kind kind, const std::string& message) : Error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

struct HttpSettings {
    std::string user_agent = "gavel";
    long connect_timeout_s = 10;
    // A transfer that moves no byte for this long is abandoned, so a dead server cannot hang us.
    long stall_timeout_s = 30;
    // Sent as "Authorization: Bearer ..." only to URLs whose scheme, host and port equal those of
    // `token_origin` (a URL), never to a redirect target elsewhere (a CDN).
    std::string bearer_token;
    std::string token_origin;
};

// Receives the body of a 2xx response chunk by chunk; `response` has the status and headers.
using HttpBodySink = std::function<void(const HttpResponse& response, std::string_view chunk)>;

class HttpClient {
public:
    explicit HttpClient(HttpSettings settings);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // HEAD without following redirects: a 3xx comes back as is, with its Location.
    HttpResponse head(const std::string& url, const std::vector<std::string>& extra_headers = {});
    // GET following redirects (absolute and relative Location); a 2xx body goes to `sink`.
    HttpResponse get(const std::string& url, const std::vector<std::string>& extra_headers, const HttpBodySink& sink);
    // GET following redirects, the body kept in the response (at most `max_body` bytes).
    HttpResponse get_text(const std::string& url, size_t max_body = size_t(64) << 20);

    // `location` (absolute or relative) resolved against `base`.
    static std::string resolve_url(const std::string& base, const std::string& location);
    // "scheme://host:port" of a URL, lower-cased, with the default port filled in; "" if unparsable.
    static std::string origin_of(const std::string& url);

private:
    HttpResponse perform(const std::string& url, bool head_only, const std::vector<std::string>& extra_headers,
                         const HttpBodySink* sink, size_t max_body);
    HttpResponse follow(const std::string& url, const std::vector<std::string>& extra_headers, const HttpBodySink* sink,
                        size_t max_body);

    HttpSettings settings_;
    std::string token_origin_;
    void* curl_;  // CURL*, reused so that connections are kept alive between requests
};

}  // namespace gavel

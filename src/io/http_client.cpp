#include "io/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>

namespace gavel {
namespace {

constexpr int kMaxRedirects = 10;
// Error bodies are only for messages; a misbehaving server must not fill memory with one.
constexpr size_t kMaxErrorBody = 64 * 1024;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

struct CurlUrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

struct CurlSlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
    char* out = nullptr;
    if (curl_url_get(u, part, &out, flags) != CURLUE_OK || !out) return "";
    std::string s(out);
    curl_free(out);
    return s;
}

// State of one curl_easy_perform, shared with the callbacks.
struct Transfer {
    HttpResponse response;
    const HttpBodySink* sink = nullptr;
    size_t max_body = 0;
    bool body_too_large = false;
    std::exception_ptr sink_error;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line = trim(std::string_view(data, size * count));
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response starts (e.g. after "100 Continue"): only the last one counts.
        t->response.headers.clear();
        t->response.status = 0;
        auto space = line.find(' ');
        if (space != std::string_view::npos) {
            long status = 0;
            for (size_t i = space + 1; i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i)
                status = status * 10 + (line[i] - '0');
            t->response.status = status;
        }
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        t->response.headers.emplace_back(lower(std::string(trim(line.substr(0, colon)))),
                                         std::string(trim(line.substr(colon + 1))));
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    if (t->sink && t->response.is_success()) {
        try {
            (*t->sink)(t->response, std::string_view(data, n));
        } catch (...) {
            // Exceptions must not cross libcurl's C frames: park it, abort the transfer, rethrow later.
            t->sink_error = std::current_exception();
            return 0;
        }
        return n;
    }
    size_t cap = t->sink ? kMaxErrorBody : t->max_body;
    if (t->response.body.size() + n > cap) {
        if (t->sink) {
            t->response.body.append(data, cap - t->response.body.size());
            return n;
        }
        t->body_too_large = true;
        return 0;
    }
    t->response.body.append(data, n);
    return n;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    std::string key = lower(std::string(name));
    for (const auto& [k, v] : headers)
        if (k == key) return v;
    return std::nullopt;
}

HttpClient::HttpClient(HttpSettings settings)
    : settings_(std::move(settings)), token_origin_(origin_of(settings_.token_origin)), curl_(curl_easy_init()) {
    if (!curl_) fail("HTTP: could not initialise libcurl");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string HttpClient::resolve_url(const std::string& base, const std::string& location) {
    CurlUrl u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) fail("HTTP: invalid URL '{}'", base);
    if (curl_url_set(u.get(), CURLUPART_URL, location.c_str(), CURLU_URLENCODE) != CURLUE_OK)
        fail("HTTP: invalid redirect Location '{}' from {}", location, base);
    std::string out = url_part(u.get(), CURLUPART_URL);
    if (out.empty()) fail("HTTP: invalid redirect Location '{}' from {}", location, base);
    return out;
}

std::string HttpClient::origin_of(const std::string& url) {
    if (url.empty()) return "";
    CurlUrl u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
    std::string scheme = url_part(u.get(), CURLUPART_SCHEME), host = url_part(u.get(), CURLUPART_HOST),
                port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (scheme.empty() || host.empty()) return "";
    return lower(scheme + "://" + host + ":" + port);
}

HttpResponse HttpClient::perform(const std::string& url, bool head_only, const std::vector<std::string>& extra_headers,
                                 const HttpBodySink* sink, size_t max_body) {
    CURL* curl = static_cast<CURL*>(curl_);
    // reset keeps the connection cache, so consecutive requests to the hub reuse one connection.
    curl_easy_reset(curl);

    CurlSlist headers;
    auto add_header = [&](const std::string& h) {
        curl_slist* next = curl_slist_append(headers.get(), h.c_str());
        if (!next) fail("HTTP: out of memory building headers");
        if (!headers) headers.reset(next);  // appending returns the same head once the list exists
    };
    // Sizes are compared with what the hub advertises, so the body must arrive unencoded.
    add_header("Accept-Encoding: identity");
    for (const auto& h : extra_headers) add_header(h);
    if (!settings_.bearer_token.empty() && !token_origin_.empty() && origin_of(url) == token_origin_)
        add_header("Authorization: Bearer " + settings_.bearer_token);

    Transfer t;
    t.sink = sink;
    t.max_body = max_body;
    t.response.url = url;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, settings_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, settings_.connect_timeout_s);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, settings_.stall_timeout_s);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    if (head_only)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);

    CURLcode rc = curl_easy_perform(curl);
    // The error buffer lives on this stack frame; the handle must not keep pointing at it.
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    if (t.sink_error) std::rethrow_exception(t.sink_error);
    if (t.body_too_large) fail("HTTP: response from {} is larger than {} bytes", url, max_body);
    if (rc != CURLE_OK) {
        std::string reason = error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(rc));
        if (t.response.status == 0)
            throw HttpError(HttpError::Kind::unreachable, "could not reach " + url + ": " + reason);
        throw HttpError(HttpError::Kind::interrupted, "transfer from " + url + " was interrupted: " + reason);
    }
    if (t.response.status == 0) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
    return t.response;
}

HttpResponse HttpClient::follow(const std::string& url, const std::vector<std::string>& extra_headers,
                                const HttpBodySink* sink, size_t max_body) {
    std::string current = url;
    for (int hop = 0;; ++hop) {
        HttpResponse r = perform(current, false, extra_headers, sink, max_body);
        auto location = r.header("location");
        if (!r.is_redirect() || !location || location->empty()) return r;
        if (hop == kMaxRedirects) fail("HTTP: more than {} redirects starting from {}", kMaxRedirects, url);
        current = resolve_url(current, *location);
    }
}

HttpResponse HttpClient::head(const std::string& url, const std::vector<std::string>& extra_headers) {
    return perform(url, true, extra_headers, nullptr, kMaxErrorBody);
}

HttpResponse HttpClient::get(const std::string& url, const std::vector<std::string>& extra_headers,
                             const HttpBodySink& sink) {
    return follow(url, extra_headers, &sink, kMaxErrorBody);
}

HttpResponse HttpClient::get_text(const std::string& url, size_t max_body) {
    return follow(url, {}, nullptr, max_body);
}

}  // namespace gavel

#!/usr/bin/python3
"""A stand-in for the Hugging Face hub on 127.0.0.1, for gavel's download tests (stdlib only).

usage: hub_server.py CONFIG.json

Binds port 0, prints the port on stdout, then serves the hub's URL scheme for the repos in CONFIG:
  GET  /api/models/ORG/NAME/revision/REV   -> {"id", "sha", "siblings": [{"rfilename"}]}
  HEAD/GET /ORG/NAME/resolve/REV/FILE      -> 200 with the file (ETag = git blob sha1), or for LFS
                                              files a 302 to /cdn/ORG/NAME/SHA256 carrying X-Linked-Etag,
                                              X-Linked-Size and X-Repo-Commit, as the real hub does
  GET  /cdn/ORG/NAME/SHA256                 -> the LFS blob (Range: bytes=N- gives 206)
  any  /hang/...                            -> never answers (for stall timeouts)
Every request is appended to CONFIG["log_path"] as one JSON line: method, path, range, authorization.
CONFIG["manifest_path"], if given, receives {repo: {file: etag}}: the name each blob must get.

CONFIG: {"log_path": "...", "repos": {"org/name": {
            "sha": "<40 hex>", "token": null or "secret",
            "files": [{"name": "config.json", "path": "/abs/file", "lfs": false,
                       "redirect": "absolute" | "relative" | "other-host",   (LFS files)
                       "cut_once": false,        first plain GET sends half the bytes, then closes
                       "ignore_range": false,    answer Range requests with the whole file (200)
                       "advertise_size": null}], claim this size in X-Linked-Size
            "listed_only": ["ghost.bin"]}},     listed by the API, 404 on resolve
        "missing_repo_status": 404}            401 as huggingface.co does for unknown repos
"""
import hashlib
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse


class Hub:
    def __init__(self, config):
        self.log_path = config["log_path"]
        # huggingface.co answers 401 for a repo that does not exist, so as not to reveal private ones.
        self.missing_repo_status = config.get("missing_repo_status", 404)
        self.lock = threading.Lock()
        self.cut_done = set()
        self.repos = {}
        self.blobs = {}  # "org/name/sha256" -> file entry, for /cdn/
        for repo_id, repo in config["repos"].items():
            files = {}
            for f in repo.get("files", []):
                with open(f["path"], "rb") as stream:
                    data = stream.read()
                entry = dict(f)
                entry["data"] = data
                entry["sha1"] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
                entry["sha256"] = hashlib.sha256(data).hexdigest()
                files[f["name"]] = entry
                if f.get("lfs"):
                    self.blobs[repo_id + "/" + entry["sha256"]] = entry
            self.repos[repo_id] = {"sha": repo["sha"], "token": repo.get("token"), "files": files,
                                   "listed_only": repo.get("listed_only", [])}

    def log(self, handler):
        record = {"method": handler.command, "path": handler.path,
                  "range": handler.headers.get("Range"),
                  "authorization": handler.headers.get("Authorization"),
                  "user_agent": handler.headers.get("User-Agent")}
        with self.lock:
            with open(self.log_path, "a") as out:
                out.write(json.dumps(record) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None  # set in main()

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def reply(self, status, headers=None, body=b"", head=False):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, code, message, head, extra=None):
        headers = {"Content-Type": "application/json", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        headers.update(extra or {})
        self.reply(status, headers, json.dumps({"error": message}).encode(), head)

    def route(self, head):
        self.hub.log(self)
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/hang"):
            time.sleep(3600)
            return
        parts = path.split("/")
        # /api/models/ORG/NAME/revision/REV
        if len(parts) >= 7 and parts[1] == "api" and parts[2] == "models" and parts[5] == "revision":
            return self.listing(parts[3] + "/" + parts[4], urllib.parse.unquote("/".join(parts[6:])), head)
        # /ORG/NAME/resolve/REV/FILE...
        if len(parts) >= 6 and parts[3] == "resolve":
            return self.resolve(parts[1] + "/" + parts[2], urllib.parse.unquote(parts[4]),
                                urllib.parse.unquote("/".join(parts[5:])), head)
        blob_key = "/".join(parts[2:])
        if len(parts) == 5 and parts[1] == "cdn" and blob_key in self.hub.blobs:
            return self.send_file(self.hub.blobs[blob_key], head)
        self.error(404, None, "Not Found", head)

    def repo_or_error(self, repo_id, revision, head):
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self.error(self.hub.missing_repo_status, "RepoNotFound", "Repository not found", head)
            return None
        if repo["token"] is not None and self.headers.get("Authorization") != "Bearer " + repo["token"]:
            self.error(401, None, "Invalid credentials in Authorization header", head)
            return None
        if revision not in ("main", repo["sha"]):
            self.error(404, "RevisionNotFound", "Invalid rev id: " + revision, head)
            return None
        return repo

    def listing(self, repo_id, revision, head):
        repo = self.repo_or_error(repo_id, revision, head)
        if repo is None:
            return
        names = list(repo["files"]) + repo["listed_only"]
        body = json.dumps({"id": repo_id, "sha": repo["sha"],
                           "siblings": [{"rfilename": n} for n in names]}).encode()
        self.reply(200, {"Content-Type": "application/json"}, body, head)

    def resolve(self, repo_id, revision, filename, head):
        repo = self.repo_or_error(repo_id, revision, head)
        if repo is None:
            return
        entry = repo["files"].get(filename)
        if entry is None:
            self.error(404, "EntryNotFound", "Entry not found", head, {"X-Repo-Commit": repo["sha"]})
            return
        if not entry.get("lfs"):
            return self.send_file(entry, head, {"ETag": '"%s"' % entry["sha1"], "X-Repo-Commit": repo["sha"]})
        port = self.server.server_address[1]
        target = "/cdn/%s/%s" % (repo_id, entry["sha256"])
        kind = entry.get("redirect", "absolute")
        if kind == "absolute":
            target = "http://127.0.0.1:%d%s" % (port, target)
        elif kind == "other-host":
            target = "http://localhost:%d%s" % (port, target)
        size = entry.get("advertise_size") or len(entry["data"])
        self.reply(302, {"Location": target, "ETag": '"%s"' % entry["sha1"],
                         "X-Linked-Etag": '"%s"' % entry["sha256"], "X-Linked-Size": str(size),
                         "X-Repo-Commit": repo["sha"]}, b"", head)

    def send_file(self, entry, head, headers=None):
        data = entry["data"]
        headers = dict(headers or {})
        requested = self.headers.get("Range")
        if requested and not entry.get("ignore_range"):
            start = int(requested.split("=")[1].split("-")[0])
            if start >= len(data):
                return self.reply(416, {"Content-Range": "bytes */%d" % len(data)}, b"", head)
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
            return self.reply(206, headers, data[start:], head)
        key = id(entry)
        with self.hub.lock:
            cut = entry.get("cut_once") and not head and key not in self.hub.cut_done
            if cut:
                self.hub.cut_done.add(key)
        if not cut:
            return self.reply(200, headers, data, head)
        # Promise the whole file, deliver half, hang up: a transfer dying midway.
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.close_connection = True


def main():
    with open(sys.argv[1]) as stream:
        config = json.load(stream)
    Handler.hub = Hub(config)
    if config.get("manifest_path"):
        # The ETag the hub sends for each file, which names its blob in the cache.
        manifest = {repo_id: {name: (f["sha256"] if f.get("lfs") else f["sha1"]) for name, f in repo["files"].items()}
                    for repo_id, repo in Handler.hub.repos.items()}
        with open(config["manifest_path"], "w") as out:
            json.dump(manifest, out)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

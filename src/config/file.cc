#include "config/file.h"

#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "config/diagnostics.h"
#include "config/file_headers.h"
#include "config/file_pools.h"
#include "config/file_routes.h"
#include "config/yaml_reader.h"
#include "net/address.h"

namespace fulcrum::config {
namespace {

constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxPoolSize = 65536;
constexpr uint64_t kMaxHeaders = 10'000;
constexpr std::string_view kDefaultPool = "default";

const std::vector<std::string_view> kTopKeys = {
    "listen",   "workers",  "mode",     "io",    "log",    "limits",       "timeouts", "pool_size",
    "backends", "strategy", "hash_key", "pools", "routes", "default_pool", "headers"};

// One listen address: a port (all IPv4 addresses), HOST:PORT or [IPv6]:PORT.
void read_listener(YamlReader& reader, const Field& f, std::vector<ListenConfig>* out,
                   std::vector<Position>* positions) {
  ListenConfig l;
  auto text = reader.text(f, "a port, HOST:PORT or [IPv6]:PORT");
  if (!text) return;
  std::string error;
  if (text->find(':') == std::string::npos) {
    if (text->find_first_not_of("0123456789") != std::string::npos) {
      return reader.error(
          f, describe(f.node) + " is not a listen address (PORT, HOST:PORT or [IPv6]:PORT)");
    }
    auto port = reader.number(f, "a port", 1, 65535);
    if (!port) return;
    l.host = "0.0.0.0";
    l.port = static_cast<uint16_t>(*port);
  } else if (!net::split_host_port(*text, &l.host, &l.port, &error)) {
    return reader.error(f, error);
  }
  for (size_t i = 0; i < out->size(); ++i) {
    if ((*out)[i].host == l.host && (*out)[i].port == l.port) {
      return reader.error(
          f, "duplicate listen address (first at " + position_text((*positions)[i]) + ")");
    }
  }
  if (!net::resolve(l.host, l.port, &l.address, &error)) return reader.error(f, error);
  out->push_back(std::move(l));
  positions->push_back(f.at);
}

void read_listen(YamlReader& reader, const Field& f, Config* cfg) {
  std::vector<ListenConfig> listeners;
  std::vector<Position> positions;
  if (f.node.IsSequence()) {
    reader.each_item(f, "a list of listen addresses", [&](size_t, const Field& item) {
      read_listener(reader, item, &listeners, &positions);
    });
    if (f.node.size() == 0) reader.error(f, "empty; give at least one address to listen on");
  } else {
    read_listener(reader, f, &listeners, &positions);
  }
  if (listeners.empty()) return;
  cfg->listeners = std::move(listeners);
}

void read_limits(YamlReader& reader, const Field& f, http::Limits* limits) {
  reader.each_field(
      f, "a map of limits", {"max_header_size", "max_headers", "max_request_line"},
      [&](std::string_view key, const Field& v) {
        if (key == "max_headers") {
          auto n = reader.number(v, "a header count", 1, kMaxHeaders);
          if (n) limits->max_headers = static_cast<uint32_t>(*n);
          return;
        }
        auto s = reader.size(v, 1, UINT32_MAX);
        if (!s) return;
        (key == "max_header_size" ? limits->max_header_bytes : limits->max_request_line) =
            static_cast<uint32_t>(*s);
      });
}

void read_timeouts(YamlReader& reader, const Field& f, Timeouts* t) {
  reader.each_field(
      f, "a map of timeouts",
      {"client_header", "client_idle", "connect", "backend", "pool_idle", "drain", "tunnel"},
      [&](std::string_view key, const Field& v) {
        auto d = reader.duration(v);
        if (!d) return;
        if (key == "client_header")
          t->client_header = *d;
        else if (key == "client_idle")
          t->client_idle = *d;
        else if (key == "connect")
          t->connect = *d;
        else if (key == "backend")
          t->backend = *d;
        else if (key == "pool_idle")
          t->pool_idle = *d;
        else if (key == "tunnel")
          t->tunnel = *d;
        else
          t->drain = *d;
      });
}

void read_log(YamlReader& reader, const Field& f, Config* cfg) {
  static constexpr base::LogLevel kLevels[] = {base::LogLevel::kError, base::LogLevel::kError,
                                               base::LogLevel::kWarn, base::LogLevel::kInfo,
                                               base::LogLevel::kDebug};
  reader.each_field(
      f, "a map of log settings", {"level", "access"}, [&](std::string_view key, const Field& v) {
        if (key == "access") {
          auto path = reader.text(v, "a file path");
          std::string error;
          if (path && !check_access_log(*path, &error)) return reader.error(v, error);
          if (path) cfg->access_log = *path;
        } else if (auto i =
                       reader.choice(v, "a log level", {"err", "error", "warn", "info", "debug"})) {
          cfg->log_level = kLevels[*i];
        }
      });
}

// The process-wide settings: everything but pools, routes and headers.
void read_general(YamlReader& reader, const std::map<std::string_view, Field>& top, Config* cfg) {
  for (const auto& [key, v] : top) {
    if (key == "listen") {
      read_listen(reader, v, cfg);
    } else if (key == "workers") {
      if (auto n = reader.number(v, "a worker count", 0, kMaxWorkers)) {
        cfg->workers = static_cast<unsigned>(*n);
      }
    } else if (key == "mode") {
      static constexpr Mode kModes[] = {Mode::kSingleProcess, Mode::kMultiProcess,
                                        Mode::kMultiThread};
      if (auto i = reader.choice(v, "a process model", {"sp", "mp", "mt"})) cfg->mode = kModes[*i];
    } else if (key == "io") {
      static constexpr io::Backend kBackends[] = {io::Backend::kAuto, io::Backend::kUring,
                                                  io::Backend::kEpoll};
      if (auto i = reader.choice(v, "an I/O backend", {"auto", "uring", "epoll"})) {
        cfg->io = kBackends[*i];
      }
    } else if (key == "log") {
      read_log(reader, v, cfg);
    } else if (key == "limits") {
      read_limits(reader, v, &cfg->limits);
    } else if (key == "timeouts") {
      read_timeouts(reader, v, &cfg->timeouts);
    } else if (key == "pool_size") {
      if (auto n = reader.number(v, "a pool size", 0, kMaxPoolSize)) {
        cfg->pool_size = static_cast<uint32_t>(*n);
      }
    }
  }
}

// Pools: the top-level `backends` shorthand (pool "default") and the `pools` map.
void read_all_pools(YamlReader& reader, const Field& root,
                    const std::map<std::string_view, Field>& top, Config* cfg,
                    std::vector<std::string>* names) {
  auto backends = top.find("backends");
  if (backends != top.end()) {
    PoolReader pool(reader, *cfg, std::string(kDefaultPool));
    for (std::string_view key : {"backends", "strategy", "hash_key"}) {
      if (auto it = top.find(key); it != top.end()) pool.read(key, it->second);
    }
    cfg->pools.push_back(pool.finish(root.at, ""));
    names->push_back(std::string(kDefaultPool));
  } else {
    for (std::string_view key : {"strategy", "hash_key"}) {
      if (auto it = top.find(key); it != top.end()) {
        reader.error(it->second, "only with top-level backends; a pool in `pools` sets its own " +
                                     std::string(key));
      }
    }
  }
  auto pools = top.find("pools");
  if (pools != top.end()) {
    read_pools(reader, pools->second, *cfg, &cfg->pools, names);
    if (pools->second.node.IsMap() && pools->second.node.size() == 0) {
      reader.error(pools->second, "empty; define at least one pool");
    }
  } else if (backends == top.end()) {
    reader.error(root, "no backends: give `backends` (a single pool) or `pools`");
  }
}

void choose_default_pool(YamlReader& reader, const std::map<std::string_view, Field>& top,
                         const std::vector<std::string>& names, Config* cfg) {
  if (auto it = top.find("default_pool"); it != top.end()) {
    if (auto index = read_pool_name(reader, it->second, names)) {
      cfg->default_pool = names[*index];
      cfg->default_pool_index = *index;
    }
  } else if (names.size() == 1) {
    cfg->default_pool = names[0];
  } else if (names.size() > 1) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    reader.error({YAML::Node(), "default_pool", top.at("pools").at},
                 "missing; with several pools, name the one for requests that match no route "
                 "(one of: " +
                     list + ")");
  }
}

void read_document(YamlReader& reader, const YAML::Node& root_node, Config* cfg) {
  Field root{root_node, "", position_of(root_node)};
  if (root.at.line == 0) root.at = {1, 1};
  std::map<std::string_view, Field> top;
  bool is_map =
      reader.each_field(root, "a map of settings", kTopKeys,
                        [&](std::string_view key, const Field& v) { top.emplace(key, v); });
  if (!is_map) return;
  read_general(reader, top, cfg);
  if (auto it = top.find("headers"); it != top.end()) {
    read_header_rules(reader, it->second, &cfg->headers);
  }
  std::vector<std::string> names;
  read_all_pools(reader, root, top, cfg, &names);
  choose_default_pool(reader, top, names, cfg);
  if (auto it = top.find("routes"); it != top.end()) {
    read_routes(reader, it->second, names, cfg->headers, &cfg->routes);
  }
}

// Without a `listen` key the file listens where the command line would by default.
bool complete(Config* cfg, Diagnostics* diagnostics) {
  if (!cfg->listeners.empty()) return true;
  ListenConfig l{std::string(kDefaultListenHost), kDefaultPort, {}};
  std::string error;
  if (!net::resolve(l.host, l.port, &l.address, &error)) {
    diagnostics->add({}, "listen", error);
    return false;
  }
  cfg->listeners.push_back(std::move(l));
  return true;
}

// Where the root of text's second YAML document is, if it has one. Throws YAML::ParserException
// on a syntax error in the first two documents.
//
// Not YAML::LoadAll: yaml-cpp 0.7 never ends on a flow collection followed by a comma ("{a},"),
// because the comma begins a document that consumes nothing, and LoadAll adds such empty
// documents until memory runs out. Here the parser is asked for two documents at most.
std::optional<Position> second_document(const std::string& text) {
  // Keeps the position of the first node of the second document; builds nothing.
  class SecondRoot : public YAML::EventHandler {
   public:
    std::optional<Position> at;

    void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  const std::string&) override {
      node(m);
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
      node(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
      node(m);
    }
    void OnMapEnd() override {}

   private:
    void node(const YAML::Mark& m) {
      if (documents_ != 2 || at) return;
      at = m.is_null() ? Position{} : Position{m.line + 1, m.column + 1};
    }
    int documents_ = 0;
  };
  std::istringstream in(text);
  YAML::Parser parser(in);
  SecondRoot handler;
  for (int i = 0; i < 2 && parser.HandleNextDocument(handler); ++i) {
  }
  return handler.at;
}

}  // namespace

bool load_config_text(std::string_view text, const std::string& name, Config* out,
                      std::vector<std::string>* errors) {
  Diagnostics diagnostics(name);
  YamlReader reader(diagnostics);
  Config cfg;
  cfg.config_file = name;
  try {
    const std::string yaml(text);
    const std::optional<Position> second = second_document(yaml);
    const YAML::Node root = YAML::Load(yaml);
    if (root.IsNull()) {
      diagnostics.add({1, 1}, "", "the file is empty; expected a map of settings");
    } else {
      if (second) {
        diagnostics.add(*second, "",
                        "a second YAML document; the configuration is a single document");
      }
      read_document(reader, root, &cfg);
    }
  } catch (const YAML::Exception& e) {
    // ParserException for syntax errors; the others would be a bug here, but they carry a mark.
    Position at = e.mark.is_null() ? Position{} : Position{e.mark.line + 1, e.mark.column + 1};
    diagnostics.add(at, "", "YAML syntax: " + e.msg);
  }
  if (diagnostics.empty()) complete(&cfg, &diagnostics);
  if (!diagnostics.empty()) {
    for (std::string& line : diagnostics.lines()) errors->push_back(std::move(line));
    return false;
  }
  *out = std::move(cfg);
  return true;
}

bool load_config_file(const std::string& path, Config* out, std::vector<std::string>* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back(path + ": cannot open: " + std::strerror(errno));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    errors->push_back(path + ": cannot read: " + std::strerror(errno));
    return false;
  }
  return load_config_text(text.str(), path, out, errors);
}

}  // namespace fulcrum::config

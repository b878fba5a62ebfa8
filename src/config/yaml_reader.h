#pragma once
// Typed reads of yaml-cpp nodes that report what is wrong, where, instead of throwing: every
// read names the value's key path and position in Diagnostics and returns nullopt, so that the
// caller moves on to the next key and the file's other errors are found in the same run.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"

namespace fulcrum::config {

// A value in the file with the key path that leads to it ("pools.api.backends[2].port").
struct Field {
  Field(YAML::Node n, std::string p, Position a) : node(n), path(std::move(p)), at(a) {}
  Field(const Field&) = default;
  // YAML::Node's own assignment writes through to the document; a Field rebinds instead.
  Field& operator=(const Field& other) {
    node.reset(other.node);
    path = other.path;
    at = other.at;
    return *this;
  }

  YAML::Node node;
  std::string path;
  Position at;  // of the value; of its key when the value is empty ("port:" and nothing after)
};

Position position_of(const YAML::Node& node);

// How a value reads in a message: 70000, 'abc' (plain text), "9001" (quoted), a list, a map,
// nothing.
std::string describe(const YAML::Node& node);

class YamlReader {
 public:
  explicit YamlReader(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  void error(const Field& f, std::string message) {
    diagnostics_.add(f.at, f.path, std::move(message));
  }

  // Expects a map (`what` names it in the error: "a map of pool settings"). Reports keys that are
  // not in `keys` (suggesting a near one), repeated keys and keys that are not plain names, and
  // calls visit(key, value) for the others in file order. False if f is not a map.
  using FieldVisitor = std::function<void(std::string_view key, const Field& value)>;
  bool each_field(const Field& f, std::string_view what, const std::vector<std::string_view>& keys,
                  const FieldVisitor& visit);
  // The same for maps whose keys are names chosen by the user (pools, header names): any key
  // that is a scalar is passed on; repeats are reported as "duplicate <kind>", compared ignoring
  // ASCII case if asked.
  using NamedVisitor =
      std::function<void(const std::string& key, Position key_at, const Field& value)>;
  bool each_named(const Field& f, std::string_view what, std::string_view kind, bool ignore_case,
                  const NamedVisitor& visit);
  // Expects a list; calls visit(index, element) with paths "path[index]". False if not a list.
  bool each_item(const Field& f, std::string_view what,
                 const std::function<void(size_t, const Field&)>& visit);

  // Whether an unknown key was reported with `path` as its suggestion ("did you mean 'port'?"
  // for "pools.api.backends[0].prot" records "pools.api.backends[0].port"): then the key is not
  // missing as well, it is misspelt, and the caller says nothing more about it.
  bool suggested(const std::string& path) const { return suggested_.contains(path); }

  // A scalar as text; `what` says what was expected ("a host name"). Empty text is an error
  // unless allow_empty.
  std::optional<std::string> text(const Field& f, std::string_view what, bool allow_empty = false);
  // A whole number in [min, max], written as a number (a quoted "9001" is a string).
  std::optional<uint64_t> number(const Field& f, std::string_view what, uint64_t min, uint64_t max);
  std::optional<bool> flag(const Field& f);
  // Durations and sizes in config/units.h's syntax, quoted or not.
  std::optional<std::chrono::milliseconds> duration(const Field& f);
  std::optional<uint64_t> size(const Field& f, uint64_t min, uint64_t max);
  // One of `names`, by index; a near miss gets a suggestion, anything else the list.
  std::optional<size_t> choice(const Field& f, std::string_view what,
                               const std::vector<std::string_view>& names);

 private:
  bool expect_scalar(const Field& f, std::string_view what);

  Diagnostics& diagnostics_;
  std::set<std::string> suggested_;
};

}  // namespace fulcrum::config

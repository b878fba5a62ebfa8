#pragma once
// The `pools` section of the configuration file, and the pool settings that the top level may
// hold for the single pool of a file without `pools` (the `backends` shorthand).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace fulcrum::config {

// The keys of a pool's map.
const std::vector<std::string_view>& pool_keys();

// Reads one pool's settings key by key, then checks those that depend on each other.
class PoolReader {
 public:
  // `defaults` gives the timeouts and pool_size that the pool does not set itself.
  PoolReader(YamlReader& reader, const Config& defaults, std::string name);

  // Reads one of pool_keys(); reports errors in its value.
  void read(std::string_view key, const Field& value);
  // Reports what is missing or inconsistent (no backends, a hash_key without strategy: hash, a
  // probe timeout longer than its interval); `pool` is where to report what is missing, and
  // `prefix` the key path of the pool ("pools.api." or "" for the top level).
  PoolConfig finish(Position pool, const std::string& prefix);

 private:
  void read_backends(const Field& list);
  void read_backend(const Field& item);
  bool read_backend_map(const Field& item, BackendConfig* b, Field* host_field);
  void read_hash_key(const Field& f);
  void read_health(const Field& f);
  void read_timeouts(const Field& f);

  YamlReader& reader_;
  PoolConfig pool_;
  bool has_backends_ = false;
  std::optional<Field> hash_key_field_;
  std::optional<Field> health_timeout_field_;
  std::vector<Position> backend_positions_;  // parallel to pool_.backends
};

// Reads the `pools` map into *out, one PoolConfig per name, in file order; names that are
// repeated or not names are reported. Every name is added to *names, even of a pool whose
// settings had errors, so that routes naming it are not reported as well.
void read_pools(YamlReader& reader, const Field& pools, const Config& defaults,
                std::vector<PoolConfig>* out, std::vector<std::string>* names);

// Reads a list of response statuses and ranges: 200, "200-399", or a list of those.
std::optional<std::vector<StatusRange>> read_status_ranges(YamlReader& reader, const Field& f);

}  // namespace fulcrum::config

// The version-table row of the core release being imitated (boards/twin/versions/<family>.yaml). rig/twin/build.ts
// bakes the family's table into the sketch unit as JSON: {"build": row, "versions": {release: row},
// "rows": {row: {"a.b": "value"}}}. The row is chosen by twin::coreVersion() (the world file's, else the build's),
// so one binary imitates every release; C++ reads values by key and never compares versions itself.
#include <stdio.h>
#include <stdlib.h>

#include <map>
#include <string>

#include "json_reader.h"
#include "twin_world.h"

extern "C" const char* twin_build_version_table() __attribute__((weak));

namespace twin {
namespace {

struct Table {
  std::string build;
  std::map<std::string, std::string> versions;
  std::map<std::string, std::map<std::string, std::string>> rows;
};

Table parse() {
  Table t;
  const char* text = twin_build_version_table ? twin_build_version_table() : nullptr;
  if (!text) return t;
  JsonReader r{text, "version table", "(baked in by rig/twin/build.ts)"};
  r.object([&](const std::string& key) {
    if (key == "build") {
      t.build = r.scalar();
    } else if (key == "versions") {
      r.object([&](const std::string& release) { t.versions[release] = r.scalar(); });
    } else if (key == "rows") {
      r.object([&](const std::string& id) {
        auto& row = t.rows[id];
        r.object([&](const std::string& k) { row[k] = r.scalar(); });
      });
    } else {
      r.scalar();
    }
  });
  return t;
}

struct Selected {
  std::string id;
  const std::map<std::string, std::string>* values = nullptr;
};

const Selected& selected() {
  static const Table table = parse();
  static const Selected sel = [] {
    Selected s;
    auto v = table.versions.find(coreVersion());
    s.id = v != table.versions.end() ? v->second : table.build;
    auto row = table.rows.find(s.id);
    if (row == table.rows.end() && !table.rows.empty()) row = table.rows.begin();
    if (row != table.rows.end()) {
      s.id = row->first;
      s.values = &row->second;
    }
    return s;
  }();
  return sel;
}

}  // namespace

const char* rowId() { return selected().id.c_str(); }

const char* rowStr(const char* key) {
  const Selected& s = selected();
  if (s.values) {
    auto it = s.values->find(key);
    if (it != s.values->end()) return it->second.c_str();
  }
  // A key the C++ reads but the table lacks is a twin bug, not a sketch problem: stop loudly.
  fprintf(stderr, "twin: version row \"%s\" (core %s) has no value \"%s\"\n", s.id.c_str(), coreVersion(), key);
  exit(78);
}

long rowInt(const char* key) {
  const char* v = rowStr(key);
  char* end = nullptr;
  long n = strtol(v, &end, 0);
  if (!*v || *end) {
    fprintf(stderr, "twin: version row \"%s\": \"%s\" is not a number: %s\n", selected().id.c_str(), key, v);
    exit(78);
  }
  return n;
}

bool rowBool(const char* key) { return std::string(rowStr(key)) == "true"; }

}  // namespace twin

// imi collections: lists (or deletes) the collections of a store.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/lexical_flags.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

struct CollectionsFlags {
  std::string store;
  std::string pg;
  std::string remove;
  bool json = false;
};

Status RunCollections(const CollectionsFlags& flags) {
  IMI_ASSIGN_OR_RETURN(auto store, store::OpenVectorStore({flags.store, flags.pg}));
  if (!flags.remove.empty()) {
    IMI_RETURN_IF_ERROR(store->DeleteCollection(flags.remove));
    std::printf("deleted collection \"%s\"\n", flags.remove.c_str());
    return Status::Ok();
  }
  IMI_ASSIGN_OR_RETURN(auto list, store->ListCollections());
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list)
      out.push_back({{"name", c.spec.name}, {"model", c.spec.model_id}, {"revision", c.spec.model_revision},
                     {"dimension", c.spec.dimension}, {"metric", std::string(store::MetricName(c.spec.metric))},
                     {"analyzers", c.spec.lexical.analyzers},
                     {"bm25", {{"k1", c.spec.lexical.bm25.k1}, {"b", c.spec.lexical.bm25.b}}},
                     {"documents", c.document_count}, {"chunks", c.chunk_count}});
    std::printf("%s\n", out.dump(2).c_str());
    return Status::Ok();
  }
  if (list.empty()) {
    std::printf("no collections\n");
    return Status::Ok();
  }
  std::printf("%-24s %-40s %5s %-6s %9s %9s  %s\n", "NAME", "MODEL", "DIM", "METRIC", "DOCUMENTS", "CHUNKS",
              "LEXICAL");
  for (const auto& c : list)
    std::printf("%-24s %-40s %5d %-6s %9lld %9lld  %s\n", c.spec.name.c_str(),
                (c.spec.model_id + "@" + c.spec.model_revision).c_str(), c.spec.dimension,
                std::string(store::MetricName(c.spec.metric)).c_str(), static_cast<long long>(c.document_count),
                static_cast<long long>(c.chunk_count), JoinAnalyzers(c.spec.lexical.analyzers).c_str());
  return Status::Ok();
}

}  // namespace

void AddCollectionsCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<CollectionsFlags>();
  auto* cmd = app.add_subcommand("collections", "List the collections of a store (or delete one).");
  cmd->add_option("--store", flags->store, "Embedded store directory (default ./imi-data)");
  cmd->add_option("--pg", flags->pg, "PostgreSQL DSN instead of the embedded store (default $IMI_PG_DSN)");
  cmd->add_option("--delete", flags->remove, "Delete this collection and its documents");
  cmd->add_flag("--json", flags->json, "Print as JSON");
  cmd->callback([flags, exit_code] {
    const Status s = RunCollections(*flags);
    *exit_code = s.ok() ? 0 : ReportError("collections", s);
  });
}

}  // namespace imi::cli

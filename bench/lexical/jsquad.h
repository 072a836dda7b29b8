#ifndef IMI_BENCH_LEXICAL_JSQUAD_H_
#define IMI_BENCH_LEXICAL_JSQUAD_H_

// JSQuAD as a retrieval task (bench/README.md, "Lexical search quality"):
// the unique paragraphs are the documents, the questions the queries, and
// each question's gold document is the paragraph it was asked on.

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace imi::bench {

struct JsquadTask {
  std::vector<std::string> documents;  // "title\ntext" ("[SEP]" between them removed)
  std::vector<std::string> queries;
  std::vector<size_t> gold;  // document index per query
};

inline JsquadTask LoadJsquad(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json data = nlohmann::json::parse(text.str());
  JsquadTask task;
  std::map<std::string, size_t> index;
  for (const auto& article : data["data"]) {
    for (const auto& paragraph : article["paragraphs"]) {
      std::string context = paragraph["context"].get<std::string>();
      const std::string sep = " [SEP] ";
      if (size_t at = context.find(sep); at != std::string::npos) context.replace(at, sep.size(), "\n");
      auto [it, fresh] = index.emplace(context, task.documents.size());
      if (fresh) task.documents.push_back(context);
      for (const auto& qa : paragraph["qas"]) {
        task.queries.push_back(qa["question"].get<std::string>());
        task.gold.push_back(it->second);
      }
    }
  }
  return task;
}

// recall@1, recall@10 and MRR@10 of ranked document lists against the gold.
struct Quality {
  double recall1 = 0, recall10 = 0, mrr10 = 0;
};

inline Quality Measure(const std::vector<std::vector<size_t>>& ranked, const std::vector<size_t>& gold) {
  Quality q;
  for (size_t i = 0; i < gold.size(); ++i) {
    for (size_t r = 0; r < ranked[i].size() && r < 10; ++r) {
      if (ranked[i][r] != gold[i]) continue;
      if (r == 0) q.recall1 += 1;
      q.recall10 += 1;
      q.mrr10 += 1.0 / static_cast<double>(r + 1);
      break;
    }
  }
  const double n = static_cast<double>(gold.size());
  q.recall1 /= n;
  q.recall10 /= n;
  q.mrr10 /= n;
  return q;
}

}  // namespace imi::bench

#endif  // IMI_BENCH_LEXICAL_JSQUAD_H_

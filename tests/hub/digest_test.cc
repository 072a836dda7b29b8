// SHA-256 and SHA-1 against the known answers in tests/data/hub/digest_vectors.tsv,
// fed whole and in uneven chunks.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hub/digest.h"

namespace imi::hub {
namespace {

struct Vector {
  std::string algorithm;
  std::string input;
  std::string digest;
};

std::vector<Vector> LoadVectors() {
  std::ifstream in(std::string(IMI_SOURCE_DIR) + "/tests/data/hub/digest_vectors.tsv");
  std::vector<Vector> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 3) continue;
    Vector v{cols[0], cols[1], cols[2]};
    const size_t star = v.input.find('*');
    if (star == 1) v.input = std::string(std::stoul(v.input.substr(2)), v.input[0]);
    out.push_back(v);
  }
  return out;
}

template <typename Hasher>
std::string Digest(const std::string& input, size_t chunk) {
  Hasher h;
  for (size_t i = 0; i < input.size(); i += chunk) h.Update(std::string_view(input).substr(i, chunk));
  return h.HexDigest();
}

TEST(DigestTest, MatchesEveryKnownAnswerWholeAndInChunks) {
  const auto vectors = LoadVectors();
  ASSERT_GE(vectors.size(), 8u) << "tests/data/hub/digest_vectors.tsv not found or short";
  for (const auto& v : vectors) {
    for (size_t chunk : {size_t{1} << 30, size_t{1}, size_t{7}, size_t{63}, size_t{64}, size_t{65}}) {
      if (chunk == 1 && v.input.size() > 4096) continue;
      const std::string got =
          v.algorithm == "sha256" ? Digest<Sha256>(v.input, chunk) : Digest<Sha1>(v.input, chunk);
      EXPECT_EQ(got, v.digest) << v.algorithm << " of " << v.input.size() << " bytes in chunks of " << chunk;
    }
  }
}

TEST(DigestTest, GitBlobIdIsSha1OfHeaderAndContent) {
  Sha1 h;
  h.Update(std::string_view("blob 6\0", 7));
  h.Update("hello\n");
  EXPECT_EQ(h.HexDigest(), "ce013625030ba8dba906f756967f9e9ca394464a");
}

}  // namespace
}  // namespace imi::hub

// The document-level operations every backend shares: defaults for backends
// without them, list-request checks and the metadata merge patch.
#include "store/vector_store.h"

namespace imi::store {

namespace {

Status NotImplemented(const char* what) {
  return Status::Unsupported(std::string("this vector store backend cannot ") + what);
}

// RFC 7386 section 2, applied in place.
void MergeInto(nlohmann::json* target, const nlohmann::json& patch) {
  if (!patch.is_object()) {
    *target = patch;
    return;
  }
  if (!target->is_object()) *target = nlohmann::json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target->erase(it.key());
    } else {
      MergeInto(&(*target)[it.key()], it.value());
    }
  }
}

}  // namespace

Result<DocumentPage> VectorStore::ListDocuments(const std::string&, const ListRequest&) {
  return NotImplemented("list documents");
}

Result<int64_t> VectorStore::CountDocuments(const std::string&, const Filter&) {
  return NotImplemented("count documents");
}

Result<int64_t> VectorStore::DeleteDocuments(const std::string&, const Filter&) {
  return NotImplemented("delete documents by filter");
}

Result<nlohmann::json> VectorStore::PatchMetadata(const std::string&, const std::string&, const nlohmann::json&) {
  return NotImplemented("update metadata");
}

Status ValidateListRequest(const ListRequest& request) {
  if (request.limit < 1 || request.limit > kMaxListLimit) {
    return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxListLimit) + ", got " +
                                   std::to_string(request.limit));
  }
  if (!request.after.empty()) IMI_RETURN_IF_ERROR(ValidateDocumentId(request.after).WithContext("after"));
  return Status::Ok();
}

Result<nlohmann::json> MergePatchMetadata(nlohmann::json metadata, const nlohmann::json& patch) {
  if (!patch.is_object()) return Status::InvalidArgument("a metadata patch must be a JSON object");
  if (!metadata.is_object()) return Status::DataLoss("stored metadata is not a JSON object");
  // The merge recurses along the patch: its depth is checked first, and the
  // result meets the limits of every write.
  IMI_RETURN_IF_ERROR(ValidateMetadata(patch).WithContext("metadata patch"));
  MergeInto(&metadata, patch);
  IMI_RETURN_IF_ERROR(ValidateMetadata(metadata).WithContext("patched metadata"));
  return metadata;
}

}  // namespace imi::store

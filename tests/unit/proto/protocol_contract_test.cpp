// Checks the generated descriptors of proto/e6x_engine.proto and proto/cluster.proto
// against shared/PROTOCOL.md §3 and §4.
//
// The tables below are transcribed by hand from PROTOCOL.md, not derived from the .proto
// files: they are an independent statement of the wire contract, so a renumbered,
// retyped or renamed field, a missing `optional`, or a stray `package` line fails here
// before it fails against a real cluster.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster.pb.h"
#include "e6x_engine.pb.h"

namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

// ---- expected methods (PROTOCOL.md §3 and §4 tables) ----

struct ExpectedMethod {
  std::string_view path;  // the full gRPC path a client sends
  std::string_view request;
  std::string_view response;
};

const std::vector<ExpectedMethod>& query_engine_methods() {
  static const std::vector<ExpectedMethod> methods = {
      {"/QueryEngineService/authenticate", "AuthenticateRequest", "AuthenticateResponse"},
      {"/QueryEngineService/prepareStatement", "PrepareStatementRequest",
       "PrepareStatementResponse"},
      {"/QueryEngineService/prepareStatementV2", "PrepareStatementV2Request",
       "PrepareStatementResponse"},
      {"/QueryEngineService/executeStatement", "ExecuteStatementRequest",
       "ExecuteStatementResponse"},
      {"/QueryEngineService/executeStatementV2", "ExecuteStatementV2Request",
       "ExecuteStatementResponse"},
      {"/QueryEngineService/getResultMetadata", "GetResultMetadataRequest",
       "GetResultMetadataResponse"},
      {"/QueryEngineService/getNextResultBatch", "GetNextResultBatchRequest",
       "GetNextResultBatchResponse"},
      // Result Batch V2 (§5.3): the V1 request, a response of several chunks.
      {"/QueryEngineService/getNextResultBatchV2", "GetNextResultBatchRequest",
       "GetNextResultBatchV2Response"},
      {"/QueryEngineService/status", "StatusRequest", "StatusResponse"},
      {"/QueryEngineService/explain", "ExplainRequest", "ExplainResponse"},
      {"/QueryEngineService/explainAnalyze", "ExplainAnalyzeRequest", "ExplainAnalyzeResponse"},
      {"/QueryEngineService/clear", "ClearRequest", "ClearResponse"},
      {"/QueryEngineService/cancelQuery", "CancelQueryRequest", "CancelQueryResponse"},
      {"/QueryEngineService/clearOrCancelQuery", "ClearOrCancelQueryRequest",
       "ClearOrCancelQueryResponse"},
      {"/QueryEngineService/getSchemaNames", "GetSchemaNamesRequest", "GetSchemaNamesResponse"},
      {"/QueryEngineService/getSchemaNamesV2", "GetSchemaNamesV2Request", "GetSchemaNamesResponse"},
      {"/QueryEngineService/getTables", "GetTablesRequest", "GetTablesResponse"},
      {"/QueryEngineService/getTablesV2", "GetTablesV2Request", "GetTablesResponse"},
      {"/QueryEngineService/getColumns", "GetColumnsRequest", "GetColumnsResponse"},
      {"/QueryEngineService/getColumnsV2", "GetColumnsV2Request", "GetColumnsResponse"},
      {"/QueryEngineService/dryRun", "DryRunRequest", "DryRunResponse"},
      // The V2 request name really is DryRunRequestV2 (suffix after "Request").
      {"/QueryEngineService/dryRunV2", "DryRunRequestV2", "DryRunResponse"},
      {"/QueryEngineService/healthCheck", "HealthCheckRequest", "HealthCheckResponse"},
  };
  return methods;
}

const std::vector<ExpectedMethod>& cluster_methods() {
  static const std::vector<ExpectedMethod> methods = {
      {"/ClusterService/resume", "ResumeRequest", "ResumeResponse"},
      {"/ClusterService/suspend", "SuspendRequest", "SuspendResponse"},
      {"/ClusterService/status", "ClusterStatusRequest", "ClusterStatusResponse"},
  };
  return methods;
}

// PROTOCOL.md §3 names further platform-side methods that clients never call. The .proto
// may declare them; anything else on QueryEngineService is a contract violation.
bool is_platform_side_method(std::string_view name) {
  static const std::set<std::string_view> names = {
      "identifyPlanner",
      "getDynamicParams",
      "addCatalogs",
      "refreshCatalogs",
      "getAddCatalogsResponse",
      "getCataloges",
      "updateUsers",
      "setProps",
      "analyzeQuery",
      "syncSchemas",
      "getNextRemoteCachedChunk",
      "dropUserContext",
  };
  // "the DataFrame calls" are not listed one by one; recognise them by name.
  return names.contains(name) || name.find("DataFrame") != std::string_view::npos;
}

// ---- expected messages (PROTOCOL.md §3 "Messages" and §4) ----

enum class Presence {
  kImplicit,  // plain proto3 singular scalar: no has_ accessor, default not sent
  kExplicit,  // declared `optional` in PROTOCOL.md
  kRepeated,
};

struct ExpectedField {
  int number;
  std::string_view name;
  FieldDescriptor::Type type;
  Presence presence;
  std::string_view message_type = {};  // only for TYPE_MESSAGE
};

struct ExpectedMessage {
  std::string_view name;
  std::vector<ExpectedField> fields;
};

constexpr auto kString = FieldDescriptor::TYPE_STRING;
constexpr auto kBool = FieldDescriptor::TYPE_BOOL;
constexpr auto kBytes = FieldDescriptor::TYPE_BYTES;
constexpr auto kInt64 = FieldDescriptor::TYPE_INT64;
constexpr auto kSint64 = FieldDescriptor::TYPE_SINT64;
constexpr auto kSint32 = FieldDescriptor::TYPE_SINT32;
constexpr auto kMessage = FieldDescriptor::TYPE_MESSAGE;

ExpectedField plain(int number, std::string_view name, FieldDescriptor::Type type) {
  return {number, name, type, Presence::kImplicit};
}

ExpectedField optional_scalar(int number, std::string_view name, FieldDescriptor::Type type) {
  return {number, name, type, Presence::kExplicit};
}

ExpectedField optional_message(int number, std::string_view name, std::string_view type) {
  return {number, name, kMessage, Presence::kExplicit, type};
}

ExpectedField repeated_scalar(int number, std::string_view name, FieldDescriptor::Type type) {
  return {number, name, type, Presence::kRepeated};
}

ExpectedField repeated_message(int number, std::string_view name, std::string_view type) {
  return {number, name, kMessage, Presence::kRepeated, type};
}

// "1 engineIP; 2 sessionId; 3 queryId (all string)", shared by seven requests.
std::vector<ExpectedField> query_handle_fields() {
  return {plain(1, "engineIP", kString), plain(2, "sessionId", kString),
          plain(3, "queryId", kString)};
}

// "1 sessionId string; 2 new_strategy optional string", shared by three responses.
std::vector<ExpectedField> session_and_strategy_fields() {
  return {plain(1, "sessionId", kString), optional_scalar(2, "new_strategy", kString)};
}

const std::vector<ExpectedMessage>& expected_messages() {
  static const std::vector<ExpectedMessage> messages = {
      // §3, in the order PROTOCOL.md lists them.
      {"AuthenticateRequest",
       {plain(1, "user", kString), plain(2, "password", kString),
        optional_scalar(3, "userNameForImpersonation", kString)}},
      {"AuthenticateResponse",
       {plain(1, "sessionId", kString), optional_scalar(2, "new_strategy", kString),
        optional_scalar(3, "engineIP", kString)}},
      {"PrepareStatementRequest",
       {plain(1, "sessionId", kString), plain(2, "schema", kString),
        plain(3, "queryString", kString), plain(4, "quoting", kString),
        optional_scalar(5, "plannerIp", kString),
        optional_message(6, "existingQuery", "ExistingQuery")}},
      {"PrepareStatementV2Request",
       {plain(1, "sessionId", kString), plain(2, "schema", kString), plain(3, "catalog", kString),
        plain(4, "queryString", kString), plain(5, "quoting", kString),
        optional_scalar(6, "plannerIp", kString),
        optional_message(7, "existingQuery", "ExistingQuery")}},
      {"ExistingQuery", {plain(1, "queryId", kString), plain(2, "elapsedTimeMillis", kInt64)}},
      {"PrepareStatementResponse",
       {plain(1, "engineIP", kString), plain(2, "queryId", kString), plain(3, "sessionId", kString),
        optional_scalar(4, "new_strategy", kString)}},
      {"ExecuteStatementRequest",
       {plain(1, "engineIP", kString), plain(2, "sessionId", kString), plain(3, "queryId", kString),
        plain(4, "shouldNotCache", kBool)}},
      {"ExecuteStatementV2Request",
       {plain(1, "engineIP", kString), plain(2, "sessionId", kString), plain(3, "queryId", kString),
        plain(4, "shouldNotCache", kBool), repeated_message(5, "params", "ParameterValue")}},
      {"ParameterValue",
       {plain(1, "index", kSint32), plain(2, "type", kString), plain(3, "value", kString)}},
      {"ExecuteStatementResponse",
       {plain(1, "sessionId", kString), optional_scalar(2, "new_strategy", kString)}},
      {"GetResultMetadataRequest", query_handle_fields()},
      {"GetNextResultBatchRequest", query_handle_fields()},
      {"StatusRequest", query_handle_fields()},
      {"ExplainRequest", query_handle_fields()},
      {"ExplainAnalyzeRequest", query_handle_fields()},
      {"ClearRequest", query_handle_fields()},
      {"CancelQueryRequest", query_handle_fields()},
      {"ClearOrCancelQueryRequest",
       {plain(1, "engineIP", kString), plain(2, "sessionId", kString), plain(3, "queryId", kString),
        optional_scalar(4, "isDone", kBool)}},
      {"GetResultMetadataResponse",
       {plain(1, "resultMetaData", kBytes), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString)}},
      // Field 2: there is no field 1.
      {"GetNextResultBatchResponse",
       {plain(2, "resultBatch", kBytes), plain(3, "sessionId", kString),
        optional_scalar(4, "new_strategy", kString)}},
      {"GetNextResultBatchV2Response",
       {repeated_scalar(1, "resultBatches", kBytes), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString), plain(4, "endOfStream", kBool)}},
      // Field 2: there is no field 1.
      {"StatusResponse",
       {plain(2, "status", kBool), plain(3, "rowCount", kSint64), plain(4, "sessionId", kString),
        optional_scalar(5, "new_strategy", kString)}},
      {"ExplainResponse",
       {plain(1, "explain", kString), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString)}},
      {"ExplainAnalyzeResponse",
       {plain(1, "explainAnalyze", kString), plain(2, "isCached", kBool),
        plain(3, "parsingTime", kSint64), plain(4, "queueingTime", kSint64),
        plain(5, "sessionId", kString), optional_scalar(6, "new_strategy", kString)}},
      {"ClearResponse", session_and_strategy_fields()},
      {"CancelQueryResponse", session_and_strategy_fields()},
      {"ClearOrCancelQueryResponse", session_and_strategy_fields()},
      // PROTOCOL.md gives no types for the catalog-browsing requests; every sibling
      // identifier field in §3 is a string, so these are read as strings too.
      {"GetSchemaNamesRequest", {plain(1, "sessionId", kString)}},
      {"GetSchemaNamesV2Request", {plain(1, "sessionId", kString), plain(2, "catalog", kString)}},
      {"GetSchemaNamesResponse",
       {repeated_scalar(1, "schemas", kString), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString)}},
      {"GetTablesRequest", {plain(1, "sessionId", kString), plain(2, "schema", kString)}},
      {"GetTablesV2Request",
       {plain(1, "sessionId", kString), plain(2, "schema", kString), plain(3, "catalog", kString)}},
      {"GetTablesResponse",
       {repeated_scalar(1, "tables", kString), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString)}},
      {"GetColumnsRequest",
       {plain(1, "sessionId", kString), plain(2, "schema", kString), plain(3, "table", kString)}},
      {"GetColumnsV2Request",
       {plain(1, "sessionId", kString), plain(2, "schema", kString), plain(3, "table", kString),
        plain(4, "catalog", kString)}},
      {"GetColumnsResponse",
       {repeated_message(1, "fieldInfo", "GFieldInfo"), plain(2, "sessionId", kString),
        optional_scalar(3, "new_strategy", kString)}},
      {"GFieldInfo", {plain(1, "fieldName", kString), plain(2, "fieldType", kString)}},
      {"DryRunRequest",
       {plain(1, "engineIP", kString), plain(2, "sessionId", kString), plain(3, "schema", kString),
        plain(4, "queryString", kString)}},
      {"DryRunRequestV2",
       {plain(1, "engineIP", kString), plain(2, "sessionId", kString), plain(3, "schema", kString),
        plain(4, "queryString", kString), plain(5, "catalog", kString)}},
      {"DryRunResponse", {plain(1, "dryrunValue", kString)}},
      {"HealthCheckRequest", {}},
      {"HealthCheckResponse", {}},
      // §4: "All fields are strings."
      {"ResumeRequest", {plain(1, "user", kString), plain(2, "password", kString)}},
      {"ResumeResponse", {plain(1, "status", kString)}},
      {"SuspendRequest", {plain(1, "user", kString), plain(2, "password", kString)}},
      {"SuspendResponse", {plain(1, "status", kString)}},
      {"ClusterStatusRequest", {plain(1, "user", kString), plain(2, "password", kString)}},
      {"ClusterStatusResponse", {plain(1, "status", kString)}},
  };
  return messages;
}

// ---- helpers ----

// Going through a generated class (not only the pool) makes the linker keep the
// generated .pb.cc objects even when they come from a static library. It also means a
// `package` line breaks this file's build (the classes move into a C++ namespace), which
// is as loud a failure as FilesHaveNoPackage.
const FileDescriptor* engine_file() {
  return AuthenticateRequest::descriptor()->file();
}
const FileDescriptor* cluster_file() {
  return ClusterStatusRequest::descriptor()->file();
}

std::string full_path(const MethodDescriptor& method) {
  return "/" + method.service()->full_name() + "/" + method.name();
}

// Splits "/Service/method" into its two parts.
std::pair<std::string, std::string> split_path(std::string_view path) {
  const auto slash = path.find('/', 1);
  return {std::string(path.substr(1, slash - 1)), std::string(path.substr(slash + 1))};
}

void expect_methods(const std::vector<ExpectedMethod>& expected, const FileDescriptor* file) {
  ASSERT_NE(file, nullptr);
  for (const auto& want : expected) {
    SCOPED_TRACE(want.path);
    const auto [service_name, method_name] = split_path(want.path);
    const ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << "no service " << service_name;
    EXPECT_EQ(service->file(), file) << "service declared in the wrong .proto";
    const MethodDescriptor* method = service->FindMethodByName(method_name);
    ASSERT_NE(method, nullptr) << "no method " << method_name;
    EXPECT_EQ(full_path(*method), want.path);
    EXPECT_EQ(method->input_type()->full_name(), want.request);
    EXPECT_EQ(method->output_type()->full_name(), want.response);
    // Every call in the contract is unary; streaming would change the HTTP/2 framing.
    EXPECT_FALSE(method->client_streaming());
    EXPECT_FALSE(method->server_streaming());
  }
}

std::string_view label_name(Presence presence) {
  switch (presence) {
    case Presence::kImplicit:
      return "implicit";
    case Presence::kExplicit:
      return "optional";
    case Presence::kRepeated:
      return "repeated";
  }
  return "?";
}

void expect_field(const FieldDescriptor& field, const ExpectedField& want) {
  SCOPED_TRACE("field " + std::to_string(want.number) + " " + std::string(want.name) + " (" +
               std::string(label_name(want.presence)) + ")");
  EXPECT_EQ(field.name(), want.name);
  EXPECT_EQ(field.type(), want.type)
      << "got " << field.type_name() << ", want " << FieldDescriptor::TypeName(want.type);
  EXPECT_EQ(field.is_repeated(), want.presence == Presence::kRepeated);
  // has_presence() is what decides whether an unset field is distinguishable from a
  // default one (and whether a default value is still sent once set): `new_strategy`
  // relies on it.
  EXPECT_EQ(field.has_presence(), want.presence == Presence::kExplicit);
  EXPECT_EQ(field.has_optional_keyword(), want.presence == Presence::kExplicit);
  // The contract has no oneofs; proto3 `optional` makes only synthetic ones.
  EXPECT_EQ(field.real_containing_oneof(), nullptr);
  if (want.type == kMessage) {
    ASSERT_NE(field.message_type(), nullptr);
    EXPECT_EQ(field.message_type()->full_name(), want.message_type);
  }
}

// ---- tests ----

TEST(ProtocolContract, FilesHaveNoPackage) {
  // A package would turn /QueryEngineService/x into /pkg.QueryEngineService/x.
  for (const FileDescriptor* file : {engine_file(), cluster_file()}) {
    ASSERT_NE(file, nullptr);
    SCOPED_TRACE(file->name());
    EXPECT_EQ(file->package(), "");
    EXPECT_EQ(file->syntax(), FileDescriptor::SYNTAX_PROTO3);
  }
  EXPECT_NE(engine_file(), cluster_file());
}

TEST(ProtocolContract, QueryEngineMethodsHaveFullPaths) {
  expect_methods(query_engine_methods(), engine_file());
}

TEST(ProtocolContract, ClusterMethodsHaveFullPaths) {
  expect_methods(cluster_methods(), cluster_file());
}

TEST(ProtocolContract, QueryEngineServiceHasNoUnknownMethods) {
  const ServiceDescriptor* service =
      DescriptorPool::generated_pool()->FindServiceByName("QueryEngineService");
  ASSERT_NE(service, nullptr);
  std::set<std::string> listed;
  for (const auto& m : query_engine_methods()) listed.insert(split_path(m.path).second);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& name = service->method(i)->name();
    EXPECT_TRUE(listed.contains(name) || is_platform_side_method(name))
        << "method " << name << " is not in PROTOCOL.md §3";
  }
}

TEST(ProtocolContract, ClusterServiceHasOnlyListedMethods) {
  const ServiceDescriptor* service =
      DescriptorPool::generated_pool()->FindServiceByName("ClusterService");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->method_count(), static_cast<int>(cluster_methods().size()));
}

TEST(ProtocolContract, MessagesHaveExactlyTheListedFields) {
  // Make sure both files are registered before looking messages up by name.
  ASSERT_NE(engine_file(), nullptr);
  ASSERT_NE(cluster_file(), nullptr);
  for (const auto& want : expected_messages()) {
    SCOPED_TRACE(std::string(want.name));
    const auto* message =
        DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(want.name));
    ASSERT_NE(message, nullptr) << "no message " << want.name;
    EXPECT_EQ(message->field_count(), static_cast<int>(want.fields.size()))
        << "extra or missing fields";
    for (const auto& want_field : want.fields) {
      const FieldDescriptor* field = message->FindFieldByNumber(want_field.number);
      if (field == nullptr) {
        ADD_FAILURE() << "no field number " << want_field.number << " (" << want_field.name << ")";
        continue;
      }
      expect_field(*field, want_field);
    }
  }
}

TEST(ProtocolContract, EveryReferencedMessageIsInTheTable) {
  // Keeps the tables above consistent with each other: a method or field naming a
  // message that the field table does not describe would leave that message unchecked.
  std::set<std::string_view> described;
  for (const auto& m : expected_messages()) {
    EXPECT_TRUE(described.insert(m.name).second) << "listed twice: " << m.name;
  }
  for (const auto* methods : {&query_engine_methods(), &cluster_methods()}) {
    for (const auto& m : *methods) {
      EXPECT_TRUE(described.contains(m.request)) << m.request;
      EXPECT_TRUE(described.contains(m.response)) << m.response;
    }
  }
  for (const auto& m : expected_messages()) {
    for (const auto& f : m.fields) {
      if (f.type == kMessage) {
        EXPECT_TRUE(described.contains(f.message_type)) << f.message_type;
      }
    }
  }
}

TEST(ProtocolContract, WireBytesMatchContract) {
  // A few encodings spelled out byte by byte, independent of the descriptor checks.
  GetNextResultBatchResponse batch;
  batch.set_resultbatch("x");
  // Field 2, wire type 2 (length-delimited): tag 0x12.
  EXPECT_EQ(batch.SerializeAsString(), std::string("\x12\x01x", 3));

  StatusResponse status;
  status.set_rowcount(-1);
  // Field 3, varint: tag 0x18; sint64 -1 zig-zags to 1 (int64 would take 10 bytes).
  EXPECT_EQ(status.SerializeAsString(), std::string("\x18\x01", 2));

  ExecuteStatementResponse execute;
  execute.set_new_strategy("");
  // Explicit presence: an empty but set new_strategy is still sent (field 2, length 0).
  EXPECT_EQ(execute.SerializeAsString(), std::string("\x12\x00", 2));

  GetNextResultBatchV2Response v2;
  v2.add_resultbatches("a");
  v2.add_resultbatches("");
  v2.set_endofstream(true);
  // Field 1 repeated (one length-delimited record per chunk, tag 0x0a, even an empty one), then
  // field 4 varint (tag 0x20).
  EXPECT_EQ(v2.SerializeAsString(), std::string("\x0a\x01"
                                                "a"
                                                "\x0a\x00"
                                                "\x20\x01",
                                                7));

  ParameterValue parameter;
  parameter.set_index(-2);
  // sint32 -2 zig-zags to 3.
  EXPECT_EQ(parameter.SerializeAsString(), std::string("\x08\x03", 2));
}

}  // namespace
